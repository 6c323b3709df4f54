// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";

/// @dev CKKS mode (DESIGN §4): ciphertext CIDs on the board, one aggregate, the key holder
///      (member 0) finalizes with the decrypted model.
contract CkksTest is AggregatorFixture {
    uint256 internal taskId;
    address internal keyHolder;
    // sha256 is a precompile call: computed up front so it cannot consume a `vm.prank`.
    bytes32 internal immutable ctDigest = sha256("ct");
    bytes32 internal immutable sumDigest = sha256("sum");

    function setUp() public override {
        super.setUp();
        taskId = gov.createTask(_ckksConfig());
        keyHolder = members[0];
    }

    function _submitCiphertexts(uint256 count) internal {
        for (uint256 i; i < count; ++i) {
            vm.prank(members[i]);
            agg.submitCiphertext(taskId, 1, "bafy-ct", keccak256(abi.encode(i)));
        }
    }

    function _postAggregate() internal {
        _submitCiphertexts(T_MIN);
        _toSubmissionDeadline(taskId, 1);
        vm.prank(members[1]);
        agg.postAggregate(taskId, 1, "bafy-sum", sumDigest);
    }

    function test_SubmitCiphertext() public {
        vm.expectEmit(address(agg));
        emit IFA.CiphertextSubmitted(taskId, 1, members[2], "bafy-ct-2", ctDigest);
        vm.prank(members[2]);
        agg.submitCiphertext(taskId, 1, "bafy-ct-2", ctDigest);

        (string memory cid, bytes32 digest) = agg.ciphertext(taskId, 1, members[2]);
        assertEq(cid, "bafy-ct-2");
        assertEq(digest, ctDigest);
        assertEq(agg.roundInfo(taskId, 1).contributions, 1);
    }

    function test_RevertWhen_SubmitCiphertext_SecAggTask() public {
        uint256 secagg = _createTask();
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongMode.selector, secagg, IFA.Mode.SecAgg));
        vm.prank(members[0]);
        agg.submitCiphertext(secagg, 1, "bafy", bytes32(0));
    }

    function test_RevertWhen_SubmitCiphertext_NotTaskMember() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.NotTaskMember.selector, taskId, outsider));
        vm.prank(outsider);
        agg.submitCiphertext(taskId, 1, "bafy", bytes32(0));
    }

    function test_RevertWhen_SubmitCiphertext_Late() public {
        _toSubmissionDeadline(taskId, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.RoundClosed.selector, taskId, 1, block.timestamp)
        );
        vm.prank(members[0]);
        agg.submitCiphertext(taskId, 1, "bafy", bytes32(0));
    }

    function test_RevertWhen_SubmitCiphertext_NotCurrentRound() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.NotCurrentRound.selector, taskId, 2, 1));
        vm.prank(members[0]);
        agg.submitCiphertext(taskId, 2, "bafy", bytes32(0));
    }

    function test_RevertWhen_SubmitCiphertext_EmptyCid() public {
        vm.expectRevert(IFA.EmptyCid.selector);
        vm.prank(members[0]);
        agg.submitCiphertext(taskId, 1, "", bytes32(0));
    }

    function test_RevertWhen_SubmitCiphertext_Twice() public {
        _submitCiphertexts(1);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.CiphertextAlreadySubmitted.selector, taskId, 1, members[0])
        );
        vm.prank(members[0]);
        agg.submitCiphertext(taskId, 1, "bafy-again", bytes32(0));
    }

    function test_PostAggregate() public {
        _submitCiphertexts(T_MIN);
        _toSubmissionDeadline(taskId, 1);
        vm.expectEmit(address(agg));
        emit IFA.AggregatePosted(taskId, 1, members[4], "bafy-sum", sumDigest);
        vm.prank(members[4]);
        agg.postAggregate(taskId, 1, "bafy-sum", sumDigest);
        (string memory cid, bytes32 digest) = agg.aggregate(taskId, 1);
        assertEq(cid, "bafy-sum");
        assertEq(digest, sumDigest);
    }

    function test_RevertWhen_PostAggregate_RoundStillOpen() public {
        _submitCiphertexts(T_MIN);
        uint256 deadline = agg.roundInfo(taskId, 1).submissionDeadline;
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundStillOpen.selector, taskId, 1, deadline));
        vm.prank(members[1]);
        agg.postAggregate(taskId, 1, "bafy-sum", bytes32(0));
    }

    function test_RevertWhen_PostAggregate_AfterRevealDeadline() public {
        _submitCiphertexts(T_MIN);
        _toRevealDeadline(taskId, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.RevealWindowClosed.selector, taskId, 1, block.timestamp)
        );
        vm.prank(members[1]);
        agg.postAggregate(taskId, 1, "bafy-sum", bytes32(0));
    }

    function test_RevertWhen_PostAggregate_TooFewCiphertexts() public {
        _submitCiphertexts(T_MIN - 1);
        _toSubmissionDeadline(taskId, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.TooFewContributors.selector, taskId, 1, T_MIN - 1, T_MIN)
        );
        vm.prank(members[1]);
        agg.postAggregate(taskId, 1, "bafy-sum", bytes32(0));
    }

    function test_RevertWhen_PostAggregate_Twice() public {
        _postAggregate();
        vm.expectRevert(abi.encodeWithSelector(IFA.AggregateAlreadyPosted.selector, taskId, 1));
        vm.prank(members[2]);
        agg.postAggregate(taskId, 1, "bafy-other", bytes32(0));
    }

    function test_RevertWhen_PostAggregate_NotTaskMember() public {
        _submitCiphertexts(T_MIN);
        _toSubmissionDeadline(taskId, 1);
        vm.expectRevert(abi.encodeWithSelector(IFA.NotTaskMember.selector, taskId, outsider));
        vm.prank(outsider);
        agg.postAggregate(taskId, 1, "bafy-sum", bytes32(0));
    }

    function test_RevertWhen_PostAggregate_EmptyCid() public {
        _submitCiphertexts(T_MIN);
        _toSubmissionDeadline(taskId, 1);
        vm.expectRevert(IFA.EmptyCid.selector);
        vm.prank(members[1]);
        agg.postAggregate(taskId, 1, "", bytes32(0));
    }

    function test_FinalizeCkksRound_ByKeyHolder() public {
        _postAggregate();
        vm.expectEmit(address(agg));
        emit IFA.RoundFinalized(
            taskId, 1, keyHolder, bytes32(0), "bafy-decrypted", keccak256("model")
        );
        vm.prank(keyHolder);
        agg.finalizeCkksRound(taskId, 1, "bafy-decrypted", keccak256("model"));

        IFA.RoundInfo memory info = agg.roundInfo(taskId, 1);
        assertEq(uint8(info.status), uint8(IFA.RoundStatus.Finalized));
        assertEq(info.modelCid, "bafy-decrypted");
        assertEq(info.modelHash, keccak256("model"));
        assertEq(info.aggregateDigest, bytes32(0));
        (string memory cid, bytes32 modelHash, uint256 round) = agg.globalModel(taskId, 2);
        assertEq(cid, "bafy-decrypted");
        assertEq(modelHash, keccak256("model"));
        assertEq(round, 1);
        (cid,, round) = agg.globalModel(taskId, 1);
        assertEq(cid, _ckksConfig().modelCid);
        assertEq(round, 0);
    }

    /// @dev The latest finalized round before `round`, skipping aborted ones.
    function test_GlobalModel_CkksSkipsAbortedRounds() public {
        IFA.TaskConfig memory c = _ckksConfig();
        c.rounds = 3;
        taskId = gov.createTask(c);
        _postAggregate();
        vm.prank(keyHolder);
        agg.finalizeCkksRound(taskId, 1, "bafy-round-1", keccak256("round 1"));
        _toSubmissionDeadline(taskId, 2);
        agg.abortRound(taskId, 2);
        (string memory cid, bytes32 modelHash, uint256 round) = agg.globalModel(taskId, 3);
        assertEq(cid, "bafy-round-1");
        assertEq(modelHash, keccak256("round 1"));
        assertEq(round, 1);
    }

    function test_RevertWhen_FinalizeCkksRound_NotKeyHolder() public {
        _postAggregate();
        vm.expectRevert(abi.encodeWithSelector(IFA.NotKeyHolder.selector, taskId, members[1]));
        vm.prank(members[1]);
        agg.finalizeCkksRound(taskId, 1, "bafy-decrypted", keccak256("model"));
    }

    function test_RevertWhen_FinalizeCkksRound_AggregateMissing() public {
        _submitCiphertexts(T_MIN);
        _toSubmissionDeadline(taskId, 1);
        vm.expectRevert(abi.encodeWithSelector(IFA.AggregateMissing.selector, taskId, 1));
        vm.prank(keyHolder);
        agg.finalizeCkksRound(taskId, 1, "bafy-decrypted", keccak256("model"));
    }

    function test_RevertWhen_FinalizeCkksRound_RoundStillOpen() public {
        _submitCiphertexts(T_MIN);
        uint256 deadline = agg.roundInfo(taskId, 1).submissionDeadline;
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundStillOpen.selector, taskId, 1, deadline));
        vm.prank(keyHolder);
        agg.finalizeCkksRound(taskId, 1, "bafy-decrypted", keccak256("model"));
    }

    function test_RevertWhen_FinalizeCkksRound_EmptyCid() public {
        _postAggregate();
        vm.expectRevert(IFA.EmptyCid.selector);
        vm.prank(keyHolder);
        agg.finalizeCkksRound(taskId, 1, "", keccak256("model"));
    }

    function test_RevertWhen_FinalizeCkksRound_SecAggTask() public {
        uint256 secagg = _createTask();
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongMode.selector, secagg, IFA.Mode.SecAgg));
        vm.prank(keyHolder);
        agg.finalizeCkksRound(secagg, 1, "bafy", keccak256("model"));
    }

    function test_RevertWhen_PublishModel_CkksTask() public {
        _postAggregate();
        vm.prank(keyHolder);
        agg.finalizeCkksRound(taskId, 1, "bafy-decrypted", keccak256("model"));
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongMode.selector, taskId, IFA.Mode.Ckks));
        vm.prank(keyHolder);
        agg.publishModel(taskId, 1, "bafy-decrypted", keccak256("model"));
    }

    function test_AbortRound_CkksTooFewCiphertexts() public {
        _submitCiphertexts(T_MIN - 1);
        _toSubmissionDeadline(taskId, 1);
        agg.abortRound(taskId, 1);
        assertEq(uint8(agg.roundInfo(taskId, 1).status), uint8(IFA.RoundStatus.Aborted));
    }

    /// @dev With enough ciphertexts the round waits for the key holder until one reveal period
    ///      after the aggregation deadline.
    function testFuzz_RevertWhen_AbortRound_CkksWithinKeyHolderGrace(uint256 at) public {
        _postAggregate();
        IFA.RoundInfo memory info = agg.roundInfo(taskId, 1);
        vm.warp(bound(at, info.submissionDeadline, uint256(info.revealDeadline) + REVEAL - 1));
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundNotAbortable.selector, taskId, 1));
        agg.abortRound(taskId, 1);
    }

    /// @dev A key holder that never decrypts does not stall the task: after its grace anyone
    ///      aborts, and the next round trains on the same model.
    function test_AbortRound_CkksAfterKeyHolderGrace() public {
        _postAggregate();
        vm.warp(agg.roundInfo(taskId, 1).revealDeadline + REVEAL);
        vm.prank(outsider);
        agg.abortRound(taskId, 1);
        assertEq(uint8(agg.roundInfo(taskId, 1).status), uint8(IFA.RoundStatus.Aborted));
        (string memory cid,, uint256 round) = agg.globalModel(taskId, 2);
        assertEq(cid, _ckksConfig().modelCid);
        assertEq(round, 0);
    }

    function test_RevertWhen_ChunkViews_CkksTask() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongMode.selector, taskId, IFA.Mode.Ckks));
        agg.chunkStatus(taskId, 1, 0);
    }
}
