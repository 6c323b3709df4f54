// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";

contract ViewsTest is AggregatorFixture {
    uint256 internal taskId;

    function setUp() public override {
        super.setUp();
        taskId = _createTask();
    }

    /// @dev On the ring (3, 5, 1, 0, 4, 2): offsets +1, −1, +2, −2 from each member's position
    ///      (member 0 sits at position 3: 4, 1, 2, 5); bit s set when own index < slot s's
    ///      neighbour's, bits K..2K−1 set as every slot is active (n ≥ K + 1).
    function test_Neighbors_RingOrderAndSlots() public {
        uint256[] memory order = new uint256[](N_MEMBERS);
        (order[0], order[1], order[2], order[3], order[4], order[5]) = (3, 5, 1, 0, 4, 2);
        _registerSpareKeys(1); // task 1 took every member's first key
        uint256 id = _newTask(_config(), order);
        uint256[4][6] memory expected = [
            [uint256(4), 1, 2, 5],
            [uint256(0), 5, 4, 3],
            [uint256(3), 4, 5, 0],
            [uint256(5), 2, 1, 4],
            [uint256(2), 0, 3, 1],
            [uint256(1), 3, 0, 2]
        ];
        // Four active slots each: the task escrows (bit 2K = 0x100).
        uint256[6] memory slots = [uint256(0x1FF), 0x1FE, 0x1F7, 0x1F9, 0x1F0, 0x1F0];
        for (uint256 i; i < N_MEMBERS; ++i) {
            (address[] memory ring, uint256 s) = agg.neighbors(id, members[i]);
            assertEq(ring.length, K);
            for (uint256 j; j < K; ++j) {
                assertEq(ring[j], members[expected[i][j]]);
            }
            assertEq(s, slots[i], "slots");
        }
    }

    /// @dev On the fixture's drawn ring: slot s of member i holds the member at ring offset
    ///      ±(s/2 + 1) from i's position, and the slots word follows the definition.
    function test_Neighbors_FollowTheDrawnRing() public view {
        uint256[] memory order = _keyRegistry().ringOrder(taskId);
        assertEq(order.length, N_MEMBERS);
        for (uint256 i; i < N_MEMBERS; ++i) {
            (address[] memory ring, uint256 slots) = agg.neighbors(taskId, members[i]);
            for (uint256 s; s < K; ++s) {
                assertEq(ring[s], members[_neighbor(taskId, i, s)]);
            }
            assertEq(slots, _slotsWord(taskId, i));
        }
    }

    function test_Neighbors_Symmetric() public view {
        for (uint256 i; i < N_MEMBERS; ++i) {
            (address[] memory ring,) = agg.neighbors(taskId, members[i]);
            for (uint256 s; s < K; ++s) {
                (address[] memory back,) = agg.neighbors(taskId, ring[s]);
                bool found;
                for (uint256 t; t < K; ++t) {
                    found = found || back[t] == members[i];
                }
                assertTrue(found);
            }
        }
    }

    function test_Neighbors_FullGraphWithKPlusOneMembers() public {
        address[] memory five = new address[](5);
        for (uint256 i; i < 5; ++i) {
            five[i] = members[i];
        }
        gov.setMembers(five);
        _registerSpareKeys(1); // task 1 took every member's first key
        uint256 id = _createTask();
        for (uint256 i; i < 5; ++i) {
            (address[] memory ring,) = agg.neighbors(id, members[i]);
            uint256 seen;
            for (uint256 s; s < K; ++s) {
                for (uint256 j; j < 5; ++j) {
                    if (ring[s] == members[j]) seen |= 2 ** j;
                }
            }
            assertEq(seen, 0x1F ^ 2 ** i, "every other member exactly once");
        }
    }

    function test_RevertWhen_Neighbors_NotTaskMember() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.NotTaskMember.selector, taskId, outsider));
        agg.neighbors(taskId, outsider);
    }

    function test_PairCommitments_BySlot() public view {
        for (uint256 i; i < N_MEMBERS; ++i) {
            (address[] memory ring,) = agg.neighbors(taskId, members[i]);
            uint256[] memory stored = agg.pairCommitments(taskId, members[i]);
            assertEq(stored.length, K);
            for (uint256 s; s < K; ++s) {
                assertEq(stored[s], _commitment(taskId, members[i], ring[s]));
            }
            assertTrue(agg.hasJoined(taskId, members[i]));
        }
    }

    function test_PairCommitments_ZeroBeforeJoining() public {
        _registerSpareKeys(1); // task 1 took every member's first key
        uint256 fresh = gov.createTask(_config());
        assertFalse(agg.hasJoined(fresh, members[0]));
        uint256[] memory stored = agg.pairCommitments(fresh, members[0]);
        assertEq(stored.length, K);
        for (uint256 s; s < K; ++s) {
            assertEq(stored[s], 0);
        }
    }

    function test_HasJoined_FalseOutsideTheTask() public view {
        assertFalse(agg.hasJoined(taskId, outsider));
    }

    function test_PairCommitments_EmptyForCkksTask() public {
        uint256 ckks = gov.createTask(_ckksConfig());
        assertEq(agg.pairCommitments(ckks, members[0]).length, 0);
        assertFalse(agg.hasJoined(ckks, members[0]));
    }

    function test_RevertWhen_PairCommitments_NotTaskMember() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.NotTaskMember.selector, taskId, outsider));
        agg.pairCommitments(taskId, outsider);
    }

    function test_RoundInfo_StatusFollowsTime() public {
        assertEq(uint8(agg.roundInfo(taskId, 1).status), uint8(IFA.RoundStatus.Open));
        _toSubmissionDeadline(taskId, 1);
        assertEq(uint8(agg.roundInfo(taskId, 1).status), uint8(IFA.RoundStatus.Recovery));
        _toRevealDeadline(taskId, 1);
        assertEq(uint8(agg.roundInfo(taskId, 1).status), uint8(IFA.RoundStatus.Recovery));
        _toRecoveryDeadline(taskId, 1);
        assertEq(uint8(agg.roundInfo(taskId, 1).status), uint8(IFA.RoundStatus.Recovery));
    }

    /// @dev The recovery deadline is computed, not stored: one reveal period after the reveal
    ///      deadline for a task that escrows (the fixture's: K = 4, six members), the reveal
    ///      deadline itself for one that does not (three members: two active slots), in every
    ///      round.
    function test_RoundInfo_RecoveryDeadline() public {
        IFA.RoundInfo memory info = agg.roundInfo(taskId, 1);
        assertEq(info.revealDeadline, info.submissionDeadline + REVEAL);
        assertEq(info.recoveryDeadline, info.revealDeadline + REVEAL);

        address[] memory three = new address[](3);
        (three[0], three[1], three[2]) = (members[0], members[1], members[2]);
        gov.setMembers(three);
        _registerSpareKeys(1); // task 1 took every member's first key
        uint256 small = _newTask(_config());
        info = agg.roundInfo(small, 1);
        assertEq(info.recoveryDeadline, info.revealDeadline);

        _toSubmissionDeadline(taskId, 1);
        agg.abortRound(taskId, 1);
        info = agg.roundInfo(taskId, 2);
        assertEq(info.recoveryDeadline, info.revealDeadline + REVEAL);
    }

    function test_RevertWhen_RoundInfo_RoundNotStarted() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundNotStarted.selector, taskId, 2));
        agg.roundInfo(taskId, 2);
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundNotStarted.selector, taskId, 0));
        agg.roundInfo(taskId, 0);
    }

    function test_RevertWhen_TaskViews_UnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.UnknownTask.selector, 2));
        agg.taskConfig(2);
        vm.expectRevert(abi.encodeWithSelector(IFA.UnknownTask.selector, 2));
        agg.taskCircuit(2);
        vm.expectRevert(abi.encodeWithSelector(IFA.UnknownTask.selector, 2));
        agg.taskState(2);
        vm.expectRevert(abi.encodeWithSelector(IFA.UnknownTask.selector, 2));
        agg.taskMembers(2);
        vm.expectRevert(abi.encodeWithSelector(IFA.UnknownTask.selector, 2));
        agg.neighbors(2, members[0]);
        vm.expectRevert(abi.encodeWithSelector(IFA.UnknownTask.selector, 2));
        agg.globalModel(2, 1);
        vm.expectRevert(abi.encodeWithSelector(IFA.UnknownTask.selector, 2));
        agg.pairCommitments(2, members[0]);
        vm.expectRevert(abi.encodeWithSelector(IFA.UnknownTask.selector, 2));
        agg.hasJoined(2, members[0]);
        vm.expectRevert(abi.encodeWithSelector(IFA.UnknownTask.selector, 2));
        agg.taskDomain(2);
        // The registry has no ring of a task that never took keys there.
        assertEq(_keyRegistry().ringOrder(2).length, 0);
        assertEq(_keyRegistry().graph(2).length, 0);
    }

    function test_GlobalModel_FirstRoundIsInitialModel() public view {
        (string memory cid, bytes32 modelHash, uint256 round) = agg.globalModel(taskId, 1);
        assertEq(cid, "bafy-initial-model");
        assertEq(modelHash, keccak256("initial model"));
        assertEq(round, 0);
    }

    function test_RevertWhen_GlobalModel_RoundNotStarted() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundNotStarted.selector, taskId, 2));
        agg.globalModel(taskId, 2);
    }

    function test_RoundInfo_SealingFieldsStartEmpty() public view {
        IFA.RoundInfo memory info = agg.roundInfo(taskId, 1);
        assertEq(info.sealedChunks, 0);
        assertEq(info.aggregatedChunks, 0);
        assertEq(info.aggregateDigest, bytes32(0));
    }

    function test_ChunkStatus_Lifecycle() public {
        _submit(taskId, 1, 0, 0);
        _submit(taskId, 1, 1, 0);
        _submit(taskId, 1, 2, 0);
        _submit(taskId, 1, 0, 1);
        for (uint256 i; i < N_MEMBERS; ++i) {
            _submit(taskId, 1, i, 2);
        }
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.Open));

        _toSubmissionDeadline(taskId, 1);
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.AwaitingReveals));
        assertEq(uint8(agg.chunkStatus(taskId, 1, 1)), uint8(IFA.ChunkStatus.Void));
        assertEq(uint8(agg.chunkStatus(taskId, 1, 2)), uint8(IFA.ChunkStatus.Recoverable));
        assertFalse(_isRecoverable(taskId, 1, 0));
        assertTrue(_isRecoverable(taskId, 1, 2));

        // In the recovery window (the task escrows) the chunk still awaits its reveals.
        _toRevealDeadline(taskId, 1);
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.AwaitingReveals));
        _toRecoveryDeadline(taskId, 1);
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.Void));
        assertEq(uint8(agg.chunkStatus(taskId, 1, 2)), uint8(IFA.ChunkStatus.Recoverable));
    }

    function test_ChunkReveals_RequiredCountsMissingNeighbourPairs() public {
        // Contributors at ring positions {0, 3}, not neighbours: each has its four neighbours
        // dropped (4 + 4).
        _submit(taskId, 1, _at(taskId, 0), 0);
        _submit(taskId, 1, _at(taskId, 3), 0);
        (uint256 revealed, uint256 required) = agg.chunkReveals(taskId, 1, 0);
        assertEq(revealed, 0);
        assertEq(required, 8);
        // Adding position 1 removes its pairs with positions 0 and 3 and adds its dropped
        // neighbours at positions 2 and 5.
        _submit(taskId, 1, _at(taskId, 1), 0);
        (, required) = agg.chunkReveals(taskId, 1, 0);
        assertEq(required, 8);
    }

    function test_Accumulator_ZeroWithoutContributions() public view {
        uint256[] memory words = agg.accumulator(taskId, 1, 2);
        assertEq(words.length, W);
        for (uint256 w; w < W; ++w) {
            assertEq(words[w], 0);
        }
    }

    function test_RevertWhen_ChunkViews_ChunkOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.ChunkOutOfRange.selector, taskId, 3, CHUNKS));
        agg.chunkContributors(taskId, 1, 3);
        vm.expectRevert(abi.encodeWithSelector(IFA.ChunkOutOfRange.selector, taskId, 3, CHUNKS));
        agg.accumulator(taskId, 1, 3);
        vm.expectRevert(abi.encodeWithSelector(IFA.ChunkOutOfRange.selector, taskId, 3, CHUNKS));
        agg.chunkReveals(taskId, 1, 3);
    }

    function test_MaskRevealed_NoneByDefault() public view {
        assertFalse(agg.maskRevealed(taskId, 1, 0, members[0], members[1]));
    }

    function test_Constants() public view {
        assertEq(agg.MAX_MEMBERS(), 128);
        assertEq(agg.MAX_WORDS(), 256);
        assertEq(agg.MAX_NEIGHBORS(), 126);
    }
}
