"""zkfed's own Groth16 prover: snarkjs zkeys, proved in C on every core (`zkfed._groth16`).

snarkjs (the reference) and the optional groth16py keep one proof on about one core; this
backend splits each of a proof's five multi-scalar multiplications, window by window, across
the machine's cores, so one chunk is proved about twice as fast on two cores. The witness comes
from circom's own witness calculator (the one snarkjs runs) in the long-lived node worker; the
C extension then computes exactly what snarkjs's ``groth16 prove`` computes from the same zkey,
so its proofs verify with the same verification keys, in snarkjs, py_ecc and the generated
Solidity verifiers (tests/circuits/test_native_prover.py checks all three, that two proofs of one
witness differ, and the multi-scalar multiplications against py_ecc).

Every offset the C code reads is checked here first: a truncated or foreign zkey, or a witness
of another circuit, is refused with one sentence before any arithmetic runs.
"""

from __future__ import annotations

import os
import secrets
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from zkfed.exceptions import ToolchainError
from zkfed.field import P as SCALAR_FIELD
from zkfed.groth16 import Proof
from zkfed.proving import ProofResult, SignalValue, WitnessProver, check_artifacts

BASE_FIELD = 21888242871839275222246405745257275088696311157297823662689037894645226208583
_TWO_ADICITY = 28  # r - 1 = 2^28 · odd
_GENERATOR = 5  # the smallest quadratic non-residue mod r: snarkjs's (ffjavascript's) choice
_SECTIONS = {
    "header": 1,
    "groth16": 2,
    "ic": 3,
    "coeffs": 4,
    "a": 5,
    "b1": 6,
    "b2": 7,
    "c": 8,
    "h": 9,
}
_COEFF = np.dtype([("matrix", "<u4"), ("row", "<u4"), ("signal", "<u4"), ("value", "V32")])


def load_native() -> ModuleType:
    """The compiled extension, or a one-sentence error when the build left it out."""
    try:
        from zkfed import _groth16
    except ImportError as error:
        raise ToolchainError(
            "zkfed's native prover is not built (it needs a C compiler at install time); "
            "reinstall with `pip install -e .` or use the snarkjs prover."
        ) from error
    return _groth16


def available() -> bool:
    """Whether the native backend can be used here."""
    try:
        load_native()
    except ToolchainError:
        return False
    return True


def default_threads() -> int:
    """The cores this process may run on."""
    return max(1, len(os.sched_getaffinity(0)))


def roots_of_unity(log_domain: int) -> tuple[int, int]:
    """(ω, inc): snarkjs's primitive 2^k-th root of unity and its square root, whose odd powers
    are the coset on which the quotient polynomial is evaluated."""
    if not 1 <= log_domain < _TWO_ADICITY:
        raise ToolchainError(f"a domain of 2^{log_domain} is not supported (1 to 2^27).")
    odd = (SCALAR_FIELD - 1) >> _TWO_ADICITY
    root = pow(_GENERATOR, odd, SCALAR_FIELD)  # order 2^28
    omega = pow(root, 1 << (_TWO_ADICITY - log_domain), SCALAR_FIELD)
    inc = pow(root, 1 << (_TWO_ADICITY - log_domain - 1), SCALAR_FIELD)
    return omega, inc


def _sections(data: bytes, magic: bytes, path: Path) -> dict[int, tuple[int, int]]:
    """Section id -> (offset, size) of an iden3 binary file, every section inside the file."""
    if len(data) < 12 or data[:4] != magic:
        raise ToolchainError(f"{path} is not a {magic.decode()} file.")
    (count,) = struct.unpack_from("<I", data, 8)
    found: dict[int, tuple[int, int]] = {}
    offset = 12
    for _ in range(count):
        if offset + 12 > len(data):
            raise ToolchainError(f"{path} is truncated.")
        kind, size = struct.unpack_from("<IQ", data, offset)
        offset += 12
        if offset + size > len(data):
            raise ToolchainError(f"{path} is truncated.")
        found.setdefault(kind, (offset, size))
        offset += size
    return found


