"""A full SecAgg round on chain with the client's masking: the contract's sums unmask exactly.

The proofs are checked by a mock verifier here (accepting everything); what is real is the
masking, the ring, the seeds, the accumulation mod p and the chunk rule, so the client and the
contract are shown to agree bit for bit.
"""

from typing import Any

import numpy as np
import pytest
from ape import chain
from contract_helpers import TEST_VARIANT, ZERO_PROOF, task_config

from zkfed.babyjubjub import Point
from zkfed.masking import remove_masks, ring_slots, slots_word
from zkfed.packing import unpack_chunk
from zkfed.quantize import squared_norm_bound
from zkfed.secagg import (
    SecaggTask,
    aggregate_chunk,
    join_inputs,
    mask_update,
    required_reveals,
    reveal_seed,
)

RECOVERABLE, VOID = 3, 1
N_PARAMS = 100  # four chunks of W·L = 30 parameters
CLIP_NORM = 0.5


def _secagg_task(task_id: int, public_keys: list[Point]) -> SecaggTask:
    return SecaggTask(
        task_id=task_id,
        packing=TEST_VARIANT.packing,
        n_params=N_PARAMS,
        neighbors=TEST_VARIANT.neighbors,
        bound=squared_norm_bound(CLIP_NORM, TEST_VARIANT.packing),
        members=tuple(public_keys),
    )


@pytest.fixture
def round_task(
    aggregator: Any,
    create_task: Any,
    verifier: Any,
    seed_verifier: Any,
    pair_verifier: Any,
    members: list[Any],
    secret_keys: list[int],
    public_keys: list[Point],
) -> SecaggTask:
    """A task every member has joined with its real pair commitments (mock-verified proofs)."""
    bound = squared_norm_bound(CLIP_NORM, TEST_VARIANT.packing)
    task_id = create_task(
        task_config(verifier, seed_verifier, pair_verifier, param_count=N_PARAMS, bound=bound)
    )
    task = _secagg_task(task_id, public_keys)
    for i, member in enumerate(members):
        commitments = [c for c, _ in join_inputs(task, i, secret_keys[i])]
        aggregator.joinTask(task_id, commitments, [ZERO_PROOF] * len(commitments), sender=member)
    return task


def test_ring_and_commitments_agree_with_client(
    aggregator: Any, members: list[Any], secret_keys: list[int], round_task: SecaggTask
) -> None:
    # Prepare
    n, k = len(members), TEST_VARIANT.neighbors

    # Execute
    on_chain = [aggregator.neighbors(round_task.task_id, m) for m in members]

    # Assert
    for i, (ring, slots) in enumerate(on_chain):
        expected = ring_slots(n, k, i)
        assert list(ring) == [members[j].address for j in expected if j is not None]
        assert slots == slots_word(i, expected)
        assert list(aggregator.pairCommitments(round_task.task_id, members[i])) == (
            round_task.pair_commitments(i, secret_keys[i])
        )
        # Each pair's two members posted the same commitment (ECDH is symmetric).
        for slot, j in enumerate(expected):
            assert j is not None
            theirs = aggregator.pairCommitments(round_task.task_id, members[j])
            assert (
                theirs[ring_slots(n, k, j).index(i)]
                == round_task.pair_commitments(i, secret_keys[i])[slot]
            )


def test_full_round_with_dropouts_unmasks_to_the_sum(
    aggregator: Any,
    members: list[Any],
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

    # Execute
    for i in sorted(contributors):
        for chunk in masked[i]:
            if i in chunk_contributors[chunk.chunk]:
                aggregator.submitChunk(
                    task_id, 1, chunk.chunk, chunk.words, ZERO_PROOF, sender=members[i]
                )
    chain.pending_timestamp = aggregator.roundInfo(task_id, 1).submissionDeadline
    for c in range(n_chunks):
        if len(chunk_contributors[c]) < round_task.t_min:
            continue
        for i, j in required_reveals(round_task, chunk_contributors[c]):
            seed = reveal_seed(round_task, 1, c, secret_keys[i], j)
            aggregator.revealSeed(task_id, 1, c, members[j], seed, ZERO_PROOF, sender=members[i])
    tx = aggregator.finalizeRound(task_id, 1, "bafkreiround1", b"\x44" * 32, sender=members[5])

    # Assert
    assert tx.events.filter(aggregator.RoundFinalized)[0].round == 1
    for c in range(n_chunks):
        bitmap, count = aggregator.chunkContributors(task_id, 1, c)
        on_chain = {i for i in range(len(members)) if bitmap >> i & 1}
        assert on_chain == chunk_contributors[c]
        assert count == len(on_chain)
        revealed_count, required = aggregator.chunkReveals(task_id, 1, c)
        assert required == len(required_reveals(round_task, on_chain))
        status = aggregator.chunkStatus(task_id, 1, c)
        if len(on_chain) < round_task.t_min:
            assert status == VOID
            continue
        assert status == RECOVERABLE
        assert revealed_count == required
        accumulator = list(aggregator.accumulator(task_id, 1, c))
        revealed = {
            (i, j): aggregator.revealedSeed(task_id, 1, c, members[i], members[j]).seed
            for i, j in required_reveals(round_task, on_chain)
        }
        signed = [(seed, 1 if i < j else -1) for (i, j), seed in revealed.items()]
        sums = unpack_chunk(remove_masks(accumulator, signed), round_task.packing, len(on_chain))
        expected = sum(np.asarray(masked[i][c].inputs["q"], dtype=np.int64) for i in on_chain)
        assert np.array_equal(sums, expected)
        mean = aggregate_chunk(round_task, accumulator, on_chain, revealed)
        assert mean is not None


def test_next_round_opens_on_the_new_model(
    aggregator: Any, members: list[Any], secagg_task: int
) -> None:
    # Prepare
    for i in range(3):
        aggregator.submitChunk(secagg_task, 1, 0, [i + 1, i + 2], ZERO_PROOF, sender=members[i])
    chain.pending_timestamp = aggregator.roundInfo(secagg_task, 1).revealDeadline

    # Execute
    tx = aggregator.finalizeRound(secagg_task, 1, "bafkreiround1", b"\x55" * 32, sender=members[0])

    # Assert
    opened = tx.events.filter(aggregator.RoundOpened)[0]
    assert (opened.taskId, opened.round) == (secagg_task, 2)
    assert aggregator.globalModel(secagg_task, 2) == ("bafkreiround1", b"\x55" * 32)
    assert aggregator.taskState(secagg_task).currentRound == 2
