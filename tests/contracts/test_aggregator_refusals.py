"""Every way a member can be refused is refused with its own custom error, on a real node."""

from collections.abc import Callable
from typing import Any

import ape
from ape import chain
from contract_helpers import (
    REJECT_ALL,
    STRICT,
    TEST_VARIANT,
    ZERO_PROOF,
    P,
    escrow,
    members_on_ring,
    task_config,
)

from zkfed.babyjubjub import Point, public_key

WORDS = [12345, 67890]
MASKS = [424242, 4242]
ESCROW = escrow(TEST_VARIANT)  # K = 2: the test variant never escrows, its entries are 0
ALL_CHUNKS = 2**256 - 1


def _signals(aggregator: Any, task_id: int, member: Any, chunk: int, words: list[int]) -> list[int]:
    """MaskedUpdate public signals of `member` in the order of record, from chain data."""
    commitments = list(aggregator.pairCommitments(task_id, member))
    _, slots = aggregator.neighbors(task_id, member)
    bound = aggregator.taskConfig(task_id).bound
    domain = aggregator.taskDomain(task_id)
    return [domain, 1, chunk, *commitments, slots, bound, *words, *ESCROW]


def _submit(aggregator: Any, members: list[Any], task_id: int, who: range, chunk: int = 0) -> None:
    """Members `who` of `members` (in task order, or in ring order) submit chunk `chunk`."""
    for i in who:
        aggregator.submitChunk(task_id, 1, chunk, WORDS, ESCROW, ZERO_PROOF, sender=members[i])


def test_late_submission_is_refused(aggregator: Any, members: list[Any], secagg_task: int) -> None:
    # Prepare
    deadline = aggregator.roundInfo(secagg_task, 1).submissionDeadline
    chain.pending_timestamp = deadline

    # Execute / Assert
    with ape.reverts(aggregator.RoundClosed, taskId=secagg_task, round=1):
        aggregator.submitChunk(secagg_task, 1, 0, WORDS, ESCROW, ZERO_PROOF, sender=members[0])


def test_duplicate_submission_is_refused(
    aggregator: Any, members: list[Any], secagg_task: int
) -> None:
    # Prepare
    aggregator.submitChunk(secagg_task, 1, 0, WORDS, ESCROW, ZERO_PROOF, sender=members[0])

    # Execute / Assert
    with ape.reverts(aggregator.ChunkAlreadySubmitted, member=members[0].address):
        aggregator.submitChunk(secagg_task, 1, 0, [1, 2], ESCROW, ZERO_PROOF, sender=members[0])


def test_wrong_length_is_refused(aggregator: Any, members: list[Any], secagg_task: int) -> None:
    # Execute / Assert
    with ape.reverts(aggregator.WrongWordCount, expected=2, actual=3):
        aggregator.submitChunk(secagg_task, 1, 0, [1, 2, 3], ESCROW, ZERO_PROOF, sender=members[0])


def test_wrong_escrow_length_is_refused(
    aggregator: Any, members: list[Any], secagg_task: int
) -> None:
    # Execute / Assert: K = 2 takes K·(K - 1) = 2 entries, even when they are all 0.
    for entries in ([], [0], [0, 0, 0]):
        with ape.reverts(aggregator.WrongEscrowCount, expected=2, actual=len(entries)):
            aggregator.submitChunk(secagg_task, 1, 0, WORDS, entries, ZERO_PROOF, sender=members[0])


def test_word_outside_the_field_is_refused(
    aggregator: Any, members: list[Any], secagg_task: int
) -> None:
    # Execute / Assert
    with ape.reverts(aggregator.WordOutOfField, index=1, word=P):
        aggregator.submitChunk(secagg_task, 1, 0, [1, P], ESCROW, ZERO_PROOF, sender=members[0])


