"""Witness-level tests of MaskedUpdate on the small registry variant (W = 2, K = 2).

A valid input must give a witness; every violated statement of circuits/README.md must make
the compiled wasm refuse to compute one.
"""

from __future__ import annotations

import copy
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from circuit_harness import (
    ROOT,
    SUBGROUP_ORDER,
    CircuitVariant,
    Member,
    P,
    masked_update_inputs,
    packed_words,
    public_key,
    ring_neighbors,
    sign_bits,
)


@pytest.fixture(scope="module")
def valid(masked_update: CircuitVariant, member: Member) -> dict[str, Any]:
    (inputs,) = masked_update_inputs(masked_update, [member])
    return inputs


def _witness_ok(variant: CircuitVariant, *inputs: dict[str, Any]) -> list[bool]:
    return [r["ok"] for r in variant.witnesses(list(inputs))]


def test_valid_input_satisfies_every_constraint(
    masked_update: CircuitVariant, valid: dict[str, Any], tmp_path: Path
) -> None:
    # Prepare
    wtns = tmp_path / "valid.wtns"

    # Execute
    (result,) = masked_update.witnesses([valid], [wtns])
    check = subprocess.run(
        ["node_modules/.bin/snarkjs", "wtns", "check", str(masked_update.r1cs), str(wtns)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    # Assert
    assert result["ok"], result.get("error")
    assert check.returncode == 0 and "WITNESS IS CORRECT" in check.stdout, check.stdout


def test_public_signals_follow_the_registry_order(
    masked_update: CircuitVariant, valid: dict[str, Any]
) -> None:
    # Execute
    (result,) = masked_update.witnesses([valid])

    # Assert
    assert [int(v) for v in result["public"]] == masked_update.public_vector(valid)


@pytest.mark.parametrize("signs", [0b00, 0b01, 0b10, 0b11])
def test_every_sign_pattern_of_two_neighbours_is_accepted(
    masked_update: CircuitVariant, member: Member, signs: int
) -> None:
    # Prepare
    (inputs,) = masked_update_inputs(masked_update, [replace(member, signs=signs)])

    # Execute / Assert
    assert _witness_ok(masked_update, inputs) == [True]


def test_masks_of_a_full_ring_cancel_in_the_sum(masked_update: CircuitVariant) -> None:
    # Prepare: three members on a ring, K = 2 neighbours each, so every pair masks twice.
    params = masked_update.params
    n_params = params["W"] * params["L"]
    sks = [0x1001, 0x2002, 0x3003]
    members = []
    for i, sk in enumerate(sks):
        neighbors = ring_neighbors(i, len(sks), params["K"])
        q = [(7 * i + 3 * t) % 50 - 25 for t in range(n_params)]
        members.append(Member(sk, [sks[j] for j in neighbors], sign_bits(i, neighbors), q))

    # Execute
    inputs = masked_update_inputs(masked_update, members)
    ok = _witness_ok(masked_update, *inputs)

    # Assert
    assert ok == [True, True, True]
    for w in range(params["W"]):
        words = sum(packed_words(m.q, params)[w] for m in members) % P
        assert sum(i["y"][w] for i in inputs) % P == words


@pytest.mark.parametrize("value", ["max_plus_one", "min_minus_one"])
def test_rejects_out_of_range_q(masked_update: CircuitVariant, member: Member, value: str) -> None:
    # Prepare: y is recomputed for the bad q, so only the range check can fail.
    half = 1 << (masked_update.params["R"] - 1)
    q = list(member.q)
    q[5] = half if value == "max_plus_one" else -half - 1
    (inputs,) = masked_update_inputs(masked_update, [replace(member, q=q, bound=2**63)])

    # Execute / Assert
    assert _witness_ok(masked_update, inputs) == [False]


def test_rejects_norm_over_bound(masked_update: CircuitVariant, member: Member) -> None:
    # Prepare
    norm = sum(v * v for v in member.q)
    (inputs,) = masked_update_inputs(masked_update, [replace(member, bound=norm - 1)])

    # Execute / Assert
    assert _witness_ok(masked_update, inputs) == [False]


def test_rejects_bound_of_more_than_64_bits(
    masked_update: CircuitVariant, valid: dict[str, Any]
) -> None:
    # Prepare
    inputs = {**valid, "bound": 1 << 64}

    # Execute / Assert
    assert _witness_ok(masked_update, inputs) == [False]


@pytest.mark.parametrize("word", [0, 1])
def test_rejects_wrong_masked_word(
    masked_update: CircuitVariant, valid: dict[str, Any], word: int
) -> None:
    # Prepare
    inputs = copy.deepcopy(valid)
    inputs["y"][word] = (inputs["y"][word] + 1) % P

    # Execute / Assert
    assert _witness_ok(masked_update, inputs) == [False]


def test_rejects_word_masked_with_another_seed(
    masked_update: CircuitVariant, member: Member, valid: dict[str, Any]
) -> None:
    # Prepare: a valid y of another chunk, kept with this chunk's index.
    (other,) = masked_update_inputs(masked_update, [replace(member, chunk=member.chunk + 1)])
    inputs = {**valid, "y": other["y"]}

    # Execute / Assert
    assert _witness_ok(masked_update, inputs) == [False]


def test_rejects_wrong_public_key(masked_update: CircuitVariant, valid: dict[str, Any]) -> None:
    # Prepare
    inputs = {**valid, "pk": list(public_key(0x5EC0DE))}

    # Execute / Assert
    assert _witness_ok(masked_update, inputs) == [False]


@pytest.mark.parametrize("signs", [0b00, 0b11, 0b10, 0b01 + 4])
def test_rejects_wrong_sign_bits(
    masked_update: CircuitVariant, valid: dict[str, Any], signs: int
) -> None:
    # Prepare: the member's y was masked with signs = 0b01; 0b01 + 4 has the right low bits
    # but does not fit in K bits.
    inputs = {**valid, "signs": signs}

    # Execute / Assert
    assert _witness_ok(masked_update, inputs) == [False]


@pytest.mark.parametrize("slot", [0, 1])
def test_rejects_tampered_neighbour_key(
    masked_update: CircuitVariant, valid: dict[str, Any], slot: int
) -> None:
    # Prepare: a different (valid, subgroup) key in one neighbour slot.
    inputs = copy.deepcopy(valid)
    inputs["neighbors"][slot] = list(public_key(0xD0D0 + slot))

    # Execute / Assert
    assert _witness_ok(masked_update, inputs) == [False]


def test_rejects_other_task_or_round(masked_update: CircuitVariant, valid: dict[str, Any]) -> None:
    # Execute / Assert: seeds bind task and round, so y of one does not prove for the other.
    assert _witness_ok(
        masked_update, {**valid, "task": valid["task"] + 1}, {**valid, "round": valid["round"] + 1}
    ) == [False, False]


def test_rejects_secret_key_of_more_than_251_bits(
    masked_update: CircuitVariant, member: Member
) -> None:
    # Prepare: sk + 2^251·… no longer fits the key's bit decomposition.
    (inputs,) = masked_update_inputs(masked_update, [member])
    inputs["sk"] = member.sk + (1 << 251)

    # Execute / Assert
    assert _witness_ok(masked_update, inputs) == [False]


def test_secret_key_plus_subgroup_order_proves_the_same_statement(
    masked_update: CircuitVariant, member: Member, valid: dict[str, Any]
) -> None:
    # Documented in circuits/lib/keys.circom: sk + l < 2^251 passes, with the same pk and
    # the same seeds, hence the same public signals.
    # Prepare
    assert member.sk + SUBGROUP_ORDER < 1 << 251
    inputs = {**valid, "sk": member.sk + SUBGROUP_ORDER}

    # Execute
    (result,) = masked_update.witnesses([inputs])

    # Assert
    assert result["ok"], result.get("error")
    assert [int(v) for v in result["public"]] == masked_update.public_vector(valid)


def test_rejects_zero_secret_key(masked_update: CircuitVariant, valid: dict[str, Any]) -> None:
    # Prepare: sk = 0 with the identity as "public key".
    inputs = {**valid, "sk": 0, "pk": [0, 1]}

    # Execute / Assert
    assert _witness_ok(masked_update, inputs) == [False]
