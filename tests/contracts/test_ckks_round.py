"""A CKKS round on the `CkksAggregator`: members commit to their ciphertexts' sha256 before the
deadline, reveal them after it, and the key holder records what it decrypted."""

import hashlib
from collections.abc import Callable
from typing import Any

import ape
import pytest
from ape import chain
from contract_helpers import (
    CKKS,
    REVEAL_PERIOD,
    ROUND_ABORTED,
    ROUND_FINALIZED,
    ROUND_OPEN,
    ROUND_RECOVERY,
    SECAGG,
    TEST_VARIANT,
    ZERO_PROOF,
    dummy_commitments,
    dummy_masks,
    escrow,
    remove_member,
    task_config,
)
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from zkfed.chain import RoundStatus, Zkfed

ALL_CHUNKS = 2**256 - 1
TASK_ACTIVE = 1
SUM_CID, SUM_HASH = "bafkreiflooded", b"\x88" * 32
AGGREGATE_DIGEST = hashlib.sha256(b"the revealed ciphertexts' sum").digest()


def _digest(member: int) -> bytes:
    """sha256 of a stand-in ciphertext of member `member`."""
    return hashlib.sha256(b"ciphertext of member %d" % member).digest()


def _commitment(domain: int, round_index: int, member: Any, digest: bytes) -> bytes:
    """keccak256(abi.encode(D, round, member, sha256Digest)), as `revealCiphertext` checks it."""
    return keccak(
        encode(
            ["uint256", "uint256", "address", "bytes32"],
            [domain, round_index, member.address, digest],
        )
    )


@pytest.fixture
def ckks_task(create_task: Callable[[tuple[Any, ...]], int], members: list[Any]) -> int:
    """A CKKS task over the six members, two rounds, t_min = 3, members[0] the key holder."""
    config = task_config(
        mode=CKKS, key_holder=members[0].address, context_cid="bafkreicontext", rounds=2
    )
    return create_task(config)


def _commit(aggregator: Any, ckks: Any, members: list[Any], task_id: int, who: range) -> None:
    domain = aggregator.taskDomain(task_id)
    for i in who:
        commitment = _commitment(domain, 1, members[i], _digest(i))
        ckks.commitCiphertext(task_id, 1, commitment, sender=members[i])


def _reveal(ckks: Any, members: list[Any], task_id: int, who: range) -> None:
    for i in who:
        ckks.revealCiphertext(task_id, 1, f"bafkreict{i}", _digest(i), sender=members[i])


