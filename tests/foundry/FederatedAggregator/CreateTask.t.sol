// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {IVerifierRegistry} from "../../../contracts/interfaces/IVerifierRegistry.sol";
import {MockGroth16Verifier} from "../../../contracts/test/MockGroth16Verifier.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";

contract CreateTaskTest is AggregatorFixture {
    /// @dev Governance keeps only the first n fixture members (all with keys).
    function _keepMembers(uint256 n) internal {
        address[] memory first = new address[](n);
        for (uint256 i; i < n; ++i) {
            first[i] = members[i];
        }
        gov.setMembers(first);
    }

    function _assertCircuit(IFA.CircuitVariant memory a, IFA.CircuitVariant memory b)
        internal
        pure
    {
        assertEq(abi.encode(a), abi.encode(b));
    }

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

    /// @dev CKKS has no circuit: the variant id is ignored (even an unregistered one) and the
    ///      task's circuit is all zero.
    function testFuzz_CreateTask_CkksIgnoresVariant(uint32 id) public {
        IFA.TaskConfig memory c = _ckksConfig();
        c.variant = id;
        uint256 taskId = gov.createTask(c);
        IFA.CircuitVariant memory none;
        _assertCircuit(agg.taskCircuit(taskId), none);
        assertEq(agg.taskConfig(taskId).variant, id);
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
        IFA.CircuitVariant memory v = _variant();
        v.words = words;
        IFA.TaskConfig memory c = _config();
        c.variant = _deployWithVariant(v);
        c.paramCount = paramCount;
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

    // --- the registry's variant --------------------------------------------------------------

    function test_CreateTask_CopiesRegisteredCircuit() public {
        uint256 taskId = _createTask();
        _assertCircuit(agg.taskCircuit(taskId), registry.circuit(VARIANT));
        _assertCircuit(agg.taskCircuit(taskId), _variant());
        assertEq(agg.registry(), address(registry));
    }

    /// @dev Whatever else the proposal says (scale, size, bound, quorum, a CKKS key holder
    ///      left in), the task runs the registry's entry of the id it names: verifiers, W, K
    ///      and packing come from the registry only.
    function testFuzz_CreateTask_CircuitIsTheRegistryEntry(
        bool second,
        uint8 scaleBits,
        uint64 paramCount,
        uint64 bound_,
        uint16 minContributors,
        address keyHolder
    ) public {
        IFA.CircuitVariant memory extra = IFA.CircuitVariant({
            verifier: address(new MockGroth16Verifier(5 + 2 + 8 + 2)),
            words: 8,
            neighbors: 2,
            lanes: 21,
            laneBits: 12,
            valueBits: 8,
            revealVerifier: address(new MockGroth16Verifier(4 + 8)),
            pairVerifier: address(pairVerifier),
            escrowVerifier: address(escrowVerifier),
            seedMaskVerifier: address(new MockGroth16Verifier(1 + 8))
        });
        uint32 extraId = _deployWithVariant(extra);
        IFA.TaskConfig memory c = _config();
        c.variant = second ? extraId : VARIANT;
        c.scaleBits = scaleBits;
        c.paramCount = uint64(bound(paramCount, 1, 1 << 32));
        c.bound = bound_;
        c.minContributors = uint16(bound(minContributors, 3, N_MEMBERS));
        c.keyHolder = keyHolder;

        uint256 taskId = _newTask(c);
        IFA.CircuitVariant memory expected = second ? extra : _variant();
        _assertCircuit(agg.taskCircuit(taskId), expected);
        _assertCircuit(agg.taskCircuit(taskId), registry.circuit(c.variant));
        assertEq(abi.encode(agg.taskConfig(taskId)), abi.encode(c));
        (address[] memory ring,) = agg.neighbors(taskId, members[0]);
        assertEq(ring.length, expected.neighbors);
    }

    /// @dev A proposal can only name a variant; an id the registry does not hold is refused.
    function testFuzz_RevertWhen_CreateTask_UnknownVariant(uint32 id) public {
        id = uint32(bound(id, registry.variantCount(), type(uint32).max));
        IFA.TaskConfig memory c = _config();
        c.variant = id;
        vm.expectRevert(
            abi.encodeWithSelector(
                IVerifierRegistry.UnknownVariant.selector, id, registry.variantCount()
            )
        );
        gov.createTask(c);
    }

    /// @dev The lane headroom 2^(B − R) is the registry's: with B − R = 2 a lane holds the sum
    ///      of four members' values without carrying, so five members are refused on that
    ///      variant and accepted on the fixture's (B − R = 4), the configuration otherwise equal.
    function test_RevertWhen_CreateTask_MembersExceedRegisteredLaneHeadroom() public {
        IFA.CircuitVariant memory narrow = _variant();
        narrow.laneBits = R + 2;
        uint32 id = _deployWithVariant(narrow);
        _keepMembers(5);
        IFA.TaskConfig memory c = _config();
        c.variant = id;
        vm.expectRevert(abi.encodeWithSelector(IFA.TooManyMembers.selector, 5, 4));
        gov.createTask(c);

        c.variant = VARIANT;
        gov.createTask(c);
    }

    function test_CreateTask_MembersFillRegisteredLaneHeadroom() public {
        IFA.CircuitVariant memory narrow = _variant();
        narrow.laneBits = R + 2;
        IFA.TaskConfig memory c = _config();
        c.variant = _deployWithVariant(narrow);
        _keepMembers(4);
        uint256 taskId = gov.createTask(c);
        assertEq(agg.taskMembers(taskId).length, 4);
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

    /// @dev n ≤ K is allowed: the slots beyond n − 1 are inactive.
    function test_CreateTask_FewerMembersThanNeighbourSlots() public {
        IFA.CircuitVariant memory wide = _variant();
        wide.neighbors = 8;
        IFA.TaskConfig memory c = _config();
        c.variant = _deployWithVariant(wide);
        uint256 taskId = _newTask(c);
        assertEq(agg.taskCircuit(taskId).neighbors, 8);
        // Five of eight slots active: bits 8..12 of the slots word; the task escrows: bit 16.
        (, uint256 slots) = agg.neighbors(taskId, members[0]);
        assertEq(slots >> 8, 0x11F);
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
        IFA.CircuitVariant memory v = _variant();
        v.neighbors = uint8(agg.MAX_NEIGHBORS());
        IFA.TaskConfig memory c = _config();
        c.variant = _deployWithVariant(v);
        gov.createTask(c);
    }

    /// @dev The registry takes any even K ≥ 2; a task refuses what its storage cannot hold.
    function testFuzz_RevertWhen_CreateTask_TooManyNeighbors(uint8 k) public {
        k = uint8(2 * bound(k, agg.MAX_NEIGHBORS() / 2 + 1, type(uint8).max / 2));
        IFA.CircuitVariant memory v = _variant();
        v.neighbors = k;
        IFA.TaskConfig memory c = _config();
        c.variant = _deployWithVariant(v);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidCircuitVariant.selector, W, k));
        gov.createTask(c);
    }

    /// @dev The registry takes any W ≥ 1; a task refuses W > MAX_WORDS.
    function testFuzz_RevertWhen_CreateTask_TooManyWords(uint16 words) public {
        words = uint16(bound(words, agg.MAX_WORDS() + 1, type(uint16).max));
        IFA.CircuitVariant memory v = _variant();
        v.words = words;
        IFA.TaskConfig memory c = _config();
        c.variant = _deployWithVariant(v);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidCircuitVariant.selector, words, K));
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

    // --- one-time masking keys ---------------------------------------------------------------

    /// @dev `maskingKey(taskId, member)`, asserted assigned, as a pair.
    function _taskKey(uint256 taskId, address member) internal view returns (uint256[2] memory) {
        (bool assigned, uint256 x, uint256 y) = _keyRegistry().maskingKey(taskId, member);
        assertTrue(assigned, "no key assigned");
        return [x, y];
    }

    function _assertNoTaskKey(uint256 taskId, address member) internal view {
        (bool assigned, uint256 x, uint256 y) = _keyRegistry().maskingKey(taskId, member);
        assertFalse(assigned, "a key assigned");
        assertEq(x + y, 0);
    }

    /// @dev A SecAgg task takes one key of each member: the first one registered.
    function test_CreateTask_TakesOneKeyPerMember() public {
        uint256 taskId = _createTask();
        for (uint256 i; i < N_MEMBERS; ++i) {
            assertEq(_keyRegistry().unusedKeys(members[i]), 0);
            uint256[2] memory key = _taskKey(taskId, members[i]);
            assertEq(key[0], keys[i][0]);
            assertEq(key[1], keys[i][1]);
        }
        _assertNoTaskKey(taskId, outsider);
    }

    /// @dev Each further SecAgg task takes every member's next key in registration order,
    ///      `unusedKeys` counting down, and no two tasks get the same key of a member.
    function test_CreateTask_LaterTasksTakeTheNextKeys() public {
        _registerSpareKeys(2);
        uint256[3] memory ids;
        for (uint256 t; t < 3; ++t) {
            ids[t] = _newTask(_config());
            assertEq(agg.taskMembers(ids[t]), members);
            for (uint256 i; i < N_MEMBERS; ++i) {
                assertEq(_keyRegistry().unusedKeys(members[i]), 2 - t, "unused");
                (uint256 x, uint256 y) = _nthKey(members[i], t);
                uint256[2] memory key = _taskKey(ids[t], members[i]);
                assertEq(key[0], x, "x in registration order");
                assertEq(key[1], y, "y in registration order");
            }
        }
        for (uint256 i; i < N_MEMBERS; ++i) {
            for (uint256 t; t < 3; ++t) {
                for (uint256 u; u < t; ++u) {
                    assertTrue(
                        keccak256(abi.encode(_taskKey(ids[t], members[i])))
                            != keccak256(abi.encode(_taskKey(ids[u], members[i]))),
                        "two tasks share a key"
                    );
                }
            }
        }
    }

    /// @dev Keys are one-time: a second SecAgg task of the same members without new keys has
    ///      nobody left, and its creation takes nothing.
    function test_RevertWhen_CreateTask_KeysAllTaken() public {
        uint256 first = _createTask();
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidMinContributors.selector, T_MIN, 0));
        gov.createTask(_config());
        assertEq(agg.taskCount(), first);
        _assertNoTaskKey(first + 1, members[0]);
    }

    /// @dev A member whose keys are all taken is left out of the next SecAgg task (still a
    ///      governance member); the others take their next key.
    function test_CreateTask_LeavesOutMembersWithoutAnUnusedKey() public {
        _newTask(_config());
        for (uint256 i; i < 4; ++i) {
            (uint256 x, uint256 y) = _spareKey(i, 1);
            _registerKey(members[i], x, y);
        }
        vm.expectEmit(address(agg));
        emit IFA.TaskCreated(2, IFA.Mode.SecAgg, 4, CHUNKS, ROUNDS);
        uint256 second = _newTask(_config());
        address[] memory snapshot = agg.taskMembers(second);
        assertEq(snapshot.length, 4);
        for (uint256 i; i < 4; ++i) {
            assertEq(snapshot[i], members[i]);
            (uint256 x, uint256 y) = _spareKey(i, 1);
            assertEq(_taskKey(second, members[i])[0], x);
            assertEq(_taskKey(second, members[i])[1], y);
        }
        for (uint256 i = 4; i < N_MEMBERS; ++i) {
            assertTrue(gov.isMember(members[i]));
            _assertNoTaskKey(second, members[i]);
            assertEq(_taskKey(1, members[i])[0], keys[i][0], "its first task keeps its key");
        }
    }

    /// @dev Too few members with an unused key for t_min: the task is refused and no key is
    ///      taken (the creation reverts as a whole); one more key makes it go through.
    function test_RevertWhen_CreateTask_TooFewUnusedKeys() public {
        _newTask(_config());
        for (uint256 i; i < 2; ++i) {
            (uint256 x, uint256 y) = _spareKey(i, 1);
            _registerKey(members[i], x, y);
        }
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidMinContributors.selector, T_MIN, 2));
        gov.createTask(_config());
        assertEq(_keyRegistry().unusedKeys(members[0]), 1);
        assertEq(_keyRegistry().unusedKeys(members[1]), 1);
        _assertNoTaskKey(2, members[0]);

        (uint256 x2, uint256 y2) = _spareKey(2, 1);
        _registerKey(members[2], x2, y2);
        uint256 second = _newTask(_config());
        assertEq(agg.taskMembers(second).length, 3);
        assertEq(_keyRegistry().unusedKeys(members[0]), 0);
    }

    /// @dev A CKKS task takes no key (its members need none): the next SecAgg task still gets
    ///      every member's first key.
    function test_CreateTask_CkksTakesNoKey() public {
        uint256 ckks = gov.createTask(_ckksConfig());
        for (uint256 i; i < N_MEMBERS; ++i) {
            assertEq(_keyRegistry().unusedKeys(members[i]), 1);
            _assertNoTaskKey(ckks, members[i]);
        }
        uint256 secagg = _newTask(_config());
        assertEq(agg.taskMembers(secagg), members);
        for (uint256 i; i < N_MEMBERS; ++i) {
            assertEq(_taskKey(secagg, members[i])[0], keys[i][0]);
        }
    }
}
