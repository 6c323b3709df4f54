// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {IVerifierRegistry} from "../../../contracts/interfaces/IVerifierRegistry.sol";
import {MockGroth16Verifier} from "../../../contracts/test/MockGroth16Verifier.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";
import {BabyJubJubReference} from "../utils/BabyJubJubReference.sol";

/// @notice Neighbour slots of small consortia (n ≤ K) and of any drawn ring: a slot is active
///         iff its neighbour is neither the member nor the neighbour of an earlier slot. Sixteen
///         members have keys; each test snapshots the first n into a task, on a given ring
///         (`_ring(order)`, a creation-block hash found to draw it) or a random one.
contract NeighborSlotsTest is AggregatorFixture {
    uint256 internal constant MAX_N = 16;

    /// @dev Registry id of the fixture's variant with K = 2.
    uint32 internal constant VARIANT_K2 = 1;

    /// @dev `MaskedUpdate` mock for K = 2 (the fixture's `verifier` has K = 4's signal count).
    MockGroth16Verifier internal verifierK2;

    function setUp() public override {
        verifierK2 = new MockGroth16Verifier(5 + 2 + W + 2);
        super.setUp();
        for (uint256 i = N_MEMBERS; i < MAX_N; ++i) {
            members.push(makeAddr(string.concat("member", vm.toString(i))));
            (uint256 x, uint256 y) = BabyJubJubReference.publicKey(1000 + i);
            keys.push([x, y]);
        }
        gov.setMembers(members);
        for (uint256 i = N_MEMBERS; i < MAX_N; ++i) {
            _registerKey(members[i], keys[i][0], keys[i][1]);
        }
    }

    /// @dev The fixture's variant, and id `VARIANT_K2`: the same with K = 2.
    function _variants() internal view override returns (IVerifierRegistry.Variant[] memory) {
        IFA.CircuitVariant memory k2 = _variant();
        k2.neighbors = 2;
        k2.verifier = address(verifierK2);
        return _append(super._variants(), _entry("masked_update_fixture_k2", k2));
    }

    /// @dev A task over the first n members with K = k (2 or 4), its ring drawn, nobody
    ///      joined.
    function _ring(uint256 n, uint8 k) internal returns (uint256 taskId) {
        taskId = _newTask(_firstMembers(n, k));
        assertEq(agg.taskCircuit(taskId).neighbors, k);
    }

    /// @dev The same on the ring `order` (entry p: the member at ring position p).
    function _ring(uint256[] memory order) internal returns (uint256 taskId) {
        taskId = _newTask(_firstMembers(order.length, K), order);
    }

    /// @dev Governance keeps the first n members; the configuration of a K = k task.
    function _firstMembers(uint256 n, uint8 k) internal returns (IFA.TaskConfig memory c) {
        address[] memory first = new address[](n);
        for (uint256 i; i < n; ++i) {
            first[i] = members[i];
        }
        gov.setMembers(first);
        c = _config();
        c.variant = k == 2 ? VARIANT_K2 : VARIANT;
    }

    function _assertSlots(uint256 taskId, uint256[4][] memory rings, uint256[] memory words)
        internal
        view
    {
        for (uint256 i; i < rings.length; ++i) {
            (address[] memory ring, uint256 slots) = agg.neighbors(taskId, members[i]);
            assertEq(ring.length, K);
            for (uint256 s; s < K; ++s) {
                assertEq(ring[s], members[rings[i][s]], "ring");
            }
            assertEq(slots, words[i], "slots word");
        }
    }

    // ---------------------------------------------------------------------------------------
    // n = 3, 4, 5 with K = 4, on given rings
    // ---------------------------------------------------------------------------------------

    /// @dev n = 3 on the ring (0, 2, 1): slots +1, −1 active; +2 and −2 repeat them. Member 0
    ///      (position 0): neighbours 2, 1 (both above) → 0x33; member 1 (position 2): 0, 2
    ///      (above) → 0x32; member 2 (position 1): 1, 0, none above → 0x30. Two active slots:
    ///      no escrow (bit 2K clear).
    function test_ThreeMembers_Slots() public {
        uint256 taskId = _ring(_order3());
        uint256[4][] memory rings = new uint256[4][](3);
        rings[0] = [uint256(2), 1, 1, 2];
        rings[1] = [uint256(0), 2, 2, 0];
        rings[2] = [uint256(1), 0, 0, 1];
        uint256[] memory words = new uint256[](3);
        (words[0], words[1], words[2]) = (0x33, 0x32, 0x30);
        _assertSlots(taskId, rings, words);
    }

    /// @dev Two commitments each; everyone contributes, so no reveal is required.
    function test_ThreeMembers_JoinAndFullRound() public {
        uint256 taskId = _ring(3, K);
        for (uint256 i; i < 3; ++i) {
            (uint256[] memory commitments,) = _joinArguments(taskId, members[i]);
            assertEq(commitments.length, 2);
            _join(taskId, members[i]);
            uint256[] memory stored = agg.pairCommitments(taskId, members[i]);
            assertEq(stored[0], commitments[0]);
            assertEq(stored[1], commitments[1]);
            assertEq(stored[2], 0);
            assertEq(stored[3], 0);
        }
        for (uint256 i; i < 3; ++i) {
            _submit(taskId, 1, i, 0);
        }
        _toSubmissionDeadline(taskId, 1);
        (, uint256 required) = agg.chunkReveals(taskId, 1, 0);
        assertEq(required, 0);
        assertTrue(_isRecoverable(taskId, 1, 0));
    }

    /// @dev n = 4 on the ring (1, 3, 0, 2): slots +1, −1, +2 active; −2 repeats +2. Member 0
    ///      (position 2): 2, 3, 1 → 0x77; member 1 (position 0): 3, 2, 0 → 0x73; member 2
    ///      (position 3): 1, 0, 3 → 0x74; member 3 (position 1): 0, 1, 2 → 0x70; three active
    ///      slots, so the task escrows: bit 2K (0x100) set in every word.
    function test_FourMembers_Slots() public {
        uint256 taskId = _ring(_order4());
        uint256[4][] memory rings = new uint256[4][](4);
        rings[0] = [uint256(2), 3, 1, 1];
        rings[1] = [uint256(3), 2, 0, 0];
        rings[2] = [uint256(1), 0, 3, 3];
        rings[3] = [uint256(0), 1, 2, 2];
        uint256[] memory words = new uint256[](4);
        (words[0], words[1], words[2], words[3]) = (0x177, 0x173, 0x174, 0x170);
        _assertSlots(taskId, rings, words);
    }

    function test_FourMembers_JoinThreeCommitments() public {
        uint256 taskId = _ring(_order4());
        (uint256[] memory commitments, IFA.Proof[] memory proofs) =
            _joinArguments(taskId, members[1]);
        assertEq(commitments.length, 3);

        // One per K slot is one too many.
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongCommitmentCount.selector, 3, 4));
        vm.prank(members[1]);
        agg.joinTask(taskId, new uint256[](4), new IFA.Proof[](4));

        // PairCommit statements for neighbours 3, 2, 0 only.
        pairVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        uint256[3] memory ring = [uint256(3), 2, 0];
        for (uint256 s; s < 3; ++s) {
            uint256[] memory inputs = new uint256[](6);
            (inputs[0], inputs[1], inputs[2]) = (_domain(taskId), keys[1][0], keys[1][1]);
            (inputs[3], inputs[4], inputs[5]) = (keys[ring[s]][0], keys[ring[s]][1], commitments[s]);
            pairVerifier.allow(inputs);
        }
        vm.prank(members[1]);
        agg.joinTask(taskId, commitments, proofs);
        assertEq(agg.pairCommitments(taskId, members[1])[3], 0);
    }

    /// @dev The inactive slot's commitment is 0 in the `MaskedUpdate` inputs.
    function test_FourMembers_MaskedUpdateInputs() public {
        uint256 taskId = _ring(_order4());
        _joinAll(taskId);
        uint256[] memory words = _words(3);
        uint256[] memory inputs = new uint256[](5 + K + W + uint256(K) * (K - 1));
        (inputs[0], inputs[1], inputs[2]) = (_domain(taskId), 1, 0);
        inputs[3] = _commitment(taskId, members[1], members[3]);
        inputs[4] = _commitment(taskId, members[1], members[2]);
        inputs[5] = _commitment(taskId, members[1], members[0]);
        inputs[6] = 0;
        inputs[7] = 0x173; // three active slots: escrow on (bit 2K)
        inputs[8] = BOUND;
        for (uint256 w; w < W; ++w) {
            inputs[9 + w] = words[w];
        }
        verifier.setMode(MockGroth16Verifier.Mode.Strict);
        verifier.allow(inputs);
        vm.prank(members[1]);
        agg.submitChunk(taskId, 1, 0, words, _escrow(), _proof());
    }

    /// @dev Member 3 drops: each of 0, 1, 2 reveals its one mask with 3, though member 2 (across
    ///      the ring from 3) has 3 in two slots (+2 active, −2 its inactive repeat). Three
    ///      reveals, not four.
    function test_FourMembers_DropoutNeedsOneRevealPerPair() public {
        uint256 taskId = _ring(_order4());
        _joinAll(taskId);
        for (uint256 i; i < 3; ++i) {
            _submit(taskId, 1, i, 0);
        }
        _toSubmissionDeadline(taskId, 1);
        (, uint256 required) = agg.chunkReveals(taskId, 1, 0);
        assertEq(required, 3);

        // Member 2's reveal is proven against its slot +2 commitment.
        uint256[] memory masks = _masks(taskId, 1, 0, members[2], members[3]);
        uint256[] memory inputs = _revealInputs(taskId, 1, 0, 2, 3, masks);
        assertEq(agg.pairCommitments(taskId, members[2])[2], inputs[3]);
        revealVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        revealVerifier.allow(inputs);
        _reveal(taskId, 1, 0, 2, 3);
        revealVerifier.setMode(MockGroth16Verifier.Mode.AcceptAll);

        vm.expectRevert(
            abi.encodeWithSelector(
                IFA.MaskAlreadyRevealed.selector, taskId, 1, 0, members[2], members[3]
            )
        );
        vm.prank(members[2]);
        agg.revealMask(taskId, 1, 0, members[3], masks, _proof());

        _reveal(taskId, 1, 0, 0, 3);
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.AwaitingReveals));
        _reveal(taskId, 1, 0, 1, 3);
        (uint256 revealed,) = agg.chunkReveals(taskId, 1, 0);
        assertEq(revealed, 3);
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.Recoverable));
        _finalize(taskId, 1);
        assertEq(agg.roundInfo(taskId, 1).aggregatedChunks, 1);
    }

    /// @dev n = 5 = K + 1 on the ring (4, 2, 0, 3, 1): every slot active, every other member
    ///      exactly once; the task escrows (bit 2K).
    function test_FiveMembers_Slots() public {
        uint256[] memory order = new uint256[](5);
        (order[0], order[1], order[2], order[3], order[4]) = (4, 2, 0, 3, 1);
        uint256 taskId = _ring(order);
        uint256[4][] memory rings = new uint256[4][](5);
        rings[0] = [uint256(3), 2, 1, 4];
        rings[1] = [uint256(4), 3, 2, 0];
        rings[2] = [uint256(0), 4, 3, 1];
        rings[3] = [uint256(1), 0, 4, 2];
        rings[4] = [uint256(2), 1, 0, 3];
        uint256[] memory words = new uint256[](5);
        (words[0], words[1], words[2], words[3], words[4]) = (0x1FF, 0x1F7, 0x1F6, 0x1F4, 0x1F0);
        _assertSlots(taskId, rings, words);
        (uint256[] memory commitments,) = _joinArguments(taskId, members[0]);
        assertEq(commitments.length, K);
    }

    function _order3() internal pure returns (uint256[] memory order) {
        order = new uint256[](3);
        (order[0], order[1], order[2]) = (0, 2, 1);
    }

    function _order4() internal pure returns (uint256[] memory order) {
        order = new uint256[](4);
        (order[0], order[1], order[2], order[3]) = (1, 3, 0, 2);
    }

    // ---------------------------------------------------------------------------------------
    // Any ring
    // ---------------------------------------------------------------------------------------

    /// @dev For n in [3, 16], K in {2, 4} and any drawn ring: slot s holds the member at ring
    ///      offset ±(s/2 + 1), the slots word matches the definition (active iff the neighbour
    ///      is new, sign iff below it, 0 when inactive), min(K, n − 1) slots are active, the
    ///      active relation is symmetric, and joining takes one commitment per active slot.
    function testFuzz_ActiveSlots(uint256 nSeed, bool k4, bytes32 salt) public {
        uint256 n = bound(nSeed, 3, MAX_N);
        uint8 k = k4 ? 4 : 2;
        anchorSalt = salt;
        uint256 taskId = _ring(n, k);
        uint256 expectedActive = k < n - 1 ? k : n - 1;

        bool[MAX_N][MAX_N] memory adjacent;
        for (uint256 i; i < n; ++i) {
            (address[] memory ring, uint256 slots) = agg.neighbors(taskId, members[i]);
            assertEq(ring.length, k);
            uint256 active;
            for (uint256 s; s < k; ++s) {
                uint256 j = _indexOf(ring[s]);
                assertEq(j, _neighbor(taskId, i, s), "ring offset");
                bool fresh = j != i;
                for (uint256 t; t < s; ++t) {
                    fresh = fresh && ring[t] != ring[s];
                }
                assertEq((slots >> (k + s)) & 1 == 1, fresh, "active bit");
                assertEq((slots >> s) & 1 == 1, fresh && i < j, "sign bit");
                if (fresh) {
                    adjacent[i][j] = true;
                    ++active;
                }
            }
            // Bit 2K: the task escrows its seeds, iff at least 3 slots are active.
            assertEq(slots >> (2 * k), expectedActive >= 3 ? 1 : 0, "escrow bit");
            assertEq(active, expectedActive, "active slots");

            (uint256[] memory commitments,) = _joinArguments(taskId, members[i]);
            assertEq(commitments.length, expectedActive);
            _join(taskId, members[i]);
        }
        for (uint256 i; i < n; ++i) {
            for (uint256 j; j < n; ++j) {
                assertEq(adjacent[i][j], adjacent[j][i], "symmetric");
            }
        }
    }

    /// @dev For a random contributor set, the required reveals are the (contributor,
    ///      non-contributing active neighbour) pairs; each is accepted once, against the
    ///      revealer's commitment for that neighbour, and together they make the chunk
    ///      recoverable.
    function testFuzz_RevealsFollowActiveSlots(uint256 nSeed, bool k4, uint256 subset, bytes32 salt)
        public
    {
        uint256 n = bound(nSeed, 3, MAX_N);
        uint8 k = k4 ? 4 : 2;
        anchorSalt = salt;
        uint256 taskId = _ring(n, k);
        _joinAll(taskId);
        // A random set, plus three ring-consecutive members so that it reaches t_min.
        uint256 contributors = subset & (2 ** n - 1);
        uint256 start = (subset >> 128) % n;
        for (uint256 t; t < T_MIN; ++t) {
            contributors |= 2 ** _at(taskId, start + t);
        }
        for (uint256 i; i < n; ++i) {
            if ((contributors >> i) & 1 == 1) _submit(taskId, 1, i, 0);
        }
        _toSubmissionDeadline(taskId, 1);

        revealVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        uint256 expected;
        for (uint256 i; i < n; ++i) {
            if ((contributors >> i) & 1 == 0) continue;
            (address[] memory ring, uint256 slots) = agg.neighbors(taskId, members[i]);
            for (uint256 s; s < k; ++s) {
                uint256 j = _indexOf(ring[s]);
                if ((slots >> (k + s)) & 1 == 0 || (contributors >> j) & 1 == 1) continue;
                ++expected;
                uint256[] memory masks = _masks(taskId, 1, 0, members[i], ring[s]);
                revealVerifier.allow(_revealInputs(taskId, 1, 0, i, j, masks));
                _reveal(taskId, 1, 0, i, j);
            }
        }
        (uint256 revealed, uint256 required) = agg.chunkReveals(taskId, 1, 0);
        assertEq(required, expected);
        assertEq(revealed, expected);
        assertTrue(_isRecoverable(taskId, 1, 0));
    }

    function _indexOf(address member) internal view returns (uint256) {
        for (uint256 i; i < members.length; ++i) {
            if (members[i] == member) return i;
        }
        revert("not a member");
    }

    /// @dev K = 8 on three members (n ≤ K is allowed): slot 7's offset −4 once underflowed for the
    ///      member at ring position 0; every slot's neighbour is now its offset reduced mod n.
    function test_Neighbors_LargeKOnSmallRing() public {
        IFA.CircuitVariant memory wide = _variant();
        wide.neighbors = 8;
        IFA.TaskConfig memory c = _config();
        c.variant = _deployWithVariant(wide);
        address[] memory three = new address[](3);
        for (uint256 i; i < 3; ++i) {
            three[i] = members[i];
        }
        gov.setMembers(three);
        uint256 taskId = _newTask(c);
        (address[] memory ring, uint256 slots) = agg.neighbors(taskId, members[_at(taskId, 0)]);
        assertEq(ring.length, 8);
        assertEq(slots >> 8, 0x3);
    }

    /// @dev A CKKS task has no ring: `neighbors` says WrongMode (and the key registry, which
    ///      took no keys for it, draws none: `NoSuchTask`, DrawGraph.t.sol).
    function test_RevertWhen_Neighbors_CkksTask() public {
        uint256 ckks = gov.createTask(_ckksConfig());
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongMode.selector, ckks, IFA.Mode.Ckks));
        agg.neighbors(ckks, members[0]);
    }
}