def test_ckks_round_commits_reveals_and_finalizes(
    aggregator: Any, governance: Any, ckks: Any, members: list[Any], ckks_task: int
) -> None:
    # Prepare: members 1 to 5 commit, 1 to 4 reveal (5 drops out), members[0] holds the key.
    task_id, key_holder = ckks_task, members[0]
    domain = aggregator.taskDomain(task_id)
    zk = Zkfed(aggregator, governance, ckks=ckks)
    commitments = {i: _commitment(domain, 1, members[i], _digest(i)) for i in range(1, 6)}
    committed = [
        ckks.commitCiphertext(task_id, 1, commitments[i], sender=members[i]) for i in range(1, 6)
    ]
    chain.pending_timestamp = ckks.roundInfo(task_id, 1).submissionDeadline
    revealed = [
        ckks.revealCiphertext(task_id, 1, f"bafkreict{i}", _digest(i), sender=members[i])
        for i in range(1, 5)
    ]
    during_reveals = ckks.roundInfo(task_id, 1)
    chain.pending_timestamp = during_reveals.revealDeadline

    # Execute
    tx = ckks.finalizeRound(task_id, 1, 0, AGGREGATE_DIGEST, SUM_CID, SUM_HASH, sender=key_holder)

    # Assert: the chain's commitments are the ones computed here and by the client.
    for i, receipt in zip(range(1, 6), committed, strict=True):
        event = receipt.events.filter(ckks.CiphertextCommitted)[0]
        assert (event.taskId, event.round, event.member) == (task_id, 1, members[i].address)
        assert event.commitment == commitments[i] == ckks.commitment(task_id, 1, members[i])
        assert zk.ciphertext_commitment(task_id, 1, members[i], _digest(i)) == commitments[i]
    for i, receipt in zip(range(1, 5), revealed, strict=True):
        event = receipt.events.filter(ckks.CiphertextRevealed)[0]
        assert (event.taskId, event.round, event.member) == (task_id, 1, members[i].address)
        assert (event.cid, event.sha256Digest) == (f"bafkreict{i}", _digest(i))
        assert ckks.ciphertext(task_id, 1, members[i]) == (f"bafkreict{i}", _digest(i))
    assert ckks.ciphertext(task_id, 1, members[5]) == ("", b"\x00" * 32)
    assert during_reveals.status == ROUND_RECOVERY
    assert (during_reveals.committed, during_reveals.revealed) == (5, 4)
    finalized = tx.events.filter(ckks.RoundFinalized)[0]
    assert (finalized.taskId, finalized.round, finalized.contributors) == (task_id, 1, 4)
    assert finalized.excluded == 0
    assert finalized.aggregateDigest == AGGREGATE_DIGEST
    assert (finalized.sumCid, finalized.sumHash) == (SUM_CID, SUM_HASH)
    info = ckks.roundInfo(task_id, 1)
    assert (info.status, info.committed, info.revealed) == (ROUND_FINALIZED, 5, 4)
    assert (info.contributors, info.excluded) == (0b11110, 0)  # bit i: member i revealed
    assert (info.aggregateDigest, info.sumCid, info.sumHash) == (
        AGGREGATE_DIGEST,
        SUM_CID,
        SUM_HASH,
    )
    # The client reads the same round back.
    read = zk.ckks_round(task_id, 1)
    assert (read.status, read.committed, read.contributors, read.excluded) == (
        RoundStatus.FINALIZED,
        5,
        frozenset({1, 2, 3, 4}),
        frozenset(),
    )
    assert (read.aggregate_digest, read.sum_cid, read.sum_hash) == (
        AGGREGATE_DIGEST,
        SUM_CID,
        SUM_HASH,
    )
    assert zk.ciphertexts(task_id, 1) == {i: (f"bafkreict{i}", _digest(i)) for i in range(1, 5)}
    # Round 2 opens on the CkksAggregator; the aggregator reports its state.
    opened = tx.events.filter(ckks.RoundOpened)[0]
    assert (opened.taskId, opened.round) == (task_id, 2)
    assert ckks.roundInfo(task_id, 2).status == ROUND_OPEN
    assert tuple(ckks.taskState(task_id)) == (TASK_ACTIVE, 2)
    assert tuple(aggregator.taskState(task_id)) == (TASK_ACTIVE, 2, 0)


def test_reveal_must_match_the_commitment(
    aggregator: Any, ckks: Any, members: list[Any], ckks_task: int
) -> None:
    # Prepare: member 2 copies member 1's commitment, as if to replay its ciphertext.
    task_id, domain = ckks_task, aggregator.taskDomain(ckks_task)
    copied = _commitment(domain, 1, members[1], _digest(1))
    ckks.commitCiphertext(task_id, 1, copied, sender=members[1])
    ckks.commitCiphertext(task_id, 1, copied, sender=members[2])
    chain.pending_timestamp = ckks.roundInfo(task_id, 1).submissionDeadline

    # Execute / Assert: another digest, or another member's commitment, is refused.
    with ape.reverts(ckks.CommitmentMismatch, taskId=task_id, round=1, member=members[1].address):
        ckks.revealCiphertext(task_id, 1, "bafkreiother", _digest(9), sender=members[1])
    with ape.reverts(ckks.CommitmentMismatch, taskId=task_id, round=1, member=members[2].address):
        ckks.revealCiphertext(task_id, 1, "bafkreict1", _digest(1), sender=members[2])
    assert ckks.roundInfo(task_id, 1).revealed == 0
    ckks.revealCiphertext(task_id, 1, "bafkreict1", _digest(1), sender=members[1])
    info = ckks.roundInfo(task_id, 1)
    assert (info.revealed, info.contributors) == (1, 0b10)


