// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {MockGroth16Verifier} from "../../../contracts/test/MockGroth16Verifier.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";

/// @dev Six members, K = 4, the ring drawn, nobody joined yet: every member has four active
///      slots, member i's neighbours being the members at ring offsets +1, −1, +2, −2 from its
///      position (`_neighbor`). Joining before the draw: DrawGraph.t.sol.
contract JoinTaskTest is AggregatorFixture {
    uint256 internal taskId;

    function setUp() public override {
        super.setUp();
        taskId = _newTask(_config());
    }

    /// @dev Member i's neighbours by slot.
    function _slotNeighbors(uint256 i) internal view returns (uint256[K] memory ring) {
        for (uint256 s; s < K; ++s) {
            ring[s] = _neighbor(taskId, i, s);
        }
    }

    function test_JoinTask() public {
        (uint256[] memory commitments, IFA.Proof[] memory proofs) =
            _joinArguments(taskId, members[2]);
        assertEq(commitments.length, K);
        assertFalse(agg.hasJoined(taskId, members[2]));

        vm.expectEmit(address(agg));
        emit IFA.TaskJoined(taskId, members[2], commitments);
        vm.prank(members[2]);
        agg.joinTask(taskId, commitments, proofs);

        assertTrue(agg.hasJoined(taskId, members[2]));
        assertEq(agg.pairCommitments(taskId, members[2]), commitments);
        assertFalse(agg.hasJoined(taskId, members[3]));
    }

    /// @dev `PairCommit` public signals per slot: D, the sender's key, the slot's
    ///      neighbour's key, the commitment. Member 3's slots hold its ring neighbours.
    function test_JoinTask_PublicInputOrder() public {
        (uint256[] memory commitments, IFA.Proof[] memory proofs) =
            _joinArguments(taskId, members[3]);
        uint256[K] memory ring = _slotNeighbors(3);
        pairVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        for (uint256 s; s < K; ++s) {
            assertEq(commitments[s], _commitment(taskId, members[3], members[ring[s]]));
            pairVerifier.allow(_expectedInputs(3, ring[s], commitments[s]));
        }

        vm.prank(members[3]);
        agg.joinTask(taskId, commitments, proofs);
        assertTrue(agg.hasJoined(taskId, members[3]));
    }

    /// @dev A proof of the pair's other direction (the neighbour's key first) is another
    ///      statement, although c_ij = c_ji.
    function test_RevertWhen_JoinTask_KeysSwapped() public {
        (uint256[] memory commitments, IFA.Proof[] memory proofs) =
            _joinArguments(taskId, members[0]);
        pairVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        pairVerifier.allow(_expectedInputs(_neighbor(taskId, 0, 0), 0, commitments[0]));
        vm.expectRevert(
            abi.encodeWithSelector(IFA.InvalidPairProof.selector, taskId, members[0], 0)
        );
        vm.prank(members[0]);
        agg.joinTask(taskId, commitments, proofs);
    }

    /// @dev Commitments in another slot order are refused: slot s's proof binds slot s's
    ///      neighbour.
    function test_RevertWhen_JoinTask_SlotsOutOfOrder() public {
        (uint256[] memory commitments, IFA.Proof[] memory proofs) =
            _joinArguments(taskId, members[0]);
        pairVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        uint256[K] memory ring = _slotNeighbors(0);
        for (uint256 s; s < K; ++s) {
            pairVerifier.allow(_expectedInputs(0, ring[s], commitments[s]));
        }
        (commitments[0], commitments[1]) = (commitments[1], commitments[0]);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.InvalidPairProof.selector, taskId, members[0], 0)
        );
        vm.prank(members[0]);
        agg.joinTask(taskId, commitments, proofs);
    }

    function test_JoinTask_LaterRound() public {
        _toSubmissionDeadline(taskId, 1);
        agg.abortRound(taskId, 1);
        _join(taskId, members[4]);
        vm.prank(members[4]);
        agg.submitChunk(taskId, 2, 0, _words(1), _escrow(), _proof());
        (, uint256 count) = agg.chunkContributors(taskId, 2, 0);
        assertEq(count, 1);
    }

    function test_JoinTask_AfterSubmissionDeadline() public {
        _toRevealDeadline(taskId, 1);
        _join(taskId, members[4]);
        assertTrue(agg.hasJoined(taskId, members[4]));
    }

    function test_JoinTask_PerTask() public {
        _registerSpareKeys(1); // task 1 took every member's first key
        uint256 other = _newTask(_config());
        _join(taskId, members[0]);
        assertTrue(agg.hasJoined(taskId, members[0]));
        assertFalse(agg.hasJoined(other, members[0]));
        _join(other, members[0]);
        assertTrue(
            agg.pairCommitments(other, members[0])[0] != agg.pairCommitments(taskId, members[0])[0]
        );
    }

    /// @dev A later task's `PairCommit` signals carry the keys that task took (each member's
    ///      second), not those of the first task: proofs made with the first keys are refused.
    function test_JoinTask_LaterTaskProvesWithItsOwnKeys() public {
        _registerSpareKeys(1);
        uint256 other = _newTask(_config());
        (uint256[] memory commitments, IFA.Proof[] memory proofs) =
            _joinArguments(other, members[3]);
        pairVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        for (uint256 s; s < K; ++s) {
            // Statements over the members' first keys only: refused.
            pairVerifier.allow(_pairInputs(other, 0, 3, _neighbor(other, 3, s), commitments[s]));
        }
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidPairProof.selector, other, members[3], 0));
        vm.prank(members[3]);
        agg.joinTask(other, commitments, proofs);

        for (uint256 s; s < K; ++s) {
            pairVerifier.allow(_pairInputs(other, 1, 3, _neighbor(other, 3, s), commitments[s]));
        }
        vm.prank(members[3]);
        agg.joinTask(other, commitments, proofs);
        assertTrue(agg.hasJoined(other, members[3]));
    }

    /// @dev `PairCommit` signals of task `id` over the n-th keys of `member` and `neighbor`.
    function _pairInputs(
        uint256 id,
        uint256 n,
        uint256 member,
        uint256 neighbor,
        uint256 commitment
    ) internal view returns (uint256[] memory inputs) {
        inputs = new uint256[](6);
        inputs[0] = _domain(id);
        (inputs[1], inputs[2]) = _nthKey(members[member], n);
        (inputs[3], inputs[4]) = _nthKey(members[neighbor], n);
        inputs[5] = commitment;
    }

    function test_RevertWhen_JoinTask_UnknownTask() public {
        (uint256[] memory commitments, IFA.Proof[] memory proofs) =
            _joinArguments(taskId, members[0]);
        vm.expectRevert(abi.encodeWithSelector(IFA.UnknownTask.selector, 7));
        vm.prank(members[0]);
        agg.joinTask(7, commitments, proofs);
    }

    function test_RevertWhen_JoinTask_CkksTask() public {
        uint256 ckks = gov.createTask(_ckksConfig());
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongMode.selector, ckks, IFA.Mode.Ckks));
        vm.prank(members[0]);
        agg.joinTask(ckks, new uint256[](0), new IFA.Proof[](0));
    }

    function test_RevertWhen_JoinTask_TaskCompleted() public {
        for (uint256 round = 1; round <= ROUNDS; ++round) {
            _toSubmissionDeadline(taskId, round);
            agg.abortRound(taskId, round);
        }
        (uint256[] memory commitments, IFA.Proof[] memory proofs) =
            _joinArguments(taskId, members[0]);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.TaskNotActive.selector, taskId, IFA.TaskStatus.Completed)
        );
        vm.prank(members[0]);
        agg.joinTask(taskId, commitments, proofs);
    }

    function test_RevertWhen_JoinTask_NotTaskMember() public {
        (uint256[] memory commitments, IFA.Proof[] memory proofs) =
            _joinArguments(taskId, members[0]);
        vm.expectRevert(abi.encodeWithSelector(IFA.NotTaskMember.selector, taskId, outsider));
        vm.prank(outsider);
        agg.joinTask(taskId, commitments, proofs);
    }

    /// @dev A governance member added after the task was created is not in its snapshot.
    function test_RevertWhen_JoinTask_MemberAddedAfterSnapshot() public {
        address late = makeAddr("late");
        members.push(late);
        gov.setMembers(members);
        vm.expectRevert(abi.encodeWithSelector(IFA.NotTaskMember.selector, taskId, late));
        vm.prank(late);
        agg.joinTask(taskId, new uint256[](K), new IFA.Proof[](K));
    }

    /// @dev A member removed by vote after the task was created stays in its snapshot but joins
    ///      no more (it is a dropout of the task's rounds); refused before its proofs.
    function test_RevertWhen_JoinTask_RemovedFromGovernance() public {
        (uint256[] memory commitments, IFA.Proof[] memory proofs) =
            _joinArguments(taskId, members[2]);
        _removeFromGovernance(members[2]);
        pairVerifier.setMode(MockGroth16Verifier.Mode.RejectAll);
        vm.expectRevert(abi.encodeWithSelector(IFA.NotMember.selector, members[2]));
        vm.prank(members[2]);
        agg.joinTask(taskId, commitments, proofs);
        assertFalse(agg.hasJoined(taskId, members[2]));
        assertEq(agg.taskMembers(taskId), members);
    }

    function test_RevertWhen_JoinTask_AlreadyJoined() public {
        _join(taskId, members[0]);
        (uint256[] memory commitments, IFA.Proof[] memory proofs) =
            _joinArguments(taskId, members[0]);
        commitments[0] += 1; // other commitments are refused too, not only a replay
        vm.expectRevert(abi.encodeWithSelector(IFA.AlreadyJoined.selector, taskId, members[0]));
        vm.prank(members[0]);
        agg.joinTask(taskId, commitments, proofs);
    }

    function testFuzz_RevertWhen_JoinTask_WrongCommitmentCount(uint8 length) public {
        length = uint8(bound(length, 0, 2 * K));
        vm.assume(length != K);
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongCommitmentCount.selector, K, length));
        vm.prank(members[0]);
        agg.joinTask(taskId, _nonZero(length), new IFA.Proof[](length));
    }

    function test_RevertWhen_JoinTask_TooFewCommitments() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongCommitmentCount.selector, K, K - 1));
        vm.prank(members[0]);
        agg.joinTask(taskId, _nonZero(K - 1), new IFA.Proof[](K - 1));
    }

    function test_RevertWhen_JoinTask_TooManyCommitments() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongCommitmentCount.selector, K, K + 1));
        vm.prank(members[0]);
        agg.joinTask(taskId, _nonZero(K + 1), new IFA.Proof[](K + 1));
    }

    function test_RevertWhen_JoinTask_FewerProofsThanCommitments() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongCommitmentCount.selector, K, K - 1));
        vm.prank(members[0]);
        agg.joinTask(taskId, _nonZero(K), new IFA.Proof[](K - 1));
    }

    function test_RevertWhen_JoinTask_MoreProofsThanCommitments() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongCommitmentCount.selector, K, K + 1));
        vm.prank(members[0]);
        agg.joinTask(taskId, _nonZero(K), new IFA.Proof[](K + 1));
    }

    function testFuzz_RevertWhen_JoinTask_ZeroCommitment(uint256 slot) public {
        slot = bound(slot, 0, K - 1);
        uint256[] memory commitments = _nonZero(K);
        commitments[slot] = 0;
        // Refused before any proof is checked.
        pairVerifier.setMode(MockGroth16Verifier.Mode.RejectAll);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidCommitment.selector, 0));
        vm.prank(members[0]);
        agg.joinTask(taskId, commitments, new IFA.Proof[](K));
    }

    function testFuzz_RevertWhen_JoinTask_CommitmentOutOfField(uint256 slot, uint256 value) public {
        slot = bound(slot, 0, K - 1);
        value = bound(value, P, type(uint256).max);
        uint256[] memory commitments = _nonZero(K);
        commitments[slot] = value;
        pairVerifier.setMode(MockGroth16Verifier.Mode.RejectAll);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidCommitment.selector, value));
        vm.prank(members[0]);
        agg.joinTask(taskId, commitments, new IFA.Proof[](K));
    }

    function test_JoinTask_LargestFieldElement() public {
        uint256[] memory commitments = _nonZero(K);
        commitments[2] = P - 1;
        vm.prank(members[0]);
        agg.joinTask(taskId, commitments, new IFA.Proof[](K));
        assertEq(agg.pairCommitments(taskId, members[0])[2], P - 1);
    }

    function test_RevertWhen_JoinTask_InvalidPairProof() public {
        pairVerifier.setMode(MockGroth16Verifier.Mode.RejectAll);
        (uint256[] memory commitments, IFA.Proof[] memory proofs) =
            _joinArguments(taskId, members[5]);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.InvalidPairProof.selector, taskId, members[5], 0)
        );
        vm.prank(members[5]);
        agg.joinTask(taskId, commitments, proofs);
        assertFalse(agg.hasJoined(taskId, members[5]));
    }

    /// @dev The failing slot is named: here slot 2 (+2) of member 1.
    function test_RevertWhen_JoinTask_InvalidPairProofInLaterSlot() public {
        (uint256[] memory commitments, IFA.Proof[] memory proofs) =
            _joinArguments(taskId, members[1]);
        uint256[K] memory ring = _slotNeighbors(1);
        pairVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        for (uint256 s; s < K; ++s) {
            if (s != 2) pairVerifier.allow(_expectedInputs(1, ring[s], commitments[s]));
        }
        vm.expectRevert(
            abi.encodeWithSelector(IFA.InvalidPairProof.selector, taskId, members[1], 2)
        );
        vm.prank(members[1]);
        agg.joinTask(taskId, commitments, proofs);
        assertEq(agg.pairCommitments(taskId, members[1]), new uint256[](K));
    }

    function test_RevertWhen_JoinTask_PairVerifierReverts() public {
        pairVerifier.setMode(MockGroth16Verifier.Mode.Reverting);
        (uint256[] memory commitments, IFA.Proof[] memory proofs) =
            _joinArguments(taskId, members[0]);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.InvalidPairProof.selector, taskId, members[0], 0)
        );
        vm.prank(members[0]);
        agg.joinTask(taskId, commitments, proofs);
    }

    function test_RevertWhen_JoinTask_PairVerifierAnswersMalformed() public {
        pairVerifier.setMode(MockGroth16Verifier.Mode.Malformed);
        (uint256[] memory commitments, IFA.Proof[] memory proofs) =
            _joinArguments(taskId, members[0]);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.InvalidPairProof.selector, taskId, members[0], 0)
        );
        vm.prank(members[0]);
        agg.joinTask(taskId, commitments, proofs);
    }

    function _expectedInputs(uint256 member, uint256 neighbor, uint256 commitment)
        internal
        view
        returns (uint256[] memory inputs)
    {
        inputs = new uint256[](6);
        inputs[0] = _domain(taskId);
        inputs[1] = keys[member][0];
        inputs[2] = keys[member][1];
        inputs[3] = keys[neighbor][0];
        inputs[4] = keys[neighbor][1];
        inputs[5] = commitment;
    }

    function _nonZero(uint256 length) internal pure returns (uint256[] memory values) {
        values = new uint256[](length);
        for (uint256 i; i < length; ++i) {
            values[i] = i + 1;
        }
    }
}
