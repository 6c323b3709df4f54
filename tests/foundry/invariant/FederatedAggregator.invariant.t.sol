// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {console2} from "forge-std/console2.sol";
import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";
import {AggregatorHandler} from "./handlers/AggregatorHandler.sol";

/// @notice Invariants of a SecAgg task under random joins, masked submissions with their seed
///         escrow, mask reveals, withdrawals, escrow share reveals and mask recoveries, time
///         jumps, batched finalisations, aborts and redraws (see tests/foundry/README.md).
///         Runs and depth come from the foundry.toml profile (`default` fast, `ci` ≥ 100,000
///         calls each).
contract FederatedAggregatorInvariantTest is AggregatorFixture {
    uint256 internal constant TASK_CHUNKS = 2;
    /// @dev Ten members (K = 4): enough for a contributor more than two ring positions from
    ///      every other to be isolated while the chunk keeps t_min without it (withdrawable).
    uint256 internal constant TASK_MEMBERS = 10;

    AggregatorHandler internal handler;
    uint256 internal taskId;

    function setUp() public override {
        super.setUp();
        _enrolMembers(TASK_MEMBERS);
        IFA.TaskConfig memory c = _config();
        c.rounds = 1000;
        // Short windows so that a campaign crosses several deadlines in a few dozen calls.
        c.submissionPeriod = 3 hours;
        c.revealPeriod = 3 hours;
        c.paramCount = uint64(TASK_CHUNKS * W * L);
        taskId = _newTask(c);
        assertEq(agg.taskMembers(taskId), members);
        handler = new AggregatorHandler(agg, taskId, members);
        targetContract(address(handler));
    }

    /// @dev Every round's accumulator (while not yet reused by a later round) equals the mod-p sum
    ///      of the words the aggregator accepted, less each revealed mask with its revealer's
    ///      sign.
    function invariant_AccumulatorEqualsAcceptedWordsLessRevealedMasks() public view {
        uint256 current = handler.currentRound();
        for (uint256 round = 1; round <= current; ++round) {
            for (uint256 c; c < TASK_CHUNKS; ++c) {
                try agg.accumulator(taskId, round, c) returns (uint256[] memory acc) {
                    for (uint256 w; w < W; ++w) {
                        assertEq(acc[w], handler.ghostSum(round, c, w));
                    }
                } catch (bytes memory reason) {
                    // forge-lint: disable-next-line(unsafe-typecast)
                    assertEq(bytes4(reason), IFA.AccumulatorOverwritten.selector);
                }
            }
        }
    }

    /// @dev Once every required mask of a chunk with t_min contributors is revealed, its
    ///      accumulator is the plain sum Σ x of the contributors' unmasked values: the masks
    ///      between contributors cancel and the revealed ones are removed exactly.
    function invariant_RecoverableChunkAccumulatorEqualsPlainSum() public view {
        uint256 current = handler.currentRound();
        for (uint256 round = 1; round <= current; ++round) {
            for (uint256 c; c < TASK_CHUNKS; ++c) {
                bool recoverable = handler.ghostRecoverable(round, c);
                IFA.RoundStatus status = agg.roundInfo(taskId, round).status;
                if (status != IFA.RoundStatus.Aborted && status != IFA.RoundStatus.Open) {
                    assertEq(_isRecoverable(taskId, round, c), recoverable);
                }
                if (!recoverable) continue;
                try agg.accumulator(taskId, round, c) returns (uint256[] memory acc) {
                    for (uint256 w; w < W; ++w) {
                        assertEq(acc[w], handler.ghostPlain(round, c, w));
                    }
                } catch (bytes memory reason) {
                    // forge-lint: disable-next-line(unsafe-typecast)
                    assertEq(bytes4(reason), IFA.AccumulatorOverwritten.selector);
                }
            }
        }
    }

    /// @dev Sealing: a round never has more sealed chunks than chunks, nor more aggregated than
    ///      sealed; it is Finalized exactly when all are sealed (an aborted round seals none);
    ///      the counters and the digest are those of the `ChunkAggregated` events, which follow
    ///      the chunk rule (Recoverable: count and Σ x; otherwise 0 and no words) and chain from
    ///      keccak256(abi.encode(D, round)).
    function invariant_SealedChunksFollowTheEvents() public view {
        assertEq(handler.sealMismatches(), 0, "events");
        uint256 current = handler.currentRound();
        for (uint256 round = 1; round <= current; ++round) {
            IFA.RoundInfo memory info = agg.roundInfo(taskId, round);
            assertLe(info.sealedChunks, TASK_CHUNKS);
            assertLe(info.aggregatedChunks, info.sealedChunks);
            assertEq(info.sealedChunks, handler.ghostSealed(round));
            assertEq(info.aggregatedChunks, handler.ghostAggregated(round));
            assertEq(info.aggregateDigest, handler.ghostDigest(round));
            assertEq(info.status == IFA.RoundStatus.Finalized, info.sealedChunks == TASK_CHUNKS);
            if (info.status == IFA.RoundStatus.Aborted) assertEq(info.sealedChunks, 0);
        }
    }

    /// @dev No member contributes a chunk twice in a round (nor is withdrawn twice), and the
    ///      recorded contributor set matches the accepted submissions less the accepted
    ///      withdrawals.
    function invariant_NoMemberContributesAChunkTwice() public view {
        uint256 current = handler.currentRound();
        for (uint256 round = 1; round <= current; ++round) {
            for (uint256 c; c < TASK_CHUNKS; ++c) {
                (uint256 bitmap, uint256 count) = agg.chunkContributors(taskId, round, c);
                uint256 bits;
                for (uint256 m; m < TASK_MEMBERS; ++m) {
                    uint256 accepted = handler.ghostSubmissions(round, c, m);
                    uint256 withdrawn = handler.ghostWithdrawals(round, c, m);
                    assertLe(accepted, 1);
                    assertLe(withdrawn, accepted);
                    assertEq((bitmap >> m) & 1, accepted - withdrawn);
                    bits += accepted - withdrawn;
                }
                assertEq(count, bits);
                assertEq(count, handler.ghostCount(round, c));
            }
        }
    }

    /// @dev Every accepted reveal came after its round's submission deadline, before its reveal
    ///      deadline, for a chunk with at least t_min contributors; void chunks have no mask
    ///      revealed.
    function invariant_NoMaskRevealedForVoidChunkOrOutsideWindow() public view {
        AggregatorHandler.Reveal[] memory reveals = handler.reveals();
        for (uint256 i; i < reveals.length; ++i) {
            IFA.RoundInfo memory info = agg.roundInfo(taskId, reveals[i].round);
            assertGe(reveals[i].timestamp, info.submissionDeadline);
            assertLt(reveals[i].timestamp, info.revealDeadline);
            assertGe(reveals[i].contributorsAtReveal, T_MIN);
        }
        uint256 current = handler.currentRound();
        for (uint256 round = 1; round <= current; ++round) {
            for (uint256 c; c < TASK_CHUNKS; ++c) {
                (uint256 revealed, uint256 required) = agg.chunkReveals(taskId, round, c);
                assertLe(revealed, required);
                assertEq(revealed, handler.ghostReveals(round, c));
                assertEq(required, handler.requiredReveals(handler.ghostContributors(round, c)));
                (, uint256 count) = agg.chunkContributors(taskId, round, c);
                if (count < T_MIN) {
                    assertEq(revealed, 0);
                    for (uint256 i; i < TASK_MEMBERS; ++i) {
                        for (uint256 j; j < TASK_MEMBERS; ++j) {
                            assertFalse(agg.maskRevealed(taskId, round, c, members[i], members[j]));
                        }
                    }
                }
            }
        }
    }

    /// @dev A finalized or aborted round's record (status, deadlines, sealing counters and
    ///      digest, contributors, reveals, chunk statuses) never changes afterwards.
    function invariant_EndedRoundNeverChanges() public view {
        uint256[] memory ended = handler.endedRounds();
        for (uint256 i; i < ended.length; ++i) {
            assertEq(handler.snapshot(ended[i]), handler.endedSnapshot(ended[i]));
        }
    }

    /// @dev A member's commitments are those of its one accepted join and never change; only
    ///      members that joined have contributed a chunk.
    function invariant_ContributorsJoinedAndCommitmentsNeverChange() public view {
        uint256 joined;
        for (uint256 m; m < TASK_MEMBERS; ++m) {
            uint256[] memory ghost = handler.ghostCommitments(m);
            uint256[] memory stored = agg.pairCommitments(taskId, members[m]);
            assertEq(agg.hasJoined(taskId, members[m]), ghost.length != 0);
            for (uint256 s; s < K; ++s) {
                assertEq(stored[s], s < ghost.length ? ghost[s] : 0);
            }
            if (ghost.length != 0) joined |= 2 ** m;
        }
        uint256 current = handler.currentRound();
        for (uint256 round = 1; round <= current; ++round) {
            for (uint256 c; c < TASK_CHUNKS; ++c) {
                (uint256 bitmap,) = agg.chunkContributors(taskId, round, c);
                assertEq(bitmap & ~joined, 0);
            }
        }
    }

    /// @dev The ring drawn before the campaign is the task's ring for good: no later
    ///      `drawGraph` is accepted, and `ringOrder` keeps answering the same permutation.
    function invariant_RingNeverChanges() public view {
        assertEq(handler.redraws(), 0);
        assertEq(_keyRegistry().ringOrder(taskId), handler.ringOrder());
    }

    /// @dev Only isolated contributors are withdrawn: each accepted `withdrawChunk` named a
    ///      member whose component of the chunk's contributors was below t_min.
    function invariant_OnlyIsolatedContributorsWithdrawn() public view {
        assertEq(handler.withdrawMismatches(), 0);
    }

    /// @dev Escrow recovery: every accepted `revealShare` named an owner whose component
    ///      reached t_min, with its submitted escrow, in the recovery window; every accepted
    ///      `recoverMask` came in the recovery window [reveal deadline, recovery deadline) of a
    ///      chunk with t_min contributors, once every holder's share was open, and its seed
    ///      (`escrowedSeed`) is the pair's; the mask it removed is counted as a reveal (the
    ///      accumulator invariants hold it to its owner's sign).
    function invariant_RecoveriesUseTheEscrowedSeedInTheRecoveryWindow() public view {
        assertEq(handler.recoveryMismatches(), 0);
        AggregatorHandler.Reveal[] memory recoveries = handler.recoveries();
        for (uint256 i; i < recoveries.length; ++i) {
            IFA.RoundInfo memory info = agg.roundInfo(taskId, recoveries[i].round);
            assertGe(recoveries[i].timestamp, info.revealDeadline);
            assertLt(recoveries[i].timestamp, info.recoveryDeadline);
            assertGe(recoveries[i].contributorsAtReveal, T_MIN);
        }
    }

    function afterInvariant() external view {
        string[21] memory keys = [
            "join.ok",
            "join.refused",
            "submit.ok",
            "submit.refused",
            "reveal.ok",
            "reveal.refused",
            "finalize.ok",
            "finalize.refused",
            "seal.aggregated",
            "seal.void",
            "abort.ok",
            "abort.refused",
            "redraw.ok",
            "redraw.refused",
            "withdraw.ok",
            "withdraw.refused",
            "share.ok",
            "share.refused",
            "recover.ok",
            "recover.refused",
            "warp"
        ];
        for (uint256 i; i < keys.length; ++i) {
            console2.log(keys[i], handler.calls(keys[i]));
        }
    }
}
