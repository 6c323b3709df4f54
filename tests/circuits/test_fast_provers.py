"""The fast provers against the reference, on the small variant and the registry fixture's inputs.

A backend other than snarkjs may replace it only if its proofs verify in snarkjs, in py_ecc and
in the generated Solidity verifier, carry the same public signals as snarkjs' for the same
inputs, differ between two proofs of one witness, and cannot be made for inputs that violate the
circuit. Every backend is held to the same tests: zkfed's native prover, and the optional
groth16py when it is installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest

from zkfed.circuits import Circuit
from zkfed.exceptions import ProofGenerationError
from zkfed.groth16 import verify
from zkfed.proving import ProofResult, Prover, SnarkjsProver, open_prover


@pytest.fixture(scope="module", params=["native", "groth16py"])
def prover(request: pytest.FixtureRequest) -> Iterator[Prover]:
    if request.param == "groth16py":
        pytest.importorskip("groth16py", reason="the optional groth16py extra is not installed")
    with closing(open_prover(request.param)) as made:
        yield made


@pytest.fixture(scope="module")
def two_proofs(
    prover: Prover, small_circuit: Circuit, small_inputs: dict[str, Any]
) -> tuple[ProofResult, ProofResult]:
    return (
        prover.prove(small_circuit.wasm, small_circuit.zkey, small_inputs),
        prover.prove(small_circuit.wasm, small_circuit.zkey, small_inputs),
    )


def test_proof_verifies_in_snarkjs_and_py_ecc(
    two_proofs: tuple[ProofResult, ProofResult], small_circuit: Circuit, snarkjs: SnarkjsProver
) -> None:
    # Prepare
    result, _ = two_proofs
    tampered = [*result.public_signals[:-1], result.public_signals[-1] + 1]
    key = small_circuit.verification_key

    # Execute / Assert
    assert snarkjs.verify(small_circuit.vkey_json, result.proof, result.public_signals)
    assert verify(key, result.proof, result.public_signals)
    assert not verify(key, result.proof, tampered)


def test_proof_verifies_in_the_solidity_verifier(
    two_proofs: tuple[ProofResult, ProofResult],
    small_circuit: Circuit,
    project: Any,
    accounts: Any,
) -> None:
    # Prepare
    verifier = accounts[0].deploy(getattr(project, small_circuit.verifier_contract))
    result, _ = two_proofs
    tampered = [*result.public_signals[:-1], result.public_signals[-1] + 1]

    # Execute / Assert
    assert verifier.verifyProof(*result.proof.solidity_arguments(), result.public_signals)
    assert not verifier.verifyProof(*result.proof.solidity_arguments(), tampered)


def test_public_signals_match_snarkjs_and_two_proofs_differ(
    two_proofs: tuple[ProofResult, ProofResult],
    small_circuit: Circuit,
    small_inputs: dict[str, Any],
    snarkjs: SnarkjsProver,
) -> None:
    # Prepare
    first, second = two_proofs

    # Execute
    reference = snarkjs.prove(small_circuit.wasm, small_circuit.zkey, small_inputs)

    # Assert
    assert first.public_signals == second.public_signals == reference.public_signals
    assert first.proof != second.proof  # fresh r, s: zero knowledge


def test_inputs_violating_the_circuit_are_refused(
    prover: Prover, small_circuit: Circuit, small_inputs: dict[str, Any]
) -> None:
    # Prepare: a value far outside the 12-bit range.
    bad = {**small_inputs, "q": [1 << 20, *small_inputs["q"][1:]]}

    # Execute / Assert
    with pytest.raises(ProofGenerationError):
        prover.prove(small_circuit.wasm, small_circuit.zkey, bad)
