// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {Groth16Call} from "../../../contracts/libraries/Groth16Call.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";

contract CreateTaskTest is AggregatorFixture {
    function test_CreateTask() public {
        vm.expectEmit(address(agg));
        emit IFA.TaskCreated(1, IFA.Mode.SecAgg, N_MEMBERS, CHUNKS, ROUNDS);
        vm.expectEmit(address(agg));
        emit IFA.RoundOpened(
            1,
            1,
            uint64(block.timestamp) + SUBMISSION,
            uint64(block.timestamp) + SUBMISSION + REVEAL
        );
        uint256 taskId = _createTask();

        assertEq(taskId, 1);
        assertEq(agg.taskCount(), 1);
        (IFA.TaskStatus status, uint256 round, uint256 chunks) = agg.taskState(taskId);
        assertEq(uint8(status), uint8(IFA.TaskStatus.Active));
        assertEq(round, 1);
        assertEq(chunks, CHUNKS);
        assertEq(agg.taskMembers(taskId), members);
        IFA.RoundInfo memory info = agg.roundInfo(taskId, 1);
        assertEq(uint8(info.status), uint8(IFA.RoundStatus.Open));
        assertEq(info.submissionDeadline, block.timestamp + SUBMISSION);
        assertEq(info.revealDeadline, block.timestamp + SUBMISSION + REVEAL);
    }

    function test_CreateTask_StoresConfig() public {
        uint256 taskId = _createTask();
        IFA.TaskConfig memory stored = agg.taskConfig(taskId);
        assertEq(abi.encode(stored), abi.encode(_config()));
    }

    function test_CreateTask_SnapshotSkipsMembersWithoutKey() public {
        address keyless = makeAddr("keyless");
        members.push(keyless);
        gov.setMembers(members);
        uint256 taskId = _createTask();
        address[] memory snapshot = agg.taskMembers(taskId);
        assertEq(snapshot.length, N_MEMBERS);
        for (uint256 i; i < snapshot.length; ++i) {
            assertTrue(snapshot[i] != keyless);
        }
    }

    function test_CreateTask_SnapshotIgnoresLaterMembershipChanges() public {
        uint256 taskId = _createTask();
        address[] memory fewer = new address[](1);
        fewer[0] = members[0];
        gov.setMembers(fewer);
        assertEq(agg.taskMembers(taskId), members);
    }

    function test_CreateTask_Ckks() public {
        uint256 taskId = gov.createTask(_ckksConfig());
        (, uint256 round, uint256 chunks) = agg.taskState(taskId);
        assertEq(round, 1);
        assertEq(chunks, 0);
        assertEq(agg.taskConfig(taskId).keyHolder, members[0]);
    }

    function test_CreateTask_CkksSnapshotNeedsNoKeys() public {
        members.push(makeAddr("keyless"));
        gov.setMembers(members);
        uint256 taskId = gov.createTask(_ckksConfig());
        assertEq(agg.taskMembers(taskId).length, N_MEMBERS + 1);
    }

    function testFuzz_CreateTask_ChunkCount(uint64 paramCount, uint16 words) public {
        paramCount = uint64(bound(paramCount, 1, 1 << 40));
        words = uint16(bound(words, 1, 256));
        IFA.TaskConfig memory c = _config();
        c.paramCount = paramCount;
        c.variant.words = words;
        uint256 perChunk = uint256(words) * L;
        uint256 expected = (uint256(paramCount) + perChunk - 1) / perChunk;
        if (expected > type(uint32).max) {
            vm.expectRevert(
                abi.encodeWithSelector(IFA.TooManyChunks.selector, expected, type(uint32).max)
            );
            gov.createTask(c);
            return;
        }
        uint256 taskId = gov.createTask(c);
        (,, uint256 chunks) = agg.taskState(taskId);
        assertEq(chunks, expected);
        assertGe(chunks * perChunk, paramCount);
        assertLt((chunks - 1) * perChunk, paramCount);
    }

    function test_RevertWhen_CreateTask_NotGovernance() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.NotGovernance.selector, address(this)));
        agg.createTask(_config());
    }

    function test_RevertWhen_CreateTask_MissingModelCid() public {
        IFA.TaskConfig memory c = _config();
        c.modelCid = "";
        vm.expectRevert(IFA.MissingModel.selector);
        gov.createTask(c);
    }

    function test_RevertWhen_CreateTask_MissingModelHash() public {
        IFA.TaskConfig memory c = _config();
        c.modelHash = bytes32(0);
        vm.expectRevert(IFA.MissingModel.selector);
        gov.createTask(c);
    }

    function test_RevertWhen_CreateTask_ZeroRounds() public {
        IFA.TaskConfig memory c = _config();
        c.rounds = 0;
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidSchedule.selector, 0, SUBMISSION, REVEAL));
        gov.createTask(c);
    }

    function test_RevertWhen_CreateTask_ZeroSubmissionPeriod() public {
        IFA.TaskConfig memory c = _config();
        c.submissionPeriod = 0;
        vm.expectPartialRevert(IFA.InvalidSchedule.selector);
        gov.createTask(c);
    }

    function test_RevertWhen_CreateTask_ZeroRevealPeriod() public {
        IFA.TaskConfig memory c = _config();
        c.revealPeriod = 0;
        vm.expectPartialRevert(IFA.InvalidSchedule.selector);
        gov.createTask(c);
    }

    function testFuzz_RevertWhen_CreateTask_PeriodTooLong(uint64 period, bool submission) public {
        period = uint64(bound(period, agg.MAX_PERIOD() + 1, type(uint64).max));
        IFA.TaskConfig memory c = _config();
        if (submission) c.submissionPeriod = period;
        else c.revealPeriod = period;
        vm.expectRevert(
            abi.encodeWithSelector(
                IFA.InvalidSchedule.selector, ROUNDS, c.submissionPeriod, c.revealPeriod
            )
        );
        gov.createTask(c);
    }

    function test_RevertWhen_CreateTask_ZeroParameterCount() public {
        IFA.TaskConfig memory c = _config();
        c.paramCount = 0;
        vm.expectRevert(IFA.ZeroParameterCount.selector);
        gov.createTask(c);
    }

    function test_RevertWhen_CreateTask_MinContributorsBelowThree() public {
        IFA.TaskConfig memory c = _config();
        c.minContributors = 2;
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidMinContributors.selector, 2, N_MEMBERS));
        gov.createTask(c);
    }

    function test_RevertWhen_CreateTask_MinContributorsAboveMembers() public {
        IFA.TaskConfig memory c = _config();
        c.minContributors = 7; // one more than the six members
        vm.expectRevert(
            abi.encodeWithSelector(IFA.InvalidMinContributors.selector, N_MEMBERS + 1, N_MEMBERS)
        );
        gov.createTask(c);
    }

    function test_RevertWhen_CreateTask_TooManyMembers() public {
        address[] memory crowd = new address[](129);
        for (uint256 i; i < crowd.length; ++i) {
            crowd[i] = vm.addr(0x1000 + i);
        }
        gov.setMembers(crowd);
        vm.expectRevert(abi.encodeWithSelector(IFA.TooManyMembers.selector, 129, 128));
        gov.createTask(_ckksConfig());
    }

    function test_RevertWhen_CreateTask_MembersExceedLaneHeadroom() public {
        IFA.TaskConfig memory c = _config();
        c.variant.laneBits = 14; // 2^(14 - 12) = 4 < 6 members: lane sums would carry.
        vm.expectRevert(abi.encodeWithSelector(IFA.TooManyMembers.selector, N_MEMBERS, 4));
        gov.createTask(c);
    }

    /// @dev n ≤ K is allowed: the slots beyond n − 1 are inactive.
    function test_CreateTask_FewerMembersThanNeighbourSlots() public {
        IFA.TaskConfig memory c = _config();
        c.variant.neighbors = 8;
        uint256 taskId = gov.createTask(c);
        assertEq(agg.taskConfig(taskId).variant.neighbors, 8);
        // Five of eight slots active: bits 8..12 of the slots word.
        (, uint256 slots) = agg.neighbors(taskId, members[0]);
        assertEq(slots >> 8, 0x1F);
    }

    /// @dev Three members is the smallest ring; the `minContributors ≥ 3` rule refuses fewer
    ///      before the variant is checked, so `TooFewMembers` is a backstop.
    function test_CreateTask_ThreeMembers() public {
        address[] memory three = new address[](3);
        for (uint256 i; i < 3; ++i) {
            three[i] = members[i];
        }
        gov.setMembers(three);
        uint256 taskId = gov.createTask(_config());
        assertEq(agg.taskMembers(taskId).length, 3);
    }

    function test_RevertWhen_CreateTask_TwoMembers() public {
        address[] memory two = new address[](2);
        two[0] = members[0];
        two[1] = members[1];
        gov.setMembers(two);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidMinContributors.selector, T_MIN, 2));
        gov.createTask(_config());
    }

    function test_CreateTask_MaxNeighbors() public {
        IFA.TaskConfig memory c = _config();
        c.variant.neighbors = uint8(agg.MAX_NEIGHBORS());
        gov.createTask(c);
    }

    function testFuzz_RevertWhen_CreateTask_TooManyNeighbors(uint8 k) public {
        k = uint8(bound(k, agg.MAX_NEIGHBORS() + 1, type(uint8).max));
        IFA.TaskConfig memory c = _config();
        c.variant.neighbors = k;
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidCircuitVariant.selector, W, k));
        gov.createTask(c);
    }

    function test_RevertWhen_CreateTask_VerifierWithoutCode() public {
        IFA.TaskConfig memory c = _config();
        c.variant.verifier = address(0xDEAD);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidVerifier.selector, address(0xDEAD)));
        gov.createTask(c);
    }

    function test_RevertWhen_CreateTask_RevealVerifierWithoutCode() public {
        IFA.TaskConfig memory c = _config();
        c.variant.revealVerifier = address(0);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidVerifier.selector, address(0)));
        gov.createTask(c);
    }

    function test_RevertWhen_CreateTask_PairVerifierWithoutCode() public {
        IFA.TaskConfig memory c = _config();
        c.variant.pairVerifier = address(0xBEEF);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidVerifier.selector, address(0xBEEF)));
        gov.createTask(c);
    }

    function test_RevertWhen_CreateTask_ZeroWords() public {
        IFA.TaskConfig memory c = _config();
        c.variant.words = 0;
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidCircuitVariant.selector, 0, K));
        gov.createTask(c);
    }

    function test_RevertWhen_CreateTask_TooManyWords() public {
        IFA.TaskConfig memory c = _config();
        c.variant.words = 257;
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidCircuitVariant.selector, 257, K));
        gov.createTask(c);
    }

    function testFuzz_RevertWhen_CreateTask_OddOrTinyNeighborCount(uint8 k) public {
        vm.assume(k < 2 || k % 2 == 1);
        IFA.TaskConfig memory c = _config();
        c.variant.neighbors = k;
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidCircuitVariant.selector, W, k));
        gov.createTask(c);
    }

    function test_RevertWhen_CreateTask_ZeroLanes() public {
        IFA.TaskConfig memory c = _config();
        c.variant.lanes = 0;
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidPacking.selector, 0, 16, 12));
        gov.createTask(c);
    }

    function test_RevertWhen_CreateTask_ZeroValueBits() public {
        IFA.TaskConfig memory c = _config();
        c.variant.valueBits = 0;
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidPacking.selector, L, 16, 0));
        gov.createTask(c);
    }

    function test_RevertWhen_CreateTask_LaneNarrowerThanValue() public {
        IFA.TaskConfig memory c = _config();
        c.variant.laneBits = 12;
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidPacking.selector, L, 12, 12));
        gov.createTask(c);
    }

    function test_RevertWhen_CreateTask_WordOverflowsField() public {
        IFA.TaskConfig memory c = _config();
        c.variant.lanes = 16; // 16 · 16 = 256 > 252 bits
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidPacking.selector, 16, 16, 12));
        gov.createTask(c);
    }

    function test_RevertWhen_CreateTask_CkksWithoutKeyHolder() public {
        IFA.TaskConfig memory c = _ckksConfig();
        c.keyHolder = address(0);
        vm.expectRevert(IFA.MissingKeyHolder.selector);
        gov.createTask(c);
    }

    function test_RevertWhen_CreateTask_CkksWithoutContext() public {
        IFA.TaskConfig memory c = _ckksConfig();
        c.contextCid = "";
        vm.expectRevert(IFA.MissingContext.selector);
        gov.createTask(c);
    }
}
