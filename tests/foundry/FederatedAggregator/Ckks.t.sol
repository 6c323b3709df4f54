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

    function test_FinalizeRound_ByKeyHolder() public {
        _postAggregate();
        vm.expectEmit(address(agg));
        emit IFA.RoundFinalized(taskId, 1, keyHolder, "bafy-decrypted", keccak256("model"));
        vm.prank(keyHolder);
        agg.finalizeRound(taskId, 1, "bafy-decrypted", keccak256("model"));
        (string memory cid,) = agg.globalModel(taskId, 2);
        assertEq(cid, "bafy-decrypted");
    }

    function test_RevertWhen_FinalizeRound_CkksNotKeyHolder() public {
        _postAggregate();
        vm.expectRevert(abi.encodeWithSelector(IFA.NotKeyHolder.selector, taskId, members[1]));
        vm.prank(members[1]);
        agg.finalizeRound(taskId, 1, "bafy-decrypted", keccak256("model"));
    }

    function test_RevertWhen_FinalizeRound_CkksAggregateMissing() public {
        _submitCiphertexts(T_MIN);
        _toSubmissionDeadline(taskId, 1);
        vm.expectRevert(abi.encodeWithSelector(IFA.AggregateMissing.selector, taskId, 1));
        vm.prank(keyHolder);
        agg.finalizeRound(taskId, 1, "bafy-decrypted", keccak256("model"));
    }

    function test_AbortRound_CkksTooFewCiphertexts() public {
        _submitCiphertexts(T_MIN - 1);
        _toSubmissionDeadline(taskId, 1);
        agg.abortRound(taskId, 1);
        assertEq(uint8(agg.roundInfo(taskId, 1).status), uint8(IFA.RoundStatus.Aborted));
    }

    function test_RevertWhen_AbortRound_CkksEnoughCiphertexts() public {
        _postAggregate();
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundNotAbortable.selector, taskId, 1));
        agg.abortRound(taskId, 1);
    }

    function test_RevertWhen_ChunkViews_CkksTask() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongMode.selector, taskId, IFA.Mode.Ckks));
        agg.chunkStatus(taskId, 1, 0);
    }
}
