"""The optional groth16py prover (zkfed.proving_groth16py, GPL-3.0) against the reference.

It qualifies only if its proofs verify in snarkjs, in py_ecc and in the generated Solidity
verifier, carry the same public signals as snarkjs' for the same inputs, and two proofs of one
witness differ. Uses the small `masked_update_test` variant and the fixture's inputs.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from zkfed.circuits import TEST_VARIANT, Circuit, load_circuit
from zkfed.exceptions import ProofGenerationError, ToolchainError
from zkfed.groth16 import verify
from zkfed.proving import ProofResult, SnarkjsProver

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def circuit() -> Circuit:
    found = load_circuit(TEST_VARIANT, ROOT)
    if not found.ready():
        pytest.skip("masked_update_test is not built; run tools/dev.sh setup")
    return found


@pytest.fixture(scope="module")
def inputs() -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("zkfed_fixtures_tool", ROOT / "tools/fixtures.py")
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _, (case,) = module.masked_update_case()
    return dict(case)


@pytest.fixture(scope="module")
def groth16py_prover() -> Iterator[Any]:
    pytest.importorskip("groth16py", reason="the optional groth16py extra is not installed")
    from zkfed.proving_groth16py import Groth16pyProver

    with Groth16pyProver() as prover:
        yield prover


@pytest.fixture(scope="module")
def snarkjs() -> Iterator[SnarkjsProver]:
    with SnarkjsProver() as prover:
        yield prover


@pytest.fixture(scope="module")
def two_proofs(
    groth16py_prover: Any, circuit: Circuit, inputs: dict[str, Any]
) -> tuple[ProofResult, ProofResult]:
    first = groth16py_prover.prove(circuit.wasm, circuit.zkey, inputs)
    second = groth16py_prover.prove(circuit.wasm, circuit.zkey, inputs)
    return first, second


def test_proof_verifies_in_snarkjs_and_py_ecc(
    two_proofs: tuple[ProofResult, ProofResult], circuit: Circuit, snarkjs: SnarkjsProver
) -> None:
    # Prepare
    result, _ = two_proofs

    # Execute
    by_snarkjs = snarkjs.verify(circuit.vkey_json, result.proof, result.public_signals)
    by_py_ecc = verify(circuit.verification_key, result.proof, result.public_signals)

    # Assert
    assert by_snarkjs and by_py_ecc


def test_proof_verifies_in_the_solidity_verifier(
    two_proofs: tuple[ProofResult, ProofResult], circuit: Circuit, project: Any, accounts: Any
) -> None:
    # Prepare
    verifier = accounts[0].deploy(getattr(project, circuit.verifier_contract))
    result, _ = two_proofs
    tampered = [*result.public_signals[:-1], result.public_signals[-1] + 1]

    # Execute / Assert
    assert verifier.verifyProof(*result.proof.solidity_arguments(), result.public_signals)
    assert not verifier.verifyProof(*result.proof.solidity_arguments(), tampered)


def test_public_signals_match_snarkjs_and_two_proofs_differ(
    two_proofs: tuple[ProofResult, ProofResult],
    circuit: Circuit,
    inputs: dict[str, Any],
    snarkjs: SnarkjsProver,
) -> None:
    # Prepare
    first, second = two_proofs

    # Execute
    reference = snarkjs.prove(circuit.wasm, circuit.zkey, inputs)

    # Assert
    assert first.public_signals == second.public_signals == reference.public_signals
    assert first.proof != second.proof  # fresh r, s: zero knowledge


def test_inputs_violating_the_circuit_are_refused(
    groth16py_prover: Any, circuit: Circuit, inputs: dict[str, Any]
) -> None:
    # Prepare: a value far outside the 12-bit range.
    bad = {**inputs, "q": [1 << 20, *inputs["q"][1:]]}

    # Execute / Assert
    with pytest.raises(ProofGenerationError):
        groth16py_prover.prove(circuit.wasm, circuit.zkey, bad)


def test_missing_package_is_one_clear_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    # Prepare
    from zkfed import proving_groth16py

    real = importlib.import_module

    def without_groth16py(name: str, package: str | None = None) -> ModuleType:
        if name == "groth16py":
            raise ImportError("No module named 'groth16py'")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", without_groth16py)

    # Execute / Assert
    with pytest.raises(ToolchainError, match=r"pip install 'zkfed\[groth16py\]'"):
        proving_groth16py.load_groth16py()
    assert not proving_groth16py.available()


def test_the_core_never_imports_groth16py() -> None:
    # Execute
    code = (
        "import sys, zkfed, zkfed.proving, zkfed.protocol, zkfed.secagg, zkfed.ceremony;"
        "print(json.dumps(sorted(m for m in sys.modules if 'groth16py' in m)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import json;" + code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )

    # Assert
    assert json.loads(result.stdout) == []
