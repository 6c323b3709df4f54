"""Neighbour ring, pairwise masks and dropout recovery (zkfed.masking)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from zkfed.babyjubjub import SUBGROUP_ORDER, Point, public_key
from zkfed.exceptions import ConfigurationError, CryptoError
from zkfed.field import P
from zkfed.masking import (
    apply_mask,
    mask_words,
    neighbor_sign,
    pair_seeds,
    remove_masks,
    ring_neighbors,
    ring_slots,
    slots_word,
)
from zkfed.packing import pack_chunk, unpack_chunk
from zkfed.prg import pair_seed
from zkfed.quantize import Packing

# Two PRG blocks per seed keep the suite fast while crossing a block boundary.
PACKING = Packing(words=20, lanes=15, lane_bits=16, value_bits=12)
TASK, ROUND, CHUNK = 3, 1, 0


def _members(n: int, seed: int) -> list[tuple[int, Point]]:
    rng = random.Random(seed)
    keys = [rng.randrange(1, SUBGROUP_ORDER) for _ in range(n)]
    return [(sk, public_key(sk)) for sk in keys]


def _masks(members: list[tuple[int, Point]], k: int) -> list[list[int]]:
    n = len(members)
    return [
        mask_words(
            members[i][0],
            i,
            [(j, members[j][1]) for j in ring_neighbors(n, k, i)],
            TASK,
            ROUND,
            CHUNK,
            PACKING.words,
        )
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def ring16() -> tuple[list[tuple[int, Point]], list[list[int]]]:
    """Sixteen members on a ring with four neighbours each, and their masks."""
    members = _members(16, 16)
    return members, _masks(members, 4)


def test_ring_order_and_symmetry() -> None:
    # Execute
    graph = {i: ring_neighbors(16, 4, i) for i in range(16)}

    # Assert: offsets +1, -1, +2, -2 (circuits/README.md).
    assert graph[0] == [1, 15, 2, 14]
    assert graph[7] == [8, 6, 9, 5]
    assert all(len(set(js)) == 4 and i not in js for i, js in graph.items())
    assert all(i in graph[j] for i, js in graph.items() for j in js)


def test_ring_of_k_plus_one_members_is_the_complete_graph() -> None:
    # Execute
    graph = [ring_neighbors(5, 4, i) for i in range(5)]

    # Assert
    assert [sorted(js) for js in graph] == [[j for j in range(5) if j != i] for i in range(5)]


def test_slots_word_marks_higher_neighbours_and_active_slots() -> None:
    # Execute / Assert: member 1 of 16 has neighbours 2, 0, 3, 15 -> signs +, -, +, +; all
    # four slots active (bits 4..7).
    assert slots_word(1, ring_slots(16, 4, 1)) == 0b1111_1101
    assert slots_word(0, ring_slots(16, 4, 0)) == 0b1111_1111
    assert slots_word(15, ring_slots(16, 4, 15)) == 0b1111_0000
    assert neighbor_sign(2, 9) == 1 and neighbor_sign(9, 2) == -1


@pytest.mark.parametrize(
    ("n", "i", "expected"),
    [
        (4, 0, [1, 3, 2, None]),  # -2 repeats +2
        (4, 3, [0, 2, 1, None]),
        (3, 0, [1, 2, None, None]),  # +2 = -1, -2 = +1
        (3, 2, [0, 1, None, None]),
        (5, 0, [1, 4, 2, 3]),  # K + 1 members: every slot active
    ],
)
def test_small_rings_deactivate_repeated_slots(n: int, i: int, expected: list[int | None]) -> None:
    # Execute / Assert
    assert ring_slots(n, 4, i) == expected


@pytest.mark.parametrize("n", range(3, 17))
@pytest.mark.parametrize("k", [2, 4, 6])
def test_active_slots_are_symmetric_and_min_k_n_minus_1(n: int, k: int) -> None:
    # Execute
    graph = {i: ring_neighbors(n, k, i) for i in range(n)}

    # Assert: each member has min(k, n - 1) distinct neighbours; j in N(i) iff i in N(j).
    assert all(len(js) == len(set(js)) == min(k, n - 1) for js in graph.values())
    assert all(i not in js for i, js in graph.items())
    assert all(i in graph[j] for i, js in graph.items() for j in js)


def test_inactive_slots_carry_neither_sign_nor_active_bit() -> None:
    # Execute / Assert: member 0 of 4 -> slots 1 (+), 3 (+), 2 (+), inactive.
    assert slots_word(0, ring_slots(4, 4, 0)) == 0b0111_0111
    assert slots_word(3, ring_slots(4, 4, 3)) == 0b0111_0000


@pytest.mark.parametrize("n", [3, 4, 5])
def test_masks_of_the_complete_graph_cancel(n: int) -> None:
    # Prepare: n <= K + 1, so the active slots make the complete graph.
    members = _members(n, n)

    # Execute
    masks = _masks(members, 4)

    # Assert
    assert all(any(m) for m in masks)
    assert [sum(column) % P for column in zip(*masks, strict=True)] == [0] * PACKING.words


def test_masks_of_a_ring_cancel(ring16: tuple[list[tuple[int, Point]], list[list[int]]]) -> None:
    # Prepare
    _, masks = ring16

    # Execute
    total = [sum(column) % P for column in zip(*masks, strict=True)]

    # Assert
    assert len({tuple(m) for m in masks}) == 16
    assert total == [0] * PACKING.words


def test_revealed_seeds_recover_the_sum_after_dropouts(
    ring16: tuple[list[tuple[int, Point]], list[list[int]]],
) -> None:
    # Prepare: everyone but members 3 and 4 (neighbours of each other) submits.
    members, masks = ring16
    dropped = {3, 4}
    survivors = [i for i in range(16) if i not in dropped]
    rng = np.random.default_rng(5)
    q = {i: rng.integers(-2048, 2048, PACKING.params_per_chunk) for i in survivors}
    accumulator = [0] * PACKING.words
    for i in survivors:
        y = apply_mask(pack_chunk(q[i], PACKING), masks[i])
        accumulator = [(a + v) % P for a, v in zip(accumulator, y, strict=True)]

    # Execute: each survivor reveals its seed with each dropped neighbour.
    revealed = [
        (pair_seed(members[i][0], members[j][1], TASK, ROUND, CHUNK), neighbor_sign(i, j))
        for i in survivors
        for j in ring_neighbors(16, 4, i)
        if j in dropped
    ]
    unmasked = remove_masks(accumulator, revealed)

    # Assert
    assert len(revealed) == 6  # 1, 2 and 5, 6 border the gap; 2 and 5 each see both.
    sums = unpack_chunk(unmasked, PACKING, len(survivors))
    assert np.array_equal(sums, np.sum([q[i] for i in survivors], axis=0))


def test_pair_seeds_agree_from_both_sides() -> None:
    # Prepare
    (sk_a, pk_a), (sk_b, pk_b) = _members(2, 2)

    # Execute
    [(seed_ab, sign_ab)] = pair_seeds(sk_a, 0, [(1, pk_b)], TASK, ROUND, CHUNK)
    [(seed_ba, sign_ba)] = pair_seeds(sk_b, 1, [(0, pk_a)], TASK, ROUND, CHUNK)

    # Assert
    assert seed_ab == seed_ba
    assert (sign_ab, sign_ba) == (1, -1)


@pytest.mark.parametrize(("n", "k", "i"), [(2, 4, 0), (10, 3, 0), (10, 0, 0), (10, 4, 10)])
def test_bad_ring_parameters_raise_configuration_error(n: int, k: int, i: int) -> None:
    # Execute / Assert
    with pytest.raises(ConfigurationError):
        ring_neighbors(n, k, i)


def test_bad_neighbour_lists_and_masks_raise() -> None:
    # Prepare
    (sk, pk), (_, other) = _members(2, 9)

    # Execute / Assert
    with pytest.raises(ConfigurationError, match="own neighbour"):
        pair_seeds(sk, 0, [(0, pk)], TASK, ROUND, CHUNK)
    with pytest.raises(ConfigurationError, match="duplicates"):
        pair_seeds(sk, 0, [(1, other), (1, other)], TASK, ROUND, CHUNK)
    with pytest.raises(CryptoError, match="not on the BabyJubJub curve"):
        pair_seeds(sk, 0, [(1, (1, 2))], TASK, ROUND, CHUNK)
    with pytest.raises(CryptoError, match="sign"):
        remove_masks([0, 0], [(5, 2)])
    with pytest.raises(CryptoError, match="mask of 1 words"):
        apply_mask([1, 2], [3])
