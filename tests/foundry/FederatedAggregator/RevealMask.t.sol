// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {MockGroth16Verifier} from "../../../contracts/test/MockGroth16Verifier.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";

/// @dev Six members on the task's drawn ring, K = 4; r[p] is the member at ring position p, whose
///      neighbours are r[p ± 1] and r[p ± 2]; r[0] and r[3] are not neighbours. Chunk 0 has
///      contributors {r0, r1, r2} (= t_min), chunk 1 only {r0, r1} (void), chunk 2 {r3, r4, r5}.
///      Required reveals of chunk 0: r0→r5, r0→r4, r1→r3, r1→r5, r2→r3, r2→r4; of chunk 2 the
///      same pairs the other way round. A revealer whose index is below the dropped member's had
///      added the mask, so the contract subtracts it; above, it adds it back.
contract RevealMaskTest is AggregatorFixture {
    uint256 internal taskId;
    uint256[6] internal r;

    function setUp() public override {
        super.setUp();
        taskId = _createTask();
        for (uint256 p; p < N_MEMBERS; ++p) {
            r[p] = _at(taskId, p);
        }
        _submit(taskId, 1, r[0], 0);
        _submit(taskId, 1, r[1], 0);
        _submit(taskId, 1, r[2], 0);
        _submit(taskId, 1, r[0], 1);
        _submit(taskId, 1, r[1], 1);
        _submit(taskId, 1, r[3], 2);
        _submit(taskId, 1, r[4], 2);
        _submit(taskId, 1, r[5], 2);
        _toSubmissionDeadline(taskId, 1);
    }

    /// @dev A required reveal of the pair {r0, r5} whose revealer is below (`below`) or above
    ///      the dropped member: r0 in chunk 0 or r5 in chunk 2, whichever has that order.
    function _pair(bool below)
        internal
        view
        returns (uint256 chunk, uint256 revealer, uint256 dropped)
    {
        (chunk, revealer, dropped) = (r[0] < r[5]) == below ? (0, r[0], r[5]) : (2, r[5], r[0]);
        assertEq(revealer < dropped, below);
    }

    function test_RevealMask() public {
        (address m0, address m5) = (members[r[0]], members[r[5]]);
        uint256[] memory masks = _masks(taskId, 1, 0, m0, m5);
        vm.expectEmit(address(agg));
        emit IFA.MaskRevealed(taskId, 1, m0, 0, m5);
        vm.prank(m0);
        agg.revealMask(taskId, 1, 0, m5, masks, _proof());

        assertTrue(agg.maskRevealed(taskId, 1, 0, m0, m5));
        assertFalse(agg.maskRevealed(taskId, 1, 0, m5, m0));
        (uint256 done, uint256 required) = agg.chunkReveals(taskId, 1, 0);
        assertEq(done, 1);
        assertEq(required, 6);
    }

    /// @dev The revealer is below the dropped member: it added their mask, so the contract
    ///      subtracts it.
    function test_RevealMask_SubtractsWhenRevealerBelowDropped() public {
        (uint256 chunk, uint256 revealer, uint256 dropped) = _pair(true);
        uint256[] memory before = agg.accumulator(taskId, 1, chunk);
        uint256[] memory masks = _reveal(taskId, 1, chunk, revealer, dropped);
        uint256[] memory acc = agg.accumulator(taskId, 1, chunk);
        for (uint256 w; w < W; ++w) {
            assertEq(acc[w], addmod(before[w], P - masks[w], P));
        }
    }

    /// @dev The revealer is above the dropped member: it subtracted their mask, so the contract
    ///      adds it.
    function test_RevealMask_AddsWhenRevealerAboveDropped() public {
        (uint256 chunk, uint256 revealer, uint256 dropped) = _pair(false);
        uint256[] memory before = agg.accumulator(taskId, 1, chunk);
        uint256[] memory masks = _reveal(taskId, 1, chunk, revealer, dropped);
        uint256[] memory acc = agg.accumulator(taskId, 1, chunk);
        for (uint256 w; w < W; ++w) {
            assertEq(acc[w], addmod(before[w], masks[w], P));
        }
    }

    /// @dev The field's ends: a zero mask leaves the words, p − 1 moves them by one (a revealer
    ///      below the dropped member: subtracted).
    function test_RevealMask_FieldEnds() public {
        (uint256 chunk, uint256 revealer, uint256 dropped) = _pair(true);
        uint256[] memory before = agg.accumulator(taskId, 1, chunk);
        uint256[] memory masks = new uint256[](W);
        masks[1] = P - 1;
        masks[2] = 1;
        vm.prank(members[revealer]);
        agg.revealMask(taskId, 1, chunk, members[dropped], masks, _proof());
        uint256[] memory acc = agg.accumulator(taskId, 1, chunk);
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
        (uint256 chunk, uint256 revealer, uint256 dropped) = _pair(!above);
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
        uint256 valueSalt,
        bytes32 ringSalt
    ) public {
        anchorSalt = ringSalt;
        _registerSpareKeys(1); // task 1 took every member's first key
        uint256 fresh = _createTask();
        uint256 contributors = subset & (2 ** N_MEMBERS - 1);
        // Three ring-consecutive members, so that it reaches t_min.
        uint256 start = (subset >> 128) % N_MEMBERS;
        for (uint256 t; t < T_MIN; ++t) {
            contributors |= 2 ** _at(fresh, start + t);
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
            agg.submitChunk(id, 1, 0, y, _escrow(), _proof());
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
            assertEq(j, _neighbor(id, i, s), "ring offset");
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
            uint256 random = uint256(keccak256(abi.encode(salt, low, high, w)));
            m[w] = random % 5 == 0 ? 0 : random % 5 == 1 ? P - 1 : random % P;
        }
    }

    function _indexOf(address member) internal view returns (uint256) {
        for (uint256 i; i < N_MEMBERS; ++i) {
            if (members[i] == member) return i;
        }
        revert("not a member");
    }

    /// @dev `MaskReveal` public signals: D, round, chunk, the revealer's commitment of the slot
    ///      holding the dropped neighbour, masks. r1's slot +2 holds r3, its slot −2 r5.
    function test_RevealMask_PublicInputOrder() public {
        assertEq(_neighbor(taskId, r[1], 2), r[3]);
        assertEq(_neighbor(taskId, r[1], 3), r[5]);
        uint256[] memory masks = _masks(taskId, 1, 0, members[r[1]], members[r[3]]);
        revealVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        revealVerifier.allow(_revealInputs(taskId, 1, 0, r[1], r[3], masks));

        vm.prank(members[r[1]]);
        agg.revealMask(taskId, 1, 0, members[r[3]], masks, _proof());

        // The same proof for another dropped neighbour (slot −2) is another statement.
        vm.expectRevert(
            abi.encodeWithSelector(IFA.InvalidProof.selector, taskId, 1, 0, members[r[1]])
        );
        vm.prank(members[r[1]]);
        agg.revealMask(taskId, 1, 0, members[r[5]], masks, _proof());
    }

    /// @dev Other masks than the proven ones are refused: the proof binds every word.
    function test_RevertWhen_RevealMask_MasksDifferFromTheProven() public {
        uint256[] memory masks = _masks(taskId, 1, 0, members[r[1]], members[r[3]]);
        revealVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        revealVerifier.allow(_revealInputs(taskId, 1, 0, r[1], r[3], masks));
        uint256[] memory before = agg.accumulator(taskId, 1, 0);

        masks[W - 1] = (masks[W - 1] + 1) % P;
        vm.expectRevert(
            abi.encodeWithSelector(IFA.InvalidProof.selector, taskId, 1, 0, members[r[1]])
        );
        vm.prank(members[r[1]]);
        agg.revealMask(taskId, 1, 0, members[r[3]], masks, _proof());
        assertEq(agg.accumulator(taskId, 1, 0), before);
    }

    /// @dev r0's slot −2 (slot 3, the last one) holds r4; its slot −1 holds r5.
    function test_RevealMask_PublicInputs_CommitmentOfTheDroppedNeighboursSlot() public {
        assertEq(_neighbor(taskId, r[0], 3), r[4]);
        assertEq(_neighbor(taskId, r[0], 1), r[5]);
        uint256[] memory to4 = _masks(taskId, 1, 0, members[r[0]], members[r[4]]);
        uint256[] memory to5 = _masks(taskId, 1, 0, members[r[0]], members[r[5]]);
        revealVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        revealVerifier.allow(_revealInputs(taskId, 1, 0, r[0], r[4], to4));
        revealVerifier.allow(_revealInputs(taskId, 1, 0, r[0], r[5], to5));
        assertEq(
            agg.pairCommitments(taskId, members[r[0]])[3],
            _commitment(taskId, members[r[0]], members[r[4]])
        );

        vm.prank(members[r[0]]);
        agg.revealMask(taskId, 1, 0, members[r[4]], to4, _proof());
        vm.prank(members[r[0]]);
        agg.revealMask(taskId, 1, 0, members[r[5]], to5, _proof());
        (uint256 done,) = agg.chunkReveals(taskId, 1, 0);
        assertEq(done, 2);
    }

    /// @dev A member removed by vote is a dropout like any other: its neighbours still remove
    ///      their masks with it (here r0 and r1 with r5, who did not send chunk 0), and the
    ///      chunk becomes Recoverable.
    function test_RevealMask_ForNeighbourRemovedFromGovernance() public {
        _removeFromGovernance(members[r[5]]);
        uint256[] memory before = agg.accumulator(taskId, 1, 0);
        uint256[] memory masks = _reveal(taskId, 1, 0, r[0], r[5]);
        _assertMovedBySignedMask(before, agg.accumulator(taskId, 1, 0), masks, r[0] < r[5]);
        assertTrue(agg.maskRevealed(taskId, 1, 0, members[r[0]], members[r[5]]));
        _reveal(taskId, 1, 0, r[0], r[4]);
        _reveal(taskId, 1, 0, r[1], r[3]);
        _reveal(taskId, 1, 0, r[1], r[5]);
        _reveal(taskId, 1, 0, r[2], r[3]);
        _reveal(taskId, 1, 0, r[2], r[4]);
        assertTrue(_isRecoverable(taskId, 1, 0));
    }

    /// @dev `revealMask` asks for no governance membership: a contributor removed after
    ///      submitting (r5, chunk 2) still removes its masks with its dropped neighbours,
    ///      without which its chunk could not be recovered.
    function test_RevealMask_ByContributorRemovedFromGovernance() public {
        _removeFromGovernance(members[r[5]]);
        uint256[] memory before = agg.accumulator(taskId, 1, 2);
        uint256[] memory masks = _reveal(taskId, 1, 2, r[5], r[0]);
        _assertMovedBySignedMask(before, agg.accumulator(taskId, 1, 2), masks, r[5] < r[0]);
        assertTrue(agg.maskRevealed(taskId, 1, 2, members[r[5]], members[r[0]]));
    }

    function test_RevertWhen_RevealMask_NotJoined() public {
        _registerSpareKeys(1); // task 1 took every member's first key
        uint256 fresh = _newTask(_config());
        for (uint256 p; p < 3; ++p) {
            _join(fresh, members[_at(fresh, p)]);
            _submit(fresh, 1, _at(fresh, p), 0);
        }
        _toSubmissionDeadline(fresh, 1);
        // The member at position 3 never joined (so never contributed): refused before the
        // contributor checks, for its neighbour at position 4.
        (address revealer, address dropped) = (members[_at(fresh, 3)], members[_at(fresh, 4)]);
        vm.expectRevert(abi.encodeWithSelector(IFA.NotJoined.selector, fresh, revealer));
        vm.prank(revealer);
        agg.revealMask(fresh, 1, 0, dropped, new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_NotNeighborBeforeNotJoined() public {
        _registerSpareKeys(1); // task 1 took every member's first key
        uint256 fresh = _newTask(_config());
        _toSubmissionDeadline(fresh, 1);
        (address revealer, address across) = (members[_at(fresh, 3)], members[_at(fresh, 0)]);
        vm.expectRevert(abi.encodeWithSelector(IFA.NotNeighbor.selector, fresh, revealer, across));
        vm.prank(revealer);
        agg.revealMask(fresh, 1, 0, across, new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_BeforeDeadline() public {
        _registerSpareKeys(1); // task 1 took every member's first key
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
        vm.prank(members[r[0]]);
        agg.revealMask(taskId, 1, 0, members[r[5]], new uint256[](W), _proof());
    }

    /// @dev The recovery window that follows the reveal window is no time for `revealMask`.
    function test_RevertWhen_RevealMask_InTheRecoveryWindow() public {
        uint256 deadline = agg.roundInfo(taskId, 1).revealDeadline;
        vm.warp(agg.roundInfo(taskId, 1).recoveryDeadline - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.RevealWindowClosed.selector, taskId, 1, deadline)
        );
        vm.prank(members[r[0]]);
        agg.revealMask(taskId, 1, 0, members[r[5]], new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_AfterFinalization() public {
        _toRecoveryDeadline(taskId, 1);
        _finalize(taskId, 1);
        vm.expectRevert(abi.encodeWithSelector(IFA.NotCurrentRound.selector, taskId, 1, 2));
        vm.prank(members[r[0]]);
        agg.revealMask(taskId, 1, 0, members[r[5]], new uint256[](W), _proof());
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
        agg.revealMask(taskId, 1, 0, members[r[5]], new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_DroppedNotTaskMember() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.NotTaskMember.selector, taskId, outsider));
        vm.prank(members[r[0]]);
        agg.revealMask(taskId, 1, 0, outsider, new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_ChunkOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.ChunkOutOfRange.selector, taskId, 3, CHUNKS));
        vm.prank(members[r[0]]);
        agg.revealMask(taskId, 1, 3, members[r[5]], new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_NotNeighbor() public {
        vm.expectRevert(
            abi.encodeWithSelector(IFA.NotNeighbor.selector, taskId, members[r[0]], members[r[3]])
        );
        vm.prank(members[r[0]]);
        agg.revealMask(taskId, 1, 0, members[r[3]], new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_ForSelf() public {
        vm.expectRevert(
            abi.encodeWithSelector(IFA.NotNeighbor.selector, taskId, members[r[0]], members[r[0]])
        );
        vm.prank(members[r[0]]);
        agg.revealMask(taskId, 1, 0, members[r[0]], new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_CallerDidNotContribute() public {
        vm.expectRevert(
            abi.encodeWithSelector(IFA.NotContributor.selector, taskId, 1, 0, members[r[3]])
        );
        vm.prank(members[r[3]]);
        agg.revealMask(taskId, 1, 0, members[r[4]], new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_NeighborContributed() public {
        vm.expectRevert(
            abi.encodeWithSelector(IFA.NeighborContributed.selector, taskId, 1, 0, members[r[1]])
        );
        vm.prank(members[r[0]]);
        agg.revealMask(taskId, 1, 0, members[r[1]], new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_ChunkVoid() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.ChunkVoid.selector, taskId, 1, 1, 2, T_MIN));
        vm.prank(members[r[0]]);
        agg.revealMask(taskId, 1, 1, members[r[5]], new uint256[](W), _proof());
    }

    /// @dev Once per pair, with the same or other masks; the accumulator moves once.
    function test_RevertWhen_RevealMask_Twice() public {
        uint256[] memory masks = _reveal(taskId, 1, 0, r[0], r[5]);
        uint256[] memory afterFirst = agg.accumulator(taskId, 1, 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IFA.MaskAlreadyRevealed.selector, taskId, 1, 0, members[r[0]], members[r[5]]
            )
        );
        vm.prank(members[r[0]]);
        agg.revealMask(taskId, 1, 0, members[r[5]], masks, _proof());
        vm.expectRevert(
            abi.encodeWithSelector(
                IFA.MaskAlreadyRevealed.selector, taskId, 1, 0, members[r[0]], members[r[5]]
            )
        );
        vm.prank(members[r[0]]);
        agg.revealMask(taskId, 1, 0, members[r[5]], new uint256[](W), _proof());
        assertEq(agg.accumulator(taskId, 1, 0), afterFirst);
        (uint256 done,) = agg.chunkReveals(taskId, 1, 0);
        assertEq(done, 1);
    }

    function testFuzz_RevertWhen_RevealMask_WrongWordCount(uint8 length) public {
        vm.assume(length != W);
        vm.expectRevert(abi.encodeWithSelector(IFA.WrongWordCount.selector, W, length));
        vm.prank(members[r[0]]);
        agg.revealMask(taskId, 1, 0, members[r[5]], new uint256[](length), _proof());
    }

    function testFuzz_RevertWhen_RevealMask_WordOutOfField(uint256 index, uint256 word) public {
        index = bound(index, 0, W - 1);
        word = bound(word, P, type(uint256).max);
        uint256[] memory masks = _masks(taskId, 1, 0, members[r[0]], members[r[5]]);
        masks[index] = word;
        vm.expectRevert(abi.encodeWithSelector(IFA.WordOutOfField.selector, index, word));
        vm.prank(members[r[0]]);
        agg.revealMask(taskId, 1, 0, members[r[5]], masks, _proof());
    }

    function test_RevertWhen_RevealMask_InvalidProof() public {
        revealVerifier.setMode(MockGroth16Verifier.Mode.RejectAll);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.InvalidProof.selector, taskId, 1, 0, members[r[0]])
        );
        vm.prank(members[r[0]]);
        agg.revealMask(taskId, 1, 0, members[r[5]], new uint256[](W), _proof());
    }

    function test_RevertWhen_RevealMask_VerifierReverts() public {
        revealVerifier.setMode(MockGroth16Verifier.Mode.Reverting);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.InvalidProof.selector, taskId, 1, 0, members[r[0]])
        );
        vm.prank(members[r[0]]);
        agg.revealMask(taskId, 1, 0, members[r[5]], new uint256[](W), _proof());
    }

    /// @dev `acc` is `before` less the mask (`added`: the revealer had added it) or plus it.
    function _assertMovedBySignedMask(
        uint256[] memory before,
        uint256[] memory acc,
        uint256[] memory masks,
        bool added
    ) internal pure {
        for (uint256 w; w < W; ++w) {
            assertEq(acc[w], addmod(before[w], added ? P - masks[w] : masks[w], P));
        }
    }

    function _revealAll() internal {
        _reveal(taskId, 1, 0, r[0], r[5]);
        _reveal(taskId, 1, 0, r[0], r[4]);
        _reveal(taskId, 1, 0, r[1], r[3]);
        _reveal(taskId, 1, 0, r[1], r[5]);
        _reveal(taskId, 1, 0, r[2], r[3]);
        _reveal(taskId, 1, 0, r[2], r[4]);
    }
}
