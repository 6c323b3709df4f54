// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";

/// @dev Round 1 of a two-round SecAgg task is finalized (everyone contributed chunk 0), round 2
///      is open.
contract PublishModelTest is AggregatorFixture {
    uint256 internal taskId;
    bytes32 internal constant HASH = keccak256("round 1 model");

    function setUp() public override {
        super.setUp();
        taskId = _createTask();
        for (uint256 i; i < N_MEMBERS; ++i) {
            _submit(taskId, 1, i, 0);
        }
        _toSubmissionDeadline(taskId, 1);
        _finalize(taskId, 1);
    }

    /// @dev Any member, any number of times; only an event: the round's record and the
    ///      recorded global model stay as they were.
    function test_PublishModel() public {
        bytes memory before = abi.encode(agg.roundInfo(taskId, 1));
        vm.expectEmit(address(agg));
        emit IFA.ModelPublished(taskId, 1, members[3], "bafy-round-1", HASH);
        vm.prank(members[3]);
        agg.publishModel(taskId, 1, "bafy-round-1", HASH);

        vm.expectEmit(address(agg));
        emit IFA.ModelPublished(taskId, 1, members[4], "bafy-other", bytes32(0));
        vm.prank(members[4]);
        agg.publishModel(taskId, 1, "bafy-other", bytes32(0));

        assertEq(abi.encode(agg.roundInfo(taskId, 1)), before);
        (string memory cid,, uint256 from) = agg.globalModel(taskId, 2);
        assertEq(cid, _config().modelCid);
        assertEq(from, 0);
    }

    /// @dev Publishing for an earlier round is fine after the task completed.
    function test_PublishModel_AfterTaskCompleted() public {
        _toSubmissionDeadline(taskId, 2);
        agg.abortRound(taskId, 2);
        vm.prank(members[0]);
        agg.publishModel(taskId, 1, "bafy-round-1", HASH);
    }

    function test_RevertWhen_PublishModel_UnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.UnknownTask.selector, 9));
        vm.prank(members[0]);
        agg.publishModel(9, 1, "bafy", HASH);
    }

    function test_RevertWhen_PublishModel_CkksTask() public {
        uint256 ckks = gov.createTask(_ckksConfig());
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongMode.selector, ckks, IFA.Mode.Ckks));
        vm.prank(members[0]);
        agg.publishModel(ckks, 1, "bafy", HASH);
    }

    function test_RevertWhen_PublishModel_NotTaskMember() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.NotTaskMember.selector, taskId, outsider));
        vm.prank(outsider);
        agg.publishModel(taskId, 1, "bafy", HASH);
    }

    function test_RevertWhen_PublishModel_RoundNotStarted() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundNotStarted.selector, taskId, 3));
        vm.prank(members[0]);
        agg.publishModel(taskId, 3, "bafy", HASH);
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundNotStarted.selector, taskId, 0));
        vm.prank(members[0]);
        agg.publishModel(taskId, 0, "bafy", HASH);
    }

    function test_RevertWhen_PublishModel_RoundOpen() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundNotFinalized.selector, taskId, 2));
        vm.prank(members[0]);
        agg.publishModel(taskId, 2, "bafy", HASH);
    }

    /// @dev Sealing has started but the round is not Finalized yet.
    function test_RevertWhen_PublishModel_RoundPartlySealed() public {
        _submit(taskId, 2, 0, 0);
        _submit(taskId, 2, 1, 0);
        _submit(taskId, 2, 2, 0);
        _toRecoveryDeadline(taskId, 2);
        agg.finalizeRound(taskId, 2, 1);
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundNotFinalized.selector, taskId, 2));
        vm.prank(members[0]);
        agg.publishModel(taskId, 2, "bafy", HASH);
    }

    function test_RevertWhen_PublishModel_RoundAborted() public {
        _toSubmissionDeadline(taskId, 2);
        agg.abortRound(taskId, 2);
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundNotFinalized.selector, taskId, 2));
        vm.prank(members[0]);
        agg.publishModel(taskId, 2, "bafy", HASH);
    }

    function test_RevertWhen_PublishModel_EmptyCid() public {
        vm.expectRevert(IFA.EmptyCid.selector);
        vm.prank(members[0]);
        agg.publishModel(taskId, 1, "", HASH);
    }
}
