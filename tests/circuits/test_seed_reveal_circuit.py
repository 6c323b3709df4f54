"""Witness-level tests of SeedReveal: a revealed seed opens the pair's joining commitment."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from circuit_harness import (
    CHUNK,
    ROUND,
    SKS,
    TASK,
    CircuitVariant,
    P,
    canonical,
    client_task,
    packed_words,
    pair_reference,
    seed_reveal_input,
)

from zkfed.masking import neighbor_sign, remove_masks
from zkfed.protocol import seed_reveal_inputs
from zkfed.secagg import SecaggTask, chunk_inputs, join_inputs, required_reveals

# Members 0 and 1 of a 4-member task are ring neighbours (slot 0 of member 0).
N = 4


@pytest.fixture(scope="module")
def task(masked_update: CircuitVariant) -> SecaggTask:
    return client_task(masked_update, SKS[:N])


@pytest.fixture(scope="module")
def valid(task: SecaggTask) -> dict[str, Any]:
    """Member 0's reveal of the seed it shares with member 1, as the client builds it."""
    _, inputs = seed_reveal_inputs(task, ROUND, CHUNK, SKS[0], 1)
    return dict(inputs)


def test_valid_reveal_gives_a_witness_with_public_signals_in_order(
    seed_reveal: CircuitVariant, valid: dict[str, Any]
) -> None:
    # Execute
    (result,) = seed_reveal.witnesses([valid])

    # Assert
    assert result["ok"], result.get("error")
    assert [int(v) for v in result["public"]] == seed_reveal.public_vector(valid)
    assert set(valid) == {*seed_reveal.public_names, *seed_reveal.private_names}


def test_client_reveal_equals_the_reference_model(task: SecaggTask) -> None:
    # Execute
    seed, client = seed_reveal_inputs(task, ROUND + 2, CHUNK + 5, SKS[2], 3)

    # Assert
    reference = seed_reveal_input(SKS[2], SKS[3], TASK, ROUND + 2, CHUNK + 5)
    assert canonical(client) == canonical(reference)
    assert seed == reference["seed"]


def test_both_members_of_a_pair_reveal_the_same_statement(
    seed_reveal: CircuitVariant, task: SecaggTask
) -> None:
    # Prepare: ECDH(sk_a, pk_b) = ECDH(sk_b, pk_a), so both open the same secret.
    _, a = seed_reveal_inputs(task, ROUND, CHUNK, SKS[0], 1)
    _, b = seed_reveal_inputs(task, ROUND, CHUNK, SKS[1], 0)

    # Execute / Assert
    assert canonical(a) == canonical(b)
    assert seed_reveal.accepts(a, b) == [True, True]


def test_reveal_opens_the_commitment_posted_at_joining(
    task: SecaggTask, valid: dict[str, Any]
) -> None:
    # Prepare: member 0's joining commitments, one per active slot; slot 0 is member 1.
    assert task.slots(0)[0] == 1

    # Execute
    joined = join_inputs(task, 0, SKS[0])

    # Assert
    assert valid["commitment"] == joined[0][0]


@pytest.mark.parametrize("name", ["commitment", "seed", "round", "chunk", "task", "secret"])
def test_rejects_tampered_reveal(
    seed_reveal: CircuitVariant, valid: dict[str, Any], name: str
) -> None:
    # Prepare
    inputs = {**valid, name: (int(valid[name]) + 1) % P}

    # Execute / Assert
    assert seed_reveal.accepts(inputs) == [False]


def test_rejects_the_seed_of_another_pair_under_this_commitment(
    seed_reveal: CircuitVariant, valid: dict[str, Any]
) -> None:
    # Prepare: members 0 and 2 (not neighbours) share another secret: its own commitment, seed
    # and secret prove; its seed and secret under the commitment of the pair (0, 1) do not.
    other = pair_reference(SKS[0], SKS[2])
    consistent = {**valid, "commitment": other["commitment"], "seed": other["seed"]}
    consistent["secret"] = other["secret"]
    swapped = {**consistent, "commitment": valid["commitment"]}
    seed_only = {**valid, "seed": other["seed"]}

    # Execute / Assert
    assert seed_reveal.accepts(consistent, swapped, seed_only) == [True, False, False]


def test_revealed_seeds_remove_the_masks_of_a_dropped_member(
    masked_update: CircuitVariant, seed_reveal: CircuitVariant, task: SecaggTask
) -> None:
    # Prepare: member 3 drops out; 0, 1 and 2 submit their chunks and reveal the seeds they
    # share with it, each with a SeedReveal witness.
    params = masked_update.params
    contributors = {0, 1, 2}
    qs = {
        i: [(5 * i + 3 * t) % 40 - 20 for t in range(params["W"] * params["L"])]
        for i in contributors
    }
    chunks = [chunk_inputs(task, ROUND, CHUNK, i, SKS[i], qs[i]) for i in sorted(contributors)]
    pairs = required_reveals(task, contributors)
    assert pairs == [(0, 3), (2, 3)]
    reveals = [seed_reveal_inputs(task, ROUND, CHUNK, SKS[i], j) for i, j in pairs]

    # Execute
    accumulator = [sum(c.words[w] for c in chunks) % P for w in range(params["W"])]
    signed = [(seed, neighbor_sign(i, j)) for (i, j), (seed, _) in zip(pairs, reveals, strict=True)]
    recovered = remove_masks(accumulator, signed)

    # Assert
    assert masked_update.accepts(*(c.inputs for c in chunks)) == [True] * 3
    assert seed_reveal.accepts(*(inputs for _, inputs in reveals)) == [True, True]
    expected = [
        sum(packed_words(qs[i], params)[w] for i in contributors) % P for w in range(params["W"])
    ]
    assert recovered == expected
    assert accumulator != expected


def test_reveal_of_another_round_does_not_prove_this_one(
    seed_reveal: CircuitVariant, task: SecaggTask, valid: dict[str, Any]
) -> None:
    # Prepare: the same pair's seed of the next round, kept with this round's index.
    _, later = seed_reveal_inputs(task, ROUND + 1, CHUNK, SKS[0], 1)
    stale = copy.deepcopy(dict(later))
    stale["round"] = ROUND

    # Execute / Assert
    assert seed_reveal.accepts(later, stale) == [True, False]
