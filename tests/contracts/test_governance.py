"""Members vote a model into a task and change membership by the same vote; a member voted out
takes no further part in running tasks."""

from collections.abc import Callable
from typing import Any

import ape
from contract_helpers import (
    TEST_VARIANT,
    VOTING_PERIOD,
    ZERO_PROOF,
    dummy_commitments,
    escrow,
    remove_member,
    task_config,
)

ACTIVE, SUCCEEDED, DEFEATED, EXECUTED = 1, 2, 3, 4


def _proposal() -> tuple[Any, ...]:
    return ("bafkreispec", b"\x22" * 32, b"\x33" * 32, task_config())


def test_majority_vote_opens_a_task(
    governance: Any,
    aggregator: Any,
    members: list[Any],
) -> None:
    # Prepare
    governance.proposeTask(_proposal(), sender=members[1])
    proposal_id = governance.proposalCount()
    for member in members[:3]:
        governance.vote(proposal_id, True, sender=member)
    assert governance.state(proposal_id) == ACTIVE  # 3 of 6 is not a majority

    # Execute
    governance.vote(proposal_id, True, sender=members[3])
    tx = governance.execute(proposal_id, sender=members[5])

    # Assert
    task_id = tx.events.filter(governance.ProposalExecuted)[0].taskId
    assert governance.state(proposal_id) == EXECUTED
    assert list(aggregator.taskMembers(task_id)) == [m.address for m in members]
    assert aggregator.taskConfig(task_id).modelCid == "bafkreiinitialmodel"


def test_vote_on_an_executed_proposal_is_refused(
    governance: Any,
    members: list[Any],
) -> None:
    # Prepare: four of six carry the proposal, which is executed while voting is still open.
    governance.proposeTask(_proposal(), sender=members[0])
    proposal_id = governance.proposalCount()
    for member in members[:4]:
        governance.vote(proposal_id, True, sender=member)
    governance.execute(proposal_id, sender=members[0])

    # Execute / Assert: the outcome is final, for or against.
    for support in (True, False):
        with ape.reverts(governance.ProposalAlreadyExecuted, proposalId=proposal_id):
            governance.vote(proposal_id, support, sender=members[4])
    assert governance.proposal(proposal_id).forVotes == 4
    assert governance.proposal(proposal_id).againstVotes == 0
    assert not governance.hasVoted(proposal_id, members[4])


def test_defeated_proposal_cannot_be_executed(governance: Any, members: list[Any]) -> None:
    # Prepare
    governance.proposeTask(_proposal(), sender=members[0])
    proposal_id = governance.proposalCount()
    governance.vote(proposal_id, False, sender=members[1])
    ape.chain.pending_timestamp += VOTING_PERIOD

    # Execute / Assert
    with ape.reverts(governance.ProposalNotSucceeded, proposalId=proposal_id, state=DEFEATED):
        governance.execute(proposal_id, sender=members[0])


def test_double_vote_and_outsider_vote_are_refused(
    governance: Any,
    members: list[Any],
    outsider: Any,
) -> None:
    # Prepare
    governance.proposeTask(_proposal(), sender=members[0])
    proposal_id = governance.proposalCount()
    governance.vote(proposal_id, True, sender=members[0])

    # Execute / Assert
    with ape.reverts(governance.AlreadyVoted, voter=members[0].address):
        governance.vote(proposal_id, False, sender=members[0])
    with ape.reverts(governance.NotEligible, voter=outsider.address):
        governance.vote(proposal_id, True, sender=outsider)


def test_membership_changes_by_vote(
    governance: Any,
    aggregator: Any,
    key_registry: Any,
    members: list[Any],
    outsider: Any,
    create_task: Callable[[tuple[Any, ...]], int],
) -> None:
    # Prepare
    governance.proposeMembership(members[5], False, sender=members[0])
    proposal_id = governance.proposalCount()
    for member in members[:4]:
        governance.vote(proposal_id, True, sender=member)

    # Execute
    governance.execute(proposal_id, sender=outsider)
    task_id = create_task(task_config())

    # Assert
    assert not governance.isMember(members[5])
    assert members[5].address not in list(aggregator.taskMembers(task_id))
    with ape.reverts(key_registry.NotMember, account=outsider.address):
        key_registry.registerKey(1, 2, ZERO_PROOF, sender=outsider)


def test_member_removed_by_vote_cannot_join_a_task(
    governance: Any, aggregator: Any, members: list[Any], unjoined_task: int
) -> None:
    # Prepare: members[5] is in the task's snapshot, then voted out of the governance.
    remove_member(governance, members, members[5])

    # Execute / Assert: the same join, with valid stand-in commitments, only a member makes.
    with ape.reverts(aggregator.NotMember, account=members[5].address):
        aggregator.joinTask(
            unjoined_task, dummy_commitments(5, 2), [ZERO_PROOF] * 2, sender=members[5]
        )
    aggregator.joinTask(unjoined_task, dummy_commitments(4, 2), [ZERO_PROOF] * 2, sender=members[4])
    assert members[5].address in list(aggregator.taskMembers(unjoined_task))
    assert not aggregator.hasJoined(unjoined_task, members[5])
    assert aggregator.hasJoined(unjoined_task, members[4])


def test_member_removed_by_vote_cannot_submit(
    governance: Any, aggregator: Any, members: list[Any], secagg_task: int
) -> None:
    # Prepare: every member joined; then members[5] is voted out of the governance.
    remove_member(governance, members, members[5])

    # Execute / Assert
    with ape.reverts(aggregator.NotMember, account=members[5].address):
        aggregator.submitChunk(
            secagg_task, 1, 0, [1, 2], escrow(TEST_VARIANT), ZERO_PROOF, sender=members[5]
        )
    aggregator.submitChunk(
        secagg_task, 1, 0, [1, 2], escrow(TEST_VARIANT), ZERO_PROOF, sender=members[4]
    )
    assert tuple(aggregator.chunkContributors(secagg_task, 1, 0)) == (1 << 4, 1)
