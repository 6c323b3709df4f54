"""A full SecAgg round on chain with the client's masking: the contract unmasks exactly.

The proofs are checked by mock verifiers here (accepting everything); what is real is the
masking, the ring, the pair secrets, the masks the members reveal, the accumulation mod p, the
chunk rule and the sealed aggregates with their digest chain, so the client and the contract are
shown to agree bit for bit.
"""

from collections.abc import Callable
from itertools import combinations
from typing import Any

import ape
import numpy as np
import pytest
from ape import chain
from contract_helpers import (
    CHUNK_RECOVERABLE,
    CHUNK_VOID,
    INITIAL_MODEL,
    ROUND_FINALIZED,
    ROUND_RECOVERY,
    TEST_VARIANT,
    ZERO_PROOF,
    P,
    digest_next,
    digest_start,
    dummy_masks,
    escrow,
    task_config,
    task_domain,
)

from zkfed.babyjubjub import Point
from zkfed.chain import Zkfed
from zkfed.masking import ring_slots, slots_word
from zkfed.packing import pack_chunk, unpack_chunk
from zkfed.quantize import dequantize, squared_norm_bound
from zkfed.secagg import (
    SecaggTask,
    aggregate_chunk,
    join_inputs,
    mask_reveal_inputs,
    mask_update,
    required_reveals,
)

N_PARAMS = 100  # four chunks of W·L = 30 parameters
CLIP_NORM = 0.5
ALL_CHUNKS = 2**256 - 1


def _field_sum(vectors: list[list[int]]) -> list[int]:
    return [sum(column) % P for column in zip(*vectors, strict=True)]


@pytest.fixture
def round_task(
    aggregator: Any,
    key_registry: Any,
    create_task: Callable[[tuple[Any, ...]], int],
    members: list[Any],
    secret_keys: list[int],
    public_keys: list[Point],
) -> SecaggTask:
    """A task every member has joined with its real pair commitments (mock-verified proofs),
    as the client sees it: the domain and the drawn ring are the chain's."""
    bound = squared_norm_bound(CLIP_NORM, TEST_VARIANT.packing)
    task_id = create_task(task_config(param_count=N_PARAMS, bound=bound))
    task = SecaggTask(
        task_id=task_id,
        packing=TEST_VARIANT.packing,
        n_params=N_PARAMS,
        neighbors=TEST_VARIANT.neighbors,
        bound=bound,
        members=tuple(public_keys),
        domain=int(aggregator.taskDomain(task_id)),
        ring=tuple(int(i) for i in key_registry.ringOrder(task_id)),
    )
    for i, member in enumerate(members):
        commitments = [c for c, _ in join_inputs(task, i, secret_keys[i])]
        aggregator.joinTask(task_id, commitments, [ZERO_PROOF] * len(commitments), sender=member)
    return task


def test_task_domain_follows_its_definition(aggregator: Any, round_task: SecaggTask) -> None:
    # Execute
    domain = aggregator.taskDomain(round_task.task_id)

    # Assert: keccak256(abi.encode(chainid, aggregator, taskId)) mod p, no longer the task id.
    assert domain == task_domain(chain.chain_id, aggregator.address, round_task.task_id)
    assert domain != round_task.task_id
    assert round_task.seed_domain == domain


def test_ring_and_commitments_agree_with_client(
    aggregator: Any, members: list[Any], secret_keys: list[int], round_task: SecaggTask
) -> None:
    # Prepare: slot s of member i holds the member at ring offset ±(s/2 + 1) from i's ring
    # position (positions mod n), computed here from the drawn ring alone.
    n, k = len(members), TEST_VARIANT.neighbors
    order = list(round_task.ring or ())
    assert sorted(order) == list(range(n))

    # Execute
    on_chain = [aggregator.neighbors(round_task.task_id, m) for m in members]

    # Assert
    for i, (ring, slots) in enumerate(on_chain):
        expected = [order[p] for p in ring_slots(n, k, order.index(i))]
        assert round_task.slots(i) == expected
        assert list(ring) == [members[j].address for j in expected]
        assert slots == slots_word(i, expected)
        assert list(aggregator.pairCommitments(round_task.task_id, members[i])) == (
            round_task.pair_commitments(i, secret_keys[i])
        )
        # Each pair's two members posted the same commitment (ECDH is symmetric).
        for slot, j in enumerate(expected):
            theirs = aggregator.pairCommitments(round_task.task_id, members[j])
            assert (
                theirs[round_task.slots(j).index(i)]
                == round_task.pair_commitments(i, secret_keys[i])[slot]
            )