def test_commit_and_reveal_refusals(
    aggregator: Any, ckks: Any, members: list[Any], outsider: Any, ckks_task: int
) -> None:
    # Prepare
    task_id, domain = ckks_task, aggregator.taskDomain(ckks_task)
    commitment = _commitment(domain, 1, members[1], _digest(1))

    # Execute / Assert: before the deadline.
    with ape.reverts(ckks.NotTaskMember, taskId=task_id, account=outsider.address):
        ckks.commitCiphertext(task_id, 1, commitment, sender=outsider)
    with ape.reverts(ckks.EmptyCommitment):
        ckks.commitCiphertext(task_id, 1, b"\x00" * 32, sender=members[1])
    with ape.reverts(ckks.NotCurrentRound, taskId=task_id, round=2, currentRound=1):
        ckks.commitCiphertext(task_id, 2, commitment, sender=members[1])
    ckks.commitCiphertext(task_id, 1, commitment, sender=members[1])
    with ape.reverts(ckks.AlreadyCommitted, taskId=task_id, round=1, member=members[1].address):
        ckks.commitCiphertext(task_id, 1, commitment, sender=members[1])
    deadline = ckks.roundInfo(task_id, 1).submissionDeadline
    with ape.reverts(ckks.RoundStillOpen, taskId=task_id, round=1, submissionDeadline=deadline):
        ckks.revealCiphertext(task_id, 1, "bafkreict1", _digest(1), sender=members[1])

    # Execute / Assert: in the reveal window.
    chain.pending_timestamp = deadline
    with ape.reverts(ckks.RoundClosed, taskId=task_id, round=1, submissionDeadline=deadline):
        ckks.commitCiphertext(task_id, 1, commitment, sender=members[2])
    with ape.reverts(ckks.NotCommitted, taskId=task_id, round=1, member=members[2].address):
        ckks.revealCiphertext(task_id, 1, "bafkreict2", _digest(2), sender=members[2])
    with ape.reverts(ckks.EmptyCid):
        ckks.revealCiphertext(task_id, 1, "", _digest(1), sender=members[1])
    ckks.revealCiphertext(task_id, 1, "bafkreict1", _digest(1), sender=members[1])
    with ape.reverts(ckks.AlreadyRevealed, taskId=task_id, round=1, member=members[1].address):
        ckks.revealCiphertext(task_id, 1, "bafkreict1", _digest(1), sender=members[1])

    # Execute / Assert: after the reveal deadline.
    reveal_deadline = ckks.roundInfo(task_id, 1).revealDeadline
    chain.pending_timestamp = reveal_deadline
    with ape.reverts(
        ckks.RevealWindowClosed, taskId=task_id, round=1, revealDeadline=reveal_deadline
    ):
        ckks.revealCiphertext(task_id, 1, "bafkreict1", _digest(1), sender=members[1])


def test_removed_member_can_neither_commit_nor_reveal(
    aggregator: Any, governance: Any, ckks: Any, members: list[Any], ckks_task: int
) -> None:
    # Prepare: members[4] committed while a member; both it and members[5] are voted out of
    # the governance, but stay in the task's snapshot.
    task_id, domain = ckks_task, aggregator.taskDomain(ckks_task)
    _commit(aggregator, ckks, members, task_id, range(1, 5))
    remove_member(governance, members, members[5])
    remove_member(governance, members[:5], members[4])
    assert members[5].address in list(aggregator.taskMembers(task_id))

    # Execute / Assert
    with ape.reverts(ckks.NotMember, account=members[5].address):
        ckks.commitCiphertext(
            task_id, 1, _commitment(domain, 1, members[5], _digest(5)), sender=members[5]
        )
    chain.pending_timestamp = ckks.roundInfo(task_id, 1).submissionDeadline
    with ape.reverts(ckks.NotMember, account=members[4].address):
        ckks.revealCiphertext(task_id, 1, "bafkreict4", _digest(4), sender=members[4])
    _reveal(ckks, members, task_id, range(1, 4))
    info = ckks.roundInfo(task_id, 1)
    assert (info.committed, info.revealed, info.contributors) == (4, 3, 0b1110)


