// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {ChunkRecovery} from "../../../contracts/ChunkRecovery.sol";
import {IChunkRecovery} from "../../../contracts/interfaces/IChunkRecovery.sol";
import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";
import {RingReference} from "../utils/RingReference.sol";

/// @notice `ChunkRecovery.withdrawChunk`: anyone takes an isolated contributor's words (the exact
///         ones it submitted this round, with its escrow) back out of a chunk's accumulator, from the submission deadline
///         until the chunk is sealed, when the contributor's component among the chunk's
///         contributors (joined by ring-neighbour edges) is smaller than t_min, it removed no
///         mask in the chunk and the chunk keeps t_min without it; the rest of the chunk then
///         aggregates without it.
/// @dev Sixteen members (`_enrolMembers`) on the fixture's variant (K = 4: ring neighbours at
///      ±1 and ±2), t_min = 3, so that a ring holds components of every size apart; members are
///      named by ring position (`_at`). Positions {0, 1, 2} form a component of t_min, {8, 9}
///      and {8} isolated ones (more than two positions from the rest). Words and escrow each
///      member submitted are kept in `_sent` and `_sentEscrows`; sums are recomputed here from
///      them.
contract WithdrawChunkTest is AggregatorFixture {
    uint256 internal constant N = 16;

    uint256 internal taskId;
    ChunkRecovery internal recovery;
    /// @dev round → chunk → member index → the words it submitted (empty if none).
    mapping(uint256 => mapping(uint256 => mapping(uint256 => uint256[]))) internal _sent;
    /// @dev round → chunk → member index → the escrow entries it submitted (empty if none).
    mapping(uint256 => mapping(uint256 => mapping(uint256 => uint256[]))) internal _sentEscrows;

    function setUp() public override {
        super.setUp();
        _enrolMembers(N);
        taskId = _createTask();
        recovery = _recovery();
        assertEq(agg.taskMembers(taskId).length, N);
        assertEq(recovery.aggregator(), address(agg));
        assertEq(recovery.keys(), agg.keys());
    }

    // ---------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------

    /// @dev The member at ring position p submits `chunk` in `round` (words derived from both
    ///      and the member); returns its index.
    function _sendAt(uint256 round, uint256 chunk, uint256 p) internal returns (uint256 i) {
        i = _at(taskId, p);
        _send(round, chunk, i, _words(uint256(keccak256(abi.encode("sent", round, chunk, i)))));
    }

    function _send(uint256 round, uint256 chunk, uint256 i, uint256[] memory words) internal {
        uint256[] memory escrow = _escrow();
        for (uint256 e; e < escrow.length; ++e) {
            escrow[e] = uint256(keccak256(abi.encode("escrow", round, chunk, i, words, e))) % P;
        }
        vm.prank(members[i]);
        agg.submitChunk(taskId, round, chunk, words, escrow, _proof());
        _sent[round][chunk][i] = words;
        _sentEscrows[round][chunk][i] = escrow;
    }

    /// @dev The escrow member i submitted with its words (zeros if it submitted none).
    function _sentEscrow(uint256 round, uint256 chunk, uint256 i)
        internal
        view
        returns (uint256[] memory escrow)
    {
        escrow = _sentEscrows[round][chunk][i];
        if (escrow.length == 0) escrow = _escrow();
    }

    /// @dev The members at ring positions `positions` submit; returns their bitmap.
    function _sendAll(uint256 round, uint256 chunk, uint256[] memory positions)
        internal
        returns (uint256 bitmap)
    {
        for (uint256 k; k < positions.length; ++k) {
            bitmap |= 2 ** _sendAt(round, chunk, positions[k]);
        }
    }

    function _positions(uint256 a, uint256 b, uint256 c)
        internal
        pure
        returns (uint256[] memory p)
    {
        p = new uint256[](3);
        (p[0], p[1], p[2]) = (a, b, c);
    }

    function _positions(uint256 a, uint256 b, uint256 c, uint256 d, uint256 e)
        internal
        pure
        returns (uint256[] memory p)
    {
        p = new uint256[](5);
        (p[0], p[1], p[2], p[3], p[4]) = (a, b, c, d, e);
    }

    /// @dev Anyone (here `outsider`) withdraws member i with the words it submitted.
    function _withdraw(uint256 round, uint256 chunk, uint256 i) internal {
        uint256[] memory words = _sent[round][chunk][i];
        vm.prank(outsider);
        _withdrawWith(round, chunk, i, words);
    }

    /// @dev `withdrawChunk` of member i with `words` and the escrow it submitted (no external
    ///      call before it: a `vm.prank` or `vm.expectRevert` applies to it).
    function _withdrawWith(uint256 round, uint256 chunk, uint256 i, uint256[] memory words)
        internal
    {
        uint256[] memory escrow = _sentEscrow(round, chunk, i);
        recovery.withdrawChunk(taskId, round, chunk, members[i], words, escrow);
    }

    /// @dev Σ of the submitted words of the members in `bitmap`, mod p.
    function _sumOf(uint256 round, uint256 chunk, uint256 bitmap)
        internal
        view
        returns (uint256[] memory sum)
    {
        sum = new uint256[](W);
        for (uint256 i; i < N; ++i) {
            if ((bitmap >> i) & 1 == 0) continue;
            uint256[] storage words = _sent[round][chunk][i];
            assertEq(words.length, W, "a contributor's words");
            for (uint256 w; w < W; ++w) {
                sum[w] = addmod(sum[w], words[w], P);
            }
        }
    }

    /// @dev (contributor, non-contributing neighbour) pairs of `bitmap` on the task's ring.
    function _requiredReveals(uint256 bitmap) internal view returns (uint256 required) {
        uint256[] memory order = _ringOrder(taskId);
        for (uint256 i; i < N; ++i) {
            if ((bitmap >> i) & 1 == 0) continue;
            for (uint256 s; s < K; ++s) {
                if ((bitmap >> RingReference.neighbor(order, i, s)) & 1 == 0) ++required;
            }
        }
    }

    function _assertContributors(uint256 round, uint256 chunk, uint256 bitmap) internal view {
        (uint256 stored, uint256 count) = agg.chunkContributors(taskId, round, chunk);
        assertEq(stored, bitmap, "contributor bitmap");
        uint256 bits;
        for (uint256 i; i < N; ++i) {
            bits += (bitmap >> i) & 1;
        }
        assertEq(count, bits, "count");
    }

    // ---------------------------------------------------------------------------------------
    // Effects
    // ---------------------------------------------------------------------------------------

    /// @dev Isolated pair {8, 9} beside the component {0, 1, 2}: withdrawing 8 (by anyone)
    ///      subtracts exactly its words (the accumulator is the sum of the four others), clears
    ///      its bit, counts four, leaves `chunksAtThreshold` (5 → 4, still ≥ t_min) and makes 9
    ///      owe a reveal for 8 like for any non-contributing neighbour.
    function test_WithdrawChunk() public {
        uint256 bitmap = _sendAll(1, 1, _positions(0, 1, 2, 8, 9));
        uint256 i8 = _at(taskId, 8);
        _toSubmissionDeadline(taskId, 1);
        assertEq(agg.roundInfo(taskId, 1).chunksAtThreshold, 1);
        assertEq(agg.accumulator(taskId, 1, 1), _sumOf(1, 1, bitmap));

        vm.expectEmit(address(recovery));
        emit IChunkRecovery.ChunkWithdrawn(taskId, 1, 1, members[i8]);
        _withdraw(1, 1, i8);

        uint256 remaining = bitmap & ~(2 ** i8);
        _assertContributors(1, 1, remaining);
        assertEq(agg.accumulator(taskId, 1, 1), _sumOf(1, 1, remaining), "sum of the others");
        assertEq(agg.roundInfo(taskId, 1).chunksAtThreshold, 1, "still at threshold");
        (uint256 revealed, uint256 required) = agg.chunkReveals(taskId, 1, 1);
        assertEq(revealed, 0);
        assertEq(required, _requiredReveals(remaining));
        // 8 owed three reveals (of its four neighbours only 9 contributed); now 9 owes one,
        // for 8.
        assertEq(required, _requiredReveals(bitmap) - 3 + 1);
    }

    /// @dev The words and escrow `ChunkSubmitted` carries are the ones `withdrawChunk` takes.
    function test_WithdrawChunk_WithTheWordsOfChunkSubmitted() public {
        uint256 bitmap = _sendAll(1, 2, _positions(0, 1, 2));
        uint256 i = _at(taskId, 8);
        uint256[] memory words = _words(77);
        uint256[] memory escrow = _words(78);
        escrow = _copy(escrow, uint256(K) * (K - 1));
        vm.recordLogs();
        vm.prank(members[i]);
        agg.submitChunk(taskId, 1, 2, words, escrow, _proof());
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1);
        assertEq(logs[0].topics[0], IFA.ChunkSubmitted.selector);
        assertEq(logs[0].topics[3], bytes32(uint256(uint160(members[i]))));
        (uint256 chunk, uint256[] memory announced, uint256[] memory announcedEscrow) =
            abi.decode(logs[0].data, (uint256, uint256[], uint256[]));
        assertEq(chunk, 2);
        assertEq(announced, words);
        assertEq(announcedEscrow, escrow);

        _toSubmissionDeadline(taskId, 1);
        vm.prank(makeAddr("anyone"));
        recovery.withdrawChunk(taskId, 1, 2, members[i], announced, announcedEscrow);
        _assertContributors(1, 2, bitmap);
        assertEq(agg.accumulator(taskId, 1, 2), _sumOf(1, 2, bitmap));
    }

    /// @dev Withdrawals never take a chunk below t_min (it would be void either way): {0, 1} and
    ///      the isolated {8} are exactly t_min, {8} alone is one; both refused with the count,
    ///      nothing changed. With {8, 9} beside {0, 1, 2} the first of the pair leaves (5 → 4),
    ///      so does the second (4 → 3); `chunksAtThreshold` never moves.
    function test_RevertWhen_WithdrawChunk_TooFewWouldRemain() public {
        uint256 bitmap = 2 ** _sendAt(1, 0, 0) | 2 ** _sendAt(1, 0, 1);
        uint256 i8 = _sendAt(1, 0, 8);
        bitmap |= 2 ** i8;
        uint256 lone = _sendAt(1, 1, 8);
        _toSubmissionDeadline(taskId, 1);
        assertEq(agg.roundInfo(taskId, 1).chunksAtThreshold, 1);

        uint256[] memory words = _sent[1][0][i8];
        vm.expectRevert(abi.encodeWithSelector(IFA.TooFewWouldRemain.selector, taskId, 1, 0, 3));
        _withdrawWith(1, 0, i8, words);
        _assertContributors(1, 0, bitmap);
        assertEq(agg.accumulator(taskId, 1, 0), _sumOf(1, 0, bitmap));
        assertEq(agg.roundInfo(taskId, 1).chunksAtThreshold, 1);

        words = _sent[1][1][lone];
        vm.expectRevert(abi.encodeWithSelector(IFA.TooFewWouldRemain.selector, taskId, 1, 1, 1));
        _withdrawWith(1, 1, lone, words);
        _assertContributors(1, 1, 2 ** lone);
    }

    /// @dev {0, 1, 2} and the isolated pair {8, 9}: both leave, one after the other, down to
    ///      t_min; the round's `chunksAtThreshold` stays 1 throughout.
    function test_WithdrawChunk_DownToTMin() public {
        uint256 bitmap = _sendAll(1, 0, _positions(0, 1, 2, 8, 9));
        (uint256 i8, uint256 i9) = (_at(taskId, 8), _at(taskId, 9));
        _toSubmissionDeadline(taskId, 1);
        _withdraw(1, 0, i9);
        assertEq(agg.roundInfo(taskId, 1).chunksAtThreshold, 1);
        _withdraw(1, 0, i8);
        bitmap &= ~(2 ** i8 | 2 ** i9);
        _assertContributors(1, 0, bitmap);
        assertEq(agg.accumulator(taskId, 1, 0), _sumOf(1, 0, bitmap));
        assertEq(agg.roundInfo(taskId, 1).chunksAtThreshold, 1);
    }

    /// @dev After the reveal deadline, until sealed, a withdrawal is still accepted.
    function test_WithdrawChunk_AfterTheRevealDeadline() public {
        uint256 bitmap = _sendAll(1, 0, _positions(0, 1, 2));
        uint256 i8 = _sendAt(1, 0, 8);
        _toRevealDeadline(taskId, 1);
        _withdraw(1, 0, i8);
        _assertContributors(1, 0, bitmap);
        assertEq(agg.accumulator(taskId, 1, 0), _sumOf(1, 0, bitmap));
    }

    /// @dev Real masking, contributors {0, 1, 2} (t_min) and the isolated pair {8, 9}. Once
    ///      {0, 1, 2} removed their masks with their dropped neighbours the chunk still awaits
    ///      the pair's reveals (which would publish 8 + 9's sum): sealing before the reveal
    ///      deadline is refused. Withdrawing 8, then 9 (isolated alone), leaves exactly the
    ///      reveals made, and the chunk seals as aggregated before the reveal deadline with
    ///      count 3 and the plain sum of {0, 1, 2}.
    function test_WithdrawChunk_IsolatedPairLetsTheChunkAggregate() public {
        uint256 big;
        uint256[] memory plain = new uint256[](W);
        for (uint256 p; p < 3; ++p) {
            uint256 i = _at(taskId, p);
            big |= 2 ** i;
            uint256[] memory x = _words(uint256(keccak256(abi.encode("value", i))));
            for (uint256 w; w < W; ++w) {
                plain[w] = addmod(plain[w], x[w], P);
            }
            _send(1, 0, i, _masked(i, x));
        }
        (uint256 i8, uint256 i9) = (_at(taskId, 8), _at(taskId, 9));
        _send(1, 0, i8, _masked(i8, _words(8)));
        _send(1, 0, i9, _masked(i9, _words(9)));

        _toSubmissionDeadline(taskId, 1);
        uint256 reveals;
        for (uint256 p; p < 3; ++p) {
            uint256 i = _at(taskId, p);
            for (uint256 s; s < K; ++s) {
                uint256 j = _neighbor(taskId, i, s);
                if ((big >> j) & 1 == 1) continue;
                _reveal(taskId, 1, 0, i, j);
                ++reveals;
            }
        }
        assertEq(reveals, 6);
        uint256 revealDeadline = agg.roundInfo(taskId, 1).revealDeadline;
        uint256 recoveryDeadline = agg.roundInfo(taskId, 1).recoveryDeadline;
        assertEq(recoveryDeadline, revealDeadline + REVEAL, "the task escrows");
        vm.expectRevert(
            abi.encodeWithSelector(IFA.RevealsPending.selector, taskId, 1, 0, recoveryDeadline)
        );
        agg.finalizeRound(taskId, 1, 1);

        _withdraw(1, 0, i8);
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.AwaitingReveals));
        _withdraw(1, 0, i9);
        _assertContributors(1, 0, big);
        (uint256 revealed, uint256 required) = agg.chunkReveals(taskId, 1, 0);
        assertEq(revealed, reveals);
        assertEq(required, reveals);
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.Recoverable));
        assertEq(agg.accumulator(taskId, 1, 0), plain, "the plain sum of {0, 1, 2}");

        assertLt(block.timestamp, revealDeadline);
        bytes32 digest = _digestNext(_digestStart(taskId, 1), 0, T_MIN, plain);
        vm.expectEmit(address(agg));
        emit IFA.ChunkAggregated(taskId, 1, 0, T_MIN, plain, digest);
        agg.finalizeRound(taskId, 1, 1);
        assertEq(agg.roundInfo(taskId, 1).aggregatedChunks, 1);
    }

    /// @dev x masked as member i does it: + m_ij for a neighbour above i, − m_ij below (the
    ///      fixture's symmetric pair masks of round 1, chunk 0).
    function _masked(uint256 i, uint256[] memory x) internal view returns (uint256[] memory y) {
        y = new uint256[](W);
        for (uint256 w; w < W; ++w) {
            y[w] = x[w];
        }
        for (uint256 s; s < K; ++s) {
            uint256 j = _neighbor(taskId, i, s);
            uint256[] memory m = _masks(taskId, 1, 0, members[i], members[j]);
            for (uint256 w; w < W; ++w) {
                y[w] = addmod(y[w], i < j ? m[w] : P - m[w], P);
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Refusals, in the order the aggregator checks them
    // ---------------------------------------------------------------------------------------

    function test_RevertWhen_WithdrawChunk_UnknownTask() public {
        uint256[] memory words = _words(1);
        vm.expectRevert(abi.encodeWithSelector(IFA.UnknownTask.selector, 99));
        recovery.withdrawChunk(99, 1, 0, members[0], words, _sentEscrow(1, 0, 0));
    }

    function test_RevertWhen_WithdrawChunk_CkksTask() public {
        uint256 ckksTask = gov.createTask(_ckksConfig());
        uint256[] memory words = _words(1);
        vm.warp(block.timestamp + 30 days);
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongMode.selector, ckksTask, IFA.Mode.Ckks));
        recovery.withdrawChunk(ckksTask, 1, 0, members[0], words, _sentEscrow(1, 0, 0));
    }

    /// @dev A round that has not started (the next one, or round 0) is refused by the
    ///      aggregator's `roundInfo`, which the recovery contract reads first.
    function test_RevertWhen_WithdrawChunk_RoundNotStarted() public {
        uint256 i = _sendAt(1, 0, 8);
        uint256[] memory words = _sent[1][0][i];
        uint256[] memory escrow = _sentEscrow(1, 0, i);
        _toSubmissionDeadline(taskId, 1);
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundNotStarted.selector, taskId, 2));
        recovery.withdrawChunk(taskId, 2, 0, members[i], words, escrow);
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundNotStarted.selector, taskId, 0));
        recovery.withdrawChunk(taskId, 0, 0, members[i], words, escrow);
    }

    /// @dev The task's last round (of two), aborted: it stays current but is no longer Open.
    function test_RevertWhen_WithdrawChunk_RoundEnded_Aborted() public {
        _toSubmissionDeadline(taskId, 1);
        agg.abortRound(taskId, 1);
        uint256 i = _sendAt(2, 0, 8);
        _toSubmissionDeadline(taskId, 2);
        agg.abortRound(taskId, 2);
        (IFA.TaskStatus status, uint256 current,) = agg.taskState(taskId);
        assertEq(uint8(status), uint8(IFA.TaskStatus.Completed));
        assertEq(current, 2);
        uint256[] memory words = _sent[2][0][i];
        vm.expectRevert(
            abi.encodeWithSelector(IFA.RoundEnded.selector, taskId, 2, IFA.RoundStatus.Aborted)
        );
        _withdrawWith(2, 0, i, words);
    }

    /// @dev The task's last round, finalized (every member contributed chunk 0; the others
    ///      void).
    function test_RevertWhen_WithdrawChunk_RoundEnded_Finalized() public {
        _toSubmissionDeadline(taskId, 1);
        agg.abortRound(taskId, 1);
        for (uint256 p; p < N; ++p) {
            _sendAt(2, 0, p);
        }
        uint256 i = _sendAt(2, 1, 8);
        _toSubmissionDeadline(taskId, 2);
        _finalize(taskId, 2);
        uint256[] memory words = _sent[2][1][i];
        vm.expectRevert(
            abi.encodeWithSelector(IFA.RoundEnded.selector, taskId, 2, IFA.RoundStatus.Finalized)
        );
        _withdrawWith(2, 1, i, words);
    }

    /// @dev Before the submission deadline (to its last second), the words are still the
    ///      member's to stand by.
    function test_RevertWhen_WithdrawChunk_RoundStillOpen() public {
        _sendAll(1, 0, _positions(0, 1, 2));
        uint256 i = _sendAt(1, 0, 8);
        uint256[] memory words = _sent[1][0][i];
        uint64 deadline = agg.roundInfo(taskId, 1).submissionDeadline;
        bytes memory stillOpen =
            abi.encodeWithSelector(IFA.RoundStillOpen.selector, taskId, 1, deadline);
        vm.expectRevert(stillOpen);
        _withdrawWith(1, 0, i, words);
        vm.warp(deadline - 1);
        vm.expectRevert(stillOpen);
        _withdrawWith(1, 0, i, words);
        vm.warp(deadline);
        _withdrawWith(1, 0, i, words);
    }

    function test_RevertWhen_WithdrawChunk_ChunkOutOfRange() public {
        uint256 i = _sendAt(1, 0, 8);
        uint256[] memory words = _sent[1][0][i];
        _toSubmissionDeadline(taskId, 1);
        vm.expectRevert(abi.encodeWithSelector(IFA.ChunkOutOfRange.selector, taskId, 3, 3));
        _withdrawWith(1, 3, i, words);
    }

    /// @dev Chunk 0 (every member) sealed by a batch of one: refused there, while chunk 1 of
    ///      the same round ({0, 1, 2} and {8}), not sealed, still withdraws. Once the round is
    ///      finalized (after the recovery deadline: chunk 1 lacks reveals) it has ended.
    function test_RevertWhen_WithdrawChunk_ChunkSealed() public {
        for (uint256 p; p < N; ++p) {
            _sendAt(1, 0, p);
        }
        uint256 i = _at(taskId, 8);
        uint256[] memory words = _sent[1][0][i];
        uint256 bitmap = _sendAll(1, 1, _positions(0, 1, 2));
        _sendAt(1, 1, 8);
        uint256 j = _sendAt(1, 2, 3);
        _toSubmissionDeadline(taskId, 1);
        agg.finalizeRound(taskId, 1, 1);
        assertEq(agg.roundInfo(taskId, 1).sealedChunks, 1);

        vm.expectRevert(abi.encodeWithSelector(IFA.ChunkSealed.selector, taskId, 1, 0));
        _withdrawWith(1, 0, i, words);
        _withdraw(1, 1, i);
        _assertContributors(1, 1, bitmap);

        _toRecoveryDeadline(taskId, 1);
        _finalize(taskId, 1);
        words = _sent[1][2][j];
        vm.expectRevert(
            abi.encodeWithSelector(IFA.RoundEnded.selector, taskId, 1, IFA.RoundStatus.Finalized)
        );
        _withdrawWith(1, 2, j, words);
    }

    function test_RevertWhen_WithdrawChunk_NotTaskMember() public {
        _sendAt(1, 0, 8);
        _toSubmissionDeadline(taskId, 1);
        uint256[] memory words = _words(1);
        vm.expectRevert(abi.encodeWithSelector(IFA.NotTaskMember.selector, taskId, outsider));
        recovery.withdrawChunk(taskId, 1, 0, outsider, words, _escrow());
    }

    /// @dev Only the exact words and escrow submitted for this chunk and round: a word changed,
    ///      one more word, one fewer, another contributor's words, another chunk's, the right
    ///      words with other escrow entries, and any words of a member that did not submit are
    ///      all refused, naming the member.
    function test_RevertWhen_WithdrawChunk_NotTheSubmittedWords() public {
        _sendAll(1, 0, _positions(0, 1, 2));
        uint256 i = _sendAt(1, 0, 8);
        uint256 other = _sendAt(1, 0, 12);
        _sendAt(1, 1, 8);
        uint256 silent = _at(taskId, 4);
        _toSubmissionDeadline(taskId, 1);
        uint256[] memory words = _sent[1][0][i];
        bytes memory refused =
            abi.encodeWithSelector(IFA.NotTheSubmittedWords.selector, taskId, 1, 0, members[i]);

        uint256[] memory escrow = _sentEscrow(1, 0, i);
        uint256[] memory changed = _copy(words, W);
        changed[W - 1] = addmod(changed[W - 1], 1, P);
        vm.expectRevert(refused);
        recovery.withdrawChunk(taskId, 1, 0, members[i], changed, escrow);

        changed = _copy(words, W + 1);
        vm.expectRevert(refused);
        recovery.withdrawChunk(taskId, 1, 0, members[i], changed, escrow);
        changed = _copy(words, W - 1);
        vm.expectRevert(refused);
        recovery.withdrawChunk(taskId, 1, 0, members[i], changed, escrow);
        changed = _sent[1][0][other];
        vm.expectRevert(refused);
        recovery.withdrawChunk(taskId, 1, 0, members[i], changed, escrow);
        changed = _sent[1][1][i];
        vm.expectRevert(refused);
        recovery.withdrawChunk(taskId, 1, 0, members[i], changed, escrow);

        // The right words with other escrow entries (one changed, none, another member's).
        escrow[0] = addmod(escrow[0], 1, P);
        vm.expectRevert(refused);
        recovery.withdrawChunk(taskId, 1, 0, members[i], words, escrow);
        vm.expectRevert(refused);
        recovery.withdrawChunk(taskId, 1, 0, members[i], words, new uint256[](0));
        escrow = _sentEscrow(1, 0, other);
        vm.expectRevert(refused);
        recovery.withdrawChunk(taskId, 1, 0, members[i], words, escrow);

        vm.expectRevert(
            abi.encodeWithSelector(IFA.NotTheSubmittedWords.selector, taskId, 1, 0, members[silent])
        );
        _withdrawWith(1, 0, silent, new uint256[](W));

        // The exact words pass.
        _withdraw(1, 0, i);
    }

    /// @dev `words` cut or padded with zeros to `length`.
    function _copy(uint256[] memory words, uint256 length)
        internal
        pure
        returns (uint256[] memory copy)
    {
        copy = new uint256[](length);
        for (uint256 w; w < length && w < words.length; ++w) {
            copy[w] = words[w];
        }
    }

    /// @dev Round 1's words withdraw nothing in round 2 (the stored hash binds the round): not
    ///      chunk 0, which the member did not submit again, nor chunk 1, which it submitted with
    ///      other words; round 2's own words do.
    function test_RevertWhen_WithdrawChunk_EarlierRoundsWords() public {
        uint256 i = _sendAt(1, 0, 8);
        _sendAt(1, 1, 8);
        uint256[] memory first = _sent[1][0][i];
        uint256[] memory firstOfChunk1 = _sent[1][1][i];
        _toSubmissionDeadline(taskId, 1);
        agg.abortRound(taskId, 1);

        uint256 bitmap = _sendAll(2, 1, _positions(0, 1, 2));
        _sendAt(2, 1, 8);
        _toSubmissionDeadline(taskId, 2);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.NotTheSubmittedWords.selector, taskId, 2, 0, members[i])
        );
        recovery.withdrawChunk(taskId, 2, 0, members[i], first, _sentEscrow(1, 0, i));
        vm.expectRevert(
            abi.encodeWithSelector(IFA.NotTheSubmittedWords.selector, taskId, 2, 1, members[i])
        );
        recovery.withdrawChunk(taskId, 2, 1, members[i], firstOfChunk1, _sentEscrow(1, 1, i));
        vm.expectRevert(
            abi.encodeWithSelector(IFA.RoundEnded.selector, taskId, 1, IFA.RoundStatus.Aborted)
        );
        _withdrawWith(1, 0, i, first);

        _withdraw(2, 1, i);
        _assertContributors(2, 1, bitmap);
    }

    /// @dev The same words in both rounds: round 2's submission is what they withdraw, once.
    function test_WithdrawChunk_SameWordsInALaterRound() public {
        uint256 i = _at(taskId, 8);
        uint256[] memory words = _words(5);
        _send(1, 0, i, words);
        _toSubmissionDeadline(taskId, 1);
        agg.abortRound(taskId, 1);
        _sendAll(2, 0, _positions(0, 1, 2));
        _send(2, 0, i, words);
        _toSubmissionDeadline(taskId, 2);
        _withdrawWith(2, 0, i, words);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.NotContributor.selector, taskId, 2, 0, members[i])
        );
        _withdrawWith(2, 0, i, words);
    }

    /// @dev A second withdrawal of the same member, with the same (right) words, is refused.
    function test_RevertWhen_WithdrawChunk_Twice() public {
        uint256 bitmap = _sendAll(1, 0, _positions(0, 1, 2));
        uint256 i = _sendAt(1, 0, 8);
        _toSubmissionDeadline(taskId, 1);
        _withdraw(1, 0, i);
        uint256[] memory words = _sent[1][0][i];
        vm.expectRevert(
            abi.encodeWithSelector(IFA.NotContributor.selector, taskId, 1, 0, members[i])
        );
        _withdrawWith(1, 0, i, words);
        _assertContributors(1, 0, bitmap);
        assertEq(agg.accumulator(taskId, 1, 0), _sumOf(1, 0, bitmap), "subtracted once");
    }

    /// @dev {0, 1, 2}: each member's component is the three of them, t_min: refused, with the
    ///      size counted from each.
    function test_RevertWhen_WithdrawChunk_ComponentNotIsolated() public {
        _sendAll(1, 0, _positions(0, 1, 2));
        _toSubmissionDeadline(taskId, 1);
        for (uint256 p; p < 3; ++p) {
            uint256 i = _at(taskId, p);
            uint256[] memory words = _sent[1][0][i];
            vm.expectRevert(
                abi.encodeWithSelector(
                    IFA.ComponentNotIsolated.selector, taskId, 1, 0, members[i], 3
                )
            );
            _withdrawWith(1, 0, i, words);
        }
    }

    /// @dev {0, …, 4}: the size is counted breadth first up to t_min, whole neighbourhoods at a
    ///      time: from position 0 (neighbours 1 and 2 contributed) it stops at 3, from
    ///      position 2 (all four neighbours contributed) it reads 5.
    function test_RevertWhen_WithdrawChunk_ComponentNotIsolated_CountedUpToTMin() public {
        uint256 bitmap = _sendAll(1, 0, _positions(0, 1, 2, 3, 4));
        _toSubmissionDeadline(taskId, 1);
        uint256[] memory order = _ringOrder(taskId);
        uint256[2] memory expected = [uint256(3), 5];
        for (uint256 k; k < 2; ++k) {
            uint256 i = _at(taskId, 2 * k);
            assertEq(RingReference.componentSize(order, bitmap, i, K), 5);
            assertEq(RingReference.componentCount(order, bitmap, i, K, T_MIN), expected[k]);
            uint256[] memory words = _sent[1][0][i];
            vm.expectRevert(
                abi.encodeWithSelector(
                    IFA.ComponentNotIsolated.selector, taskId, 1, 0, members[i], expected[k]
                )
            );
            _withdrawWith(1, 0, i, words);
        }
    }

    /// @dev {0, 1, 2} and {8}: the chunk has t_min, so 8 may reveal its mask with 9 (slot 0);
    ///      having removed a mask it can no longer be withdrawn, naming that neighbour.
    function test_RevertWhen_WithdrawChunk_MaskAlreadyRevealed() public {
        _sendAll(1, 0, _positions(0, 1, 2));
        uint256 i8 = _sendAt(1, 0, 8);
        uint256 i9 = _at(taskId, 9);
        assertEq(_neighbor(taskId, i8, 0), i9);
        _toSubmissionDeadline(taskId, 1);
        _reveal(taskId, 1, 0, i8, i9);
        uint256[] memory words = _sent[1][0][i8];
        vm.expectRevert(
            abi.encodeWithSelector(
                IFA.MaskAlreadyRevealed.selector, taskId, 1, 0, members[i8], members[i9]
            )
        );
        _withdrawWith(1, 0, i8, words);
    }

    /// @dev {0, 1} and {8}, exactly t_min: 8, having revealed its mask with 9, is refused for
    ///      the reveal before the count.
    function test_RevertWhen_WithdrawChunk_MaskAlreadyRevealedBeforeTooFewWouldRemain() public {
        _sendAt(1, 0, 0);
        _sendAt(1, 0, 1);
        uint256 i8 = _sendAt(1, 0, 8);
        uint256 i9 = _at(taskId, 9);
        _toSubmissionDeadline(taskId, 1);
        _reveal(taskId, 1, 0, i8, i9);
        uint256[] memory words = _sent[1][0][i8];
        vm.expectRevert(
            abi.encodeWithSelector(
                IFA.MaskAlreadyRevealed.selector, taskId, 1, 0, members[i8], members[i9]
            )
        );
        _withdrawWith(1, 0, i8, words);
    }

    /// @dev Where several refusals apply, the first in the documented order wins.
    function test_RevertWhen_WithdrawChunk_RefusalOrder() public {
        _sendAll(1, 0, _positions(0, 1, 2));
        uint256 i0 = _at(taskId, 0);
        uint256[] memory words = _sent[1][0][i0];
        uint256[] memory wrong = _words(999);
        uint64 deadline = agg.roundInfo(taskId, 1).submissionDeadline;

        // Before the deadline: an outsider, a chunk out of range, wrong words → RoundStillOpen.
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundStillOpen.selector, taskId, 1, deadline));
        recovery.withdrawChunk(taskId, 1, 3, outsider, wrong, _escrow());

        _toSubmissionDeadline(taskId, 1);
        // Chunk out of range before the member check.
        vm.expectRevert(abi.encodeWithSelector(IFA.ChunkOutOfRange.selector, taskId, 3, 3));
        recovery.withdrawChunk(taskId, 1, 3, outsider, wrong, _escrow());
        // The member check before the words.
        vm.expectRevert(abi.encodeWithSelector(IFA.NotTaskMember.selector, taskId, outsider));
        recovery.withdrawChunk(taskId, 1, 0, outsider, wrong, _escrow());
        // The words before the component.
        vm.expectRevert(
            abi.encodeWithSelector(IFA.NotTheSubmittedWords.selector, taskId, 1, 0, members[i0])
        );
        _withdrawWith(1, 0, i0, wrong);
        // The component before a revealed mask.
        _reveal(taskId, 1, 0, i0, _neighbor(taskId, i0, 1));
        vm.expectRevert(
            abi.encodeWithSelector(IFA.ComponentNotIsolated.selector, taskId, 1, 0, members[i0], 3)
        );
        _withdrawWith(1, 0, i0, words);
    }

    // ---------------------------------------------------------------------------------------
    // Fuzz: exactly the isolated
    // ---------------------------------------------------------------------------------------

    /// @dev A fresh task of n ≤ 16 members, t_min ∈ [3, n] (3 in half the runs), a random ring and contributor set:
    ///      from the same state, each contributor is withdrawn exactly when its component on the
    ///      ring (`RingReference.componentSize`, depth first) is below t_min and the chunk has
    ///      more than t_min contributors; a member in a component of t_min or more is refused
    ///      with the size the aggregator counts, an isolated one in a chunk of at most t_min with
    ///      the count; every non-contributor's words are refused. Then the isolated are
    ///      withdrawn in turn while the chunk has more than t_min: the rest keep their sum,
    ///      count and bitmap, and `chunksAtThreshold` never moves.
    /// forge-config: default.fuzz.runs = 128
    /// forge-config: ci.fuzz.runs = 1024
    function testFuzz_WithdrawChunk_ExactlyTheIsolated(
        uint256 n,
        uint256 tMin,
        uint256 subset,
        bytes32 ringSalt
    ) public {
        n = bound(n, 3, N);
        // t_min = 3 in half the runs, where isolated members are withdrawn most often.
        tMin = tMin % 2 == 0 ? 3 : bound(tMin, 3, n);
        anchorSalt = ringSalt;
        address[] memory crowd = new address[](n);
        for (uint256 i; i < n; ++i) {
            crowd[i] = members[i];
        }
        gov.setMembers(crowd);
        _registerSpareKeys(1); // the setUp task took every member's first key
        IFA.TaskConfig memory c = _config();
        // casting to 'uint16' is safe because tMin ≤ n ≤ 16
        // forge-lint: disable-next-line(unsafe-typecast)
        c.minContributors = uint16(tMin);
        taskId = _newTask(c);
        _joinAll(taskId);
        assertEq(agg.taskMembers(taskId), crowd);

        uint256 contributors = subset & (2 ** n - 1);
        uint256 count;
        for (uint256 i; i < n; ++i) {
            if ((contributors >> i) & 1 == 1) {
                _send(1, 0, i, _words(uint256(keccak256(abi.encode(subset, i)))));
                ++count;
            }
        }
        _toSubmissionDeadline(taskId, 1);
        uint256 atThreshold = agg.roundInfo(taskId, 1).chunksAtThreshold;
        assertEq(atThreshold, count >= tMin ? 1 : 0);
        uint256 isolated = _assertOnlyTheIsolatedWithdraw(n, tMin, contributors, count);

        // The isolated, one after the other, while more than t_min contribute.
        uint256 remaining = contributors;
        for (uint256 i; i < n; ++i) {
            if ((isolated >> i) & 1 == 0) continue;
            uint256[] memory words = _sent[1][0][i];
            if (count > tMin) {
                _withdrawWith(1, 0, i, words);
                remaining &= ~(2 ** i);
                --count;
            } else {
                vm.expectRevert(
                    abi.encodeWithSelector(IFA.TooFewWouldRemain.selector, taskId, 1, 0, count)
                );
                _withdrawWith(1, 0, i, words);
            }
        }
        _assertContributors(1, 0, remaining);
        if (remaining != 0) assertEq(agg.accumulator(taskId, 1, 0), _sumOf(1, 0, remaining));
        assertEq(agg.roundInfo(taskId, 1).chunksAtThreshold, atThreshold);
    }

    /// @dev Tries every member of the fuzzed task from the same state; returns the bitmap of
    ///      the isolated contributors.
    function _assertOnlyTheIsolatedWithdraw(
        uint256 n,
        uint256 tMin,
        uint256 contributors,
        uint256 count
    ) internal returns (uint256 isolated) {
        for (uint256 i; i < n; ++i) {
            if ((contributors >> i) & 1 == 0) {
                vm.expectRevert(
                    abi.encodeWithSelector(
                        IFA.NotTheSubmittedWords.selector, taskId, 1, 0, members[i]
                    )
                );
                _withdrawWith(1, 0, i, new uint256[](W));
            } else if (_assertWithdrawsIffIsolated(i, tMin, contributors, count)) {
                isolated |= 2 ** i;
            }
        }
    }

    /// @dev Contributor i is withdrawn (then the state restored) iff its component is below
    ///      t_min and more than t_min contribute, else refused with the aggregator's component
    ///      count or the chunk's count; returns whether its component is below t_min.
    function _assertWithdrawsIffIsolated(
        uint256 i,
        uint256 tMin,
        uint256 contributors,
        uint256 count
    ) internal returns (bool isolated) {
        uint256[] memory order = _ringOrder(taskId);
        uint256[] memory words = _sent[1][0][i];
        isolated = RingReference.componentSize(order, contributors, i, K) < tMin;
        if (!isolated) {
            uint256 counted = RingReference.componentCount(order, contributors, i, K, tMin);
            assertGe(counted, tMin);
            vm.expectRevert(
                abi.encodeWithSelector(
                    IFA.ComponentNotIsolated.selector, taskId, 1, 0, members[i], counted
                )
            );
            _withdrawWith(1, 0, i, words);
            return false;
        }
        if (count <= tMin) {
            vm.expectRevert(
                abi.encodeWithSelector(IFA.TooFewWouldRemain.selector, taskId, 1, 0, count)
            );
            _withdrawWith(1, 0, i, words);
            return true;
        }
        uint256[] memory total = _sumOf(1, 0, contributors);
        uint256 snapshot = vm.snapshotState();
        vm.expectEmit(address(recovery));
        emit IChunkRecovery.ChunkWithdrawn(taskId, 1, 0, members[i]);
        _withdrawWith(1, 0, i, words);
        _assertContributors(1, 0, contributors & ~(2 ** i));
        uint256[] memory acc = agg.accumulator(taskId, 1, 0);
        for (uint256 w; w < W; ++w) {
            assertEq(acc[w], addmod(total[w], P - words[w], P), "total less its words");
        }
        vm.revertToState(snapshot);
    }

    // ---------------------------------------------------------------------------------------
    // A later round's withdrawals and the earlier round's accumulator
    // ---------------------------------------------------------------------------------------

    /// @dev Round 1's chunk 0 aggregated; in round 2 the chunk's accumulator slot is reused
    ///      ({0, 1, 2} and {8}) and 8 withdrawn: round 1's `accumulator` stays overwritten (a
    ///      withdrawal never empties a round's chunk, so the later round keeps contributions).
    function test_Accumulator_EarlierRoundStaysOverwrittenAfterALaterRoundsWithdrawal() public {
        for (uint256 p; p < N; ++p) {
            _sendAt(1, 0, p);
        }
        uint256[] memory round1 = _sumOf(1, 0, 2 ** N - 1);
        _toSubmissionDeadline(taskId, 1);
        _finalize(taskId, 1);
        assertEq(agg.accumulator(taskId, 1, 0), round1);

        uint256 bitmap = _sendAll(2, 0, _positions(0, 1, 2));
        uint256 i = _sendAt(2, 0, 8);
        bytes memory overwritten =
            abi.encodeWithSelector(IFA.AccumulatorOverwritten.selector, taskId, 1, 0, 2);
        vm.expectRevert(overwritten);
        agg.accumulator(taskId, 1, 0);
        _toSubmissionDeadline(taskId, 2);
        _withdraw(2, 0, i);
        assertEq(agg.accumulator(taskId, 2, 0), _sumOf(2, 0, bitmap));
        vm.expectRevert(overwritten);
        agg.accumulator(taskId, 1, 0);
    }
}