def test_full_round_with_dropouts_unmasks_to_the_sum(
    aggregator: Any,
    governance: Any,
    members: list[Any],
    outsider: Any,
    secret_keys: list[int],
    round_task: SecaggTask,
) -> None:
    # Prepare: members 4 and 5 drop; chunk 3 gets only two contributors and is void.
    task_id, n_chunks = round_task.task_id, round_task.n_chunks
    rng = np.random.default_rng(7)
    contributors = {0, 1, 2, 3}
    chunk_contributors = {c: set(contributors) for c in range(n_chunks)}
    chunk_contributors[3] = {0, 1}
    masked = {
        i: mask_update(round_task, 1, i, secret_keys[i], rng.normal(0, 0.01, N_PARAMS), rng)
        for i in contributors
    }
    for i in sorted(contributors):
        for chunk in masked[i]:
            if i in chunk_contributors[chunk.chunk]:
                aggregator.submitChunk(
                    task_id,
                    1,
                    chunk.chunk,
                    chunk.words,
                    chunk.escrow,
                    ZERO_PROOF,
                    sender=members[i],
                )
    chain.pending_timestamp = aggregator.roundInfo(task_id, 1).submissionDeadline

    # Execute: the contributors remove their masks with their dropped neighbours, then anyone
    # seals the round (before the reveal deadline: no chunk awaits a reveal any more).
    for c in range(n_chunks):
        if len(chunk_contributors[c]) < round_task.t_min:
            continue
        for i, j in required_reveals(round_task, chunk_contributors[c]):
            masks, _ = mask_reveal_inputs(round_task, 1, c, secret_keys[i], j)
            aggregator.revealMask(task_id, 1, c, members[j], masks, ZERO_PROOF, sender=members[i])
    accumulators = {
        c: list(aggregator.accumulator(task_id, 1, c))
        for c in range(n_chunks)
        if len(chunk_contributors[c]) >= round_task.t_min
    }
    tx = aggregator.finalizeRound(task_id, 1, ALL_CHUNKS, sender=outsider)

    # Assert
    sealed = {event.chunk: event for event in tx.events.filter(aggregator.ChunkAggregated)}
    assert sorted(sealed) == list(range(n_chunks))
    for c in range(n_chunks):
        bitmap, count = aggregator.chunkContributors(task_id, 1, c)
        on_chain = {i for i in range(len(members)) if bitmap >> i & 1}
        assert on_chain == chunk_contributors[c]
        assert count == len(on_chain)
        revealed_count, required = aggregator.chunkReveals(task_id, 1, c)
        assert required == len(required_reveals(round_task, on_chain))
        status = aggregator.chunkStatus(task_id, 1, c)
        if len(on_chain) < round_task.t_min:
            assert status == CHUNK_VOID
            assert (sealed[c].count, list(sealed[c].words)) == (0, [])
            continue
        assert status == CHUNK_RECOVERABLE
        assert revealed_count == required
        # The contract's accumulator is the plain packed sum: every mask cancelled or removed.
        q = {i: np.asarray(masked[i][c].inputs["q"], dtype=np.int64) for i in on_chain}
        packed_sum = _field_sum([pack_chunk(q[i], round_task.packing) for i in on_chain])
        assert accumulators[c] == packed_sum
        assert (sealed[c].count, list(sealed[c].words)) == (len(on_chain), packed_sum)
        exact = sum(q.values())
        assert np.array_equal(unpack_chunk(packed_sum, round_task.packing, len(on_chain)), exact)
        mean = aggregate_chunk(round_task, sealed[c].words, sealed[c].count)
        assert np.array_equal(mean, dequantize(exact, round_task.packing) / len(on_chain))
    # The client reads the same aggregates back and checks them against the digest chain.
    read = Zkfed(aggregator, governance).chunk_aggregates(task_id, 1)
    assert [(a.chunk, a.count, list(a.words)) for a in read] == [
        (c, sealed[c].count, list(sealed[c].words)) for c in range(n_chunks)
    ]
    finalized = tx.events.filter(aggregator.RoundFinalized)[0]
    assert finalized.digest == aggregator.roundInfo(task_id, 1).aggregateDigest
    assert finalized.digest == sealed[n_chunks - 1].digest