def test_only_the_key_holder_finalizes_after_the_reveals_with_enough_contributors(
    aggregator: Any, ckks: Any, members: list[Any], ckks_task: int
) -> None:
    # Prepare: three commit, two reveal.
    task_id, key_holder = ckks_task, members[0]
    _commit(aggregator, ckks, members, task_id, range(1, 4))
    chain.pending_timestamp = ckks.roundInfo(task_id, 1).submissionDeadline
    _reveal(ckks, members, task_id, range(1, 3))
    reveal_deadline = ckks.roundInfo(task_id, 1).revealDeadline

    # Execute / Assert
    with ape.reverts(
        ckks.RevealsStillOpen, taskId=task_id, round=1, revealDeadline=reveal_deadline
    ):
        ckks.finalizeRound(task_id, 1, 0, AGGREGATE_DIGEST, SUM_CID, SUM_HASH, sender=key_holder)
    chain.pending_timestamp = reveal_deadline
    with ape.reverts(ckks.NotKeyHolder, taskId=task_id, account=members[1].address):
        ckks.finalizeRound(task_id, 1, 0, AGGREGATE_DIGEST, SUM_CID, SUM_HASH, sender=members[1])
    with ape.reverts(ckks.TooFewContributors, taskId=task_id, round=1, contributors=2, required=3):
        ckks.finalizeRound(task_id, 1, 0, AGGREGATE_DIGEST, SUM_CID, SUM_HASH, sender=key_holder)
    assert ckks.roundInfo(task_id, 1).status == ROUND_RECOVERY


def test_key_holder_must_name_the_decrypted_sum(
    aggregator: Any, ckks: Any, members: list[Any], ckks_task: int
) -> None:
    # Prepare
    task_id, key_holder = ckks_task, members[0]
    _commit(aggregator, ckks, members, task_id, range(1, 4))
    chain.pending_timestamp = ckks.roundInfo(task_id, 1).submissionDeadline
    _reveal(ckks, members, task_id, range(1, 4))
    chain.pending_timestamp = ckks.roundInfo(task_id, 1).revealDeadline

    # Execute / Assert
    with ape.reverts(ckks.EmptyCid):
        ckks.finalizeRound(task_id, 1, 0, AGGREGATE_DIGEST, "", SUM_HASH, sender=key_holder)
    ckks.finalizeRound(task_id, 1, 0, AGGREGATE_DIGEST, SUM_CID, SUM_HASH, sender=key_holder)
    with ape.reverts(ckks.NotCurrentRound, taskId=task_id, round=1, currentRound=2):
        ckks.finalizeRound(task_id, 1, 0, AGGREGATE_DIGEST, SUM_CID, SUM_HASH, sender=key_holder)


def test_key_holder_excludes_reveals_it_cannot_use(
    aggregator: Any, governance: Any, ckks: Any, members: list[Any], ckks_task: int
) -> None:
    # Prepare: members 1 to 4 reveal; the key holder cannot fetch member 3's ciphertext.
    task_id, key_holder = ckks_task, members[0]
    zk = Zkfed(aggregator, governance, ckks=ckks)
    _commit(aggregator, ckks, members, task_id, range(1, 5))
    chain.pending_timestamp = ckks.roundInfo(task_id, 1).submissionDeadline
    _reveal(ckks, members, task_id, range(1, 5))
    chain.pending_timestamp = ckks.roundInfo(task_id, 1).revealDeadline

    # Execute
    tx = zk.finalize_ckks_round(key_holder, task_id, 1, 1 << 3, AGGREGATE_DIGEST, SUM_CID, SUM_HASH)

    # Assert: the round counts the three kept; member 3's reveal stays on record.
    finalized = tx.events.filter(ckks.RoundFinalized)[0]
    assert (finalized.contributors, finalized.excluded) == (3, 0b1000)
    info = ckks.roundInfo(task_id, 1)
    assert (info.revealed, info.contributors, info.excluded) == (3, 0b10110, 0b1000)
    read = zk.ckks_round(task_id, 1)
    assert (read.status, read.contributors, read.excluded) == (
        RoundStatus.FINALIZED,
        frozenset({1, 2, 4}),
        frozenset({3}),
    )
    assert ckks.ciphertext(task_id, 1, members[3]) == ("bafkreict3", _digest(3))


