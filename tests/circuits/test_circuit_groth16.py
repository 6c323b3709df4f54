"""Groth16 end to end: development setup, prove with snarkjs, verify with snarkjs and py_ecc.

Each circuit is proven once per module, from the inputs the zkfed client builds; the proof must
verify with the committed verification key under both verifiers, for exactly the registry's
public signals and no others. About 25 s in all on two cores, a quarter of it the default
variant (23k constraints).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from circuit_harness import (
    CHUNK,
    ROUND,
    SKS,
    CircuitVariant,
    P,
    Proven,
    chunk_values,
    client_task,
    prove,
    py_ecc_verifies,
    set_up,
    snarkjs_verifies,
)

from zkfed.secagg import chunk_inputs, join_inputs, mask_reveal_inputs

FIXTURES = ["masked_update", "mask_reveal", "pair_commit"]


def _client_inputs(variant: CircuitVariant) -> dict[str, Any]:
    """Member 1 of a 4-member task: its chunk, a mask reveal and a joining commitment."""
    task = client_task(CircuitVariant("masked_update_test"), SKS[:4])
    if variant.name == "masked_update_test":
        return chunk_inputs(task, ROUND, CHUNK, 1, SKS[1], chunk_values(variant.params, 1)).inputs
    if variant.name == "mask_reveal_test":
        return dict(mask_reveal_inputs(task, ROUND, CHUNK, SKS[1], 2)[1])
    (_, inputs), _ = join_inputs(task, 1, SKS[1])
    return dict(inputs)


@pytest.fixture(
    scope="module", params=FIXTURES, ids=["masked_update_test", "mask_reveal_test", "pair_commit"]
)
def proven(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Proven:
    """One snarkjs proof of the client's inputs per circuit."""
    variant: CircuitVariant = request.getfixturevalue(request.param)
    set_up(variant)
    return prove(variant, _client_inputs(variant), tmp_path_factory.mktemp(variant.name))


def test_proof_verifies_with_the_committed_key_and_public_order(proven: Proven) -> None:
    # Prepare
    variant = proven.variant
    public = proven.public_signals

    # Execute
    by_snarkjs = snarkjs_verifies(variant, public, proven.proof)
    by_py_ecc = py_ecc_verifies(variant, public, proven.proof)

    # Assert: public.json is exactly the registry order of the inputs, and it verifies.
    assert public == variant.public_vector(proven.inputs)
    assert by_snarkjs and by_py_ecc


@pytest.mark.parametrize("position", ["first", "last"])
def test_proof_does_not_verify_for_other_public_signals(proven: Proven, position: str) -> None:
    # Prepare: task (first) or the last signal (y, seed or commitment) plus one.
    variant = proven.variant
    public = proven.public_signals
    index = 0 if position == "first" else len(public) - 1
    public[index] = (public[index] + 1) % P

    # Execute / Assert
    assert not snarkjs_verifies(variant, public, proven.proof)
    assert not py_ecc_verifies(variant, public, proven.proof)


def test_default_variant_proves_a_chunk_with_inactive_slots(
    masked_update_default: CircuitVariant, tmp_path: Path
) -> None:
    # Prepare: member 0 of 3 on K = 4 (slots 2 and 3 inactive), with the committed zkey, so no
    # 2^15 ceremony runs here.
    variant = masked_update_default
    set_up(variant)
    task = client_task(variant, SKS[:3])
    inputs = chunk_inputs(task, ROUND, CHUNK, 0, SKS[0], chunk_values(variant.params, 7)).inputs
    assert task.slots(0)[2:] == [None, None]

    # Execute
    proven = prove(variant, inputs, tmp_path)
    public = proven.public_signals

    # Assert
    assert public == variant.public_vector(inputs)
    assert snarkjs_verifies(variant, public, proven.proof)
    assert py_ecc_verifies(variant, public, proven.proof)
