"""zkfed.proving.ProverPool: chunks proved in parallel come back in order, valid, and a failure
stops the rest (the pool `zkfed submit` and the demo prove with)."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from zkfed.babyjubjub import public_key
from zkfed.circuits import PAIR_COMMIT, load_circuit
from zkfed.exceptions import ProofGenerationError, ToolchainError
from zkfed.groth16 import Proof, verify
from zkfed.proving import ProofResult, ProverPool, SignalValue, SnarkjsProver, prove_all
from zkfed.quantize import Packing
from zkfed.secagg import SecaggTask, join_inputs

ROOT = Path(__file__).resolve().parents[2]
DUMMY = Proof((1, 2), ((3, 4), (5, 6)), (7, 8))


class SlowEcho:
    """A stand-in backend: 'proves' by echoing `inputs["n"]` after a delay; records overlap."""

    name = "echo"
    running = 0
    most_at_once = 0
    lock = threading.Lock()

    def prove(self, wasm: Path, zkey: Path, inputs: Mapping[str, SignalValue]) -> ProofResult:
        with SlowEcho.lock:
            SlowEcho.running += 1
            SlowEcho.most_at_once = max(SlowEcho.most_at_once, SlowEcho.running)
        try:
            n = int(str(inputs["n"]))
            if n < 0:
                raise ProofGenerationError(f"input {n} violates the circuit")
            time.sleep(0.05 * (3 - n % 3))  # later inputs finish first
            return ProofResult(DUMMY, [n], 0.0)
        finally:
            with SlowEcho.lock:
                SlowEcho.running -= 1

    def close(self) -> None:
        pass


def test_pool_proves_in_parallel_and_yields_in_order() -> None:
    # Prepare
    SlowEcho.most_at_once = 0
    inputs: list[dict[str, SignalValue]] = [{"n": n} for n in range(6)]

    # Execute
    with ProverPool(SlowEcho, workers=2) as pool:
        results = list(pool.prove_all(Path("w"), Path("z"), inputs))

    # Assert
    assert [r.public_signals for r in results] == [[n] for n in range(6)]
    assert SlowEcho.most_at_once == 2


def test_a_failing_proof_stops_the_rest() -> None:
    # Prepare: the third input cannot be proved.
    inputs: list[dict[str, SignalValue]] = [{"n": n} for n in (0, 1, -1, 3, 4, 5, 6, 7)]

    # Execute / Assert
    with ProverPool(SlowEcho, workers=2) as pool:
        results = pool.prove_all(Path("w"), Path("z"), inputs)
        assert next(results).public_signals == [0]
        assert next(results).public_signals == [1]
        with pytest.raises(ProofGenerationError, match="violates"):
            next(results)


def test_prove_all_with_a_single_prover_is_sequential() -> None:
    # Execute
    results = list(prove_all(SlowEcho(), Path("w"), Path("z"), [{"n": 2}, {"n": 1}]))

    # Assert
    assert [r.public_signals for r in results] == [[2], [1]]


def test_a_pool_needs_a_worker() -> None:
    with pytest.raises(ToolchainError, match="at least one worker"):
        ProverPool(SlowEcho, workers=0)


def test_pool_proofs_of_real_circuits_verify() -> None:
    # Prepare: a member's two PairCommit statements, proved by two snarkjs workers at once.
    circuit = load_circuit(PAIR_COMMIT, ROOT)
    if not circuit.ready():
        pytest.skip("pair_commit is not built; run tools/dev.sh setup")
    keys = [0x5EED + 7919 * i for i in range(5)]
    task = SecaggTask(
        9, Packing(2, 15, 16, 12, 8), 30, 2, 1 << 40, tuple(public_key(k) for k in keys)
    )
    statements: list[Any] = [inputs for _, inputs in join_inputs(task, 1, keys[1])]

    # Execute
    with ProverPool(SnarkjsProver, workers=2) as pool:
        results = list(pool.prove_all(circuit.wasm, circuit.zkey, statements))

    # Assert: in order (the commitment is the last public signal), and valid.
    assert [r.public_signals[-1] for r in results] == [s["commitment"] for s in statements]
    assert all(verify(circuit.verification_key, r.proof, r.public_signals) for r in results)
