// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {console2} from "forge-std/console2.sol";
import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";
import {AggregatorHandler} from "./handlers/AggregatorHandler.sol";

/// @notice Invariants of a SecAgg task under random joins, submissions, reveals, time jumps,
///         finalisations and aborts (see tests/foundry/README.md).
contract FederatedAggregatorInvariantTest is AggregatorFixture {
    AggregatorHandler internal handler;
    uint256 internal taskId;

    function setUp() public override {
        super.setUp();
        IFA.TaskConfig memory c = _config();
        c.rounds = 1000;
        // Short windows so that a campaign crosses several deadlines in a few dozen calls.
        c.submissionPeriod = 3 hours;
        c.revealPeriod = 3 hours;
        c.paramCount = uint64(2 * W * L); // two chunks
        taskId = gov.createTask(c);
        handler = new AggregatorHandler(agg, taskId, members);
        targetContract(address(handler));
    }

    /// @dev Every round's accumulator (while not yet reused by a later round) equals the mod-p sum
    ///      of the words the aggregator accepted.
    /// forge-config: default.invariant.runs = 16
    /// forge-config: default.invariant.depth = 80
    function invariant_AccumulatorEqualsModPSumOfAcceptedWords() public view {
        uint256 current = handler.currentRound();
        for (uint256 round = 1; round <= current; ++round) {
            for (uint256 c; c < 2; ++c) {
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

    /// @dev No member contributes a chunk twice in a round, and the recorded contributor set
    ///      matches the accepted submissions.
    /// forge-config: default.invariant.runs = 16
    /// forge-config: default.invariant.depth = 80
    function invariant_NoMemberContributesAChunkTwice() public view {
        uint256 current = handler.currentRound();
        for (uint256 round = 1; round <= current; ++round) {
            for (uint256 c; c < 2; ++c) {
                (uint256 bitmap, uint256 count) = agg.chunkContributors(taskId, round, c);
                uint256 bits;
                for (uint256 m; m < N_MEMBERS; ++m) {
                    uint256 accepted = handler.ghostSubmissions(round, c, m);
                    assertLe(accepted, 1);
                    assertEq((bitmap >> m) & 1, accepted);
                    bits += accepted;
                }
                assertEq(count, bits);
                assertEq(count, handler.ghostCount(round, c));
            }
        }
    }

    /// @dev Every accepted reveal came after its round's submission deadline, before its reveal
    ///      deadline, for a chunk with at least t_min contributors; void chunks hold no seed.
    /// forge-config: default.invariant.runs = 16
    /// forge-config: default.invariant.depth = 80
    function invariant_NoSeedRevealedForVoidChunkOrBeforeDeadline() public view {
        AggregatorHandler.Reveal[] memory reveals = handler.reveals();
        for (uint256 i; i < reveals.length; ++i) {
            IFA.RoundInfo memory info = agg.roundInfo(taskId, reveals[i].round);
            assertGe(reveals[i].timestamp, info.submissionDeadline);
            assertLt(reveals[i].timestamp, info.revealDeadline);
            assertGe(reveals[i].contributorsAtReveal, T_MIN);
        }
        uint256 current = handler.currentRound();
        for (uint256 round = 1; round <= current; ++round) {
            for (uint256 c; c < 2; ++c) {
                (uint256 revealed, uint256 required) = agg.chunkReveals(taskId, round, c);
                assertLe(revealed, required);
                (, uint256 count) = agg.chunkContributors(taskId, round, c);
                if (count < T_MIN) {
                    assertEq(revealed, 0);
                    for (uint256 i; i < N_MEMBERS; ++i) {
                        for (uint256 j; j < N_MEMBERS; ++j) {
                            (bool any,) = agg.revealedSeed(taskId, round, c, members[i], members[j]);
                            assertFalse(any);
                        }
                    }
                }
            }
        }
    }

    /// @dev A finalized or aborted round's record (status, deadlines, model, contributors,
    ///      reveals, chunk statuses) never changes afterwards.
    /// forge-config: default.invariant.runs = 16
    /// forge-config: default.invariant.depth = 80
    function invariant_EndedRoundNeverChanges() public view {
        uint256[] memory ended = handler.endedRounds();
        for (uint256 i; i < ended.length; ++i) {
            assertEq(handler.snapshot(ended[i]), handler.endedSnapshot(ended[i]));
        }
    }

    /// @dev A member's commitments are those of its one accepted join and never change; only
    ///      members that joined have contributed a chunk.
    /// forge-config: default.invariant.runs = 16
    /// forge-config: default.invariant.depth = 80
    function invariant_ContributorsJoinedAndCommitmentsNeverChange() public view {
        uint256 joined;
        for (uint256 m; m < N_MEMBERS; ++m) {
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
            for (uint256 c; c < 2; ++c) {
                (uint256 bitmap,) = agg.chunkContributors(taskId, round, c);
                assertEq(bitmap & ~joined, 0);
            }
        }
    }

    function afterInvariant() external view {
        string[12] memory keys = [
            "join.ok",
            "join.refused",
            "submit.ok",
            "submit.refused",
            "reveal.ok",
            "reveal.refused",
            "finalize.ok",
            "finalize.refused",
            "abort.ok",
            "abort.refused",
            "warp",
            ""
        ];
        for (uint256 i; i < 11; ++i) {
            console2.log(keys[i], handler.calls(keys[i]));
        }
    }
}