def test_non_member_is_refused(aggregator: Any, outsider: Any, secagg_task: int) -> None:
    # Execute / Assert
    with ape.reverts(aggregator.NotTaskMember, account=outsider.address):
        aggregator.submitChunk(secagg_task, 1, 0, WORDS, ESCROW, ZERO_PROOF, sender=outsider)


def test_invalid_proof_is_refused(
    aggregator: Any, verifier: Any, deployer: Any, members: list[Any], secagg_task: int
) -> None:
    # Prepare
    verifier.setMode(REJECT_ALL, sender=deployer)

    # Execute / Assert
    with ape.reverts(aggregator.InvalidProof, member=members[0].address):
        aggregator.submitChunk(secagg_task, 1, 0, WORDS, ESCROW, ZERO_PROOF, sender=members[0])


def test_replay_of_another_members_proof_is_refused(
    aggregator: Any, verifier: Any, deployer: Any, members: list[Any], secagg_task: int
) -> None:
    # Prepare: the verifier accepts exactly member 0's statement.
    verifier.setMode(STRICT, sender=deployer)
    verifier.allow(_signals(aggregator, secagg_task, members[0], 0, WORDS), sender=deployer)
    aggregator.submitChunk(secagg_task, 1, 0, WORDS, ESCROW, ZERO_PROOF, sender=members[0])

    # Execute / Assert: member 1 resubmits member 0's words and proof.
    with ape.reverts(aggregator.InvalidProof, member=members[1].address):
        aggregator.submitChunk(secagg_task, 1, 0, WORDS, ESCROW, ZERO_PROOF, sender=members[1])


def test_replay_into_another_round_is_refused(
    aggregator: Any, members: list[Any], secagg_task: int
) -> None:
    # Execute / Assert
    with ape.reverts(aggregator.NotCurrentRound, round=2, currentRound=1):
        aggregator.submitChunk(secagg_task, 2, 0, WORDS, ESCROW, ZERO_PROOF, sender=members[0])


def test_reveal_before_the_deadline_is_refused(
    aggregator: Any, members: list[Any], secagg_task: int
) -> None:
    # Prepare: ring positions 0, 1, 2 contribute; position 5 neighbours position 0.
    ring = members_on_ring(aggregator, secagg_task, members)
    _submit(aggregator, ring, secagg_task, range(3))

    # Execute / Assert
    with ape.reverts(aggregator.RoundStillOpen):
        aggregator.revealMask(secagg_task, 1, 0, ring[5], MASKS, ZERO_PROOF, sender=ring[0])


def test_reveal_for_a_void_chunk_is_refused(
    aggregator: Any, members: list[Any], secagg_task: int
) -> None:
    # Prepare: two contributors (ring positions 0 and 1), t_min = 3.
    ring = members_on_ring(aggregator, secagg_task, members)
    _submit(aggregator, ring, secagg_task, range(2))
    chain.pending_timestamp = aggregator.roundInfo(secagg_task, 1).submissionDeadline

    # Execute / Assert: position 5 is a dropped neighbour of position 0.
    with ape.reverts(aggregator.ChunkVoid, contributors=2, required=3):
        aggregator.revealMask(secagg_task, 1, 0, ring[5], MASKS, ZERO_PROOF, sender=ring[0])


