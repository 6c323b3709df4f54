// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {MockGroth16Verifier} from "../../../contracts/test/MockGroth16Verifier.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";

/// @dev Six members, K = 4: member i's neighbours are i±1 and i±2; 0 and 3 are not neighbours.
///      Chunk 0 has contributors {0, 1, 2} (= t_min), chunk 1 only {0, 1} (void), chunk 2
///      {3, 4, 5}. Required reveals of chunk 0: 0→5, 0→4, 1→3, 1→5, 2→3, 2→4, each by the lower
///      index (it had added the mask, so the contract subtracts it); of chunk 2: 3→1, 3→2, 4→0,
///      4→2, 5→0, 5→1, each by the higher index (it had subtracted it, so the contract adds it).
contract RevealMaskTest is AggregatorFixture {
    uint256 internal taskId;

    function setUp() public override {
        super.setUp();
        taskId = _createTask();
        _submit(taskId, 1, 0, 0);
        _submit(taskId, 1, 1, 0);
        _submit(taskId, 1, 2, 0);
        _submit(taskId, 1, 0, 1);
        _submit(taskId, 1, 1, 1);
        _submit(taskId, 1, 3, 2);
        _submit(taskId, 1, 4, 2);
        _submit(taskId, 1, 5, 2);
        _toSubmissionDeadline(taskId, 1);
    }

    function test_RevealMask() public {
        uint256[] memory masks = _masks(taskId, 1, 0, members[0], members[5]);
        vm.expectEmit(address(agg));
        emit IFA.MaskRevealed(taskId, 1, members[0], 0, members[5]);
        vm.prank(members[0]);
        agg.revealMask(taskId, 1, 0, members[5], masks, _proof());

        assertTrue(agg.maskRevealed(taskId, 1, 0, members[0], members[5]));
        assertFalse(agg.maskRevealed(taskId, 1, 0, members[5], members[0]));
        (uint256 done, uint256 required) = agg.chunkReveals(taskId, 1, 0);
        assertEq(done, 1);
        assertEq(required, 6);
    }

    /// @dev Member 0 is below member 5: it added their mask, so the contract subtracts it.
    function test_RevealMask_SubtractsWhenRevealerBelowDropped() public {
        uint256[] memory before = agg.accumulator(taskId, 1, 0);
        uint256[] memory masks = _reveal(taskId, 1, 0, 0, 5);
        uint256[] memory acc = agg.accumulator(taskId, 1, 0);
        for (uint256 w; w < W; ++w) {
            assertEq(acc[w], addmod(before[w], P - masks[w], P));
        }
    }

    /// @dev Member 3 is above member 1: it subtracted their mask, so the contract adds it.
    function test_RevealMask_AddsWhenRevealerAboveDropped() public {
        uint256[] memory before = agg.accumulator(taskId, 1, 2);
        uint256[] memory masks = _reveal(taskId, 1, 2, 3, 1);
        uint256[] memory acc = agg.accumulator(taskId, 1, 2);
        for (uint256 w; w < W; ++w) {
            assertEq(acc[w], addmod(before[w], masks[w], P));
        }
    }

    /// @dev The field's ends: a zero mask leaves the words, p − 1 moves them by one.
    function test_RevealMask_FieldEnds() public {
        uint256[] memory before = agg.accumulator(taskId, 1, 0);
        uint256[] memory masks = new uint256[](W);
        masks[1] = P - 1;
        masks[2] = 1;
        vm.prank(members[0]);
        agg.revealMask(taskId, 1, 0, members[4], masks, _proof());
        uint256[] memory acc = agg.accumulator(taskId, 1, 0);
        assertEq(acc[0], before[0]);
        assertEq(acc[1], addmod(before[1], 1, P));
        assertEq(acc[2], addmod(before[2], P - 1, P));
        assertEq(acc[3], before[3]);
    }

    /// @dev Any mask, either sign: the accumulator moves by exactly −mask (revealer below the
    ///      dropped neighbour) or +mask (above), mod p.
    function testFuzz_RevealMask_MovesAccumulatorByTheSignedMask(uint256[W] memory raw, bool above)
        public
    {
        (uint256 chunk, uint256 revealer, uint256 dropped) = above ? (2, 4, 0) : (0, 2, 3);
        uint256[] memory masks = new uint256[](W);
        for (uint256 w; w < W; ++w) {
            masks[w] = bound(raw[w], 0, P - 1);
        }
        uint256[] memory before = agg.accumulator(taskId, 1, chunk);
        vm.prank(members[revealer]);
        agg.revealMask(taskId, 1, chunk, members[dropped], masks, _proof());
        uint256[] memory acc = agg.accumulator(taskId, 1, chunk);
        for (uint256 w; w < W; ++w) {
            assertEq(acc[w], addmod(before[w], above ? masks[w] : P - masks[w], P));
        }
    }

    function test_RevealMask_AllRequiredMakesChunkRecoverable() public {
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.AwaitingReveals));
        _revealAll();
        (uint256 done, uint256 required) = agg.chunkReveals(taskId, 1, 0);
        assertEq(done, required);
        assertEq(uint8(agg.chunkStatus(taskId, 1, 0)), uint8(IFA.ChunkStatus.Recoverable));
        assertTrue(_isRecoverable(taskId, 1, 0));
    }

    /// @dev Real masking on a fresh task: every contributor i submits x_i + Σ_j ±m_ij over its
    ///      active neighbours j (+ when i is below j), with random values and masks, for a random
    ///      contributor set. Masks between contributors cancel in the sum; once each contributor
    ///      has revealed its mask with each dropped neighbour, the accumulator is Σ x_i exactly,
    ///      and the sealed `ChunkAggregated` carries it.
    function testFuzz_RevealMask_AccumulatorEqualsPlainSum(
        uint256 subset,
        uint256 maskSalt,
        uint256 valueSalt
    ) public {
        uint256 fresh = _createTask();
        uint256 contributors = subset & (2 ** N_MEMBERS - 1);
        uint256 start = (subset >> 128) % N_MEMBERS;
        for (uint256 t; t < T_MIN; ++t) {
            contributors |= 2 ** ((start + t) % N_MEMBERS);
        }
        uint256[] memory plain = _submitMasked(fresh, contributors, maskSalt, valueSalt);
        _toSubmissionDeadline(fresh, 1);
        uint256 reveals = _revealDropped(fresh, contributors, maskSalt);
        (uint256 done, uint256 required) = agg.chunkReveals(fresh, 1, 0);
        assertEq(done, reveals);
        assertEq(required, reveals);
        assertEq(agg.accumulator(fresh, 1, 0), plain);

        (, uint256 count) = agg.chunkContributors(fresh, 1, 0);
        bytes32 digest = _digestNext(_digestStart(fresh, 1), 0, count, plain);
        vm.expectEmit(address(agg));
        emit IFA.ChunkAggregated(fresh, 1, 0, count, plain, digest);
        agg.finalizeRound(fresh, 1, 1);
    }

    /// @dev Each contributor submits random values x, masked; returns Σ x mod p.
    function _submitMasked(uint256 id, uint256 contributors, uint256 maskSalt, uint256 valueSalt)
        internal
        returns (uint256[] memory plain)
    {
        plain = new uint256[](W);
        for (uint256 i; i < N_MEMBERS; ++i) {
            if ((contributors >> i) & 1 == 0) continue;
            uint256[] memory x = _words(uint256(keccak256(abi.encode(valueSalt, i))));
            for (uint256 w; w < W; ++w) {
                plain[w] = addmod(plain[w], x[w], P);
            }
            uint256[] memory y = _masked(id, i, x, maskSalt);
            vm.prank(members[i]);
            agg.submitChunk(id, 1, 0, y, _proof());
        }
    }

    /// @dev Each contributor reveals its mask with each non-contributing neighbour; returns
    ///      how many reveals that took.
    function _revealDropped(uint256 id, uint256 contributors, uint256 maskSalt)
        internal
        returns (uint256 reveals)
    {
        for (uint256 i; i < N_MEMBERS; ++i) {
            if ((contributors >> i) & 1 == 0) continue;
            (address[] memory ring,) = agg.neighbors(id, members[i]);
            for (uint256 s; s < K; ++s) {
                uint256 j = _indexOf(ring[s]);
                if ((contributors >> j) & 1 == 1) continue;
                uint256[] memory m = _pairMask(i, j, maskSalt);
                vm.prank(members[i]);
                agg.revealMask(id, 1, 0, ring[s], m, _proof());
                ++reveals;
            }
        }
    }

    /// @dev x masked as member i does it: + m_ij for a neighbour above i, − m_ij below.
    function _masked(uint256 id, uint256 i, uint256[] memory x, uint256 salt)
        internal
        view
        returns (uint256[] memory y)
    {
        y = new uint256[](W);
        for (uint256 w; w < W; ++w) {
            y[w] = x[w];
        }
        (address[] memory ring,) = agg.neighbors(id, members[i]);
        for (uint256 s; s < K; ++s) {
            uint256 j = _indexOf(ring[s]);
            uint256[] memory m = _pairMask(i, j, salt);
            for (uint256 w; w < W; ++w) {
                y[w] = addmod(y[w], i < j ? m[w] : P - m[w], P);
            }
        }
    }

    /// @dev Random pair masks, symmetric, with the field's ends mixed in.
    function _pairMask(uint256 i, uint256 j, uint256 salt)
        internal
        pure
        returns (uint256[] memory m)
    {
        (uint256 low, uint256 high) = i < j ? (i, j) : (j, i);
        m = new uint256[](W);
        for (uint256 w; w < W; ++w) {
            uint256 r = uint256(keccak256(abi.encode(salt, low, high, w)));
            m[w] = r % 5 == 0 ? 0 : r % 5 == 1 ? P - 1 : r % P;
        }
    }

    function _indexOf(address member) internal view returns (uint256) {
        for (uint256 i; i < N_MEMBERS; ++i) {
            if (members[i] == member) return i;
        }
        revert("not a member");
    }

    /// @dev `MaskReveal` public signals: D, round, chunk, the revealer's commitment of the slot
    ///      holding the dropped neighbour, masks. Member 1's slot +2 holds member 3.
    function test_RevealMask_PublicInputOrder() public {
        uint256[] memory masks = _masks(taskId, 1, 0, members[1], members[3]);
        revealVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        revealVerifier.allow(_revealInputs(taskId, 1, 0, 1, 3, masks));

        vm.prank(members[1]);
        agg.revealMask(taskId, 1, 0, members[3], masks, _proof());

        // The same proof for another dropped neighbour (slot −2) is another statement.
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidProof.selector, taskId, 1, 0, members[1]));
        vm.prank(members[1]);
        agg.revealMask(taskId, 1, 0, members[5], masks, _proof());
    }

    /// @dev Other masks than the proven ones are refused: the proof binds every word.
    function test_RevertWhen_RevealMask_MasksDifferFromTheProven() public {
        uint256[] memory masks = _masks(taskId, 1, 0, members[1], members[3]);
        revealVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        revealVerifier.allow(_revealInputs(taskId, 1, 0, 1, 3, masks));
        uint256[] memory before = agg.accumulator(taskId, 1, 0);

        masks[W - 1] = (masks[W - 1] + 1) % P;
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidProof.selector, taskId, 1, 0, members[1]));
        vm.prank(members[1]);
        agg.revealMask(taskId, 1, 0, members[3], masks, _proof());
        assertEq(agg.accumulator(taskId, 1, 0), before);
    }

    /// @dev Member 0's slot −2 (slot 3, the last one) holds member 4; slot −1 holds member 5.
    function test_RevealMask_PublicInputs_CommitmentOfTheDroppedNeighboursSlot() public {
        uint256[] memory to4 = _masks(taskId, 1, 0, members[0], members[4]);
        uint256[] memory to5 = _masks(taskId, 1, 0, members[0], members[5]);
        revealVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        revealVerifier.allow(_revealInputs(taskId, 1, 0, 0, 4, to4));
        revealVerifier.allow(_revealInputs(taskId, 1, 0, 0, 5, to5));
        assertEq(
            agg.pairCommitments(taskId, members[0])[3], _commitment(taskId, members[0], members[4])
        );

        vm.prank(members[0]);
        agg.revealMask(taskId, 1, 0, members[4], to4, _proof());
        vm.prank(members[0]);
        agg.revealMask(taskId, 1, 0, members[5], to5, _proof());
        (uint256 done,) = agg.chunkReveals(taskId, 1, 0);
        assertEq(done, 2);
    }

    /// @dev A member removed by vote is a dropout like any other: its neighbours still remove
    ///      their masks with it (here 0 and 1 with 5, who did not send chunk 0), and the chunk
    ///      becomes Recoverable.
    function test_RevealMask_ForNeighbourRemovedFromGovernance() public {
        _removeFromGovernance(members[5]);
        uint256[] memory before = agg.accumulator(taskId, 1, 0);
        uint256[] memory masks = _reveal(taskId, 1, 0, 0, 5);
        uint256[] memory acc = agg.accumulator(taskId, 1, 0);
        for (uint256 w; w < W; ++w) {
            assertEq(acc[w], addmod(before[w], P - masks[w], P));
        }
        assertTrue(agg.maskRevealed(taskId, 1, 0, members[0], members[5]));
        _reveal(taskId, 1, 0, 0, 4);
        _reveal(taskId, 1, 0, 1, 3);
        _reveal(taskId, 1, 0, 1, 5);
        _reveal(taskId, 1, 0, 2, 3);
        _reveal(taskId, 1, 0, 2, 4);
        assertTrue(_isRecoverable(taskId, 1, 0));
    }

    /// @dev `revealMask` asks for no governance membership: a contributor removed after
    ///      submitting (5, chunk 2) still removes its masks with its dropped neighbours, without
    ///      which its chunk could not be recovered.
    function test_RevealMask_ByContributorRemovedFromGovernance() public {
        _removeFromGovernance(members[5]);
        uint256[] memory before = agg.accumulator(taskId, 1, 2);
        uint256[] memory masks = _reveal(taskId, 1, 2, 5, 0);
        uint256[] memory acc = agg.accumulator(taskId, 1, 2);
        for (uint256 w; w < W; ++w) {
            assertEq(acc[w], addmod(before[w], masks[w], P));
        }
        assertTrue(agg.maskRevealed(taskId, 1, 2, members[5], members[0]));
    }

    function test_RevertWhen_RevealMask_NotJoined() public {
        uint256 fresh = gov.createTask(_config());
        for (uint256 i; i < 3; ++i) {
            _join(fresh, members[i]);
            _submit(fresh, 1, i, 0);
        }
        _toSubmissionDeadline(fresh, 1);
        // Member 3 never joined (so never contributed): refused before the contributor checks.
        vm.expectRevert(abi.encodeWithSelector(IFA.NotJoined.selector, fresh, members[3]));
        vm.prank(members[3]);
        agg.revealMask(fresh, 1, 0, members[4], new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_NotNeighborBeforeNotJoined() public {
        uint256 fresh = gov.createTask(_config());
        _toSubmissionDeadline(fresh, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.NotNeighbor.selector, fresh, members[3], members[0])
        );
        vm.prank(members[3]);
        agg.revealMask(fresh, 1, 0, members[0], new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_BeforeDeadline() public {
        uint256 fresh = _createTask();
        _submit(fresh, 1, 0, 0);
        uint256 deadline = agg.roundInfo(fresh, 1).submissionDeadline;
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundStillOpen.selector, fresh, 1, deadline));
        vm.prank(members[0]);
        agg.revealMask(fresh, 1, 0, members[5], new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_AtRevealDeadline() public {
        _toRevealDeadline(taskId, 1);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.RevealWindowClosed.selector, taskId, 1, block.timestamp)
        );
        vm.prank(members[0]);
        agg.revealMask(taskId, 1, 0, members[5], new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_AfterFinalization() public {
        _toRevealDeadline(taskId, 1);
        _finalize(taskId, 1);
        vm.expectRevert(abi.encodeWithSelector(IFA.NotCurrentRound.selector, taskId, 1, 2));
        vm.prank(members[0]);
        agg.revealMask(taskId, 1, 0, members[5], new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_CkksTask() public {
        uint256 ckks = gov.createTask(_ckksConfig());
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongMode.selector, ckks, IFA.Mode.Ckks));
        vm.prank(members[0]);
        agg.revealMask(ckks, 1, 0, members[5], new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_CallerNotTaskMember() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.NotTaskMember.selector, taskId, outsider));
        vm.prank(outsider);
        agg.revealMask(taskId, 1, 0, members[5], new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_DroppedNotTaskMember() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.NotTaskMember.selector, taskId, outsider));
        vm.prank(members[0]);
        agg.revealMask(taskId, 1, 0, outsider, new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_ChunkOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.ChunkOutOfRange.selector, taskId, 3, CHUNKS));
        vm.prank(members[0]);
        agg.revealMask(taskId, 1, 3, members[5], new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_NotNeighbor() public {
        vm.expectRevert(
            abi.encodeWithSelector(IFA.NotNeighbor.selector, taskId, members[0], members[3])
        );
        vm.prank(members[0]);
        agg.revealMask(taskId, 1, 0, members[3], new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_ForSelf() public {
        vm.expectRevert(
            abi.encodeWithSelector(IFA.NotNeighbor.selector, taskId, members[0], members[0])
        );
        vm.prank(members[0]);
        agg.revealMask(taskId, 1, 0, members[0], new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_CallerDidNotContribute() public {
        vm.expectRevert(
            abi.encodeWithSelector(IFA.NotContributor.selector, taskId, 1, 0, members[3])
        );
        vm.prank(members[3]);
        agg.revealMask(taskId, 1, 0, members[4], new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_NeighborContributed() public {
        vm.expectRevert(
            abi.encodeWithSelector(IFA.NeighborContributed.selector, taskId, 1, 0, members[1])
        );
        vm.prank(members[0]);
        agg.revealMask(taskId, 1, 0, members[1], new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_ChunkVoid() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.ChunkVoid.selector, taskId, 1, 1, 2, T_MIN));
        vm.prank(members[0]);
        agg.revealMask(taskId, 1, 1, members[5], new uint256[](W), _proof());
    }

    /// @dev Once per pair, with the same or other masks; the accumulator moves once.
    function test_RevertWhen_RevealMask_Twice() public {
        uint256[] memory masks = _reveal(taskId, 1, 0, 0, 5);
        uint256[] memory afterFirst = agg.accumulator(taskId, 1, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IFA.MaskAlreadyRevealed.selector, taskId, 1, 0, members[0], members[5]
            )
        );
        vm.prank(members[0]);
        agg.revealMask(taskId, 1, 0, members[5], masks, _proof());
        vm.expectRevert(
            abi.encodeWithSelector(
                IFA.MaskAlreadyRevealed.selector, taskId, 1, 0, members[0], members[5]
            )
        );
        vm.prank(members[0]);
        agg.revealMask(taskId, 1, 0, members[5], new uint256[](W), _proof());
        assertEq(agg.accumulator(taskId, 1, 0), afterFirst);
        (uint256 done,) = agg.chunkReveals(taskId, 1, 0);
        assertEq(done, 1);
    }

    function testFuzz_RevertWhen_RevealMask_WrongWordCount(uint8 length) public {
        vm.assume(length != W);
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongWordCount.selector, W, length));
        vm.prank(members[0]);
        agg.revealMask(taskId, 1, 0, members[5], new uint256[](length), _proof());
    }

    function testFuzz_RevertWhen_RevealMask_WordOutOfField(uint256 index, uint256 word) public {
        index = bound(index, 0, W - 1);
        word = bound(word, P, type(uint256).max);
        uint256[] memory masks = _masks(taskId, 1, 0, members[0], members[5]);
        masks[index] = word;
        vm.expectRevert(abi.encodeWithSelector(IFA.WordOutOfField.selector, index, word));
        vm.prank(members[0]);
        agg.revealMask(taskId, 1, 0, members[5], masks, _proof());
    }

    function test_RevertWhen_RevealMask_InvalidProof() public {
        revealVerifier.setMode(MockGroth16Verifier.Mode.RejectAll);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidProof.selector, taskId, 1, 0, members[0]));
        vm.prank(members[0]);
        agg.revealMask(taskId, 1, 0, members[5], new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_VerifierReverts() public {
        revealVerifier.setMode(MockGroth16Verifier.Mode.Reverting);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidProof.selector, taskId, 1, 0, members[0]));
        vm.prank(members[0]);
        agg.revealMask(taskId, 1, 0, members[5], new uint256[](W), _proof());
    }

    function _revealAll() internal {
        _reveal(taskId, 1, 0, 0, 5);
        _reveal(taskId, 1, 0, 0, 4);
        _reveal(taskId, 1, 0, 1, 3);
        _reveal(taskId, 1, 0, 1, 5);
        _reveal(taskId, 1, 0, 2, 3);
        _reveal(taskId, 1, 0, 2, 4);
    }
}
