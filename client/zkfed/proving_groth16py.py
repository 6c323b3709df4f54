"""Optional faster Groth16 backend: `groth16py` (PyPI, arkworks, GPL-3.0) proves snarkjs zkeys.

Install with ``pip install 'zkfed[groth16py]'``. The core never imports this module; a caller
chooses it explicitly. It has the interface of :class:`zkfed.proving.SnarkjsProver`:
``prove(wasm, zkey, inputs) -> ProofResult``. The witness comes from circom's own witness
calculator (the one snarkjs runs) in a long-lived node worker; arkworks then proves it with the
snarkjs zkey, so proofs verify with the same verification keys, in snarkjs, py_ecc and the
generated Solidity verifiers (bench/prover.py and tests/bench check all three, and that two
proofs of one witness differ). snarkjs stays the reference prover.
"""

from __future__ import annotations

import importlib
import itertools
import json
import struct
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from zkfed.exceptions import ToolchainError
from zkfed.groth16 import Proof
from zkfed.proving import ClosingProver, NodeWorker, ProofResult, SignalValue, check_artifacts

LICENSE = "GPL-3.0"


def load_groth16py() -> Any:
    """The `groth16py` module, or a one-sentence error when it is not installed."""
    try:
        return importlib.import_module("groth16py")
    except ImportError as error:
        raise ToolchainError(
            "the optional groth16py prover (GPL-3.0) is not installed; install it with "
            "`pip install 'zkfed[groth16py]'` or use the snarkjs prover."
        ) from error


def available() -> bool:
    """Whether the groth16py backend can be used here."""
    try:
        load_groth16py()
    except ToolchainError:
        return False
    return True


def read_wtns_public(path: Path, n_public: int) -> list[int]:
    """Public signals (wires 1..n_public) of an iden3 `.wtns` witness file."""
    data = path.read_bytes()
    if data[:4] != b"wtns":
        raise ToolchainError(f"{path} is not a witness file.")
    (n_sections,) = struct.unpack_from("<I", data, 8)
    offset, n8, values_at = 12, 0, -1
    for _ in range(n_sections):
        kind, size = struct.unpack_from("<IQ", data, offset)
        if kind == 1:
            (n8,) = struct.unpack_from("<I", data, offset + 12)
        elif kind == 2:
            values_at = offset + 12
        offset += 12 + size
    if not n8 or values_at < 0:
        raise ToolchainError(f"{path} has no witness values.")
    return [
        int.from_bytes(data[values_at + i * n8 : values_at + (i + 1) * n8], "little")
        for i in range(1, n_public + 1)
    ]


def proof_from_blob(blob: bytes) -> Proof:
    """A proof from groth16py's 256-byte Ethereum blob (pA, pB, pC in the verifier's order)."""
    if len(blob) != 256:
        raise ToolchainError(f"groth16py returned a {len(blob)}-byte proof, not 256 bytes.")
    w = [int.from_bytes(blob[i : i + 32], "big") for i in range(0, 256, 32)]
    # The EVM order puts each G2 coordinate's imaginary part first; Proof keeps snarkjs order.
    return Proof((w[0], w[1]), ((w[3], w[2]), (w[5], w[4])), (w[6], w[7]))


class Groth16pyProver(ClosingProver):
    """Proves with groth16py (arkworks) from snarkjs zkeys; witnesses from a node worker.

    Parameters
    ----------
    timeout
        Seconds to wait for one witness before the worker is considered hung and stopped.
    """

    name = "groth16py"

    def __init__(self, timeout: float = 600.0) -> None:
        self._g16 = load_groth16py()
        self._worker = NodeWorker(timeout)
        self._ids = itertools.count(1)
        self._keys: dict[Path, tuple[Any, Any]] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix="zkfed-wtns-")

    def close(self) -> None:
        """Stop the witness worker and drop the temporary witnesses."""
        self._worker.close()
        self._tmp.cleanup()

    def _key(self, zkey: Path) -> tuple[Any, Any]:
        resolved = zkey.resolve()
        if resolved not in self._keys:
            self._keys[resolved] = self._g16.import_zkey(str(resolved))
        return self._keys[resolved]

    def prove(self, wasm: Path, zkey: Path, inputs: Mapping[str, SignalValue]) -> ProofResult:
        """Compute the witness for `inputs` and a Groth16 proof of it with arkworks.

        Raises
        ------
        ProofGenerationError
            When the inputs violate a constraint of the circuit (no proof can exist).
        """
        check_artifacts(wasm, zkey)
        started = time.perf_counter()
        proving_key, verifying_key = self._key(zkey)
        wtns = Path(self._tmp.name) / f"{next(self._ids)}.wtns"
        try:
            self._worker.witness(wasm, inputs, wtns)
            blob = bytes(self._g16.prove_wtns(proving_key, str(wtns)))
            public = read_wtns_public(wtns, int(verifying_key.n_public))
        finally:
            wtns.unlink(missing_ok=True)
        return ProofResult(proof_from_blob(blob), public, time.perf_counter() - started)

    def verify(self, vkey: Mapping[str, Any], proof: Proof, public_signals: list[int]) -> bool:
        """Verify with groth16py's own (arkworks) verifier."""
        key = self._g16.VerifyingKey.from_snarkjs(json.dumps(dict(vkey)))
        blob = b"".join(v.to_bytes(32, "big") for v in proof.flat())
        return bool(self._g16.Verifier(key).verify(blob, [int(s) for s in public_signals]))