def test_reveal_twice_of_a_wrong_length_or_outside_the_field_is_refused(
    aggregator: Any, members: list[Any], secagg_task: int
) -> None:
    # Prepare: ring positions 0, 1, 2 contribute; 0 removes its mask with its dropped
    # neighbour 5 (K = 2: the neighbours of position p are p ± 1).
    ring = members_on_ring(aggregator, secagg_task, members)
    _submit(aggregator, ring, secagg_task, range(3))
    chain.pending_timestamp = aggregator.roundInfo(secagg_task, 1).submissionDeadline
    aggregator.revealMask(secagg_task, 1, 0, ring[5], MASKS, ZERO_PROOF, sender=ring[0])

    # Execute / Assert
    with ape.reverts(
        aggregator.MaskAlreadyRevealed, revealer=ring[0].address, dropped=ring[5].address
    ):
        aggregator.revealMask(secagg_task, 1, 0, ring[5], MASKS, ZERO_PROOF, sender=ring[0])
    with ape.reverts(aggregator.WrongWordCount, expected=2, actual=3):
        aggregator.revealMask(secagg_task, 1, 0, ring[3], [*MASKS, 1], ZERO_PROOF, sender=ring[2])
    with ape.reverts(aggregator.WordOutOfField, index=0, word=P):
        aggregator.revealMask(secagg_task, 1, 0, ring[3], [P, 1], ZERO_PROOF, sender=ring[2])
    with ape.reverts(aggregator.NeighborContributed, neighbor=ring[1].address):
        aggregator.revealMask(secagg_task, 1, 0, ring[1], MASKS, ZERO_PROOF, sender=ring[2])
    with ape.reverts(aggregator.NotNeighbor, member=ring[0].address):
        aggregator.revealMask(secagg_task, 1, 0, ring[3], MASKS, ZERO_PROOF, sender=ring[0])


def test_reveal_with_an_invalid_proof_is_refused(
    aggregator: Any, reveal_verifier: Any, deployer: Any, members: list[Any], secagg_task: int
) -> None:
    # Prepare: ring positions 0, 1, 2 contribute; 5 is a dropped neighbour of 0.
    ring = members_on_ring(aggregator, secagg_task, members)
    _submit(aggregator, ring, secagg_task, range(3))
    chain.pending_timestamp = aggregator.roundInfo(secagg_task, 1).submissionDeadline
    before = list(aggregator.accumulator(secagg_task, 1, 0))
    reveal_verifier.setMode(REJECT_ALL, sender=deployer)

    # Execute / Assert
    with ape.reverts(aggregator.InvalidProof, member=ring[0].address):
        aggregator.revealMask(secagg_task, 1, 0, ring[5], MASKS, ZERO_PROOF, sender=ring[0])
    assert list(aggregator.accumulator(secagg_task, 1, 0)) == before


def test_finalize_too_early_empty_or_with_pending_reveals_is_refused(
    aggregator: Any,
    create_task: Callable[[tuple[Any, ...]], int],
    members: list[Any],
    outsider: Any,
    register_keys: Callable[[int], list[Point]],
    secagg_task: int,
) -> None:
    # Prepare: chunk 0 of one task reaches t_min, its dropped neighbours' masks are not removed
    # yet; another task (on the members' next keys) gets no submission.
    register_keys(1)
    empty_task = create_task(task_config())
    _submit(aggregator, members, secagg_task, range(3))
    info = aggregator.roundInfo(secagg_task, 1)

    # Execute / Assert
    with ape.reverts(aggregator.RoundStillOpen, taskId=secagg_task, round=1):
        aggregator.finalizeRound(secagg_task, 1, ALL_CHUNKS, sender=outsider)
    chain.pending_timestamp = aggregator.roundInfo(empty_task, 1).submissionDeadline
    with ape.reverts(aggregator.ZeroBatch):
        aggregator.finalizeRound(secagg_task, 1, 0, sender=outsider)
    # The test variant does not escrow: no recovery window after the reveal window.
    assert info.recoveryDeadline == info.revealDeadline
    with ape.reverts(aggregator.RevealsPending, chunk=0, recoveryDeadline=info.recoveryDeadline):
        aggregator.finalizeRound(secagg_task, 1, ALL_CHUNKS, sender=outsider)
    with ape.reverts(aggregator.NothingToAggregate, taskId=empty_task, round=1):
        aggregator.finalizeRound(empty_task, 1, ALL_CHUNKS, sender=outsider)