@dataclass(frozen=True)
class ZkeyLayout:
    """Where the C prover finds each part of a Groth16 zkey (BN254), all bounds checked."""

    n_vars: int
    n_public: int
    domain: int
    log_domain: int
    alpha1: int
    beta1: int
    beta2: int
    delta1: int
    delta2: int
    coeffs: int
    n_coeffs: int
    a: int
    b1: int
    b2: int
    c: int
    h: int

    @classmethod
    def parse(cls, data: bytes, path: Path) -> ZkeyLayout:
        """The layout of `data`, or a one-sentence error naming what is wrong with it."""
        sections = _sections(data, b"zkey", path)
        missing = [name for name, kind in _SECTIONS.items() if kind not in sections]
        if missing:
            raise ToolchainError(f"{path} has no {', '.join(missing)} section.")
        offset, size = sections[1]
        if size < 4 or struct.unpack_from("<I", data, offset)[0] != 1:
            raise ToolchainError(f"{path} is not a Groth16 zkey.")
        offset, size = sections[2]
        if size != 4 + 32 + 4 + 32 + 12 + 64 * 3 + 128 * 3:
            raise ToolchainError(f"{path} is not a BN254 Groth16 zkey.")
        n8q, q = struct.unpack_from("<I", data, offset)[0], data[offset + 4 : offset + 36]
        n8r, r = struct.unpack_from("<I", data, offset + 36)[0], data[offset + 40 : offset + 72]
        if (n8q, n8r) != (32, 32) or (
            int.from_bytes(q, "little"),
            int.from_bytes(r, "little"),
        ) != (BASE_FIELD, SCALAR_FIELD):
            raise ToolchainError(f"{path} is not over BN254.")
        n_vars, n_public, domain = struct.unpack_from("<III", data, offset + 72)
        points = offset + 84
        log_domain = domain.bit_length() - 1
        if domain != 1 << log_domain or n_public + 1 > n_vars:
            raise ToolchainError(f"{path} has an inconsistent header.")
        expected = {
            5: n_vars * 64,
            6: n_vars * 64,
            7: n_vars * 128,
            8: (n_vars - n_public - 1) * 64,
            9: domain * 64,
        }
        for kind, want in expected.items():
            if sections[kind][1] != want:
                raise ToolchainError(f"{path}: section {kind} has the wrong size.")
        offset, size = sections[4]
        (n_coeffs,) = struct.unpack_from("<I", data, offset) if size >= 4 else (-1,)
        if n_coeffs < 0 or size != 4 + n_coeffs * _COEFF.itemsize:
            raise ToolchainError(f"{path}: the coefficient section has the wrong size.")
        table = np.frombuffer(data, _COEFF, n_coeffs, offset + 4)
        if n_coeffs and (
            table["matrix"].max() > 1
            or table["row"].max() >= domain
            or table["signal"].max() >= n_vars
        ):
            raise ToolchainError(f"{path}: a coefficient points outside the circuit.")
        return cls(
            n_vars=n_vars,
            n_public=n_public,
            domain=domain,
            log_domain=log_domain,
            alpha1=points,
            beta1=points + 64,
            beta2=points + 128,
            delta1=points + 128 + 128 + 128,
            delta2=points + 128 + 128 + 128 + 64,
            coeffs=offset + 4,
            n_coeffs=n_coeffs,
            a=sections[5][0],
            b1=sections[6][0],
            b2=sections[7][0],
            c=sections[8][0],
            h=sections[9][0],
        )

    def as_tuple(self) -> tuple[int, ...]:
        """The order `zkfed._groth16.prove` reads."""
        return (
            self.n_vars, self.n_public, self.domain, self.alpha1, self.beta1, self.beta2,
            self.delta1, self.delta2, self.coeffs, self.n_coeffs, self.a, self.b1, self.b2,
            self.c, self.h, self.log_domain,
        )  # fmt: skip


def read_witness(path: Path, n_vars: int | None = None) -> bytes:
    """The witness values of a .wtns file, little-endian 32-byte words: exactly `n_vars` of
    them when it is given."""
    data = path.read_bytes()
    sections = _sections(data, b"wtns", path)
    if 1 not in sections or 2 not in sections:
        raise ToolchainError(f"{path} has no witness.")
    offset, _ = sections[1]
    n8, prime = struct.unpack_from("<I", data, offset)[0], data[offset + 4 : offset + 36]
    if n8 != 32 or int.from_bytes(prime, "little") != SCALAR_FIELD:
        raise ToolchainError(f"{path} is not a BN254 witness.")
    offset, size = sections[2]
    if n_vars is not None and size != n_vars * 32:
        raise ToolchainError(
            f"{path} holds {size // 32} witness values; the proving key needs {n_vars}."
        )
    return data[offset : offset + size]


def public_signals(witness: bytes, n_public: int) -> list[int]:
    """Wires 1..n_public of a witness read by `read_witness`: the public signals."""
    return [
        int.from_bytes(witness[32 * i : 32 * (i + 1)], "little") for i in range(1, n_public + 1)
    ]


def proof_from_words(blob: bytes) -> Proof:
    """A proof from the extension's 8 big-endian words (A, B with c0 before c1, C)."""
    w = [int.from_bytes(blob[i : i + 32], "big") for i in range(0, 256, 32)]
    return Proof((w[0], w[1]), ((w[2], w[3]), (w[4], w[5])), (w[6], w[7]))


def _scalar(value: int) -> bytes:
    return value.to_bytes(32, "little")


class NativeProver(WitnessProver[tuple[bytes, ZkeyLayout]]):
    """Proves with zkfed's multi-threaded C prover from snarkjs zkeys; witnesses from node.

    Parameters
    ----------
    threads
        Cores one proof uses; by default every core this process may run on.
    timeout
        Seconds to wait for one witness before the worker is considered hung and stopped.
    """

    name = "native"

    def __init__(self, threads: int | None = None, timeout: float = 600.0) -> None:
        self._native = load_native()
        self.threads = threads or default_threads()
        super().__init__(timeout)

    def _load_key(self, zkey: Path) -> tuple[bytes, ZkeyLayout]:
        data = zkey.read_bytes()
        return data, ZkeyLayout.parse(data, zkey)

    def prove(self, wasm: Path, zkey: Path, inputs: Mapping[str, SignalValue]) -> ProofResult:
        """Compute the witness for `inputs` and a Groth16 proof of it on every core.

        Raises
        ------
        ProofGenerationError
            When the inputs violate a constraint of the circuit (no proof can exist).
        """
        check_artifacts(wasm, zkey)
        started = time.perf_counter()
        data, layout = self._key(zkey)
        with self._witness(wasm, inputs) as wtns:
            witness = read_witness(wtns, layout.n_vars)
        r = secrets.randbelow(SCALAR_FIELD - 1) + 1
        s = secrets.randbelow(SCALAR_FIELD - 1) + 1
        omega, inc = roots_of_unity(layout.log_domain)
        blob = self._native.prove(
            data,
            layout.as_tuple(),
            witness,
            _scalar(r),
            _scalar(s),
            _scalar(-r * s % SCALAR_FIELD),
            _scalar(omega),
            _scalar(inc),
            self.threads,
        )
        public = public_signals(witness, layout.n_public)
        return ProofResult(proof_from_words(blob), public, time.perf_counter() - started)
