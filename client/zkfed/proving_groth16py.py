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
import os
import selectors
import shutil
import struct
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from zkfed.exceptions import ProofGenerationError, ToolchainError
from zkfed.field import P
from zkfed.groth16 import Proof
from zkfed.proving import ProofResult, SignalValue, find_node_modules

_WORKER = Path(__file__).with_name("js") / "witness_worker.cjs"
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


def _encode(value: SignalValue) -> Any:
    # circom reads field elements; a negative value is its residue mod p.
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return str(int(value) % P)


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


class Groth16pyProver:
    """Proves with groth16py (arkworks) from snarkjs zkeys; witnesses from a node worker.

    Parameters
    ----------
    timeout
        Seconds to wait for one witness before the worker is considered hung and stopped.
    """

    name = "groth16py"

    def __init__(self, timeout: float = 600.0) -> None:
        self._g16 = load_groth16py()
        node = shutil.which("node")
        if node is None:
            raise ToolchainError("Node.js is required for witnesses and 'node' is not on PATH.")
        env = {**os.environ, "NODE_PATH": str(find_node_modules())}
        self._process = subprocess.Popen(
            [node, str(_WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self._timeout = timeout
        self._ids = itertools.count(1)
        self._keys: dict[Path, tuple[Any, Any]] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix="zkfed-wtns-")

    def __enter__(self) -> Groth16pyProver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the witness worker and drop the temporary witnesses."""
        if self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._tmp.cleanup()

    def _witness(self, wasm: Path, inputs: Mapping[str, SignalValue], out: Path) -> None:
        assert self._process.stdin is not None and self._process.stdout is not None
        if self._process.poll() is not None:
            raise ToolchainError("the witness worker has stopped; create a new prover.")
        request_id = next(self._ids)
        request = {
            "id": request_id,
            "wasm": str(wasm),
            "wtns": str(out),
            "input": {name: _encode(value) for name, value in inputs.items()},
        }
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        with selectors.DefaultSelector() as selector:
            selector.register(self._process.stdout, selectors.EVENT_READ)
            if not selector.select(self._timeout):
                self._process.kill()
                raise ToolchainError(f"no witness within {self._timeout:.0f} s.")
        line = self._process.stdout.readline()
        if not line:
            raise ToolchainError("the witness worker exited unexpectedly.")
        answer = json.loads(line)
        if answer.get("id") != request_id:
            raise ToolchainError("the witness worker answered out of order.")
        if "error" in answer:
            message = str(answer["error"]).splitlines()[0]
            raise ProofGenerationError(f"the inputs do not satisfy the circuit: {message}")

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
        for artifact in (wasm, zkey):
            if not artifact.is_file():
                raise ToolchainError(f"circuit artifact {artifact} is missing; build the circuits.")
        started = time.perf_counter()
        proving_key, verifying_key = self._key(zkey)
        wtns = Path(self._tmp.name) / f"{next(self._ids)}.wtns"
        try:
            self._witness(wasm, inputs, wtns)
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
