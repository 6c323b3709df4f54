// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {MockGroth16Verifier} from "../../../contracts/test/MockGroth16Verifier.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";

contract SubmitChunkTest is AggregatorFixture {
    uint256 internal taskId;

    function setUp() public override {
        super.setUp();
        taskId = _createTask();
    }

    function test_SubmitChunk() public {
        uint256[] memory words = _words(1);
        uint256[] memory escrow = _someEscrow(1);
        vm.expectEmit(address(agg));
        emit IFA.ChunkSubmitted(taskId, 1, members[2], 1, words, escrow);
        vm.prank(members[2]);
        agg.submitChunk(taskId, 1, 1, words, escrow, _proof());

        (uint256 bitmap, uint256 count) = agg.chunkContributors(taskId, 1, 1);
        assertEq(bitmap, 1 << 2);
        assertEq(count, 1);
        assertEq(agg.accumulator(taskId, 1, 1), words);
    }

    /// @dev The aggregator keeps keccak256(abi.encodePacked(keccak256(abi.encodePacked(round,
    ///      words)), escrow)) per chunk and member index, overwritten by a later round's.
    function test_SubmitChunk_StoresTheSubmissionHash() public {
        uint256[] memory words = _words(2);
        uint256[] memory escrow = _someEscrow(2);
        assertEq(agg.submissionHash(taskId, 1, 2), bytes32(0));
        vm.prank(members[2]);
        agg.submitChunk(taskId, 1, 1, words, escrow, _proof());
        bytes32 expected =
            keccak256(abi.encodePacked(keccak256(abi.encodePacked(uint256(1), words)), escrow));
        assertEq(agg.submissionHash(taskId, 1, 2), expected);
        assertEq(agg.submissionHash(taskId, 0, 2), bytes32(0), "another chunk");
        assertEq(agg.submissionHash(taskId, 1, 3), bytes32(0), "another member");
    }

    /// @dev A chunk carries exactly K·(K−1) escrow entries, checked before the proof.
    function testFuzz_RevertWhen_SubmitChunk_WrongEscrowCount(uint8 length) public {
        uint256 expected = uint256(K) * (K - 1);
        vm.assume(length != expected);
        verifier.setMode(MockGroth16Verifier.Mode.RejectAll);
        uint256[] memory words = _words(1);
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongEscrowCount.selector, expected, length));
        vm.prank(members[0]);
        agg.submitChunk(taskId, 1, 0, words, new uint256[](length), _proof());
    }

    /// @dev The escrow entries are public inputs: other entries than the proven ones are
    ///      refused, and so is the same escrow in another order.
    function test_RevertWhen_SubmitChunk_EscrowDiffersFromTheProven() public {
        uint256[] memory words = _words(7);
        uint256[] memory escrow = _someEscrow(7);
        verifier.setMode(MockGroth16Verifier.Mode.Strict);
        verifier.allow(_expectedInputs(0, 2, 0x1FF, words, escrow));
        (escrow[0], escrow[1]) = (escrow[1], escrow[0]);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidProof.selector, taskId, 1, 2, members[0]));
        vm.prank(members[0]);
        agg.submitChunk(taskId, 1, 2, words, escrow, _proof());
        (escrow[0], escrow[1]) = (escrow[1], escrow[0]);
        vm.prank(members[0]);
        agg.submitChunk(taskId, 1, 2, words, escrow, _proof());
    }

    function test_SubmitChunk_AccumulatesModP() public {
        uint256[] memory a = _submit(taskId, 1, 0, 0);
        uint256[] memory b = _submit(taskId, 1, 3, 0);
        uint256[] memory c = _submit(taskId, 1, 5, 0);
        uint256[] memory acc = agg.accumulator(taskId, 1, 0);
        for (uint256 w; w < W; ++w) {
            assertEq(acc[w], addmod(addmod(a[w], b[w], P), c[w], P));
        }
        (uint256 bitmap, uint256 count) = agg.chunkContributors(taskId, 1, 0);
        assertEq(bitmap, (1 << 0) | (1 << 3) | (1 << 5));
        assertEq(count, 3);
    }

    function testFuzz_SubmitChunk_AccumulatesModP(uint256[W] memory x, uint256[W] memory y) public {
        uint256[] memory a = new uint256[](W);
        uint256[] memory b = new uint256[](W);
        for (uint256 w; w < W; ++w) {
            a[w] = bound(x[w], 0, P - 1);
            b[w] = bound(y[w], 0, P - 1);
        }
        vm.prank(members[1]);
        agg.submitChunk(taskId, 1, 2, a, _escrow(), _proof());
        vm.prank(members[4]);
        agg.submitChunk(taskId, 1, 2, b, _escrow(), _proof());
        uint256[] memory acc = agg.accumulator(taskId, 1, 2);
        for (uint256 w; w < W; ++w) {
            assertEq(acc[w], addmod(a[w], b[w], P));
        }
    }

    function test_SubmitChunk_SameMemberOtherChunks() public {
        _submit(taskId, 1, 0, 0);
        _submit(taskId, 1, 0, 1);
        _submit(taskId, 1, 0, 2);
        for (uint256 c; c < CHUNKS; ++c) {
            (, uint256 count) = agg.chunkContributors(taskId, 1, c);
            assertEq(count, 1);
        }
    }

    /// @dev The order of record (circuits/README.md): D, round, chunk, the member's
    ///      commitments of its slots +1, −1, +2, −2 on the drawn ring, the slots word (bit s: own
    ///      index < slot s's neighbour's; bit K + s: slot s active; bit 2K: escrow on), bound,
    ///      words, escrow. Member 0 of 6: its four neighbours all above it, all slots active,
    ///      escrow on → slots 0x1FF.
    function test_SubmitChunk_PublicInputOrder_FirstMember() public {
        uint256[] memory words = _words(7);
        uint256[] memory escrow = _someEscrow(7);
        uint256[] memory expected = _expectedInputs(0, 2, 0x1FF, words, escrow);
        verifier.setMode(MockGroth16Verifier.Mode.Strict);
        verifier.allow(expected);

        vm.prank(members[0]);
        agg.submitChunk(taskId, 1, 2, words, escrow, _proof());
    }

    /// @dev Member 3 of 6: four of the other five are its neighbours, so some are above it and
    ///      some below: sign bits set for those above only.
    function test_SubmitChunk_PublicInputOrder_MiddleMember() public {
        uint256[] memory words = _words(8);
        uint256 slots = 0x1F0;
        for (uint256 s; s < K; ++s) {
            if (_neighbor(taskId, 3, s) > 3) slots |= 2 ** s;
        }
        assertTrue(slots != 0x1F0 && slots != 0x1FF, "both signs");
        assertEq(slots, _slotsWord(taskId, 3));
        uint256[] memory escrow = _someEscrow(8);
        uint256[] memory expected = _expectedInputs(3, 1, slots, words, escrow);
        verifier.setMode(MockGroth16Verifier.Mode.Strict);
        verifier.allow(expected);

        vm.prank(members[3]);
        agg.submitChunk(taskId, 1, 1, words, escrow, _proof());
    }

    /// @dev Member 5 of 6: its four neighbours all below it → slots 0x1F0.
    function test_SubmitChunk_PublicInputOrder_LastMember() public {
        uint256[] memory words = _words(9);
        uint256[] memory expected = _expectedInputs(5, 0, 0x1F0, words, _escrow());
        verifier.setMode(MockGroth16Verifier.Mode.Strict);
        verifier.allow(expected);

        vm.prank(members[5]);
        agg.submitChunk(taskId, 1, 0, words, _escrow(), _proof());
    }

    function test_RevertWhen_SubmitChunk_ProofReplayedByAnotherMember() public {
        uint256[] memory words = _words(7);
        verifier.setMode(MockGroth16Verifier.Mode.Strict);
        verifier.allow(_expectedInputs(0, 2, 0x1FF, words, _escrow()));
        vm.prank(members[0]);
        agg.submitChunk(taskId, 1, 2, words, _escrow(), _proof());

        // Member 1 replays member 0's words and proof: its own commitments enter the statement.
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidProof.selector, taskId, 1, 2, members[1]));
        vm.prank(members[1]);
        agg.submitChunk(taskId, 1, 2, words, _escrow(), _proof());
    }

    function test_RevertWhen_SubmitChunk_ProofReplayedForAnotherChunk() public {
        uint256[] memory words = _words(7);
        verifier.setMode(MockGroth16Verifier.Mode.Strict);
        verifier.allow(_expectedInputs(0, 2, 0x1FF, words, _escrow()));
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidProof.selector, taskId, 1, 1, members[0]));
        vm.prank(members[0]);
        agg.submitChunk(taskId, 1, 1, words, _escrow(), _proof());
    }

    /// @dev The same words and proof under another task: the commitments (bound to the task)
    ///      and the task's domain differ, so it is another statement.
    function test_RevertWhen_SubmitChunk_ProofReplayedInAnotherTask() public {
        uint256[] memory words = _words(7);
        verifier.setMode(MockGroth16Verifier.Mode.Strict);
        verifier.allow(_expectedInputs(0, 2, 0x1FF, words, _escrow()));
        _registerSpareKeys(1); // task 1 took every member's first key
        uint256 other = _createTask();
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidProof.selector, other, 1, 2, members[0]));
        vm.prank(members[0]);
        agg.submitChunk(other, 1, 2, words, _escrow(), _proof());
    }

    function test_SubmitChunk_SecondRoundOverwritesAccumulator() public {
        _submit(taskId, 1, 0, 0);
        _submit(taskId, 1, 1, 0);
        _submit(taskId, 1, 2, 0);
        _toRecoveryDeadline(taskId, 1);
        _finalize(taskId, 1);

        uint256[] memory words = _submit(taskId, 2, 4, 0);
        assertEq(agg.accumulator(taskId, 2, 0), words);
        (uint256 bitmap, uint256 count) = agg.chunkContributors(taskId, 2, 0);
        assertEq(bitmap, 1 << 4);
        assertEq(count, 1);
        // Round 1's contributor set stays readable; its words now live only in calldata.
        (, uint256 before) = agg.chunkContributors(taskId, 1, 0);
        assertEq(before, 3);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.AccumulatorOverwritten.selector, taskId, 1, 0, 2)
        );
        agg.accumulator(taskId, 1, 0);
    }

    function test_RevertWhen_SubmitChunk_UnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.UnknownTask.selector, 9));
        vm.prank(members[0]);
        agg.submitChunk(9, 1, 0, _words(1), _escrow(), _proof());
    }

    function test_RevertWhen_SubmitChunk_CkksTask() public {
        uint256 ckks = gov.createTask(_ckksConfig());
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongMode.selector, ckks, IFA.Mode.Ckks));
        vm.prank(members[0]);
        agg.submitChunk(ckks, 1, 0, _words(1), _escrow(), _proof());
    }

    function test_RevertWhen_SubmitChunk_NotTaskMember() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.NotTaskMember.selector, taskId, outsider));
        vm.prank(outsider);
        agg.submitChunk(taskId, 1, 0, _words(1), _escrow(), _proof());
    }

    function testFuzz_RevertWhen_SubmitChunk_NotCurrentRound(uint256 round) public {
        vm.assume(round != 1);
        vm.expectRevert(abi.encodeWithSelector(IFA.NotCurrentRound.selector, taskId, round, 1));
        vm.prank(members[0]);
        agg.submitChunk(taskId, round, 0, _words(1), _escrow(), _proof());
    }

    function test_RevertWhen_SubmitChunk_AtDeadline() public {
        _toSubmissionDeadline(taskId, 1);
        uint256 deadline = block.timestamp;
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundClosed.selector, taskId, 1, deadline));
        vm.prank(members[0]);
        agg.submitChunk(taskId, 1, 0, _words(1), _escrow(), _proof());
    }

    function testFuzz_RevertWhen_SubmitChunk_Late(uint256 delay) public {
        uint256 deadline = agg.roundInfo(taskId, 1).submissionDeadline;
        vm.warp(bound(delay, deadline, deadline + 365 days));
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundClosed.selector, taskId, 1, deadline));
        vm.prank(members[0]);
        agg.submitChunk(taskId, 1, 0, _words(1), _escrow(), _proof());
    }

    function test_RevertWhen_SubmitChunk_TaskCompleted() public {
        for (uint256 round = 1; round <= ROUNDS; ++round) {
            _submit(taskId, round, 0, 0);
            _submit(taskId, round, 1, 0);
            _submit(taskId, round, 2, 0);
            _toRecoveryDeadline(taskId, round);
            _finalize(taskId, round);
        }
        vm.expectRevert(
            abi.encodeWithSelector(
                IFA.RoundEnded.selector, taskId, ROUNDS, IFA.RoundStatus.Finalized
            )
        );
        vm.prank(members[0]);
        agg.submitChunk(taskId, ROUNDS, 1, _words(1), _escrow(), _proof());
    }

    function testFuzz_RevertWhen_SubmitChunk_ChunkOutOfRange(uint256 chunk) public {
        chunk = bound(chunk, CHUNKS, type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(IFA.ChunkOutOfRange.selector, taskId, chunk, CHUNKS));
        vm.prank(members[0]);
        agg.submitChunk(taskId, 1, chunk, _words(1), _escrow(), _proof());
    }

    function testFuzz_RevertWhen_SubmitChunk_WrongWordCount(uint8 length) public {
        vm.assume(length != W);
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongWordCount.selector, W, length));
        vm.prank(members[0]);
        agg.submitChunk(taskId, 1, 0, new uint256[](length), _escrow(), _proof());
    }

    function test_RevertWhen_SubmitChunk_Duplicate() public {
        _submit(taskId, 1, 0, 0);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.ChunkAlreadySubmitted.selector, taskId, 1, 0, members[0])
        );
        vm.prank(members[0]);
        agg.submitChunk(taskId, 1, 0, _words(99), _escrow(), _proof());
    }

    function testFuzz_RevertWhen_SubmitChunk_WordOutOfField(uint256 index, uint256 word) public {
        index = bound(index, 0, W - 1);
        word = bound(word, P, type(uint256).max);
        uint256[] memory words = _words(1);
        words[index] = word;
        vm.expectRevert(abi.encodeWithSelector(IFA.WordOutOfField.selector, index, word));
        vm.prank(members[0]);
        agg.submitChunk(taskId, 1, 0, words, _escrow(), _proof());
    }

    /// @dev A member removed by vote after joining submits nothing more (it is a dropout from
    ///      then on); refused before the proof. What it sent before stays counted.
    function test_RevertWhen_SubmitChunk_RemovedFromGovernance() public {
        _submit(taskId, 1, 3, 0);
        _removeFromGovernance(members[3]);
        verifier.setMode(MockGroth16Verifier.Mode.RejectAll);
        uint256[] memory words = _words(1);
        vm.expectRevert(abi.encodeWithSelector(IFA.NotMember.selector, members[3]));
        vm.prank(members[3]);
        agg.submitChunk(taskId, 1, 1, words, _escrow(), _proof());

        (uint256 bitmap, uint256 count) = agg.chunkContributors(taskId, 1, 1);
        assertEq(bitmap, 0);
        assertEq(count, 0);
        (bitmap, count) = agg.chunkContributors(taskId, 1, 0);
        assertEq(bitmap, 1 << 3);
        assertEq(count, 1);
    }

    function test_RevertWhen_SubmitChunk_NotJoined() public {
        _registerSpareKeys(1); // task 1 took every member's first key
        uint256 fresh = _newTask(_config());
        _join(fresh, members[1]);
        // Refused before the proof: even a rejecting verifier is never reached.
        verifier.setMode(MockGroth16Verifier.Mode.RejectAll);
        vm.expectRevert(abi.encodeWithSelector(IFA.NotJoined.selector, fresh, members[0]));
        vm.prank(members[0]);
        agg.submitChunk(fresh, 1, 0, _words(1), _escrow(), _proof());
    }

    /// @dev Joining is allowed mid-round; the member may submit right after.
    function test_SubmitChunk_AfterJoiningMidRound() public {
        _registerSpareKeys(1); // task 1 took every member's first key
        uint256 fresh = _newTask(_config());
        vm.warp(block.timestamp + SUBMISSION / 2);
        _join(fresh, members[0]);
        vm.prank(members[0]);
        agg.submitChunk(fresh, 1, 0, _words(1), _escrow(), _proof());
        (, uint256 count) = agg.chunkContributors(fresh, 1, 0);
        assertEq(count, 1);
    }

    /// @dev The submission checks (here the words' range) come before the join check.
    function test_RevertWhen_SubmitChunk_NotJoinedWithWordOutOfField() public {
        _registerSpareKeys(1); // task 1 took every member's first key
        uint256 fresh = gov.createTask(_config());
        uint256[] memory words = _words(1);
        words[1] = P;
        vm.expectRevert(abi.encodeWithSelector(IFA.WordOutOfField.selector, 1, P));
        vm.prank(members[0]);
        agg.submitChunk(fresh, 1, 0, words, _escrow(), _proof());
    }

    function test_RevertWhen_SubmitChunk_InvalidProof() public {
        verifier.setMode(MockGroth16Verifier.Mode.RejectAll);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidProof.selector, taskId, 1, 0, members[0]));
        vm.prank(members[0]);
        agg.submitChunk(taskId, 1, 0, _words(1), _escrow(), _proof());
    }

    function test_RevertWhen_SubmitChunk_VerifierAnswersMalformed() public {
        verifier.setMode(MockGroth16Verifier.Mode.Malformed);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidProof.selector, taskId, 1, 0, members[0]));
        vm.prank(members[0]);
        agg.submitChunk(taskId, 1, 0, _words(1), _escrow(), _proof());
    }

    /// @dev A transaction with too little gas left for the verifier's cap (650,000 for
    ///      5 + K + W + K·(K−1) = 25 signals) is told so, rather than refused as an invalid
    ///      proof.
    function test_RevertWhen_SubmitChunk_TooLittleGasForTheVerifier() public {
        uint256[] memory words = _words(1);
        vm.expectPartialRevert(IFA.VerifierGasTooLow.selector);
        vm.prank(members[0]);
        agg.submitChunk{gas: 500_000}(taskId, 1, 0, words, _escrow(), _proof());
        (, uint256 count) = agg.chunkContributors(taskId, 1, 0);
        assertEq(count, 0);
    }

    function test_RevertWhen_SubmitChunk_VerifierReverts() public {
        verifier.setMode(MockGroth16Verifier.Mode.Reverting);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidProof.selector, taskId, 1, 0, members[0]));
        vm.prank(members[0]);
        agg.submitChunk(taskId, 1, 0, _words(1), _escrow(), _proof());
    }

    /// @dev K·(K−1) escrow entries derived from `salt`, below p.
    function _someEscrow(uint256 salt) internal pure returns (uint256[] memory escrow) {
        escrow = _escrow();
        for (uint256 i; i < escrow.length; ++i) {
            escrow[i] = uint256(keccak256(abi.encode("escrow", salt, i))) % P;
        }
    }

    /// @dev The member's `MaskedUpdate` signals for `chunk` of round 1: its commitments with
    ///      the neighbours of its slots on the drawn ring, in slot order, `slots`, bound, the
    ///      words, then the escrow entries.
    function _expectedInputs(
        uint256 member,
        uint256 chunk,
        uint256 slots,
        uint256[] memory words,
        uint256[] memory escrow
    ) internal view returns (uint256[] memory inputs) {
        inputs = new uint256[](5 + K + W + escrow.length);
        inputs[0] = _domain(taskId);
        inputs[1] = 1;
        inputs[2] = chunk;
        for (uint256 s; s < K; ++s) {
            uint256 neighbor = _neighbor(taskId, member, s);
            inputs[3 + s] = _commitment(taskId, members[member], members[neighbor]);
        }
        inputs[3 + K] = slots;
        inputs[4 + K] = BOUND;
        for (uint256 w; w < W; ++w) {
            inputs[5 + K + w] = words[w];
        }
        for (uint256 e; e < escrow.length; ++e) {
            inputs[5 + K + W + e] = escrow[e];
        }
    }
}