def test_key_holder_excludes_only_revealed_ciphertexts(
    aggregator: Any, governance: Any, ckks: Any, members: list[Any], ckks_task: int
) -> None:
    # Prepare: members 1 to 5 commit, 1 to 4 reveal (5 stays silent).
    task_id, key_holder = ckks_task, members[0]
    zk = Zkfed(aggregator, governance, ckks=ckks)
    _commit(aggregator, ckks, members, task_id, range(1, 6))
    chain.pending_timestamp = ckks.roundInfo(task_id, 1).submissionDeadline
    _reveal(ckks, members, task_id, range(1, 5))
    chain.pending_timestamp = ckks.roundInfo(task_id, 1).revealDeadline

    # Execute / Assert: a silent committer or a member that never committed is refused, with
    # the whole bitmap; excluding two revealers leaves too few.
    for excluded in (1 << 5, 1 << 0, (1 << 1) | (1 << 5)):
        with ape.reverts(ckks.NotRevealed, taskId=task_id, round=1, excluded=excluded):
            zk.finalize_ckks_round(
                key_holder, task_id, 1, excluded, AGGREGATE_DIGEST, SUM_CID, SUM_HASH
            )
    with ape.reverts(ckks.TooFewContributors, taskId=task_id, round=1, contributors=2, required=3):
        zk.finalize_ckks_round(key_holder, task_id, 1, 0b1010, AGGREGATE_DIGEST, SUM_CID, SUM_HASH)
    assert ckks.roundInfo(task_id, 1).status == ROUND_RECOVERY


def test_round_with_too_few_reveals_is_aborted_after_the_reveal_deadline(
    aggregator: Any, ckks: Any, members: list[Any], outsider: Any, ckks_task: int
) -> None:
    # Prepare: three commit, only two reveal.
    task_id = ckks_task
    _commit(aggregator, ckks, members, task_id, range(1, 4))
    chain.pending_timestamp = ckks.roundInfo(task_id, 1).submissionDeadline
    _reveal(ckks, members, task_id, range(1, 3))
    reveal_deadline = ckks.roundInfo(task_id, 1).revealDeadline

    # Execute / Assert
    with ape.reverts(
        ckks.RevealsStillOpen, taskId=task_id, round=1, revealDeadline=reveal_deadline
    ):
        ckks.abortRound(task_id, 1, sender=outsider)
    chain.pending_timestamp = reveal_deadline
    tx = ckks.abortRound(task_id, 1, sender=outsider)
    aborted = tx.events.filter(ckks.RoundAborted)[0]
    assert (aborted.taskId, aborted.round, aborted.caller) == (task_id, 1, outsider.address)
    assert ckks.roundInfo(task_id, 1).status == ROUND_ABORTED
    assert tuple(ckks.taskState(task_id)) == (TASK_ACTIVE, 2)


def test_round_the_key_holder_leaves_undecrypted_is_aborted_after_its_window(
    aggregator: Any, ckks: Any, members: list[Any], outsider: Any, ckks_task: int
) -> None:
    # Prepare: enough reveals; the key holder's window is one reveal period after the reveals.
    task_id = ckks_task
    _commit(aggregator, ckks, members, task_id, range(1, 4))
    chain.pending_timestamp = ckks.roundInfo(task_id, 1).submissionDeadline
    _reveal(ckks, members, task_id, range(1, 4))
    reveal_deadline = ckks.roundInfo(task_id, 1).revealDeadline

    # Execute / Assert
    chain.pending_timestamp = reveal_deadline + REVEAL_PERIOD - 1
    with ape.reverts(ckks.RoundNotAbortable, taskId=task_id, round=1):
        ckks.abortRound(task_id, 1, sender=outsider)
    chain.pending_timestamp = reveal_deadline + REVEAL_PERIOD
    ckks.abortRound(task_id, 1, sender=outsider)
    assert ckks.roundInfo(task_id, 1).status == ROUND_ABORTED
    with ape.reverts(ckks.NotCurrentRound, taskId=task_id, round=1, currentRound=2):
        ckks.finalizeRound(task_id, 1, 0, AGGREGATE_DIGEST, SUM_CID, SUM_HASH, sender=members[0])