def test_secagg_round_with_something_to_aggregate_is_not_aborted(
    aggregator: Any, members: list[Any], outsider: Any, secagg_task: int
) -> None:
    # Prepare: long past the reveal deadline and a reveal period of grace.
    _submit(aggregator, members, secagg_task, range(3))
    info = aggregator.roundInfo(secagg_task, 1)
    chain.pending_timestamp = 2 * info.revealDeadline - info.submissionDeadline + 1

    # Execute / Assert: anyone can finalize it instead.
    with ape.reverts(aggregator.RoundNotAbortable, taskId=secagg_task, round=1):
        aggregator.abortRound(secagg_task, 1, sender=outsider)
    aggregator.finalizeRound(secagg_task, 1, ALL_CHUNKS, sender=outsider)


def test_key_outside_the_subgroup_is_refused(
    key_registry: Any, reference_points: dict[str, Any], newcomer: Any
) -> None:
    # Prepare: circomlib's Generator has order 8·l.
    gx, gy = reference_points["generator"]

    # Execute / Assert
    with ape.reverts(key_registry.InvalidPublicKey, x=gx, y=gy):
        key_registry.registerKey(gx, gy, ZERO_PROOF, sender=newcomer)


def test_key_of_another_member_is_refused(
    key_registry: Any, members: list[Any], public_keys: list[Point], newcomer: Any
) -> None:
    # Prepare: a copied key would cancel its owner's masks (equal pair secrets).
    x, y = public_keys[0]

    # Execute / Assert
    with ape.reverts(key_registry.KeyInUse, x=x, y=y, owner=members[0].address):
        key_registry.registerKey(x, y, ZERO_PROOF, sender=newcomer)
    assert key_registry.keyOwner(x, y) == members[0].address


def test_key_without_a_valid_possession_proof_is_refused(
    key_registry: Any, key_verifier: Any, deployer: Any, newcomer: Any
) -> None:
    # Prepare
    x, y = public_key(0xBADC0DE)
    key_verifier.setMode(REJECT_ALL, sender=deployer)

    # Execute / Assert
    with ape.reverts(key_registry.InvalidKeyProof, member=newcomer.address):
        key_registry.registerKey(x, y, ZERO_PROOF, sender=newcomer)
    assert key_registry.keyOwner(x, y) == "0x" + "00" * 20
    assert key_registry.unusedKeys(newcomer) == 0


def test_submission_before_joining_is_refused(
    aggregator: Any, members: list[Any], unjoined_task: int
) -> None:
    # Execute / Assert
    with ape.reverts(aggregator.NotJoined, taskId=unjoined_task, member=members[0].address):
        aggregator.submitChunk(unjoined_task, 1, 0, WORDS, ESCROW, ZERO_PROOF, sender=members[0])


def test_joining_twice_is_refused(aggregator: Any, members: list[Any], secagg_task: int) -> None:
    # Execute / Assert: every member of `secagg_task` has joined already.
    with ape.reverts(aggregator.AlreadyJoined, member=members[0].address):
        aggregator.joinTask(secagg_task, [5, 6], [ZERO_PROOF] * 2, sender=members[0])


def test_join_with_a_wrong_count_zero_commitment_or_bad_proof_is_refused(
    aggregator: Any, pair_verifier: Any, deployer: Any, members: list[Any], unjoined_task: int
) -> None:
    task_id = unjoined_task

    # Execute / Assert
    with ape.reverts(aggregator.WrongCommitmentCount, expected=2, actual=1):
        aggregator.joinTask(task_id, [5], [ZERO_PROOF], sender=members[0])
    with ape.reverts(aggregator.InvalidCommitment, commitment=0):
        aggregator.joinTask(task_id, [5, 0], [ZERO_PROOF] * 2, sender=members[0])
    with ape.reverts(aggregator.InvalidCommitment, commitment=P):
        aggregator.joinTask(task_id, [P, 5], [ZERO_PROOF] * 2, sender=members[0])
    pair_verifier.setMode(REJECT_ALL, sender=deployer)
    with ape.reverts(aggregator.InvalidPairProof, member=members[0].address, slot=0):
        aggregator.joinTask(task_id, [5, 6], [ZERO_PROOF] * 2, sender=members[0])
