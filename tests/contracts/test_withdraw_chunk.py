"""An isolated contributor's words come back out of a chunk, and the rest of it aggregates.

A contributor is isolated in a chunk when its component among the chunk's contributors (ring
neighbours that both contributed) has fewer than t_min members: removing its masks would publish
that component's sum. `ChunkRecovery.withdrawChunk` (the aggregator's `recovery()`; anyone, after
the submission deadline, with the exact words and escrow of its `ChunkSubmitted` event) subtracts
its words instead, and the chunk seals with the others' sum. The components are recomputed here
from the drawn ring alone; the sums from the quantised values each member chose. Proofs are
mock-verified; the masking is the client's.
"""

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pytest
from ape import chain
from contract_helpers import (
    CHUNK_RECOVERABLE,
    ROUND_FINALIZED,
    TEST_VARIANT,
    ZERO_PROOF,
    P,
    dummy_masks,
    escrow,
    strict_reverts,
    task_config,
)

from zkfed.babyjubjub import Point
from zkfed.chain import Zkfed
from zkfed.packing import unpack_chunk
from zkfed.protocol import withdraw_isolated
from zkfed.secagg import SecaggTask, chunk_inputs, join_inputs, mask_reveal_inputs

N_PARAMS = 100  # four chunks of W·L = 30 parameters
ALL_CHUNKS = 2**256 - 1
T_MIN = 3