def test_last_round_completes_the_task(
    aggregator: Any, ckks: Any, members: list[Any], outsider: Any, ckks_task: int
) -> None:
    # Prepare: round 1 aborted for lack of reveals; round 2 is the last.
    task_id = ckks_task
    chain.pending_timestamp = ckks.roundInfo(task_id, 1).revealDeadline
    ckks.abortRound(task_id, 1, sender=outsider)
    chain.pending_timestamp = ckks.roundInfo(task_id, 2).revealDeadline

    # Execute
    tx = ckks.abortRound(task_id, 2, sender=outsider)

    # Assert
    assert tx.events.filter(ckks.TaskCompleted)[0].taskId == task_id
    task_completed = 2
    assert tuple(ckks.taskState(task_id)) == (task_completed, 2)
    assert tuple(aggregator.taskState(task_id)) == (task_completed, 2, 0)
    with ape.reverts(ckks.RoundEnded, taskId=task_id, round=2, status=ROUND_ABORTED):
        ckks.commitCiphertext(task_id, 2, b"\x01" * 32, sender=members[1])


def test_secagg_calls_on_a_ckks_task_are_refused(
    aggregator: Any, members: list[Any], ckks_task: int
) -> None:
    # Prepare: every SecAgg entry point of the aggregator, with arguments a SecAgg task of the
    # test variant would take.
    task_id, member = ckks_task, members[1]
    calls = [
        lambda: aggregator.joinTask(
            task_id, dummy_commitments(1, 2), [ZERO_PROOF] * 2, sender=member
        ),
        lambda: aggregator.submitChunk(
            task_id, 1, 0, [1, 2], escrow(TEST_VARIANT), ZERO_PROOF, sender=member
        ),
        lambda: aggregator.revealMask(
            task_id, 1, 0, members[2], dummy_masks(1, 2, 2), ZERO_PROOF, sender=member
        ),
        lambda: aggregator.finalizeRound(task_id, 1, ALL_CHUNKS, sender=member),
        lambda: aggregator.abortRound(task_id, 1, sender=member),
        lambda: aggregator.publishModel(task_id, 1, SUM_CID, SUM_HASH, sender=member),
    ]

    for call in calls:
        # Execute / Assert
        with ape.reverts(aggregator.WrongMode, taskId=task_id, mode=CKKS):
            call()


def test_ckks_calls_on_a_secagg_task_are_refused(
    aggregator: Any, ckks: Any, members: list[Any], secagg_task: int
) -> None:
    # Prepare
    assert aggregator.taskConfig(secagg_task).mode == SECAGG

    # Execute / Assert: the CkksAggregator never opened it.
    with ape.reverts(ckks.UnknownTask, taskId=secagg_task):
        ckks.commitCiphertext(secagg_task, 1, b"\x01" * 32, sender=members[1])
    with ape.reverts(ckks.UnknownTask, taskId=secagg_task):
        ckks.abortRound(secagg_task, 1, sender=members[1])


def test_only_the_aggregator_opens_ckks_tasks(
    aggregator: Any, ckks: Any, governance: Any, members: list[Any], outsider: Any
) -> None:
    # Prepare
    config = task_config(mode=CKKS, key_holder=members[0].address, context_cid="bafkreicontext")

    # Execute / Assert
    assert (ckks.aggregator(), ckks.governance()) == (aggregator.address, governance.address)
    with ape.reverts(ckks.NotAggregator, caller=outsider.address):
        ckks.openTask(99, config, [m.address for m in members], sender=outsider)