def test_finalize_in_batches_of_one_chains_the_digest(
    aggregator: Any, members: list[Any], outsider: Any, secagg_task: int
) -> None:
    # Prepare: chunk 0 by three members with dropped neighbours on the drawn ring, chosen so
    # that both signs occur: a revealer below its dropped neighbour added the pair's mask (it is
    # subtracted), one above it subtracted the mask (it is added back); chunk 1 by everyone (no
    # reveal needed); chunk 2 by two members (void); chunk 3 by nobody.
    task_id = secagg_task
    addresses = [m.address for m in members]
    neighbours = {
        i: [addresses.index(a) for a in aggregator.neighbors(task_id, m).ring]
        for i, m in enumerate(members)
    }

    def reveals_of(who: tuple[int, ...]) -> dict[tuple[int, int], int]:
        # (revealer, dropped): the sign the contract applies to the revealed mask.
        return {(i, j): -1 if i < j else +1 for i in who for j in neighbours[i] if j not in who}

    first = next(
        who
        for who in combinations(range(len(members)), 3)
        if set(reveals_of(who).values()) == {-1, +1}
    )
    words = {i: [(i + 1) * 1_000_003, P - 1 - i] for i in range(len(members))}
    chunk_contributors = {0: list(first), 1: list(range(len(members))), 2: [4, 5], 3: []}
    for c, who in chunk_contributors.items():
        for i in who:
            aggregator.submitChunk(
                task_id, 1, c, words[i], escrow(TEST_VARIANT), ZERO_PROOF, sender=members[i]
            )
    chain.pending_timestamp = aggregator.roundInfo(task_id, 1).submissionDeadline
    reveals = reveals_of(first)
    masks = {pair: dummy_masks(*pair, TEST_VARIANT.words) for pair in reveals}
    for i, j in reveals:
        aggregator.revealMask(
            task_id, 1, 0, members[j], masks[(i, j)], ZERO_PROOF, sender=members[i]
        )
    removed = [[sign * m for m in masks[pair]] for pair, sign in reveals.items()]
    expected_words = {
        0: _field_sum([words[i] for i in chunk_contributors[0]] + removed),
        1: _field_sum([words[i] for i in chunk_contributors[1]]),
        2: [],
        3: [],
    }
    expected_counts = {0: 3, 1: len(members), 2: 0, 3: 0}
    digest = digest_start(aggregator.taskDomain(task_id), 1)

    # Execute / Assert: one chunk per call, by a non-member.
    for c in range(4):
        tx = aggregator.finalizeRound(task_id, 1, 1, sender=outsider)
        sealed = tx.events.filter(aggregator.ChunkAggregated)
        assert len(sealed) == 1
        digest = digest_next(digest, c, expected_counts[c], expected_words[c])
        assert (sealed[0].taskId, sealed[0].round, sealed[0].chunk) == (task_id, 1, c)
        assert (sealed[0].count, list(sealed[0].words)) == (expected_counts[c], expected_words[c])
        assert sealed[0].digest == digest
        info = aggregator.roundInfo(task_id, 1)
        assert (info.sealedChunks, info.aggregateDigest) == (c + 1, digest)
        if c < 3:
            assert info.status == ROUND_RECOVERY
            assert len(tx.events.filter(aggregator.RoundFinalized)) == 0
    info = aggregator.roundInfo(task_id, 1)
    assert (info.status, info.aggregatedChunks) == (ROUND_FINALIZED, 2)
    assert tx.events.filter(aggregator.RoundFinalized)[0].digest == digest
    assert aggregator.taskState(task_id).currentRound == 2


def test_next_round_opens_on_the_recorded_initial_model(
    aggregator: Any, members: list[Any], secagg_task: int
) -> None:
    # Prepare: chunk 0 reaches t_min but its masks are never removed, so it seals void.
    for i in range(3):
        aggregator.submitChunk(
            secagg_task, 1, 0, [i + 1, i + 2], escrow(TEST_VARIANT), ZERO_PROOF, sender=members[i]
        )
    chain.pending_timestamp = aggregator.roundInfo(secagg_task, 1).revealDeadline

    # Execute
    tx = aggregator.finalizeRound(secagg_task, 1, ALL_CHUNKS, sender=members[0])

    # Assert: a SecAgg task records only the initial model; later ones follow from the
    # aggregates.
    assert tx.events.filter(aggregator.ChunkAggregated)[0].count == 0
    opened = tx.events.filter(aggregator.RoundOpened)[0]
    assert (opened.taskId, opened.round) == (secagg_task, 2)
    assert aggregator.globalModel(secagg_task, 2) == (*INITIAL_MODEL, 0)
    assert aggregator.taskState(secagg_task).currentRound == 2


def test_publish_model_only_by_a_member_for_a_finalized_round(
    aggregator: Any, members: list[Any], outsider: Any, secagg_task: int
) -> None:
    # Prepare
    for i in range(3):
        aggregator.submitChunk(
            secagg_task, 1, 0, [i + 1, i + 2], escrow(TEST_VARIANT), ZERO_PROOF, sender=members[i]
        )
    chain.pending_timestamp = aggregator.roundInfo(secagg_task, 1).revealDeadline
    model = ("bafkreiround1", b"\x55" * 32)

    # Execute / Assert
    with ape.reverts(aggregator.RoundNotFinalized, taskId=secagg_task, round=1):
        aggregator.publishModel(secagg_task, 1, *model, sender=members[0])
    aggregator.finalizeRound(secagg_task, 1, ALL_CHUNKS, sender=members[0])
    with ape.reverts(aggregator.NotTaskMember, taskId=secagg_task, account=outsider.address):
        aggregator.publishModel(secagg_task, 1, *model, sender=outsider)
    with ape.reverts(aggregator.EmptyCid):
        aggregator.publishModel(secagg_task, 1, "", model[1], sender=members[1])
    tx = aggregator.publishModel(secagg_task, 1, *model, sender=members[1])
    published = tx.events.filter(aggregator.ModelPublished)[0]
    assert (published.taskId, published.round, published.publisher) == (
        secagg_task,
        1,
        members[1].address,
    )
    assert (published.modelCid, published.modelHash) == model
    assert aggregator.globalModel(secagg_task, 2) == (*INITIAL_MODEL, 0)
