"""A task's drawn ring: neighbours are ring offsets, signs compare member indices, masks cancel.

The key registry draws a ring order for every SecAgg task (`KeyRegistry.drawGraph`);
`SecaggTask(ring=...)` places member ``ring[p]`` at ring position ``p``, and slot ``s`` of member
``i`` holds the member at ring offset ``+1, -1, +2, -2, …`` from ``i``'s position. Without a ring
(off-chain use) the task order is the ring.
"""

import numpy as np
import pytest
from eth_utils.crypto import keccak

from zkfed.babyjubjub import public_key
from zkfed.exceptions import ConfigurationError
from zkfed.field import P
from zkfed.masking import draw_ring, neighbor_sign, ring_slots
from zkfed.packing import pack_chunk
from zkfed.quantize import Packing, squared_norm_bound
from zkfed.secagg import SecaggTask, mask_reveal_inputs, mask_update, required_reveals

PACKING = Packing(words=4, lanes=15, lane_bits=16, value_bits=12, scale_bits=8)
N_PARAMS = 130  # three chunks, the last one padded


def _secrets(n: int) -> list[int]:
    return [0x5EC + 104729 * i for i in range(n)]


def _task(n: int, k: int, ring: tuple[int, ...] | None) -> SecaggTask:
    members = tuple(public_key(sk) for sk in _secrets(n))
    bound = squared_norm_bound(2.0, PACKING)
    return SecaggTask(11, PACKING, N_PARAMS, neighbors=k, bound=bound, members=members, ring=ring)


def _drawn(n: int, label: str) -> tuple[int, ...]:
    return draw_ring(keccak(label.encode()), n)


def test_slots_on_a_hand_drawn_ring() -> None:
    # Prepare: positions 0..4 hold members 0, 2, 4, 1, 3.
    task = _task(5, 2, ring=(0, 2, 4, 1, 3))

    # Execute
    slots = {i: task.slots(i) for i in range(5)}

    # Assert: slot 0 is the next position's member, slot 1 the previous one's.
    assert slots == {0: [2, 3], 1: [3, 4], 2: [4, 0], 3: [0, 1], 4: [1, 2]}


@pytest.mark.parametrize(("n", "k"), [(5, 2), (7, 4), (9, 4), (9, 6)])
def test_slots_of_a_member_are_ring_offsets_from_its_position(n: int, k: int) -> None:
    # Prepare: more members than slots, so every slot is active.
    ring = _drawn(n, f"offsets {n} {k}")
    task = _task(n, k, ring)
    offsets = [sign * o for o in range(1, k // 2 + 1) for sign in (+1, -1)]

    # Execute
    slots = {i: task.slots(i) for i in range(n)}

    # Assert
    assert ring != tuple(range(n))  # the draw moved members, so positions are not indices
    for i in range(n):
        position = ring.index(i)
        assert slots[i] == [ring[(position + o) % n] for o in offsets]
        assert task.neighbor_indices(i) == slots[i]


@pytest.mark.parametrize(("n", "k"), [(3, 2), (3, 4), (4, 4), (5, 4), (6, 2), (8, 6), (10, 4)])
def test_neighbour_relation_on_a_drawn_ring_is_symmetric(n: int, k: int) -> None:
    # Prepare
    task = _task(n, k, _drawn(n, f"symmetry {n} {k}"))

    # Execute
    neighbours = {i: task.neighbor_indices(i) for i in range(n)}

    # Assert: min(K, n - 1) distinct neighbours, never oneself, and j is i's iff i is j's.
    for i, mine in neighbours.items():
        assert len(mine) == len(set(mine)) == min(k, n - 1)
        assert i not in mine
        for j in range(n):
            assert (j in mine) == (i in neighbours[j])


def test_pair_slots_and_signs_on_a_drawn_ring() -> None:
    # Prepare
    n, k = 7, 4
    ring = _drawn(n, "signs")
    task = _task(n, k, ring)
    secrets = _secrets(n)
    update = np.random.default_rng(3).normal(0, 0.05, N_PARAMS)

    # Execute
    first = {
        i: mask_update(task, 1, i, secrets[i], update, np.random.default_rng(i))[0] for i in (0, 1)
    }

    # Assert: sign bit s is set iff the member's index is below its slot-s neighbour's (indices,
    # not ring positions), every slot is active and the seeds are escrowed (bit 2K); both
    # members of a pair hold the same secret in each other's slot.
    for i, chunk in first.items():
        slots = task.slots(i)
        signs = sum(1 << s for s, j in enumerate(slots) if j is not None and i < j)
        assert chunk.inputs["slots"] == signs | ((1 << k) - 1) << k | 1 << (2 * k)
        for s, j in enumerate(slots):
            assert j is not None
            theirs = task.pair_secrets(j, secrets[j])[task.slots(j).index(i)]
            assert task.pair_secrets(i, secrets[i])[s] == theirs


@pytest.mark.parametrize(
    "ring",
    [(0, 1, 2, 3, 3), (0, 1, 2, 3), (0, 1, 2, 3, 4, 5), (1, 2, 3, 4, 5), (-1, 0, 1, 2, 3), ()],
    ids=["repeated", "short", "long", "out of range", "negative", "empty"],
)
def test_ring_that_is_not_an_order_of_the_members_is_refused(ring: tuple[int, ...]) -> None:
    # Execute / Assert
    with pytest.raises(ConfigurationError, match="the task's ring is not an order of its members"):
        _task(5, 2, ring)


def test_without_a_ring_the_task_order_is_the_ring() -> None:
    # Prepare
    n, k = 6, 4
    identity = _task(n, k, tuple(range(n)))

    # Execute
    unset = _task(n, k, None)

    # Assert
    for i in range(n):
        assert unset.slots(i) == identity.slots(i) == ring_slots(n, k, i)


@pytest.mark.parametrize("dropped", [None, 3])
def test_masks_on_a_drawn_ring_cancel_or_are_removed(dropped: int | None) -> None:
    # Prepare: seven members on a drawn ring; perhaps one drops after masking.
    n = 7
    task = _task(n, 4, _drawn(n, "cancel"))
    secrets = _secrets(n)
    updates = np.random.default_rng(5).normal(0, 0.05, (n, N_PARAMS))
    who = set(range(n)) - ({dropped} if dropped is not None else set())
    masked = {
        i: mask_update(task, 2, i, secrets[i], updates[i], np.random.default_rng(i)) for i in who
    }

    # Execute: sum the masked words, then take out each revealed mask as the contract does.
    pairs = required_reveals(task, who)
    sums = []
    for c in range(task.n_chunks):
        acc = [sum(masked[i][c].words[w] for i in who) % P for w in range(PACKING.words)]
        for i, j in pairs:
            masks, _ = mask_reveal_inputs(task, 2, c, secrets[i], j)
            acc = [(a - neighbor_sign(i, j) * m) % P for a, m in zip(acc, masks, strict=True)]
        sums.append(acc)

    # Assert: the plain packed sums; a dropout's ring neighbours, and only they, reveal.
    for c, acc in enumerate(sums):
        packed = [pack_chunk(masked[i][c].inputs["q"], PACKING) for i in who]
        assert acc == [sum(column) % P for column in zip(*packed, strict=True)]
    if dropped is None:
        assert pairs == []
    else:
        assert sorted(i for i, _ in pairs) == sorted(task.neighbor_indices(dropped))
        assert {j for _, j in pairs} == {dropped}