def _neighbours(ring: list[int], k: int) -> dict[int, set[int]]:
    """Each member's neighbours from the ring alone: the members at ring offsets +1, -1, +2, -2,
    ... of its position, over the min(K, n - 1) active slots."""
    n = len(ring)
    offsets = [(s // 2 + 1) * (1 if s % 2 == 0 else -1) for s in range(min(k, n - 1))]
    return {
        member: {ring[(position + o) % n] for o in offsets} for position, member in enumerate(ring)
    }


def _isolated(neighbours: dict[int, set[int]], contributors: Iterable[int]) -> set[int]:
    """The contributors whose component (breadth first over neighbour pairs that both
    contributed) has fewer than t_min members."""
    contributors = set(contributors)
    isolated = set()
    for member in contributors:
        component, frontier = {member}, [member]
        while frontier:
            for j in neighbours[frontier.pop()] & contributors - component:
                component.add(j)
                frontier.append(j)
        if len(component) < T_MIN:
            isolated.add(member)
    return isolated


def _at(ring: list[int], positions: Iterable[int]) -> list[int]:
    """The members at these ring positions."""
    return [ring[p] for p in positions]


@pytest.fixture
def ring(key_registry: Any, secagg_task: int) -> list[int]:
    """The drawn ring of `secagg_task` (test variant: W = 2, K = 2, six members)."""
    return [int(i) for i in key_registry.ringOrder(secagg_task)]


@pytest.fixture
def masked_task(
    aggregator: Any,
    key_registry: Any,
    create_task: Callable[[tuple[Any, ...]], int],
    members: list[Any],
    secret_keys: list[int],
    public_keys: list[Point],
) -> SecaggTask:
    """A task every member joined with its real pair commitments, as the client sees it."""
    task_id = create_task(task_config(param_count=N_PARAMS, min_contributors=T_MIN))
    task = SecaggTask(
        task_id=task_id,
        packing=TEST_VARIANT.packing,
        n_params=N_PARAMS,
        neighbors=TEST_VARIANT.neighbors,
        bound=1 << 40,
        members=tuple(public_keys),
        t_min=T_MIN,
        domain=int(aggregator.taskDomain(task_id)),
        ring=tuple(int(i) for i in key_registry.ringOrder(task_id)),
    )
    for i, member in enumerate(members):
        commitments = [c for c, _ in join_inputs(task, i, secret_keys[i])]
        aggregator.joinTask(task_id, commitments, [ZERO_PROOF] * len(commitments), sender=member)
    return task


def test_an_isolated_contributor_is_withdrawn_and_the_others_aggregate_exactly(
    aggregator: Any,
    recovery: Any,
    members: list[Any],
    outsider: Any,
    secret_keys: list[int],
    masked_task: SecaggTask,
) -> None:
    # Prepare: on the ring, positions 3 and 5 drop, so the member at position 4 is alone while
    # positions 0-2 form a component of three. Each member masks quantised values of its own.
    task, task_id = masked_task, masked_task.task_id
    ring = list(task.ring or ())
    neighbours = _neighbours(ring, TEST_VARIANT.neighbors)
    contributors = set(_at(ring, [0, 1, 2, 4]))
    (alone,) = _at(ring, [4])
    assert _isolated(neighbours, contributors) == {alone}
    packing, rng = task.packing, np.random.default_rng(11)
    q = {
        i: rng.integers(packing.q_min, packing.q_max + 1, packing.params_per_chunk)
        for i in contributors
    }
    submitted: dict[int, tuple[list[int], list[int]]] = {}
    for i in sorted(contributors):
        words = chunk_inputs(task, 1, 0, i, secret_keys[i], q[i]).words
        tx = aggregator.submitChunk(
            task_id, 1, 0, words, escrow(TEST_VARIANT), ZERO_PROOF, sender=members[i]
        )
        (event,) = tx.events.filter(aggregator.ChunkSubmitted)
        assert list(event.words) == words
        assert list(event.escrow) == escrow(TEST_VARIANT)  # K = 2: no escrow
        submitted[i] = ([int(w) for w in event.words], [int(e) for e in event.escrow])
    chain.pending_timestamp = aggregator.roundInfo(task_id, 1).submissionDeadline

    # Execute: anyone withdraws the lone member with the words of its event; the others
    # remove the masks they share with their dropped neighbours; anyone seals.
    tx = recovery.withdrawChunk(task_id, 1, 0, members[alone], *submitted[alone], sender=outsider)
    remaining = contributors - {alone}
    reveals = [(i, j) for i in sorted(remaining) for j in neighbours[i] - remaining]
    for i, j in reveals:
        masks, _ = mask_reveal_inputs(task, 1, 0, secret_keys[i], j)
        aggregator.revealMask(task_id, 1, 0, members[j], masks, ZERO_PROOF, sender=members[i])
    sealed = aggregator.finalizeRound(task_id, 1, ALL_CHUNKS, sender=outsider)

    # Assert
    (withdrawn,) = tx.events.filter(recovery.ChunkWithdrawn)
    assert (withdrawn.taskId, withdrawn.round, withdrawn.chunk, withdrawn.member) == (
        task_id,
        1,
        0,
        members[alone].address,
    )
    bitmap, count = aggregator.chunkContributors(task_id, 1, 0)
    assert {i for i in range(len(members)) if int(bitmap) >> i & 1} == remaining
    assert count == len(remaining) == T_MIN
    assert tuple(aggregator.chunkReveals(task_id, 1, 0)) == (len(reveals), len(reveals))
    assert aggregator.chunkStatus(task_id, 1, 0) == CHUNK_RECOVERABLE
    aggregate = {e.chunk: e for e in sealed.events.filter(aggregator.ChunkAggregated)}[0]
    assert aggregate.count == len(remaining)
    exact = sum(q[i] for i in remaining)
    assert np.array_equal(unpack_chunk(list(aggregate.words), packing, len(remaining)), exact)
    assert aggregator.roundInfo(task_id, 1).status == ROUND_FINALIZED


def test_a_withdrawal_needs_the_submitted_words_an_isolated_member_and_no_reveal(
    aggregator: Any,
    recovery: Any,
    recovery_error: Callable[[str], Any],
    members: list[Any],
    outsider: Any,
    secagg_task: int,
    ring: list[int],
) -> None:
    # Prepare: chunks 0 and 1 by ring positions 0, 1, 2 and 4 (position 4 alone), chunk 2 by
    # positions 0, 1, 3 and 4 (two pairs: everyone alone).
    task_id, neighbours = secagg_task, _neighbours(ring, TEST_VARIANT.neighbors)
    on_chunk = {0: _at(ring, [0, 1, 2, 4]), 1: _at(ring, [0, 1, 2, 4]), 2: _at(ring, [0, 1, 3, 4])}
    (alone,) = _at(ring, [4])
    assert _isolated(neighbours, on_chunk[0]) == {alone}
    assert _isolated(neighbours, on_chunk[2]) == set(on_chunk[2])
    words = {i: [(i + 1) * 1_000_003, P - 1 - i] for i in range(len(members))}
    none = escrow(TEST_VARIANT)  # K = 2: the test variant does not escrow
    for c, who in on_chunk.items():
        for i in who:
            aggregator.submitChunk(task_id, 1, c, words[i], none, ZERO_PROOF, sender=members[i])
    deadline = int(aggregator.roundInfo(task_id, 1).submissionDeadline)
    address = {i: m.address for i, m in enumerate(members)}

    def withdraw(c: int, i: int, given: list[int] | None = None, entries: Any = none) -> Any:
        given = words[i] if given is None else given
        return recovery.withdrawChunk(task_id, 1, c, address[i], given, entries, sender=outsider)

    # Execute / Assert: not while submissions are open.
    with strict_reverts(
        recovery_error("RoundStillOpen"), taskId=task_id, round=1, submissionDeadline=deadline
    ):
        withdraw(0, alone)
    chain.pending_timestamp = deadline

    # Only the words and escrow it submitted: altered, or another member's, are refused.
    tampered = [(words[alone][0] + 1) % P, words[alone][1]]
    other = _at(ring, [0])[0]
    for given, entries in (
        (tampered, none),
        (words[other], none),
        ([], none),
        (None, [1, 0]),
        (None, []),
        (None, [*none, 0]),
    ):
        with strict_reverts(
            recovery_error("NotTheSubmittedWords"),
            taskId=task_id,
            round=1,
            chunk=0,
            member=address[alone],
        ):
            withdraw(0, alone, given, entries)
    with strict_reverts(recovery_error("ChunkOutOfRange"), taskId=task_id, chunk=4, chunks=4):
        withdraw(4, alone)
    with strict_reverts(recovery_error("NotTaskMember"), taskId=task_id, account=outsider.address):
        recovery.withdrawChunk(task_id, 1, 0, outsider.address, words[alone], none, sender=outsider)

    # Only an isolated member: ring position 0 is in a component of three (0, 1, 2).
    with strict_reverts(
        recovery_error("ComponentNotIsolated"),
        taskId=task_id,
        round=1,
        chunk=0,
        member=address[other],
        size=T_MIN,
    ):
        withdraw(0, other)

    # Only once: withdrawn, it no longer contributes.
    withdraw(1, alone)
    with strict_reverts(
        recovery_error("NotContributor"), taskId=task_id, round=1, chunk=1, member=address[alone]
    ):
        withdraw(1, alone)

    # Only while the chunk keeps t_min contributors without it.
    first, second = _at(ring, [0, 1])
    withdraw(2, first)
    with strict_reverts(
        recovery_error("TooFewWouldRemain"), taskId=task_id, round=1, chunk=2, count=3
    ):
        withdraw(2, second)

    # Not once it removed a mask in the chunk: its words are no longer what the chunk holds.
    (dropped,) = _at(ring, [3])
    aggregator.revealMask(
        task_id,
        1,
        0,
        address[dropped],
        dummy_masks(alone, dropped, TEST_VARIANT.words),
        ZERO_PROOF,
        sender=members[alone],
    )
    with strict_reverts(
        recovery_error("MaskAlreadyRevealed"),
        taskId=task_id,
        round=1,
        chunk=0,
        revealer=address[alone],
        dropped=address[dropped],
    ):
        withdraw(0, alone)

    # Not once the chunk is sealed.
    chain.pending_timestamp = int(aggregator.roundInfo(task_id, 1).revealDeadline)
    aggregator.finalizeRound(task_id, 1, 1, sender=outsider)
    with strict_reverts(recovery_error("ChunkSealed"), taskId=task_id, round=1, chunk=0):
        withdraw(0, alone)


@pytest.mark.parametrize(
    "positions",
    [
        # Chunk by chunk, the ring positions that contribute.
        [[0, 1, 2, 4], list(range(6)), [1, 2, 3, 5], [0, 1, 3, 4]],
        [list(range(6)), [0, 1, 2, 3], [1, 2, 3, 4, 5], []],
    ],
    ids=["some-isolated", "none-isolated"],
)
def test_withdraw_isolated_takes_out_exactly_the_isolated_contributors(
    aggregator: Any,
    recovery: Any,
    governance: Any,
    members: list[Any],
    outsider: Any,
    secagg_task: int,
    ring: list[int],
    positions: list[list[int]],
) -> None:
    # Prepare
    task_id, neighbours = secagg_task, _neighbours(ring, TEST_VARIANT.neighbors)
    zk = Zkfed(aggregator, governance)
    task = zk.secagg_task(task_id)
    words = {i: [(i + 1) * 1_000_003, P - 1 - i] for i in range(len(members))}
    on_chunk = {c: _at(ring, p) for c, p in enumerate(positions)}
    for c, who in on_chunk.items():
        for i in who:
            aggregator.submitChunk(
                task_id, 1, c, words[i], escrow(TEST_VARIANT), ZERO_PROOF, sender=members[i]
            )
    # A chunk whose others fall below t_min is void either way: nobody is taken out of it.
    expected = {
        (c, i)
        for c, who in on_chunk.items()
        if len(who) - len(_isolated(neighbours, who)) >= T_MIN
        for i in _isolated(neighbours, who)
    }
    chain.pending_timestamp = aggregator.roundInfo(task_id, 1).submissionDeadline
    start = chain.blocks.height + 1

    # Execute
    report = withdraw_isolated(zk, outsider, task, 1)

    # Assert
    logs = recovery.ChunkWithdrawn.range(
        start, chain.blocks.height + 1, search_topics={"taskId": task_id}
    )
    done = {(int(e.chunk), [m.address for m in members].index(e.member)) for e in logs}
    assert done == expected
    assert report.chunks == len(expected)
    assert (report.gas > 0) == bool(expected)
    for c, who in on_chunk.items():
        bitmap, count = aggregator.chunkContributors(task_id, 1, c)
        left = {i for i in range(len(members)) if int(bitmap) >> i & 1}
        assert left == set(who) - {i for chunk, i in expected if chunk == c}
        assert count == len(left)
