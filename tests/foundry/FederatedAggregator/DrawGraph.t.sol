// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {IKeyRegistry} from "../../../contracts/interfaces/IKeyRegistry.sol";
import {IVerifierRegistry} from "../../../contracts/interfaces/IVerifierRegistry.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";
import {RingReference} from "../utils/RingReference.sol";

/// @notice `KeyRegistry.drawGraph`: a SecAgg task's ring, drawn once, by anyone, from the block
///         after the task's creation block (its anchor, recorded by `assignKeys`) with seed
///         keccak256(abi.encode(blockhash(anchor), D)); re-anchored when the anchor's hash is
///         forgotten. The registry's `ringOrder` and `graph` and the aggregator's `neighbors`
///         read the drawn ring; nobody joins before the draw.
/// @dev Each test creates its tasks itself (`gov.createTask`, nothing drawn) and sets the
///      anchor's hash with `vm.setBlockhash`. Crowds of up to `MAX_MEMBERS` run on the variant
///      `WIDE_VARIANT` (B − R = 8: lane headroom 256), every member registering a real key
///      (`_enrolCrowd`) so that the registry records the task's draw.
contract DrawGraphTest is AggregatorFixture {
    /// @dev Registry id of the fixture's variant with B = 16, R = 8.
    uint32 internal constant WIDE_VARIANT = 1;

    bytes32 internal constant ANCHOR_HASH = keccak256("the creation block");

    /// @dev The aggregator's `KeyRegistry`, where rings are drawn.
    IKeyRegistry internal keyRegistry;

    function setUp() public override {
        super.setUp();
        keyRegistry = _keyRegistry();
    }

    function _variants() internal view override returns (IVerifierRegistry.Variant[] memory) {
        IFA.CircuitVariant memory wide = _variant();
        wide.laneBits = 16;
        wide.valueBits = 8;
        return _append(super._variants(), _entry("masked_update_fixture_wide", wide));
    }

    /// @dev A SecAgg task of the fixture's members, created in this block, not drawn.
    function _undrawn() internal returns (uint256 taskId) {
        taskId = gov.createTask(_config());
        assertEq(keyRegistry.ringOrder(taskId).length, 0);
    }

    /// @dev Governance of n fresh accounts, each with an unused key (`_enrolCrowd`); a task of
    ///      them on `WIDE_VARIANT`, created in this block, not drawn.
    function _crowdTask(uint256 n) internal returns (uint256 taskId) {
        address[] memory crowd = _enrolCrowd(n);
        IFA.TaskConfig memory c = _config();
        c.variant = WIDE_VARIANT;
        taskId = gov.createTask(c);
        assertEq(agg.taskMembers(taskId), crowd);
    }

    /// @dev In the next block, with the anchor's hash set to `anchorHash`: expects `GraphDrawn`
    ///      with the seed recomputed here and draws, as `caller`.
    function _expectDraw(uint256 taskId, uint256 anchor, bytes32 anchorHash, address caller)
        internal
        returns (bytes32 seed)
    {
        vm.roll(anchor + 1);
        vm.setBlockhash(anchor, anchorHash);
        seed = keccak256(abi.encode(anchorHash, _domain(taskId)));
        vm.expectEmit(address(keyRegistry));
        emit IKeyRegistry.GraphDrawn(taskId, seed);
        vm.prank(caller);
        keyRegistry.drawGraph(taskId);
    }

    // --- the draw ---------------------------------------------------------------------------

    /// @dev Anyone draws, from the next block: the seed is keccak256(abi.encode(blockhash of
    ///      the creation block, D)) and the ring is `RingReference.shuffle` of it.
    function test_DrawGraph() public {
        uint256 taskId = _undrawn();
        bytes32 seed = _expectDraw(taskId, block.number, ANCHOR_HASH, outsider);
        assertEq(seed, _seed(agg, taskId, ANCHOR_HASH));
        uint256[] memory ring = keyRegistry.ringOrder(taskId);
        assertEq(ring, RingReference.shuffle(seed, N_MEMBERS));
        assertTrue(RingReference.isPermutation(ring));
    }

    /// @dev Any later block within the 256 `blockhash` remembers still draws from the anchor's
    ///      hash, not from its own.
    function testFuzz_DrawGraph_LaterBlockDrawsFromTheAnchor(uint256 delay, bytes32 anchorHash)
        public
    {
        vm.assume(anchorHash != bytes32(0));
        uint256 anchor = block.number;
        uint256 taskId = _undrawn();
        delay = bound(delay, 1, 256);
        vm.roll(anchor + delay);
        vm.setBlockhash(block.number - 1, keccak256("the previous block"));
        vm.setBlockhash(anchor, anchorHash);
        bytes32 seed = keccak256(abi.encode(anchorHash, _domain(taskId)));
        vm.expectEmit(address(keyRegistry));
        emit IKeyRegistry.GraphDrawn(taskId, seed);
        keyRegistry.drawGraph(taskId);
        assertEq(keyRegistry.ringOrder(taskId), RingReference.shuffle(seed, N_MEMBERS));
    }

    /// @dev For any n from 3 to `MAX_MEMBERS` and any anchor hash, `ringOrder` holds each member
    ///      index exactly once, the shuffle's own order.
    /// forge-config: default.fuzz.runs = 48
    /// forge-config: ci.fuzz.runs = 512
    function testFuzz_RingOrder_IsAPermutation(uint256 n, bytes32 anchorHash) public {
        vm.assume(anchorHash != bytes32(0));
        n = bound(n, 3, agg.MAX_MEMBERS());
        uint256 anchor = block.number;
        uint256 taskId = _crowdTask(n);
        bytes32 seed = _expectDraw(taskId, anchor, anchorHash, outsider);
        uint256[] memory ring = keyRegistry.ringOrder(taskId);
        assertEq(ring.length, n);
        assertTrue(RingReference.isPermutation(ring), "a permutation");
        assertEq(ring, RingReference.shuffle(seed, n));
    }

    /// @dev Two SecAgg tasks created in one block share the anchor and its hash but not D:
    ///      two seeds, two rings (of 16 members, where equal rings would be a 1 in 16! chance).
    function testFuzz_DrawGraph_TasksOfOneBlockGetDifferentRings(bytes32 anchorHash) public {
        vm.assume(anchorHash != bytes32(0));
        uint256 anchor = block.number;
        uint256 first = _crowdTask(16);
        _enrolCrowd(16); // a second key each, for the second task
        IFA.TaskConfig memory c = _config();
        c.variant = WIDE_VARIANT;
        uint256 second = gov.createTask(c);
        assertEq(agg.taskMembers(second), agg.taskMembers(first));
        bytes32 firstSeed = _expectDraw(first, anchor, anchorHash, outsider);
        bytes32 secondSeed = _expectDraw(second, anchor, anchorHash, outsider);
        assertTrue(firstSeed != secondSeed);
        uint256[] memory a = keyRegistry.ringOrder(first);
        uint256[] memory b = keyRegistry.ringOrder(second);
        assertEq(a, RingReference.shuffle(firstSeed, 16));
        assertEq(b, RingReference.shuffle(secondSeed, 16));
        assertTrue(keccak256(abi.encode(a)) != keccak256(abi.encode(b)), "different rings");
    }

    function test_RingOrder_EmptyBeforeTheDraw() public {
        uint256 taskId = _undrawn();
        vm.roll(block.number + 1);
        assertEq(keyRegistry.ringOrder(taskId).length, 0);
    }

    /// @dev `graph` is the stored ring: 2n bytes, byte p the member index at ring position p
    ///      (`ringOrder`'s entry p), byte n + i the ring position of member i; empty before
    ///      the draw.
    /// forge-config: default.fuzz.runs = 32
    /// forge-config: ci.fuzz.runs = 256
    function testFuzz_Graph_Layout(uint256 n, bytes32 anchorHash) public {
        vm.assume(anchorHash != bytes32(0));
        n = bound(n, 3, 48);
        uint256 anchor = block.number;
        uint256 taskId = _crowdTask(n);
        assertEq(keyRegistry.graph(taskId).length, 0);
        bytes32 seed = _expectDraw(taskId, anchor, anchorHash, outsider);
        uint256[] memory ring = RingReference.shuffle(seed, n);
        bytes memory graph = keyRegistry.graph(taskId);
        assertEq(graph.length, 2 * n);
        for (uint256 p; p < n; ++p) {
            assertEq(uint8(graph[p]), ring[p], "byte p: the member at position p");
            assertEq(uint8(graph[n + ring[p]]), p, "byte n + i: the position of member i");
        }
        assertEq(keyRegistry.ringOrder(taskId), ring);
    }

    // --- re-anchoring -----------------------------------------------------------------------

    /// @dev 257 blocks on, the anchor's hash is forgotten (0): the call makes its own block the
    ///      anchor (`GraphAnchored`) and draws nothing; that block cannot draw, the next draws
    ///      from the new anchor's hash, never the old one's.
    function testFuzz_DrawGraph_ReanchorsAfter256Blocks(uint256 delay) public {
        uint256 anchor = block.number;
        uint256 taskId = _undrawn();
        vm.roll(anchor + 1);
        vm.setBlockhash(anchor, ANCHOR_HASH);
        vm.roll(anchor + bound(delay, 257, 100_000));
        assertEq(blockhash(anchor), bytes32(0));
        uint256 reanchor = block.number;

        vm.expectEmit(address(keyRegistry));
        emit IKeyRegistry.GraphAnchored(taskId, reanchor);
        keyRegistry.drawGraph(taskId);
        assertEq(keyRegistry.ringOrder(taskId).length, 0);
        vm.expectRevert(abi.encodeWithSelector(IFA.GraphNotDrawn.selector, taskId));
        agg.neighbors(taskId, members[0]);

        vm.expectRevert(
            abi.encodeWithSelector(IKeyRegistry.GraphNotReady.selector, taskId, reanchor)
        );
        keyRegistry.drawGraph(taskId);

        bytes32 newHash = keccak256("the new anchor");
        bytes32 seed = _expectDraw(taskId, reanchor, newHash, members[3]);
        assertEq(keyRegistry.ringOrder(taskId), RingReference.shuffle(seed, N_MEMBERS));
        assertTrue(seed != _seed(agg, taskId, ANCHOR_HASH));
    }

    /// @dev A re-anchored draw forgotten again re-anchors again.
    function test_DrawGraph_ReanchorsAgain() public {
        uint256 taskId = _undrawn();
        vm.roll(block.number + 300);
        uint256 second = block.number;
        vm.expectEmit(address(keyRegistry));
        emit IKeyRegistry.GraphAnchored(taskId, second);
        keyRegistry.drawGraph(taskId);

        vm.roll(second + 257);
        vm.expectEmit(address(keyRegistry));
        emit IKeyRegistry.GraphAnchored(taskId, second + 257);
        keyRegistry.drawGraph(taskId);

        bytes32 seed = _expectDraw(taskId, second + 257, ANCHOR_HASH, outsider);
        assertEq(keyRegistry.ringOrder(taskId), RingReference.shuffle(seed, N_MEMBERS));
    }

    /// @dev A zero hash is a forgotten one, however recent the anchor.
    function test_DrawGraph_ZeroHashReanchors() public {
        uint256 anchor = block.number;
        uint256 taskId = _undrawn();
        vm.roll(anchor + 1);
        vm.setBlockhash(anchor, bytes32(0));
        vm.expectEmit(address(keyRegistry));
        emit IKeyRegistry.GraphAnchored(taskId, anchor + 1);
        keyRegistry.drawGraph(taskId);
        assertEq(keyRegistry.ringOrder(taskId).length, 0);
    }

    // --- refusals ---------------------------------------------------------------------------

    /// @dev The creation transaction's block cannot read its own hash: the anchor block itself
    ///      is refused, naming the anchor.
    function test_RevertWhen_DrawGraph_InTheAnchorBlock() public {
        uint256 anchor = block.number;
        uint256 taskId = _undrawn();
        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.GraphNotReady.selector, taskId, anchor));
        keyRegistry.drawGraph(taskId);
    }

    /// @dev Once drawn, never again: later blocks, another hash or a forgotten anchor change
    ///      nothing.
    function testFuzz_RevertWhen_DrawGraph_Twice(uint256 delay, bytes32 otherHash) public {
        uint256 anchor = block.number;
        uint256 taskId = _undrawn();
        _expectDraw(taskId, anchor, ANCHOR_HASH, outsider);
        uint256[] memory ring = keyRegistry.ringOrder(taskId);

        vm.roll(block.number + bound(delay, 0, 1000));
        if (block.number - anchor <= 256) vm.setBlockhash(anchor, otherHash);
        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.GraphAlreadyDrawn.selector, taskId));
        keyRegistry.drawGraph(taskId);
        assertEq(keyRegistry.ringOrder(taskId), ring);
    }

    /// @dev A CKKS task takes no keys, so the registry knows no draw of it (`NoSuchTask`) and
    ///      has no ring for it.
    function test_RevertWhen_DrawGraph_CkksTask() public {
        uint256 ckks = gov.createTask(_ckksConfig());
        vm.roll(block.number + 1);
        vm.setBlockhash(block.number - 1, ANCHOR_HASH);
        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.NoSuchTask.selector, ckks));
        keyRegistry.drawGraph(ckks);
        assertEq(keyRegistry.ringOrder(ckks).length, 0);
        assertEq(keyRegistry.graph(ckks).length, 0);
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongMode.selector, ckks, IFA.Mode.Ckks));
        agg.neighbors(ckks, members[0]);
    }

    /// @dev An id no task took keys for, above the last task's or 0, is `NoSuchTask`.
    function testFuzz_RevertWhen_DrawGraph_UnknownTask(uint256 taskId) public {
        uint256 known = _undrawn();
        taskId = bound(taskId, known + 1, type(uint256).max);
        vm.roll(block.number + 1);
        vm.setBlockhash(block.number - 1, ANCHOR_HASH);
        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.NoSuchTask.selector, taskId));
        keyRegistry.drawGraph(taskId);
        vm.expectRevert(abi.encodeWithSelector(IKeyRegistry.NoSuchTask.selector, 0));
        keyRegistry.drawGraph(0);
        assertEq(keyRegistry.ringOrder(taskId).length, 0);
        // The known task still draws.
        keyRegistry.drawGraph(known);
        assertEq(keyRegistry.ringOrder(known).length, N_MEMBERS);
    }

    // --- before the draw --------------------------------------------------------------------

    /// @dev Nobody joins before the draw, however valid the arguments; the task-member and
    ///      governance checks come first, the commitment count after. The same join passes once
    ///      the ring is drawn.
    function test_RevertWhen_JoinTask_GraphNotDrawn() public {
        uint256 anchor = block.number;
        uint256 taskId = _undrawn();
        uint256[] memory commitments = new uint256[](K);
        for (uint256 s; s < K; ++s) {
            commitments[s] = s + 1;
        }
        vm.expectRevert(abi.encodeWithSelector(IFA.GraphNotDrawn.selector, taskId));
        vm.prank(members[0]);
        agg.joinTask(taskId, commitments, new IFA.Proof[](K));

        vm.expectRevert(abi.encodeWithSelector(IFA.GraphNotDrawn.selector, taskId));
        vm.prank(members[0]);
        agg.joinTask(taskId, new uint256[](1), new IFA.Proof[](1));

        vm.expectRevert(abi.encodeWithSelector(IFA.NotTaskMember.selector, taskId, outsider));
        vm.prank(outsider);
        agg.joinTask(taskId, commitments, new IFA.Proof[](K));

        _removeFromGovernance(members[5]);
        vm.expectRevert(abi.encodeWithSelector(IFA.NotMember.selector, members[5]));
        vm.prank(members[5]);
        agg.joinTask(taskId, commitments, new IFA.Proof[](K));

        _expectDraw(taskId, anchor, ANCHOR_HASH, outsider);
        vm.prank(members[0]);
        agg.joinTask(taskId, commitments, new IFA.Proof[](K));
        assertTrue(agg.hasJoined(taskId, members[0]));
    }

    /// @dev Before the draw a member has no neighbours to read (`GraphNotDrawn`), and no
    ///      commitments.
    function test_RevertWhen_Neighbors_GraphNotDrawn() public {
        uint256 taskId = _undrawn();
        vm.expectRevert(abi.encodeWithSelector(IFA.GraphNotDrawn.selector, taskId));
        agg.neighbors(taskId, members[2]);
        assertEq(agg.pairCommitments(taskId, members[2]), new uint256[](K));
        assertFalse(agg.hasJoined(taskId, members[2]));
    }

    /// @dev A member that never joined (none could) fails `submitChunk` with `NotJoined`.
    function test_RevertWhen_SubmitChunk_BeforeTheDraw() public {
        uint256 taskId = _undrawn();
        vm.expectRevert(abi.encodeWithSelector(IFA.NotJoined.selector, taskId, members[1]));
        vm.prank(members[1]);
        agg.submitChunk(taskId, 1, 0, _words(1), _escrow(), _proof());
    }

    // --- neighbours on the drawn ring -------------------------------------------------------

    /// @dev For any n from 3 to `MAX_MEMBERS` and any anchor hash: slot s of member i holds
    ///      ring[(pos(i) ± (s/2 + 1)) mod n] (+ for even s), the slots word's signs compare
    ///      member indices (not positions), and the active relation is symmetric: j is in an
    ///      active slot of i iff i is in an active slot of j.
    /// forge-config: default.fuzz.runs = 32
    /// forge-config: ci.fuzz.runs = 512
    function testFuzz_Neighbors_FollowRingOrder(uint256 n, bytes32 anchorHash) public {
        vm.assume(anchorHash != bytes32(0));
        n = bound(n, 3, agg.MAX_MEMBERS());
        uint256 anchor = block.number;
        uint256 taskId = _crowdTask(n);
        _expectDraw(taskId, anchor, anchorHash, outsider);
        uint256[] memory ring = keyRegistry.ringOrder(taskId);
        uint256[] memory position = new uint256[](n);
        for (uint256 p; p < n; ++p) {
            position[ring[p]] = p;
        }

        bool[][] memory adjacent = new bool[][](n);
        for (uint256 i; i < n; ++i) {
            adjacent[i] = _assertSlots(taskId, ring, position, i);
        }
        for (uint256 i; i < n; ++i) {
            for (uint256 j; j < n; ++j) {
                assertEq(adjacent[i][j], adjacent[j][i], "symmetric");
            }
        }
    }

    /// @dev Checks member i's `neighbors` against `ring` (`position` its inverse); returns
    ///      which members its active slots hold.
    function _assertSlots(
        uint256 taskId,
        uint256[] memory ring,
        uint256[] memory position,
        uint256 i
    ) internal view returns (bool[] memory adjacent) {
        uint256 n = ring.length;
        address[] memory crowd = agg.taskMembers(taskId);
        (address[] memory slots, uint256 word) = agg.neighbors(taskId, crowd[i]);
        assertEq(slots.length, K);
        adjacent = new bool[](n);
        uint256 expectedWord;
        for (uint256 s; s < K; ++s) {
            uint256 offset = (s / 2 + 1) % n;
            uint256 j =
                ring[s % 2 == 0 ? (position[i] + offset) % n : (position[i] + n - offset) % n];
            assertEq(slots[s], crowd[j], "slot s holds ring[pos(i) +- (s/2 + 1)]");
            if (s < n - 1) {
                adjacent[j] = true;
                if (i < j) expectedWord |= 2 ** s;
                expectedWord |= 2 ** (K + s);
            }
        }
        // Bit 2K: the task escrows its seeds (at least 3 active slots).
        if (K < n - 1 ? K >= 3 : n - 1 >= 3) expectedWord |= 2 ** (2 * K);
        assertEq(word, expectedWord, "slots word");
    }

    /// @dev The fixture's six members on a drawn ring: a member's neighbours are the members at
    ///      ring distance 1 and 2, never the one across the ring.
    function test_Neighbors_SkipTheMemberAcrossTheRing() public {
        uint256 taskId = _newTask(_config());
        for (uint256 p; p < N_MEMBERS; ++p) {
            uint256 i = _at(taskId, p);
            (address[] memory slots,) = agg.neighbors(taskId, members[i]);
            assertEq(slots[0], members[_at(taskId, p + 1)]);
            assertEq(slots[1], members[_at(taskId, p + 5)]);
            assertEq(slots[2], members[_at(taskId, p + 2)]);
            assertEq(slots[3], members[_at(taskId, p + 4)]);
            for (uint256 s; s < K; ++s) {
                assertTrue(slots[s] != members[_at(taskId, p + 3)]);
            }
        }
    }
}
