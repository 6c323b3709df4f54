"""Every way a member can be refused is refused with its own custom error, on a real node."""

from typing import Any

import ape
from ape import chain
from contract_helpers import REJECT_ALL, STRICT, ZERO_PROOF, P

WORDS = [12345, 67890]


def _signals(aggregator: Any, task_id: int, member: Any, chunk: int, words: list[int]) -> list[int]:
    """MaskedUpdate public signals of `member` in the order of record, from chain data."""
    commitments = list(aggregator.pairCommitments(task_id, member))
    _, slots = aggregator.neighbors(task_id, member)
    bound = aggregator.taskConfig(task_id).bound
    return [task_id, 1, chunk, *commitments, slots, bound, *words]


def test_late_submission_is_refused(aggregator: Any, members: list[Any], secagg_task: int) -> None:
    # Prepare
    deadline = aggregator.roundInfo(secagg_task, 1).submissionDeadline
    chain.pending_timestamp = deadline

    # Execute / Assert
    with ape.reverts(aggregator.RoundClosed, taskId=secagg_task, round=1):
        aggregator.submitChunk(secagg_task, 1, 0, WORDS, ZERO_PROOF, sender=members[0])


def test_duplicate_submission_is_refused(
    aggregator: Any, members: list[Any], secagg_task: int
) -> None:
    # Prepare
    aggregator.submitChunk(secagg_task, 1, 0, WORDS, ZERO_PROOF, sender=members[0])

    # Execute / Assert
    with ape.reverts(aggregator.ChunkAlreadySubmitted, member=members[0].address):
        aggregator.submitChunk(secagg_task, 1, 0, [1, 2], ZERO_PROOF, sender=members[0])


def test_wrong_length_is_refused(aggregator: Any, members: list[Any], secagg_task: int) -> None:
    # Execute / Assert
    with ape.reverts(aggregator.WrongWordCount, expected=2, actual=3):
        aggregator.submitChunk(secagg_task, 1, 0, [1, 2, 3], ZERO_PROOF, sender=members[0])


def test_word_outside_the_field_is_refused(
    aggregator: Any, members: list[Any], secagg_task: int
) -> None:
    # Execute / Assert
    with ape.reverts(aggregator.WordOutOfField, index=1, word=P):
        aggregator.submitChunk(secagg_task, 1, 0, [1, P], ZERO_PROOF, sender=members[0])


def test_non_member_is_refused(aggregator: Any, outsider: Any, secagg_task: int) -> None:
    # Execute / Assert
    with ape.reverts(aggregator.NotTaskMember, account=outsider.address):
        aggregator.submitChunk(secagg_task, 1, 0, WORDS, ZERO_PROOF, sender=outsider)


def test_invalid_proof_is_refused(
    aggregator: Any, verifier: Any, deployer: Any, members: list[Any], secagg_task: int
) -> None:
    # Prepare
    verifier.setMode(REJECT_ALL, sender=deployer)

    # Execute / Assert
    with ape.reverts(aggregator.InvalidProof, member=members[0].address):
        aggregator.submitChunk(secagg_task, 1, 0, WORDS, ZERO_PROOF, sender=members[0])


def test_replay_of_another_members_proof_is_refused(
    aggregator: Any, verifier: Any, deployer: Any, members: list[Any], secagg_task: int
) -> None:
    # Prepare: the verifier accepts exactly member 0's statement.
    verifier.setMode(STRICT, sender=deployer)
    verifier.allow(_signals(aggregator, secagg_task, members[0], 0, WORDS), sender=deployer)
    aggregator.submitChunk(secagg_task, 1, 0, WORDS, ZERO_PROOF, sender=members[0])

    # Execute / Assert: member 1 resubmits member 0's words and proof.
    with ape.reverts(aggregator.InvalidProof, member=members[1].address):
        aggregator.submitChunk(secagg_task, 1, 0, WORDS, ZERO_PROOF, sender=members[1])


def test_replay_into_another_round_is_refused(
    aggregator: Any, members: list[Any], secagg_task: int
) -> None:
    # Execute / Assert
    with ape.reverts(aggregator.NotCurrentRound, round=2, currentRound=1):
        aggregator.submitChunk(secagg_task, 2, 0, WORDS, ZERO_PROOF, sender=members[0])


def test_reveal_before_the_deadline_is_refused(
    aggregator: Any, members: list[Any], secagg_task: int
) -> None:
    # Prepare
    for i in range(3):
        aggregator.submitChunk(secagg_task, 1, 0, WORDS, ZERO_PROOF, sender=members[i])

    # Execute / Assert
    with ape.reverts(aggregator.RoundStillOpen):
        aggregator.revealSeed(secagg_task, 1, 0, members[5], 1, ZERO_PROOF, sender=members[0])


def test_reveal_for_a_void_chunk_is_refused(
    aggregator: Any, members: list[Any], secagg_task: int
) -> None:
    # Prepare: two contributors, t_min = 3.
    for i in range(2):
        aggregator.submitChunk(secagg_task, 1, 0, WORDS, ZERO_PROOF, sender=members[i])
    chain.pending_timestamp = aggregator.roundInfo(secagg_task, 1).submissionDeadline

    # Execute / Assert
    with ape.reverts(aggregator.ChunkVoid, contributors=2, required=3):
        aggregator.revealSeed(secagg_task, 1, 0, members[5], 1, ZERO_PROOF, sender=members[0])


def test_key_outside_the_subgroup_is_refused(
    aggregator: Any, reference_points: dict[str, Any], members: list[Any]
) -> None:
    # Prepare: circomlib's Generator has order 8·l.
    gx, gy = reference_points["generator"]

    # Execute / Assert: the member already has a key, and this one would be refused anyway.
    with ape.reverts(aggregator.KeyAlreadyRegistered):
        aggregator.registerKey(gx, gy, sender=members[0])


def test_submission_before_joining_is_refused(
    aggregator: Any, members: list[Any], unjoined_task: int
) -> None:
    # Execute / Assert
    with ape.reverts(aggregator.NotJoined, taskId=unjoined_task, member=members[0].address):
        aggregator.submitChunk(unjoined_task, 1, 0, WORDS, ZERO_PROOF, sender=members[0])


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
