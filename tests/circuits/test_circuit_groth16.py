"""Groth16 end to end: development setup, prove with snarkjs, verify with snarkjs and py_ecc.

Each circuit is proven once per module, from the inputs the zkfed client builds; the proof must
verify with the committed verification key under both verifiers, for exactly the registry's
public signals and no others. About 25 s in all on two cores, a quarter of it the default
variant (23k constraints).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from circuit_harness import (
    CHUNK,
    ROOT,
    ROUND,
    SKS,
    CircuitVariant,
    P,
    chunk_values,
    client_task,
    tools,
)

from zkfed.groth16 import Proof, VerificationKey, verify
from zkfed.protocol import seed_reveal_inputs
from zkfed.secagg import chunk_inputs, join_inputs

SNARKJS = str(ROOT / "node_modules" / ".bin" / "snarkjs")
FIXTURES = ["masked_update", "seed_reveal", "pair_commit"]


@dataclass(frozen=True)
class Proven:
    variant: CircuitVariant
    inputs: dict[str, Any]
    proof: Path
    public: Path


def _set_up(variant: CircuitVariant) -> None:
    result = tools("setup", variant.name)
    assert result.returncode == 0, result.stderr


def _client_inputs(variant: CircuitVariant) -> dict[str, Any]:
    """Member 1 of a 4-member task: its chunk, a seed reveal and a joining commitment."""
    task = client_task(CircuitVariant("masked_update_test"), SKS[:4])
    if variant.name == "masked_update_test":
        return chunk_inputs(task, ROUND, CHUNK, 1, SKS[1], chunk_values(variant.params, 1)).inputs
    if variant.name == "seed_reveal":
        return dict(seed_reveal_inputs(task, ROUND, CHUNK, SKS[1], 2)[1])
    (_, inputs), _ = join_inputs(task, 1, SKS[1])
    return dict(inputs)


def _prove(variant: CircuitVariant, inputs: dict[str, Any], tmp: Path) -> Proven:
    (tmp / "input.json").write_text(json.dumps({k: _dec(v) for k, v in inputs.items()}))
    proof, public = tmp / "proof.json", tmp / "public.json"
    command: list[str | Path] = [SNARKJS, "groth16", "fullprove", tmp / "input.json"]
    command += [variant.wasm, variant.zkey, proof, public]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return Proven(variant, inputs, proof, public)


def _snarkjs_verifies(variant: CircuitVariant, public: list[int], proof: Path) -> bool:
    path = proof.with_name(f"public-{abs(hash(tuple(public)))}.json")
    path.write_text(json.dumps([str(s) for s in public]))
    result = subprocess.run(
        [SNARKJS, "groth16", "verify", variant.vkey, path, proof],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0 and "OK!" in result.stdout


def _py_ecc_verifies(variant: CircuitVariant, public: list[int], proof: Path) -> bool:
    key = VerificationKey.load(variant.vkey)
    return verify(key, Proof.from_snarkjs(json.loads(proof.read_text())), public)


def _dec(value: Any) -> Any:
    return [_dec(v) for v in value] if isinstance(value, list) else str(int(value) % P)


@pytest.fixture(scope="module", params=FIXTURES, ids=["masked_update_test", *FIXTURES[1:]])
def proven(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Proven:
    """One snarkjs proof of the client's inputs per circuit."""
    variant: CircuitVariant = request.getfixturevalue(request.param)
    _set_up(variant)
    return _prove(variant, _client_inputs(variant), tmp_path_factory.mktemp(variant.name))


def test_proof_verifies_with_the_committed_key_and_public_order(proven: Proven) -> None:
    # Prepare
    variant = proven.variant
    public = [int(v) for v in json.loads(proven.public.read_text())]

    # Execute
    by_snarkjs = _snarkjs_verifies(variant, public, proven.proof)
    by_py_ecc = _py_ecc_verifies(variant, public, proven.proof)

    # Assert: public.json is exactly the registry order of the inputs, and it verifies.
    assert public == variant.public_vector(proven.inputs)
    assert by_snarkjs and by_py_ecc


@pytest.mark.parametrize("position", ["first", "last"])
def test_proof_does_not_verify_for_other_public_signals(proven: Proven, position: str) -> None:
    # Prepare: task (first) or the last signal (y, seed or commitment) plus one.
    variant = proven.variant
    public = [int(v) for v in json.loads(proven.public.read_text())]
    index = 0 if position == "first" else len(public) - 1
    public[index] = (public[index] + 1) % P

    # Execute / Assert
    assert not _snarkjs_verifies(variant, public, proven.proof)
    assert not _py_ecc_verifies(variant, public, proven.proof)


def test_default_variant_proves_a_chunk_with_inactive_slots(
    masked_update_default: CircuitVariant, tmp_path: Path
) -> None:
    # Prepare: member 0 of 3 on K = 4 (slots 2 and 3 inactive), with the committed zkey, so no
    # 2^15 ceremony runs here.
    variant = masked_update_default
    _set_up(variant)
    task = client_task(variant, SKS[:3])
    inputs = chunk_inputs(task, ROUND, CHUNK, 0, SKS[0], chunk_values(variant.params, 7)).inputs
    assert task.slots(0)[2:] == [None, None]

    # Execute
    proven = _prove(variant, inputs, tmp_path)
    public = [int(v) for v in json.loads(proven.public.read_text())]

    # Assert
    assert public == variant.public_vector(inputs)
    assert _snarkjs_verifies(variant, public, proven.proof)
    assert _py_ecc_verifies(variant, public, proven.proof)
