// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {IVerifierRegistry} from "../../../contracts/interfaces/IVerifierRegistry.sol";
import {MockGroth16Verifier} from "../../../contracts/test/MockGroth16Verifier.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";
import {BabyJubJubReference} from "../utils/BabyJubJubReference.sol";

/// @notice Neighbour slots of small consortia (n ≤ K) and of any ring: a slot is active iff its
///         neighbour is neither the member nor the neighbour of an earlier slot. Sixteen members
///         have keys; each test snapshots the first n into a task.
contract NeighborSlotsTest is AggregatorFixture {
    uint256 internal constant MAX_N = 16;

    /// @dev Registry id of the fixture's variant with K = 2.
    uint32 internal constant VARIANT_K2 = 1;

    /// @dev `MaskedUpdate` mock for K = 2 (the fixture's `verifier` has K = 4's signal count).
    MockGroth16Verifier internal verifierK2;

    function setUp() public override {
        verifierK2 = new MockGroth16Verifier(5 + 2 + W);
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

    /// @dev A task over the first n members with K = k (2 or 4), nobody joined.
    function _ring(uint256 n, uint8 k) internal returns (uint256 taskId) {
        address[] memory first = new address[](n);
        for (uint256 i; i < n; ++i) {
            first[i] = members[i];
        }
        gov.setMembers(first);
        IFA.TaskConfig memory c = _config();
        c.variant = k == 2 ? VARIANT_K2 : VARIANT;
        taskId = gov.createTask(c);
        assertEq(agg.taskCircuit(taskId).neighbors, k);
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
    // n = 3, 4, 5 with K = 4
    // ---------------------------------------------------------------------------------------

    /// @dev n = 3: slots +1, −1 active; +2 and −2 repeat them. Member 0: neighbours 1, 2
    ///      (both above) → 0x33; member 1: 2 (above), 0 → 0x31; member 2: none above → 0x30.
    function test_ThreeMembers_Slots() public {
        uint256 taskId = _ring(3, K);
        uint256[4][] memory rings = new uint256[4][](3);
        rings[0] = [uint256(1), 2, 2, 1];
        rings[1] = [uint256(2), 0, 0, 2];
        rings[2] = [uint256(0), 1, 1, 0];
        uint256[] memory words = new uint256[](3);
        (words[0], words[1], words[2]) = (0x33, 0x31, 0x30);
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

    /// @dev n = 4: slots +1, −1, +2 active; −2 repeats +2. Member 0: 1, 3, 2 → 0x77; member 1:
    ///      2, 0, 3 → 0x75; member 2: 3, 1, 0 → 0x71; member 3: 0, 2, 1 → 0x70.
    function test_FourMembers_Slots() public {
        uint256 taskId = _ring(4, K);
        uint256[4][] memory rings = new uint256[4][](4);
        rings[0] = [uint256(1), 3, 2, 2];
        rings[1] = [uint256(2), 0, 3, 3];
        rings[2] = [uint256(3), 1, 0, 0];
        rings[3] = [uint256(0), 2, 1, 1];
        uint256[] memory words = new uint256[](4);
        (words[0], words[1], words[2], words[3]) = (0x77, 0x75, 0x71, 0x70);
        _assertSlots(taskId, rings, words);
    }

    function test_FourMembers_JoinThreeCommitments() public {
        uint256 taskId = _ring(4, K);
        (uint256[] memory commitments, IFA.Proof[] memory proofs) =
            _joinArguments(taskId, members[1]);
        assertEq(commitments.length, 3);

        // One per K slot is one too many.
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongCommitmentCount.selector, 3, 4));
        vm.prank(members[1]);
        agg.joinTask(taskId, new uint256[](4), new IFA.Proof[](4));

        // PairCommit statements for neighbours 2, 0, 3 only.
        pairVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        uint256[3] memory ring = [uint256(2), 0, 3];
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
        uint256 taskId = _ring(4, K);
        _joinAll(taskId);
        uint256[] memory words = _words(3);
        uint256[] memory inputs = new uint256[](5 + K + W);
        (inputs[0], inputs[1], inputs[2]) = (_domain(taskId), 1, 0);
        inputs[3] = _commitment(taskId, members[1], members[2]);
        inputs[4] = _commitment(taskId, members[1], members[0]);
        inputs[5] = _commitment(taskId, members[1], members[3]);
        inputs[6] = 0;
        inputs[7] = 0x75;
        inputs[8] = BOUND;
        for (uint256 w; w < W; ++w) {
            inputs[9 + w] = words[w];
        }
        verifier.setMode(MockGroth16Verifier.Mode.Strict);
        verifier.allow(inputs);
        vm.prank(members[1]);
        agg.submitChunk(taskId, 1, 0, words, _proof());
    }

    /// @dev Member 3 drops: each of 0, 1, 2 reveals its one mask with 3, though member 1 has 3
    ///      in two slots (+2 active, −2 its inactive repeat). Three reveals, not four.
    function test_FourMembers_DropoutNeedsOneRevealPerPair() public {
        uint256 taskId = _ring(4, K);
        _joinAll(taskId);
        for (uint256 i; i < 3; ++i) {
            _submit(taskId, 1, i, 0);
        }
        _toSubmissionDeadline(taskId, 1);
        (, uint256 required) = agg.chunkReveals(taskId, 1, 0);
        assertEq(required, 3);

        // Member 1's reveal is proven against its slot +2 commitment.
        uint256[] memory masks = _masks(taskId, 1, 0, members[1], members[3]);
        uint256[] memory inputs = _revealInputs(taskId, 1, 0, 1, 3, masks);
        assertEq(agg.pairCommitments(taskId, members[1])[2], inputs[3]);
        revealVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        revealVerifier.allow(inputs);
        _reveal(taskId, 1, 0, 1, 3);
        revealVerifier.setMode(MockGroth16Verifier.Mode.AcceptAll);

        vm.expectRevert(
            abi.encodeWithSelector(
                IFA.MaskAlreadyRevealed.selector, taskId, 1, 0, members[1], members[3]
            )
        );
        vm.prank(members[1]);
        agg.revealMask(taskId, 1, 0, members[3], masks, _proof());

        _reveal(taskId, 1, 0, 0, 3);
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.AwaitingReveals));
        _reveal(taskId, 1, 0, 2, 3);
        (uint256 revealed,) = agg.chunkReveals(taskId, 1, 0);
        assertEq(revealed, 3);
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.Recoverable));
        _finalize(taskId, 1);
        assertEq(agg.roundInfo(taskId, 1).aggregatedChunks, 1);
    }

    /// @dev n = 5 = K + 1: every slot active, every other member exactly once.
    function test_FiveMembers_Slots() public {
        uint256 taskId = _ring(5, K);
        uint256[4][] memory rings = new uint256[4][](5);
        rings[0] = [uint256(1), 4, 2, 3];
        rings[1] = [uint256(2), 0, 3, 4];
        rings[2] = [uint256(3), 1, 4, 0];
        rings[3] = [uint256(4), 2, 0, 1];
        rings[4] = [uint256(0), 3, 1, 2];
        uint256[] memory words = new uint256[](5);
        (words[0], words[1], words[2], words[3], words[4]) = (0xFF, 0xFD, 0xF5, 0xF1, 0xF0);
        _assertSlots(taskId, rings, words);
        (uint256[] memory commitments,) = _joinArguments(taskId, members[0]);
        assertEq(commitments.length, K);
    }

    // ---------------------------------------------------------------------------------------
    // Any ring
    // ---------------------------------------------------------------------------------------

    /// @dev For n in [3, 16] and K in {2, 4}: the slots word matches the definition (active iff
    ///      the neighbour is new, sign iff below it, 0 when inactive), min(K, n − 1) slots are
    ///      active, the active relation is symmetric, and joining takes one commitment per
    ///      active slot.
    function testFuzz_ActiveSlots(uint256 nSeed, bool k4) public {
        uint256 n = bound(nSeed, 3, MAX_N);
        uint8 k = k4 ? 4 : 2;
        uint256 taskId = _ring(n, k);
        uint256 expectedActive = k < n - 1 ? k : n - 1;

        bool[MAX_N][MAX_N] memory adjacent;
        for (uint256 i; i < n; ++i) {
            (address[] memory ring, uint256 slots) = agg.neighbors(taskId, members[i]);
            assertEq(ring.length, k);
            uint256 active;
            for (uint256 s; s < k; ++s) {
                uint256 j = _indexOf(ring[s]);
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
            assertEq(slots >> (2 * k), 0);
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
    function testFuzz_RevealsFollowActiveSlots(uint256 nSeed, bool k4, uint256 subset) public {
        uint256 n = bound(nSeed, 3, MAX_N);
        uint8 k = k4 ? 4 : 2;
        uint256 taskId = _ring(n, k);
        _joinAll(taskId);
        // A random set, plus three ring-consecutive members so that it reaches t_min.
        uint256 contributors = subset & (2 ** n - 1);
        uint256 start = (subset >> 128) % n;
        for (uint256 t; t < T_MIN; ++t) {
            contributors |= 2 ** ((start + t) % n);
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
}
