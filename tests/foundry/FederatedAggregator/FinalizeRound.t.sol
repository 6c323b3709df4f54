// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {MockGroth16Verifier} from "../../../contracts/test/MockGroth16Verifier.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";

/// @dev Ring as in RevealMaskTest: the contributors {r0, r1, r2} of a chunk (r[p] the member at
///      ring position p) need six reveals. The task has three chunks; `finalizeRound` seals them
///      in order, anyone may call it.
contract FinalizeRoundTest is AggregatorFixture {
    uint256 internal taskId;
    uint256[6] internal r;

    function setUp() public override {
        super.setUp();
        taskId = _createTask();
        for (uint256 p; p < N_MEMBERS; ++p) {
            r[p] = _at(taskId, p);
        }
    }

    function _threeContributors(uint256 round, uint256 chunk) internal {
        _submit(taskId, round, r[0], chunk);
        _submit(taskId, round, r[1], chunk);
        _submit(taskId, round, r[2], chunk);
    }

    function _everyone(uint256 round, uint256 chunk) internal {
        for (uint256 i; i < N_MEMBERS; ++i) {
            _submit(taskId, round, i, chunk);
        }
    }

    function _revealAll(uint256 round, uint256 chunk) internal {
        _reveal(taskId, round, chunk, r[0], r[5]);
        _reveal(taskId, round, chunk, r[0], r[4]);
        _reveal(taskId, round, chunk, r[1], r[3]);
        _reveal(taskId, round, chunk, r[1], r[5]);
        _reveal(taskId, round, chunk, r[2], r[3]);
        _reveal(taskId, round, chunk, r[2], r[4]);
    }

    /// @dev What sealing chunk c will emit, read before sealing: (count, words) when the chunk
    ///      is Recoverable, (0, []) otherwise.
    function _aggregateOf(uint256 round, uint256 c)
        internal
        view
        returns (uint256 count, uint256[] memory words)
    {
        if (!_isRecoverable(taskId, round, c)) return (0, new uint256[](0));
        (, count) = agg.chunkContributors(taskId, round, c);
        words = agg.accumulator(taskId, round, c);
    }

    /// @dev Expects the `ChunkAggregated` events of chunks [from, to) and returns the chain.
    ///      Reads every aggregate first: the expectations then only wait for the sealing call.
    function _expectSeals(uint256 round, uint256 from, uint256 to, bytes32 digest)
        internal
        returns (bytes32)
    {
        uint256[] memory counts = new uint256[](to - from);
        uint256[][] memory words = new uint256[][](to - from);
        for (uint256 c = from; c < to; ++c) {
            (counts[c - from], words[c - from]) = _aggregateOf(round, c);
        }
        for (uint256 c = from; c < to; ++c) {
            digest = _digestNext(digest, c, counts[c - from], words[c - from]);
            vm.expectEmit(address(agg));
            emit IFA.ChunkAggregated(taskId, round, c, counts[c - from], words[c - from], digest);
        }
        return digest;
    }

    function test_FinalizeRound_AfterRecoveryDeadline() public {
        _threeContributors(1, 0);
        _toRecoveryDeadline(taskId, 1);
        uint64 next = uint64(block.timestamp) + SUBMISSION;

        // Nothing was revealed: every chunk is void and sealed with count 0 and no words.
        bytes32 digest = _expectSeals(1, 0, CHUNKS, _digestStart(taskId, 1));
        vm.expectEmit(address(agg));
        emit IFA.RoundFinalized(taskId, 1, outsider, digest);
        vm.expectEmit(address(agg));
        emit IFA.RoundOpened(taskId, 2, next, next + REVEAL);
        vm.prank(outsider);
        agg.finalizeRound(taskId, 1, CHUNKS);

        IFA.RoundInfo memory info = agg.roundInfo(taskId, 1);
        assertEq(uint8(info.status), uint8(IFA.RoundStatus.Finalized));
        assertEq(info.sealedChunks, CHUNKS);
        assertEq(info.aggregatedChunks, 0);
        assertEq(info.aggregateDigest, digest);
        (, uint256 round,) = agg.taskState(taskId);
        assertEq(round, 2);
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.Void));
    }

    function test_FinalizeRound_EarlyWhenAllRevealed() public {
        _threeContributors(1, 0);
        _toSubmissionDeadline(taskId, 1);
        _revealAll(1, 0);
        (uint256 count, uint256[] memory words) = _aggregateOf(1, 0);
        assertEq(count, 3);
        assertEq(words.length, W);

        bytes32 digest = _expectSeals(1, 0, CHUNKS, _digestStart(taskId, 1));
        _finalize(taskId, 1);

        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.Recoverable));
        IFA.RoundInfo memory info = agg.roundInfo(taskId, 1);
        assertEq(uint8(info.status), uint8(IFA.RoundStatus.Finalized));
        assertEq(info.aggregatedChunks, 1);
        assertEq(info.aggregateDigest, digest);
    }

    function test_FinalizeRound_EarlyWhenEveryoneContributed() public {
        _everyone(1, 0);
        _toSubmissionDeadline(taskId, 1);
        (, uint256 required) = agg.chunkReveals(taskId, 1, 0);
        assertEq(required, 0);
        _finalize(taskId, 1);
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.Recoverable));
        assertEq(agg.roundInfo(taskId, 1).aggregatedChunks, 1);
    }

    /// @dev maxChunks = 1 over three chunks (Recoverable, Recoverable, Void): three calls, each
    ///      sealing the next chunk; the round stays in Recovery until the last, which alone
    ///      emits `RoundFinalized`. The chain equals the one recomputed here.
    function test_FinalizeRound_OneChunkPerCall() public {
        _everyone(1, 0);
        _threeContributors(1, 1);
        _submit(taskId, 1, 4, 2);
        _submit(taskId, 1, 5, 2);
        _toSubmissionDeadline(taskId, 1);
        _revealAll(1, 1);

        bytes32 digest = _digestStart(taskId, 1);
        for (uint256 c; c < CHUNKS; ++c) {
            digest = _expectSeals(1, c, c + 1, digest);
            vm.recordLogs();
            vm.prank(members[c]);
            agg.finalizeRound(taskId, 1, 1);
            Vm.Log[] memory logs = vm.getRecordedLogs();

            IFA.RoundInfo memory info = agg.roundInfo(taskId, 1);
            assertEq(info.sealedChunks, c + 1);
            assertEq(info.aggregatedChunks, c < 2 ? c + 1 : 2);
            assertEq(info.aggregateDigest, digest);
            bool last = c == CHUNKS - 1;
            assertEq(_emitted(logs, IFA.RoundFinalized.selector), last);
            assertEq(
                uint8(info.status),
                uint8(last ? IFA.RoundStatus.Finalized : IFA.RoundStatus.Recovery)
            );
        }
        (, uint256 round,) = agg.taskState(taskId);
        assertEq(round, 2);
    }

    /// @dev Any batch size seals the same chunks with the same chain, in ⌈chunks / batch⌉ calls.
    function testFuzz_FinalizeRound_AnyBatchGivesTheSameDigest(uint256 batch) public {
        batch = bound(batch, 1, CHUNKS + 2);
        _everyone(1, 0);
        _threeContributors(1, 2);
        _toRecoveryDeadline(taskId, 1);
        bytes32 digest = _digestStart(taskId, 1);
        for (uint256 c; c < CHUNKS; ++c) {
            (uint256 count, uint256[] memory words) = _aggregateOf(1, c);
            digest = _digestNext(digest, c, count, words);
        }

        uint256 calls;
        vm.recordLogs();
        while (agg.roundInfo(taskId, 1).status != IFA.RoundStatus.Finalized) {
            agg.finalizeRound(taskId, 1, batch);
            ++calls;
        }
        assertEq(calls, (CHUNKS + batch - 1) / batch);
        assertEq(agg.roundInfo(taskId, 1).aggregateDigest, digest);
        (,, bytes32 last) = _chunkAggregated(vm.getRecordedLogs(), 1, CHUNKS - 1);
        assertEq(last, digest);
    }

    /// @dev Before the recovery deadline sealing stops at a chunk still awaiting reveals; the
    ///      chunks before it stay sealed. After the deadline that chunk is sealed void.
    function test_FinalizeRound_RevealsPendingHoldsTheCursor() public {
        _everyone(1, 0);
        _threeContributors(1, 1);
        _toSubmissionDeadline(taskId, 1);
        _reveal(taskId, 1, 1, r[0], r[5]);
        uint256 deadline = agg.roundInfo(taskId, 1).recoveryDeadline;

        agg.finalizeRound(taskId, 1, 1);
        assertEq(agg.roundInfo(taskId, 1).sealedChunks, 1);
        vm.expectRevert(abi.encodeWithSelector(IFA.RevealsPending.selector, taskId, 1, 1, deadline));
        agg.finalizeRound(taskId, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(IFA.RevealsPending.selector, taskId, 1, 1, deadline));
        agg.finalizeRound(taskId, 1, CHUNKS);
        assertEq(agg.roundInfo(taskId, 1).sealedChunks, 1);

        vm.warp(deadline);
        bytes32 digest = agg.roundInfo(taskId, 1).aggregateDigest;
        digest = _digestNext(digest, 1, 0, new uint256[](0));
        vm.expectEmit(address(agg));
        emit IFA.ChunkAggregated(taskId, 1, 1, 0, new uint256[](0), digest);
        agg.finalizeRound(taskId, 1, 1);
        assertEq(agg.roundInfo(taskId, 1).aggregatedChunks, 1);
    }

    function test_RevertWhen_FinalizeRound_RevealsPending() public {
        _threeContributors(1, 0);
        _toSubmissionDeadline(taskId, 1);
        _reveal(taskId, 1, 0, r[0], r[5]);
        uint256 deadline = agg.roundInfo(taskId, 1).recoveryDeadline;
        vm.expectRevert(abi.encodeWithSelector(IFA.RevealsPending.selector, taskId, 1, 0, deadline));
        agg.finalizeRound(taskId, 1, 1);
    }

    /// @dev The task escrows (K = 4, six members): the recovery window follows the reveal
    ///      window, one reveal period long, and a chunk awaiting reveals is held through it
    ///      (`RevealsPending` names the recovery deadline), to its last second; from the
    ///      recovery deadline on it is Void and sealed so.
    function test_RevertWhen_FinalizeRound_InTheRecoveryWindow() public {
        _threeContributors(1, 0);
        IFA.RoundInfo memory info = agg.roundInfo(taskId, 1);
        assertEq(info.recoveryDeadline, info.revealDeadline + REVEAL);
        bytes memory pending = abi.encodeWithSelector(
            IFA.RevealsPending.selector, taskId, 1, 0, info.recoveryDeadline
        );
        vm.warp(info.revealDeadline);
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.AwaitingReveals));
        vm.expectRevert(pending);
        agg.finalizeRound(taskId, 1, 1);
        vm.warp(info.recoveryDeadline - 1);
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.AwaitingReveals));
        vm.expectRevert(pending);
        agg.finalizeRound(taskId, 1, 1);
        vm.warp(info.recoveryDeadline);
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.Void));
        agg.finalizeRound(taskId, 1, 1);
        assertEq(agg.roundInfo(taskId, 1).sealedChunks, 1);
    }

    /// @dev A task that does not escrow (K = 2: two active slots) has no recovery window: its
    ///      recovery deadline is its reveal deadline, until which a chunk awaiting reveals is
    ///      held, and from which it is Void and sealed.
    function test_FinalizeRound_NoEscrowSealsAtTheRevealDeadline() public {
        IFA.CircuitVariant memory k2 = _variant();
        k2.neighbors = 2;
        k2.verifier = address(new MockGroth16Verifier(5 + 2 + W + 2));
        IFA.TaskConfig memory c = _config();
        c.variant = _deployWithVariant(k2);
        uint256 id = _newTask(c);
        _joinAll(id);
        for (uint256 p; p < 3; ++p) {
            _submit(id, 1, _at(id, p), 0);
        }
        IFA.RoundInfo memory info = agg.roundInfo(id, 1);
        assertEq(info.recoveryDeadline, info.revealDeadline, "no recovery window");
        (, uint256 slots) = agg.neighbors(id, members[0]);
        assertEq(slots >> 4, 0, "no escrow bit");

        vm.warp(info.revealDeadline - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.RevealsPending.selector, id, 1, 0, info.revealDeadline)
        );
        agg.finalizeRound(id, 1, 1);
        vm.warp(info.revealDeadline);
        assertEq(uint8(agg.chunkStatus(id, 1, 0)), uint8(IFA.ChunkStatus.Void));
        _finalize(id, 1);
        assertEq(uint8(agg.roundInfo(id, 1).status), uint8(IFA.RoundStatus.Finalized));
    }

    /// @dev A chunk below t_min is sealed with count 0 and no words, though two members sent it;
    ///      before the reveal deadline too, as nothing can change it.
    function test_FinalizeRound_VoidChunkSealedWithCountZero() public {
        _submit(taskId, 1, 0, 0);
        _submit(taskId, 1, 1, 0);
        _everyone(1, 1);
        _toSubmissionDeadline(taskId, 1);
        bytes32 digest = _digestNext(_digestStart(taskId, 1), 0, 0, new uint256[](0));
        vm.expectEmit(address(agg));
        emit IFA.ChunkAggregated(taskId, 1, 0, 0, new uint256[](0), digest);
        agg.finalizeRound(taskId, 1, 1);
        assertEq(agg.roundInfo(taskId, 1).aggregatedChunks, 0);
    }

    /// @dev A later round's contributions overwrite the accumulator slots; the earlier round's
    ///      aggregate stays in its `ChunkAggregated` event and digest.
    function test_FinalizeRound_LaterRoundOverwritesAccumulatorNotTheEvent() public {
        _everyone(1, 0);
        _toSubmissionDeadline(taskId, 1);
        uint256[] memory sum = agg.accumulator(taskId, 1, 0);
        vm.recordLogs();
        _finalize(taskId, 1);
        (uint256 count, uint256[] memory words, bytes32 digest) =
            _chunkAggregated(vm.getRecordedLogs(), 1, 0);
        assertEq(count, N_MEMBERS);
        assertEq(words, sum);
        bytes32 roundDigest = agg.roundInfo(taskId, 1).aggregateDigest;

        uint256[] memory later = _submit(taskId, 2, 3, 0);
        assertEq(agg.accumulator(taskId, 2, 0), later);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.AccumulatorOverwritten.selector, taskId, 1, 0, 2)
        );
        agg.accumulator(taskId, 1, 0);
        assertEq(digest, _digestNext(_digestStart(taskId, 1), 0, count, sum));
        assertEq(agg.roundInfo(taskId, 1).aggregateDigest, roundDigest);
    }

    function test_FinalizeRound_LastRoundCompletesTask() public {
        _threeContributors(1, 0);
        _toRecoveryDeadline(taskId, 1);
        _finalize(taskId, 1);
        _threeContributors(2, 0);
        _toRecoveryDeadline(taskId, 2);

        vm.expectEmit(address(agg));
        emit IFA.TaskCompleted(taskId);
        _finalize(taskId, 2);

        (IFA.TaskStatus status, uint256 round,) = agg.taskState(taskId);
        assertEq(uint8(status), uint8(IFA.TaskStatus.Completed));
        assertEq(round, 2);
    }

    function testFuzz_FinalizeRound_AnyTimeAfterRecoveryDeadline(uint256 delay) public {
        _threeContributors(1, 0);
        uint256 deadline = agg.roundInfo(taskId, 1).recoveryDeadline;
        vm.warp(bound(delay, deadline, deadline + 365 days));
        vm.prank(members[5]);
        _finalize(taskId, 1);
        assertEq(uint8(agg.roundInfo(taskId, 1).status), uint8(IFA.RoundStatus.Finalized));
    }

    function test_GlobalModel_SecAggIsTheInitialModel() public {
        IFA.TaskConfig memory c = _config();
        c.rounds = 3;
        _registerSpareKeys(1); // task 1 took every member's first key
        uint256 id = _newTask(c);
        _joinAll(id);
        for (uint256 i; i < N_MEMBERS; ++i) {
            _submit(id, 1, i, 0);
        }
        _toSubmissionDeadline(id, 1);
        _finalize(id, 1);
        _toSubmissionDeadline(id, 2);
        agg.abortRound(id, 2);
        for (uint256 round = 1; round <= 3; ++round) {
            (string memory cid, bytes32 modelHash, uint256 from) = agg.globalModel(id, round);
            assertEq(cid, c.modelCid);
            assertEq(modelHash, c.modelHash);
            assertEq(from, 0);
        }
    }

    function test_RevertWhen_FinalizeRound_UnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.UnknownTask.selector, 5));
        agg.finalizeRound(5, 1, 1);
    }

    function test_RevertWhen_FinalizeRound_CkksTask() public {
        uint256 ckks = gov.createTask(_ckksConfig());
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongMode.selector, ckks, IFA.Mode.Ckks));
        agg.finalizeRound(ckks, 1, 1);
    }

    function test_RevertWhen_FinalizeRound_RoundStillOpen() public {
        _threeContributors(1, 0);
        uint256 deadline = agg.roundInfo(taskId, 1).submissionDeadline;
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundStillOpen.selector, taskId, 1, deadline));
        agg.finalizeRound(taskId, 1, 1);
    }

    function test_RevertWhen_FinalizeRound_NothingToAggregate() public {
        _submit(taskId, 1, 0, 0);
        _submit(taskId, 1, 1, 0);
        _toRecoveryDeadline(taskId, 1);
        vm.expectRevert(abi.encodeWithSelector(IFA.NothingToAggregate.selector, taskId, 1));
        agg.finalizeRound(taskId, 1, 1);
    }

    function test_RevertWhen_FinalizeRound_ZeroBatch() public {
        _threeContributors(1, 0);
        _toRecoveryDeadline(taskId, 1);
        vm.expectRevert(IFA.ZeroBatch.selector);
        agg.finalizeRound(taskId, 1, 0);
    }

    function test_RevertWhen_FinalizeRound_Twice() public {
        _threeContributors(1, 0);
        _toRecoveryDeadline(taskId, 1);
        _finalize(taskId, 1);
        vm.expectRevert(abi.encodeWithSelector(IFA.NotCurrentRound.selector, taskId, 1, 2));
        _finalize(taskId, 1);
    }

    function test_RevertWhen_FinalizeRound_TaskCompleted() public {
        test_FinalizeRound_LastRoundCompletesTask();
        vm.expectRevert(
            abi.encodeWithSelector(IFA.RoundEnded.selector, taskId, 2, IFA.RoundStatus.Finalized)
        );
        _finalize(taskId, 2);
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
        (string memory cid, bytes32 modelHash, uint256 from) = agg.globalModel(taskId, 2);
        assertEq(cid, _config().modelCid);
        assertEq(modelHash, _config().modelHash);
        assertEq(from, 0);
    }

    /// @dev A SecAgg round with a chunk at t_min is never aborted, however late: anyone can
    ///      finalize it instead.
    function testFuzz_RevertWhen_AbortRound_SomethingToAggregate(uint256 at) public {
        _threeContributors(1, 0);
        IFA.RoundInfo memory info = agg.roundInfo(taskId, 1);
        vm.warp(bound(at, info.submissionDeadline, uint256(info.recoveryDeadline) + 365 days));
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundNotAbortable.selector, taskId, 1));
        agg.abortRound(taskId, 1);
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

    function test_RevertWhen_AbortRound_RoundStillOpen() public {
        uint256 deadline = agg.roundInfo(taskId, 1).submissionDeadline;
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundStillOpen.selector, taskId, 1, deadline));
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

    function _emitted(Vm.Log[] memory logs, bytes32 topic) internal view returns (bool) {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(agg) && logs[i].topics[0] == topic) return true;
        }
        return false;
    }

    /// @dev The `ChunkAggregated` of (round, chunk) among `logs`.
    function _chunkAggregated(Vm.Log[] memory logs, uint256 round, uint256 chunk)
        internal
        view
        returns (uint256 count, uint256[] memory words, bytes32 digest)
    {
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            if (
                log.emitter == address(agg) && log.topics[0] == IFA.ChunkAggregated.selector
                    && uint256(log.topics[1]) == taskId && uint256(log.topics[2]) == round
                    && uint256(log.topics[3]) == chunk
            ) {
                return abi.decode(log.data, (uint256, uint256[], bytes32));
            }
        }
        revert("no ChunkAggregated");
    }
}
