// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";

/// @dev Ring as in RevealSeedTest: contributors {0, 1, 2} of a chunk need six reveals.
contract FinalizeRoundTest is AggregatorFixture {
    uint256 internal taskId;
    bytes32 internal constant HASH = keccak256("round 1 model");

    function setUp() public override {
        super.setUp();
        taskId = _createTask();
    }

    function _threeContributors(uint256 round) internal {
        _submit(taskId, round, 0, 0);
        _submit(taskId, round, 1, 0);
        _submit(taskId, round, 2, 0);
    }

    function _revealAll(uint256 round) internal {
        _reveal(taskId, round, 0, 0, 5);
        _reveal(taskId, round, 0, 0, 4);
        _reveal(taskId, round, 0, 1, 3);
        _reveal(taskId, round, 0, 1, 5);
        _reveal(taskId, round, 0, 2, 3);
        _reveal(taskId, round, 0, 2, 4);
    }

    function test_FinalizeRound_AfterRevealDeadline() public {
        _threeContributors(1);
        _toRevealDeadline(taskId, 1);
        uint64 next = uint64(block.timestamp) + SUBMISSION;

        vm.expectEmit(address(agg));
        emit IFA.RoundFinalized(taskId, 1, members[4], "bafy-round-1", HASH);
        vm.expectEmit(address(agg));
        emit IFA.RoundOpened(taskId, 2, next, next + REVEAL);
        vm.prank(members[4]);
        agg.finalizeRound(taskId, 1, "bafy-round-1", HASH);

        IFA.RoundInfo memory info = agg.roundInfo(taskId, 1);
        assertEq(uint8(info.status), uint8(IFA.RoundStatus.Finalized));
        assertEq(info.modelCid, "bafy-round-1");
        assertEq(info.modelHash, HASH);
        (, uint256 round,) = agg.taskState(taskId);
        assertEq(round, 2);
        (string memory cid, bytes32 modelHash) = agg.globalModel(taskId, 2);
        assertEq(cid, "bafy-round-1");
        assertEq(modelHash, HASH);
        // Seeds were never revealed: the chunk is void, its weights unchanged.
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.Void));
    }

    function test_FinalizeRound_EarlyWhenAllRevealed() public {
        _threeContributors(1);
        _toSubmissionDeadline(taskId, 1);
        _revealAll(1);
        vm.prank(members[0]);
        agg.finalizeRound(taskId, 1, "bafy-round-1", HASH);
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.Recoverable));
        assertEq(uint8(agg.roundInfo(taskId, 1).status), uint8(IFA.RoundStatus.Finalized));
    }

    function test_FinalizeRound_EarlyWhenEveryoneContributed() public {
        for (uint256 i; i < N_MEMBERS; ++i) {
            _submit(taskId, 1, i, 0);
        }
        _toSubmissionDeadline(taskId, 1);
        (, uint256 required) = agg.chunkReveals(taskId, 1, 0);
        assertEq(required, 0);
        vm.prank(members[0]);
        agg.finalizeRound(taskId, 1, "bafy-round-1", HASH);
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.Recoverable));
    }

    function test_FinalizeRound_LastRoundCompletesTask() public {
        _threeContributors(1);
        _toRevealDeadline(taskId, 1);
        vm.prank(members[0]);
        agg.finalizeRound(taskId, 1, "bafy-round-1", HASH);
        _threeContributors(2);
        _toRevealDeadline(taskId, 2);

        vm.expectEmit(address(agg));
        emit IFA.TaskCompleted(taskId);
        vm.prank(members[0]);
        agg.finalizeRound(taskId, 2, "bafy-round-2", HASH);

        (IFA.TaskStatus status, uint256 round,) = agg.taskState(taskId);
        assertEq(uint8(status), uint8(IFA.TaskStatus.Completed));
        assertEq(round, 2);
    }

    function testFuzz_FinalizeRound_AnyTimeAfterRevealDeadline(uint256 delay) public {
        _threeContributors(1);
        uint256 deadline = agg.roundInfo(taskId, 1).revealDeadline;
        vm.warp(bound(delay, deadline, deadline + 365 days));
        vm.prank(members[5]);
        agg.finalizeRound(taskId, 1, "bafy-round-1", HASH);
        assertEq(uint8(agg.roundInfo(taskId, 1).status), uint8(IFA.RoundStatus.Finalized));
    }

    function test_RevertWhen_FinalizeRound_UnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.UnknownTask.selector, 5));
        agg.finalizeRound(5, 1, "bafy", HASH);
    }

    function test_RevertWhen_FinalizeRound_RoundStillOpen() public {
        _threeContributors(1);
        uint256 deadline = agg.roundInfo(taskId, 1).submissionDeadline;
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundStillOpen.selector, taskId, 1, deadline));
        vm.prank(members[0]);
        agg.finalizeRound(taskId, 1, "bafy", HASH);
    }

    function test_RevertWhen_FinalizeRound_EmptyCid() public {
        _threeContributors(1);
        _toRevealDeadline(taskId, 1);
        vm.expectRevert(IFA.EmptyCid.selector);
        vm.prank(members[0]);
        agg.finalizeRound(taskId, 1, "", HASH);
    }

    function test_RevertWhen_FinalizeRound_NotTaskMember() public {
        _threeContributors(1);
        _toRevealDeadline(taskId, 1);
        vm.expectRevert(abi.encodeWithSelector(IFA.NotTaskMember.selector, taskId, outsider));
        vm.prank(outsider);
        agg.finalizeRound(taskId, 1, "bafy", HASH);
    }

    function test_RevertWhen_FinalizeRound_NothingToAggregate() public {
        _submit(taskId, 1, 0, 0);
        _submit(taskId, 1, 1, 0);
        _toRevealDeadline(taskId, 1);
        vm.expectRevert(abi.encodeWithSelector(IFA.NothingToAggregate.selector, taskId, 1));
        vm.prank(members[0]);
        agg.finalizeRound(taskId, 1, "bafy", HASH);
    }

    function test_RevertWhen_FinalizeRound_RevealsPending() public {
        _threeContributors(1);
        _toSubmissionDeadline(taskId, 1);
        _reveal(taskId, 1, 0, 0, 5);
        uint256 deadline = agg.roundInfo(taskId, 1).revealDeadline;
        vm.expectRevert(abi.encodeWithSelector(IFA.RevealsPending.selector, taskId, 1, 0, deadline));
        vm.prank(members[0]);
        agg.finalizeRound(taskId, 1, "bafy", HASH);
    }

    function test_RevertWhen_FinalizeRound_Twice() public {
        _threeContributors(1);
        _toRevealDeadline(taskId, 1);
        vm.prank(members[0]);
        agg.finalizeRound(taskId, 1, "bafy", HASH);
        vm.expectRevert(abi.encodeWithSelector(IFA.NotCurrentRound.selector, taskId, 1, 2));
        vm.prank(members[0]);
        agg.finalizeRound(taskId, 1, "bafy-other", HASH);
    }

    function test_RevertWhen_FinalizeRound_TaskCompleted() public {
        test_FinalizeRound_LastRoundCompletesTask();
        vm.expectRevert(
            abi.encodeWithSelector(IFA.RoundEnded.selector, taskId, 2, IFA.RoundStatus.Finalized)
        );
        vm.prank(members[0]);
        agg.finalizeRound(taskId, 2, "bafy-other", HASH);
    }

    function test_AbortRound_NothingToAggregate() public {
        _submit(taskId, 1, 0, 0);
        _submit(taskId, 1, 1, 0);
        _toSubmissionDeadline(taskId, 1);

        vm.expectEmit(address(agg));
        emit IFA.RoundAborted(taskId, 1, outsider);
        vm.prank(outsider);
        agg.abortRound(taskId, 1);

        assertEq(uint8(agg.roundInfo(taskId, 1).status), uint8(IFA.RoundStatus.Aborted));
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.Void));
        (string memory cid, bytes32 modelHash) = agg.globalModel(taskId, 2);
        assertEq(cid, _config().modelCid);
        assertEq(modelHash, _config().modelHash);
    }

    function test_AbortRound_AfterFinalizerGrace() public {
        _threeContributors(1);
        vm.warp(agg.roundInfo(taskId, 1).revealDeadline + REVEAL);
        agg.abortRound(taskId, 1);
        assertEq(uint8(agg.roundInfo(taskId, 1).status), uint8(IFA.RoundStatus.Aborted));
        // Even a chunk whose seeds were all revealed does not enter an aborted round.
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.Void));
    }

    function test_AbortRound_LastRoundCompletesTask() public {
        _toSubmissionDeadline(taskId, 1);
        agg.abortRound(taskId, 1);
        _toSubmissionDeadline(taskId, 2);
        vm.expectEmit(address(agg));
        emit IFA.TaskCompleted(taskId);
        agg.abortRound(taskId, 2);
        (IFA.TaskStatus status,,) = agg.taskState(taskId);
        assertEq(uint8(status), uint8(IFA.TaskStatus.Completed));
    }

    function test_GlobalModel_SkipsAbortedRounds() public {
        IFA.TaskConfig memory c = _config();
        c.rounds = 3;
        uint256 id = gov.createTask(c);
        _joinAll(id);
        _submit(id, 1, 0, 0);
        _submit(id, 1, 1, 0);
        _submit(id, 1, 2, 0);
        _toRevealDeadline(id, 1);
        vm.prank(members[0]);
        agg.finalizeRound(id, 1, "bafy-round-1", HASH);
        _toSubmissionDeadline(id, 2);
        agg.abortRound(id, 2);
        (string memory cid,) = agg.globalModel(id, 3);
        assertEq(cid, "bafy-round-1");
        (cid,) = agg.globalModel(id, 1);
        assertEq(cid, c.modelCid);
    }

    function test_RevertWhen_AbortRound_RoundStillOpen() public {
        uint256 deadline = agg.roundInfo(taskId, 1).submissionDeadline;
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundStillOpen.selector, taskId, 1, deadline));
        agg.abortRound(taskId, 1);
    }

    function testFuzz_RevertWhen_AbortRound_WithinFinalizerGrace(uint256 at) public {
        _threeContributors(1);
        IFA.RoundInfo memory info = agg.roundInfo(taskId, 1);
        vm.warp(bound(at, info.submissionDeadline, info.revealDeadline + REVEAL - 1));
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundNotAbortable.selector, taskId, 1));
        agg.abortRound(taskId, 1);
    }

    function test_RevertWhen_AbortRound_AfterFinalization() public {
        test_FinalizeRound_LastRoundCompletesTask();
        vm.expectRevert(
            abi.encodeWithSelector(IFA.RoundEnded.selector, taskId, 2, IFA.RoundStatus.Finalized)
        );
        agg.abortRound(taskId, 2);
    }

    function test_RevertWhen_AbortRound_UnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.UnknownTask.selector, 0));
        agg.abortRound(0, 1);
    }
}
