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
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from zkfed.exceptions import ToolchainError
from zkfed.groth16 import Proof
from zkfed.proving import ProofResult, SignalValue, WitnessProver, check_artifacts
from zkfed.proving_native import public_signals, read_witness

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


def proof_from_blob(blob: bytes) -> Proof:
    """A proof from groth16py's 256-byte Ethereum blob (pA, pB, pC in the verifier's order)."""
    if len(blob) != 256:
        raise ToolchainError(f"groth16py returned a {len(blob)}-byte proof, not 256 bytes.")
    w = [int.from_bytes(blob[i : i + 32], "big") for i in range(0, 256, 32)]
    # The EVM order puts each G2 coordinate's imaginary part first; Proof keeps snarkjs order.
    return Proof((w[0], w[1]), ((w[3], w[2]), (w[5], w[4])), (w[6], w[7]))


class Groth16pyProver(WitnessProver[Any]):
    """Proves with groth16py (arkworks) from snarkjs zkeys; witnesses from a node worker.

    Parameters
    ----------
    timeout
        Seconds to wait for one witness before the worker is considered hung and stopped.
    """

    name = "groth16py"

    def __init__(self, timeout: float = 600.0) -> None:
        self._g16 = load_groth16py()
        super().__init__(timeout)

    def _load_key(self, zkey: Path) -> Any:  # (proving key, verifying key) of arkworks
        return self._g16.import_zkey(str(zkey))

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
        with self._witness(wasm, inputs) as wtns:
            blob = bytes(self._g16.prove_wtns(proving_key, str(wtns)))
            public = public_signals(read_witness(wtns), int(verifying_key.n_public))
        return ProofResult(proof_from_blob(blob), public, time.perf_counter() - started)

    def verify(self, vkey: Mapping[str, Any], proof: Proof, public_signals: list[int]) -> bool:
        """Verify with groth16py's own (arkworks) verifier."""
        key = self._g16.VerifyingKey.from_snarkjs(json.dumps(dict(vkey)))
        blob = b"".join(v.to_bytes(32, "big") for v in proof.flat())
        return bool(self._g16.Verifier(key).verify(blob, [int(s) for s in public_signals]))
