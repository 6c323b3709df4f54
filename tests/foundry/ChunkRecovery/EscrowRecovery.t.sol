// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {ChunkRecovery} from "../../../contracts/ChunkRecovery.sol";
import {IChunkRecovery as IRec} from "../../../contracts/interfaces/IChunkRecovery.sol";
import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {MockGroth16Verifier} from "../../../contracts/test/MockGroth16Verifier.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";
import {EscrowReference} from "../utils/EscrowReference.sol";

/// @notice Seed escrow recovery on `ChunkRecovery`: in the recovery window [reveal deadline,
///         recovery deadline) anyone opens the shares of the seed a contributor escrowed for its
///         pair with a dropped neighbour (`revealShare`, an `EscrowPad` proof per holder), and
///         once every holder's share is open removes the pair's mask with a `SeedMask` proof of
///         the summed seed (`recoverMask`), exactly as the contributor's own `revealMask` would.
/// @dev Sixteen members (`_enrolMembers`) on the fixture's variant (K = 4: ring neighbours at
///      ±1 and ±2; every member has four active slots, so the task escrows), t_min = 3;
///      members are named by ring position p (`m[p]`, their index). Chunk 0's contributors
///      are positions 0–4 (`_sendFive`), masked as the protocol masks (+ m_ij below the
///      neighbour, − above) with the fixture's pair masks, their escrow built by
///      `EscrowReference` (keccak stand-ins for seeds and pads). Its required reveals are
///      0→15, 0→14, 1→15, 3→5, 4→5, 4→6; the pair (0, 15) — owner at position 0, dropped at
///      15, owner's slot 1 (−1) — has holders at 1 (slot 0), 2 (slot 2) and 14 (slot 3),
///      one of them a dropped member too.
contract EscrowRecoveryTest is AggregatorFixture {
    uint256 internal constant N = 16;
    uint256 internal constant E = uint256(K) * (K - 1);

    uint256 internal taskId;
    ChunkRecovery internal recovery;
    /// @dev m[p]: the member index at ring position p.
    uint256[N] internal m;
    /// @dev round → chunk → member index → its submitted words and escrow.
    mapping(uint256 => mapping(uint256 => mapping(uint256 => uint256[]))) internal _sentWords;
    mapping(uint256 => mapping(uint256 => mapping(uint256 => uint256[]))) internal _sentEscrows;
    /// @dev round → chunk → Σ of the contributors' unmasked values.
    mapping(uint256 => mapping(uint256 => uint256[])) internal _plain;

    function setUp() public override {
        super.setUp();
        _enrolMembers(N);
        taskId = _createTask();
        recovery = _recovery();
        for (uint256 p; p < N; ++p) {
            m[p] = _at(taskId, p);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------

    /// @dev Member i's neighbours by slot.
    function _ringOf(uint256 i) internal view returns (uint256[] memory ring) {
        ring = new uint256[](K);
        for (uint256 s; s < K; ++s) {
            ring[s] = _neighbor(taskId, i, s);
        }
    }

    /// @dev The slot of member i that holds member j.
    function _slot(uint256 i, uint256 j) internal view returns (uint256) {
        uint256[] memory ring = _ringOf(i);
        for (uint256 s; s < K; ++s) {
            if (ring[s] == j) return s;
        }
        revert("not a neighbour");
    }

    /// @dev Member i submits `chunk` of `round`: a value x masked with its pair masks, and the
    ///      escrow of its seeds; x is added to the chunk's plain sum.
    function _send(uint256 round, uint256 chunk, uint256 i) internal {
        uint256[] memory escrow = EscrowReference.escrow(
            i, _ringOf(i), K, true, _domain(taskId), round, chunk, uint256(keccak256("salt"))
        );
        _sendWith(round, chunk, i, escrow);
    }

    function _sendWith(uint256 round, uint256 chunk, uint256 i, uint256[] memory escrow) internal {
        uint256[] memory x = _words(uint256(keccak256(abi.encode("value", round, chunk, i))));
        uint256[] memory y = new uint256[](W);
        if (_plain[round][chunk].length == 0) _plain[round][chunk] = new uint256[](W);
        for (uint256 w; w < W; ++w) {
            y[w] = x[w];
            _plain[round][chunk][w] = addmod(_plain[round][chunk][w], x[w], P);
        }
        uint256[] memory ring = _ringOf(i);
        for (uint256 s; s < K; ++s) {
            uint256[] memory mask = _masks(taskId, round, chunk, members[i], members[ring[s]]);
            for (uint256 w; w < W; ++w) {
                y[w] = addmod(y[w], i < ring[s] ? mask[w] : P - mask[w], P);
            }
        }
        vm.prank(members[i]);
        agg.submitChunk(taskId, round, chunk, y, escrow, _proof());
        _sentWords[round][chunk][i] = y;
        _sentEscrows[round][chunk][i] = escrow;
    }

    /// @dev Positions 0–4 submit chunk 0 of round 1.
    function _sendFive() internal {
        for (uint256 p; p < 5; ++p) {
            _send(1, 0, m[p]);
        }
    }

    /// @dev In the reveal window, every required reveal of chunk 0 but owner 0's with 15.
    function _revealAllButTheOwners() internal {
        _toSubmissionDeadline(taskId, 1);
        _reveal(taskId, 1, 0, m[0], m[14]);
        _reveal(taskId, 1, 0, m[1], m[15]);
        _reveal(taskId, 1, 0, m[3], m[5]);
        _reveal(taskId, 1, 0, m[4], m[5]);
        _reveal(taskId, 1, 0, m[4], m[6]);
    }

    /// @dev The arguments of one `revealShare` call, right ones by default.
    struct Share {
        uint256 round;
        uint256 chunk;
        uint256 owner;
        uint256 dropped;
        uint256 holder;
        bytes32 wordsHash;
        uint256[] escrow;
        uint256 pad;
    }

    /// @dev What `owner`'s holder `holder` of its seed with `dropped` reveals: the hash of the
    ///      owner's words, its escrow and the pad of entry e(j, h).
    function _share(uint256 round, uint256 chunk, uint256 owner, uint256 dropped, uint256 holder)
        internal
        view
        returns (Share memory c)
    {
        (c.round, c.chunk, c.owner, c.dropped, c.holder) = (round, chunk, owner, dropped, holder);
        c.wordsHash = keccak256(abi.encodePacked(round, _sentWords[round][chunk][owner]));
        c.escrow = _sentEscrows[round][chunk][owner];
        c.pad = EscrowReference.pad(owner, holder, _domain(taskId), round, chunk, _tag(c));
    }

    /// @dev tag(j, h) of a share.
    function _tag(Share memory c) internal view returns (uint256) {
        return EscrowReference.tag(
            _slot(c.owner, c.dropped), _slot(c.owner, c.holder), K, c.owner < c.holder
        );
    }

    /// @dev The share a right call opens: escrow[e(j, h)] − pad.
    function _shareValue(Share memory c) internal view returns (uint256) {
        uint256 e = EscrowReference.entry(_slot(c.owner, c.dropped), _slot(c.owner, c.holder), K);
        return addmod(c.escrow[e], P - c.pad, P);
    }

    /// @dev `revealShare` with `c`, sent by the holder (anyone may).
    function _call(Share memory c) internal {
        vm.prank(members[c.holder]);
        recovery.revealShare(
            taskId,
            c.round,
            c.chunk,
            members[c.owner],
            members[c.dropped],
            members[c.holder],
            c.wordsHash,
            c.escrow,
            c.pad,
            _proof()
        );
    }

    function _revealShare(uint256 owner, uint256 dropped, uint256 holder) internal {
        _call(_share(1, 0, owner, dropped, holder));
    }

    /// @dev Every holder of the seed of (owner, dropped) opens its share.
    function _revealShares(uint256 owner, uint256 dropped) internal {
        uint256[] memory ring = _ringOf(owner);
        for (uint256 s; s < K; ++s) {
            if (ring[s] != dropped) _revealShare(owner, dropped, ring[s]);
        }
    }

    /// @dev `recoverMask` of the pair with the fixture's pair masks, sent by `outsider`.
    function _recover(uint256 owner, uint256 dropped) internal returns (uint256[] memory masks) {
        masks = _masks(taskId, 1, 0, members[owner], members[dropped]);
        vm.prank(outsider);
        recovery.recoverMask(taskId, 1, 0, members[owner], members[dropped], masks, _proof());
    }

    function _seed(uint256 a, uint256 b) internal view returns (uint256) {
        return EscrowReference.seed(a, b, _domain(taskId), 1, 0);
    }

    function _status(uint256 chunk) internal view returns (uint8) {
        return uint8(agg.chunkStatus(taskId, 1, chunk));
    }

    // ---------------------------------------------------------------------------------------
    // The happy path
    // ---------------------------------------------------------------------------------------

    /// @dev Owner 0 stays silent about dropped 15 through the reveal window; the chunk awaits
    ///      that reveal into the recovery window (sealing is refused). Holders 1, 2 and 14 open
    ///      their shares (each `ShareRevealed` carries escrow − pad; `escrowedSeed` counts them
    ///      and is complete at three with the pair's seed), then anyone removes the mask with a
    ///      `SeedMask` proof of exactly that seed: `MaskRecovered`, the pair marked revealed
    ///      for the owner, six of six reveals, the chunk Recoverable with the plain sum of its
    ///      five contributors, sealed so before the recovery deadline.
    function test_RecoverMask() public {
        _sendFive();
        _revealAllButTheOwners();
        (uint256 owner, uint256 dropped) = (m[0], m[15]);
        IFA.RoundInfo memory info = agg.roundInfo(taskId, 1);
        vm.warp(info.revealDeadline);
        assertEq(_status(0), uint8(IFA.ChunkStatus.AwaitingReveals));
        vm.expectRevert(
            abi.encodeWithSelector(IFA.RevealsPending.selector, taskId, 1, 0, info.recoveryDeadline)
        );
        agg.finalizeRound(taskId, 1, 1);

        uint256 seed = _openSharesOneByOne(owner, dropped, [m[1], m[2], m[14]]);
        assertEq(seed, _seed(owner, dropped), "the shares add up to the seed");
        _allowSeedMask(owner, dropped, seed);
        vm.expectEmit(address(recovery));
        emit IRec.MaskRecovered(taskId, 1, 0, members[owner], members[dropped]);
        _recover(owner, dropped);

        assertTrue(agg.maskRevealed(taskId, 1, 0, members[owner], members[dropped]));
        (uint256 revealed, uint256 required) = agg.chunkReveals(taskId, 1, 0);
        assertEq(revealed, 6);
        assertEq(required, 6);
        assertEq(_status(0), uint8(IFA.ChunkStatus.Recoverable));
        assertEq(agg.accumulator(taskId, 1, 0), _plain[1][0], "the plain sum of 0-4");

        assertLt(block.timestamp, info.recoveryDeadline);
        bytes32 digest = _digestNext(_digestStart(taskId, 1), 0, 5, _plain[1][0]);
        vm.expectEmit(address(agg));
        emit IFA.ChunkAggregated(taskId, 1, 0, 5, _plain[1][0], digest);
        agg.finalizeRound(taskId, 1, 1);
        assertEq(agg.roundInfo(taskId, 1).aggregatedChunks, 1);
    }

    /// @dev The holders open their shares in turn: `escrowedSeed` marks each one's slot, each
    ///      `ShareRevealed` carries escrow − pad, complete at the last; returns the seed.
    function _openSharesOneByOne(uint256 owner, uint256 dropped, uint256[3] memory holders)
        internal
        returns (uint256 sum)
    {
        for (uint256 t; t < 3; ++t) {
            (, uint256 before, bool done) =
                recovery.escrowedSeed(taskId, 1, 0, members[owner], members[dropped]);
            assertEq(_popcount(before), t);
            assertFalse(done);
            Share memory c = _share(1, 0, owner, dropped, holders[t]);
            uint256 share = _shareValue(c);
            sum = addmod(sum, share, P);
            vm.expectEmit(address(recovery));
            emit IRec.ShareRevealed(
                taskId, 1, 0, members[owner], members[dropped], members[holders[t]], share
            );
            _call(c);
        }
        (uint256 seed, uint256 count, bool complete) =
            recovery.escrowedSeed(taskId, 1, 0, members[owner], members[dropped]);
        assertEq(seed, sum);
        assertEq(_popcount(count), 3);
        assertTrue(complete);
    }

    /// @dev The `SeedMask` mock accepts exactly (seed, the pair's masks) from now on.
    function _allowSeedMask(uint256 owner, uint256 dropped, uint256 seed) internal {
        uint256[] memory masks = _masks(taskId, 1, 0, members[owner], members[dropped]);
        uint256[] memory inputs = new uint256[](1 + W);
        inputs[0] = seed;
        for (uint256 w; w < W; ++w) {
            inputs[1 + w] = masks[w];
        }
        seedMaskVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        seedMaskVerifier.allow(inputs);
    }

    /// @dev Every required pair of chunk 0 recovered from its escrow instead of revealed (no
    ///      contributor reveals anything): each `recoverMask` moves the accumulator by −mask
    ///      when the owner's index is below the dropped one's (it had added the mask) and +mask
    ///      otherwise, both cases occur, and the chunk ends with the plain sum.
    function test_RecoverMask_SignOfTheOwnersMask() public {
        _sendFive();
        _toRevealDeadline(taskId, 1);
        uint256[2][6] memory pairs =
            [[m[0], m[15]], [m[0], m[14]], [m[1], m[15]], [m[3], m[5]], [m[4], m[5]], [m[4], m[6]]];
        bool[2] memory seen;
        for (uint256 t; t < pairs.length; ++t) {
            (uint256 owner, uint256 dropped) = (pairs[t][0], pairs[t][1]);
            _revealShares(owner, dropped);
            uint256[] memory before = agg.accumulator(taskId, 1, 0);
            uint256[] memory masks = _recover(owner, dropped);
            uint256[] memory acc = agg.accumulator(taskId, 1, 0);
            for (uint256 w; w < W; ++w) {
                assertEq(acc[w], addmod(before[w], owner < dropped ? P - masks[w] : masks[w], P));
            }
            seen[owner < dropped ? 0 : 1] = true;
        }
        assertTrue(seen[0] && seen[1], "both signs");
        assertEq(_status(0), uint8(IFA.ChunkStatus.Recoverable));
        assertEq(agg.accumulator(taskId, 1, 0), _plain[1][0]);
    }

    /// @dev Anyone may send both calls (the proofs are what only owner and holder can make).
    function test_RevealShare_ByAnyone() public {
        _sendFive();
        _toRevealDeadline(taskId, 1);
        Share memory c = _share(1, 0, m[0], m[15], m[1]);
        vm.prank(makeAddr("anyone"));
        recovery.revealShare(
            taskId,
            1,
            0,
            members[c.owner],
            members[c.dropped],
            members[c.holder],
            c.wordsHash,
            c.escrow,
            c.pad,
            _proof()
        );
        (, uint256 holders,) = recovery.escrowedSeed(taskId, 1, 0, members[m[0]], members[m[15]]);
        assertEq(_popcount(holders), 1);
    }

    /// @dev `EscrowPad` public inputs: D, round, chunk, the owner's commitment of the holder's
    ///      slot (= the pair's), tag(j, h) with the sign bit of the owner below the holder, the
    ///      pad. Each holder's statement is its own: another holder's inputs are refused.
    function test_RevealShare_PublicInputOrder() public {
        _sendFive();
        _toRevealDeadline(taskId, 1);
        (uint256 owner, uint256 dropped) = (m[0], m[15]);
        uint256[3] memory holders = [m[1], m[2], m[14]];
        escrowVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        for (uint256 t; t < 3; ++t) {
            Share memory c = _share(1, 0, owner, dropped, holders[t]);
            uint256[] memory inputs = new uint256[](6);
            (inputs[0], inputs[1], inputs[2]) = (_domain(taskId), 1, 0);
            inputs[3] = _commitment(taskId, members[owner], members[holders[t]]);
            assertEq(inputs[3], agg.pairCommitments(taskId, members[owner])[_slot(owner, c.holder)]);
            uint256 j = _slot(owner, dropped);
            uint256 h = _slot(owner, c.holder);
            inputs[4] = 1 + (j * (K - 1) + h - (h > j ? 1 : 0)) + (owner < c.holder ? E : 0);
            inputs[5] = c.pad;
            if (t == 0) {
                // Not yet allowed: refused, naming the holder.
                vm.expectRevert(
                    abi.encodeWithSelector(
                        IFA.InvalidProof.selector, taskId, 1, 0, members[c.holder]
                    )
                );
                _call(c);
            }
            escrowVerifier.allow(inputs);
            _call(c);
        }
        (,, bool complete) = recovery.escrowedSeed(taskId, 1, 0, members[owner], members[dropped]);
        assertTrue(complete);
    }

    /// @dev The tag's sign bit: for the pairs of chunk 0, owner below and above a holder both
    ///      occur, and the contract's tag is 1 + e(j, h) + E·[owner < holder] in each case.
    function test_RevealShare_TagSignBit() public {
        _sendFive();
        _toRevealDeadline(taskId, 1);
        escrowVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        bool[2] memory seen;
        uint256[2][6] memory pairs =
            [[m[0], m[15]], [m[0], m[14]], [m[1], m[15]], [m[3], m[5]], [m[4], m[5]], [m[4], m[6]]];
        for (uint256 t; t < pairs.length; ++t) {
            (uint256 owner, uint256 dropped) = (pairs[t][0], pairs[t][1]);
            uint256[] memory ring = _ringOf(owner);
            for (uint256 s; s < K; ++s) {
                if (ring[s] == dropped) continue;
                Share memory c = _share(1, 0, owner, dropped, ring[s]);
                uint256[] memory inputs = new uint256[](6);
                (inputs[0], inputs[1], inputs[2]) = (_domain(taskId), 1, 0);
                inputs[3] = _commitment(taskId, members[owner], members[ring[s]]);
                inputs[4] = _tag(c);
                inputs[5] = c.pad;
                escrowVerifier.allow(inputs);
                _call(c);
                seen[owner < ring[s] ? 1 : 0] = true;
            }
        }
        assertTrue(seen[0] && seen[1], "both sign bits");
    }

    /// @dev Whatever the seed and its shares over the three holders (the last one the seed
    ///      less the others) and whatever the pads, the shares the contract opens
    ///      (escrow − pad mod p) are the shares, their sum is the seed, and `recoverMask` proves
    ///      the masks against exactly that seed.
    function testFuzz_RevealShare_SharesReconstructTheSeed(
        uint256 seed,
        uint256[2] memory shares,
        uint256[3] memory pads
    ) public {
        seed = bound(seed, 0, P - 1);
        (uint256 owner, uint256 dropped) = (m[0], m[15]);
        (uint256[] memory escrow, uint256[3] memory expected, uint256[3] memory holders) =
            _sharedEscrow(seed, shares, pads);
        _sendWith(1, 0, owner, escrow);
        for (uint256 p = 1; p < 5; ++p) {
            _send(1, 0, m[p]);
        }
        _toRevealDeadline(taskId, 1);

        vm.recordLogs();
        for (uint256 t; t < 3; ++t) {
            Share memory c = _share(1, 0, owner, dropped, holders[t]);
            c.pad = pads[t];
            _call(c);
        }
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 3);
        for (uint256 t; t < 3; ++t) {
            assertEq(logs[t].topics[0], IRec.ShareRevealed.selector);
            (,,, uint256 share) = abi.decode(logs[t].data, (uint256, address, address, uint256));
            assertEq(share, expected[t], "share = escrow - pad");
        }
        (uint256 sum,, bool complete) =
            recovery.escrowedSeed(taskId, 1, 0, members[owner], members[dropped]);
        assertTrue(complete);
        assertEq(sum, seed);
        _assertRecoversWith(owner, dropped, seed);
    }

    /// @dev Owner 0's escrow in which the seed of its slot holding 15 is `seed`, shared as
    ///      `shares` and the rest over its three holders (slot order) with pads `pads` (bound
    ///      below p in place); every other entry 0.
    function _sharedEscrow(uint256 seed, uint256[2] memory shares, uint256[3] memory pads)
        internal
        view
        returns (uint256[] memory escrow, uint256[3] memory expected, uint256[3] memory holders)
    {
        uint256 j = _slot(m[0], m[15]);
        uint256[] memory ring = _ringOf(m[0]);
        escrow = new uint256[](E);
        uint256 rest = seed;
        uint256 t;
        for (uint256 h; h < K; ++h) {
            if (h == j) continue;
            expected[t] = t < 2 ? bound(shares[t], 0, P - 1) : rest;
            rest = addmod(rest, P - expected[t], P);
            pads[t] = bound(pads[t], 0, P - 1);
            holders[t] = ring[h];
            escrow[EscrowReference.entry(j, h, K)] = addmod(expected[t], pads[t], P);
            ++t;
        }
    }

    /// @dev `recoverMask` of the pair succeeds with a `SeedMask` verifier that accepts exactly
    ///      (seed, the pair's masks).
    function _assertRecoversWith(uint256 owner, uint256 dropped, uint256 seed) internal {
        _allowSeedMask(owner, dropped, seed);
        _recover(owner, dropped);
        assertTrue(agg.maskRevealed(taskId, 1, 0, members[owner], members[dropped]));
    }

    /// @dev `escrowedSeed` of a pair nobody opened, or of no pair at all, is all zero.
    function test_EscrowedSeed_Empty() public view {
        (uint256 sum, uint256 holders, bool complete) =
            recovery.escrowedSeed(taskId, 1, 0, members[m[0]], members[m[15]]);
        assertEq(sum, 0);
        assertEq(holders, 0);
        assertFalse(complete);
        (sum, holders, complete) = recovery.escrowedSeed(99, 7, 3, outsider, outsider);
        assertEq(sum + holders, 0);
        assertFalse(complete);
    }

    /// @dev A recovered owner stays a contributor: its component reaches t_min (as every share
    ///      reveal checked), so no withdrawal takes its words out after its mask left.
    function test_RecoverMask_OwnerStaysAContributor() public {
        _sendFive();
        _revealAllButTheOwners();
        _toRevealDeadline(taskId, 1);
        _revealShares(m[0], m[15]);
        _recover(m[0], m[15]);
        uint256[] memory words = _sentWords[1][0][m[0]];
        uint256[] memory escrow = _sentEscrows[1][0][m[0]];
        vm.expectRevert(
            abi.encodeWithSelector(
                IFA.ComponentNotIsolated.selector, taskId, 1, 0, members[m[0]], 3
            )
        );
        recovery.withdrawChunk(taskId, 1, 0, members[m[0]], words, escrow);
    }

    // ---------------------------------------------------------------------------------------
    // Refusals: time and task
    // ---------------------------------------------------------------------------------------

    /// @dev Before the reveal deadline (while the round is open, at the submission deadline, at
    ///      the reveal deadline's last second) and from the recovery deadline on, both calls are
    ///      refused with the window.
    function test_RevertWhen_NotInRecoveryWindow() public {
        _sendFive();
        IFA.RoundInfo memory info = agg.roundInfo(taskId, 1);
        bytes memory refused = abi.encodeWithSelector(
            IRec.NotInRecoveryWindow.selector, taskId, 1, info.revealDeadline, info.recoveryDeadline
        );
        uint256[4] memory times = [
            block.timestamp,
            info.submissionDeadline,
            uint256(info.revealDeadline) - 1,
            info.recoveryDeadline
        ];
        uint256[] memory masks = new uint256[](W);
        for (uint256 t; t < times.length; ++t) {
            vm.warp(times[t]);
            Share memory c = _share(1, 0, m[0], m[15], m[1]);
            vm.expectRevert(refused);
            _call(c);
            vm.expectRevert(refused);
            recovery.recoverMask(taskId, 1, 0, members[m[0]], members[m[15]], masks, _proof());
        }
    }

    /// @dev A task whose members have fewer than three active slots escrows nothing: K = 2, or
    ///      K = 4 with three members. Its recovery window is empty; both calls say so.
    function test_RevertWhen_EscrowOff() public {
        // Three members, K = 4: two active slots.
        address[] memory three = new address[](3);
        (three[0], three[1], three[2]) = (members[0], members[1], members[2]);
        gov.setMembers(three);
        _registerSpareKeys(1); // the setUp task took every member's first key
        uint256 small = _createTask();
        _assertEscrowOff(small);

        // K = 2 on sixteen members.
        IFA.CircuitVariant memory k2 = _variant();
        k2.neighbors = 2;
        k2.verifier = address(new MockGroth16Verifier(5 + 2 + W + 2));
        IFA.TaskConfig memory c = _config();
        c.variant = _deployWithVariant(k2); // a fresh deployment of the sixteen members
        recovery = _recovery();
        uint256 narrow = _newTask(c);
        _joinAll(narrow);
        assertEq(agg.taskMembers(narrow).length, N);
        _assertEscrowOff(narrow);
    }

    function _assertEscrowOff(uint256 id) internal {
        IFA.RoundInfo memory info = agg.roundInfo(id, 1);
        assertEq(info.recoveryDeadline, info.revealDeadline);
        vm.warp(info.revealDeadline);
        bytes memory off = abi.encodeWithSelector(IRec.EscrowOff.selector, id);
        address[] memory snapshot = agg.taskMembers(id);
        vm.expectRevert(off);
        recovery.revealShare(
            id,
            1,
            0,
            snapshot[0],
            snapshot[1],
            snapshot[2],
            bytes32(0),
            new uint256[](0),
            0,
            _proof()
        );
        vm.expectRevert(off);
        recovery.recoverMask(id, 1, 0, snapshot[0], snapshot[1], new uint256[](W), _proof());
    }

    function test_RevertWhen_Recovery_UnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.UnknownTask.selector, 99));
        recovery.revealShare(
            99, 1, 0, members[0], members[1], members[2], bytes32(0), _escrow(), 0, _proof()
        );
        vm.expectRevert(abi.encodeWithSelector(IFA.UnknownTask.selector, 99));
        recovery.recoverMask(99, 1, 0, members[0], members[1], new uint256[](W), _proof());
    }

    /// @dev Only the current round: a later one has not started, an earlier one has ended.
    function test_RevertWhen_Recovery_NotTheCurrentRound() public {
        _toSubmissionDeadline(taskId, 1);
        agg.abortRound(taskId, 1);
        _toRevealDeadline(taskId, 2);
        uint256[] memory masks = new uint256[](W);
        vm.expectRevert(abi.encodeWithSelector(IFA.RoundNotStarted.selector, taskId, 3));
        recovery.recoverMask(taskId, 3, 0, members[m[0]], members[m[15]], masks, _proof());
        vm.expectRevert(
            abi.encodeWithSelector(IFA.RoundEnded.selector, taskId, 1, IFA.RoundStatus.Aborted)
        );
        recovery.recoverMask(taskId, 1, 0, members[m[0]], members[m[15]], masks, _proof());
        Share memory c = _share(1, 0, m[0], m[15], m[1]);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.RoundEnded.selector, taskId, 1, IFA.RoundStatus.Aborted)
        );
        _call(c);
    }

    function test_RevertWhen_Recovery_ChunkOutOfRange() public {
        _sendFive();
        _toRevealDeadline(taskId, 1);
        Share memory c = _share(1, 0, m[0], m[15], m[1]);
        c.chunk = CHUNKS;
        vm.expectRevert(
            abi.encodeWithSelector(IFA.ChunkOutOfRange.selector, taskId, CHUNKS, CHUNKS)
        );
        _call(c);
    }

    /// @dev Chunk 0, every member a contributor, is sealed by a batch of one in the recovery
    ///      window while chunk 1 (positions 0–4) still awaits a reveal: chunk 0 is refused,
    ///      chunk 1 still recovers.
    function test_RevertWhen_Recovery_ChunkSealed() public {
        for (uint256 p; p < N; ++p) {
            _send(1, 0, m[p]);
        }
        for (uint256 p; p < 5; ++p) {
            _send(1, 1, m[p]);
        }
        _toRevealDeadline(taskId, 1);
        agg.finalizeRound(taskId, 1, 1);
        assertEq(agg.roundInfo(taskId, 1).sealedChunks, 1);
        bytes memory sealed_ = abi.encodeWithSelector(IFA.ChunkSealed.selector, taskId, 1, 0);
        Share memory c = _share(1, 0, m[0], m[15], m[1]);
        vm.expectRevert(sealed_);
        _call(c);
        uint256[] memory masks = new uint256[](W);
        vm.expectRevert(sealed_);
        recovery.recoverMask(taskId, 1, 0, members[m[0]], members[m[15]], masks, _proof());
        _call(_share(1, 1, m[0], m[15], m[1]));
    }

    // ---------------------------------------------------------------------------------------
    // Refusals: the pair and the holder
    // ---------------------------------------------------------------------------------------

    function test_RevertWhen_Recovery_OwnerNotContributor() public {
        _sendFive();
        _toRevealDeadline(taskId, 1);
        Share memory c = _share(1, 0, m[6], m[5], m[7]);
        bytes memory refused =
            abi.encodeWithSelector(IFA.NotContributor.selector, taskId, 1, 0, members[m[6]]);
        vm.expectRevert(refused);
        _call(c);
        uint256[] memory masks = new uint256[](W);
        vm.expectRevert(refused);
        recovery.recoverMask(taskId, 1, 0, members[m[6]], members[m[5]], masks, _proof());
    }

    function test_RevertWhen_Recovery_DroppedContributed() public {
        _sendFive();
        _toRevealDeadline(taskId, 1);
        Share memory c = _share(1, 0, m[0], m[1], m[2]);
        bytes memory refused =
            abi.encodeWithSelector(IFA.NeighborContributed.selector, taskId, 1, 0, members[m[1]]);
        vm.expectRevert(refused);
        _call(c);
        uint256[] memory masks = new uint256[](W);
        vm.expectRevert(refused);
        recovery.recoverMask(taskId, 1, 0, members[m[0]], members[m[1]], masks, _proof());
    }

    /// @dev Position 8 is no neighbour of position 0 (nor is the owner itself).
    function test_RevertWhen_Recovery_DroppedNotANeighbour() public {
        _sendFive();
        _toRevealDeadline(taskId, 1);
        uint256[] memory masks = new uint256[](W);
        vm.expectRevert(
            abi.encodeWithSelector(IFA.NotNeighbor.selector, taskId, members[m[0]], members[m[8]])
        );
        recovery.recoverMask(taskId, 1, 0, members[m[0]], members[m[8]], masks, _proof());
        vm.expectRevert(
            abi.encodeWithSelector(IFA.NotNeighbor.selector, taskId, members[m[0]], members[m[0]])
        );
        recovery.recoverMask(taskId, 1, 0, members[m[0]], members[m[0]], masks, _proof());
        vm.expectRevert(abi.encodeWithSelector(IFA.NotTaskMember.selector, taskId, outsider));
        recovery.recoverMask(taskId, 1, 0, members[m[0]], outsider, masks, _proof());
        vm.expectRevert(abi.encodeWithSelector(IFA.NotTaskMember.selector, taskId, outsider));
        recovery.recoverMask(taskId, 1, 0, outsider, members[m[15]], masks, _proof());
    }

    /// @dev The holder must be one of owner's active slots other than the dropped one's: the
    ///      dropped member itself, the owner, a non-neighbour (position 8) are refused; an
    ///      account outside the task is not a member.
    function test_RevertWhen_RevealShare_NotAHolder() public {
        _sendFive();
        _toRevealDeadline(taskId, 1);
        uint256[3] memory wrong = [m[15], m[0], m[8]];
        for (uint256 t; t < 3; ++t) {
            Share memory c = _share(1, 0, m[0], m[15], m[1]);
            c.holder = wrong[t];
            vm.expectRevert(
                abi.encodeWithSelector(
                    IRec.NotAHolder.selector,
                    taskId,
                    members[m[0]],
                    members[m[15]],
                    members[wrong[t]]
                )
            );
            _call(c);
        }
        Share memory d = _share(1, 0, m[0], m[15], m[1]);
        vm.expectRevert(abi.encodeWithSelector(IFA.NotTaskMember.selector, taskId, outsider));
        recovery.revealShare(
            taskId,
            1,
            0,
            members[m[0]],
            members[m[15]],
            outsider,
            d.wordsHash,
            d.escrow,
            d.pad,
            _proof()
        );
    }

    /// @dev Owner 0 removed its mask with 14 itself in the reveal window: nothing to recover
    ///      for that pair.
    function test_RevertWhen_Recovery_MaskAlreadyRevealedByTheOwner() public {
        _sendFive();
        _revealAllButTheOwners();
        _toRevealDeadline(taskId, 1);
        bytes memory refused = abi.encodeWithSelector(
            IFA.MaskAlreadyRevealed.selector, taskId, 1, 0, members[m[0]], members[m[14]]
        );
        Share memory c = _share(1, 0, m[0], m[14], m[1]);
        vm.expectRevert(refused);
        _call(c);
        uint256[] memory masks = _masks(taskId, 1, 0, members[m[0]], members[m[14]]);
        vm.expectRevert(refused);
        recovery.recoverMask(taskId, 1, 0, members[m[0]], members[m[14]], masks, _proof());
    }

    /// @dev Once recovered, the pair is done: another share or a second recovery is refused.
    function test_RevertWhen_Recovery_AlreadyRecovered() public {
        _sendFive();
        _toRevealDeadline(taskId, 1);
        _revealShares(m[0], m[15]);
        uint256[] memory masks = _recover(m[0], m[15]);
        bytes memory refused = abi.encodeWithSelector(
            IFA.MaskAlreadyRevealed.selector, taskId, 1, 0, members[m[0]], members[m[15]]
        );
        Share memory c = _share(1, 0, m[0], m[15], m[1]);
        vm.expectRevert(refused);
        _call(c);
        vm.expectRevert(refused);
        recovery.recoverMask(taskId, 1, 0, members[m[0]], members[m[15]], masks, _proof());
    }

    function test_RevertWhen_RevealShare_Twice() public {
        _sendFive();
        _toRevealDeadline(taskId, 1);
        _revealShare(m[0], m[15], m[2]);
        Share memory c = _share(1, 0, m[0], m[15], m[2]);
        vm.expectRevert(
            abi.encodeWithSelector(
                IRec.ShareAlreadyRevealed.selector,
                taskId,
                1,
                0,
                members[m[0]],
                members[m[15]],
                members[m[2]]
            )
        );
        _call(c);
        (, uint256 holders,) = recovery.escrowedSeed(taskId, 1, 0, members[m[0]], members[m[15]]);
        assertEq(_popcount(holders), 1);
    }

    /// @dev Only the owner's own words hash and escrow of this round: another hash (a word
    ///      changed, another round's), an escrow entry changed, the escrow cut short or
    ///      another member's are refused, naming the owner.
    function test_RevertWhen_RevealShare_NotTheSubmittedEscrow() public {
        _sendFive();
        _toRevealDeadline(taskId, 1);
        bytes memory refused = abi.encodeWithSelector(
            IRec.NotTheSubmittedEscrow.selector, taskId, 1, 0, members[m[0]]
        );
        Share memory c = _share(1, 0, m[0], m[15], m[1]);
        c.wordsHash = keccak256(abi.encodePacked(uint256(2), _sentWords[1][0][m[0]]));
        vm.expectRevert(refused);
        _call(c);

        c = _share(1, 0, m[0], m[15], m[1]);
        c.escrow[3] = addmod(c.escrow[3], 1, P);
        vm.expectRevert(refused);
        _call(c);

        c = _share(1, 0, m[0], m[15], m[1]);
        uint256[] memory shorter = new uint256[](E - 1);
        for (uint256 e; e < E - 1; ++e) {
            shorter[e] = c.escrow[e];
        }
        c.escrow = shorter;
        vm.expectRevert(refused);
        _call(c);

        c = _share(1, 0, m[0], m[15], m[1]);
        c.escrow = _sentEscrows[1][0][m[1]];
        vm.expectRevert(refused);
        _call(c);

        // The right ones pass.
        _revealShare(m[0], m[15], m[1]);
    }

    /// @dev Zero, one and two of three shares: refused with the count.
    function test_RevertWhen_RecoverMask_SharesIncomplete() public {
        _sendFive();
        _toRevealDeadline(taskId, 1);
        uint256[] memory masks = _masks(taskId, 1, 0, members[m[0]], members[m[15]]);
        uint256[3] memory holders = [m[1], m[2], m[14]];
        for (uint256 t; t < 3; ++t) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    IRec.SharesIncomplete.selector,
                    taskId,
                    1,
                    0,
                    members[m[0]],
                    members[m[15]],
                    t,
                    3
                )
            );
            recovery.recoverMask(taskId, 1, 0, members[m[0]], members[m[15]], masks, _proof());
            _revealShare(m[0], m[15], holders[t]);
        }
        _recover(m[0], m[15]);
    }

    /// @dev Contributors {0, 1, 2} and the isolated pair {8, 9}: owner 8's component has two
    ///      members, below t_min: its seed with dropped 7 would publish 8 + 9's sum, so no share
    ///      of it is opened (8 is to be withdrawn instead).
    function test_RevertWhen_RevealShare_OwnerIsolated() public {
        for (uint256 p; p < 3; ++p) {
            _send(1, 0, m[p]);
        }
        _send(1, 0, m[8]);
        _send(1, 0, m[9]);
        _toRevealDeadline(taskId, 1);
        Share memory c = _share(1, 0, m[8], m[7], m[9]);
        vm.expectRevert(
            abi.encodeWithSelector(IRec.OwnerIsolated.selector, taskId, 1, 0, members[m[8]], 2)
        );
        _call(c);
        // Owner 2 (component {0, 1, 2}: t_min) opens shares for dropped 3.
        _revealShare(m[2], m[3], m[1]);
    }

    /// @dev A chunk below t_min (two contributors) is void: nothing to recover.
    function test_RevertWhen_Recovery_ChunkVoid() public {
        _send(1, 1, m[0]);
        _send(1, 1, m[1]);
        _toRevealDeadline(taskId, 1);
        Share memory c = _share(1, 1, m[0], m[15], m[1]);
        vm.expectRevert(abi.encodeWithSelector(IFA.ChunkVoid.selector, taskId, 1, 1, 2, T_MIN));
        _call(c);
    }

    // ---------------------------------------------------------------------------------------
    // Refusals: proofs
    // ---------------------------------------------------------------------------------------

    /// @dev A refused `EscrowPad` proof names the holder; so does a pad outside the field
    ///      (which no verifier would accept), before the verifier is asked.
    function test_RevertWhen_RevealShare_InvalidProof() public {
        _sendFive();
        _toRevealDeadline(taskId, 1);
        Share memory c = _share(1, 0, m[0], m[15], m[2]);
        bytes memory refused =
            abi.encodeWithSelector(IFA.InvalidProof.selector, taskId, 1, 0, members[m[2]]);
        escrowVerifier.setMode(MockGroth16Verifier.Mode.RejectAll);
        vm.expectRevert(refused);
        _call(c);
        escrowVerifier.setMode(MockGroth16Verifier.Mode.Reverting);
        vm.expectRevert(refused);
        _call(c);
        escrowVerifier.setMode(MockGroth16Verifier.Mode.AcceptAll);
        c.pad = P;
        vm.expectRevert(refused);
        _call(c);
        (, uint256 holders,) = recovery.escrowedSeed(taskId, 1, 0, members[m[0]], members[m[15]]);
        assertEq(holders, 0);
    }

    /// @dev A refused `SeedMask` proof names the owner; masks are checked for their count and
    ///      field first; nothing changes.
    function test_RevertWhen_RecoverMask_InvalidProof() public {
        _sendFive();
        _toRevealDeadline(taskId, 1);
        _revealShares(m[0], m[15]);
        (address owner, address dropped) = (members[m[0]], members[m[15]]);
        uint256[] memory masks = _masks(taskId, 1, 0, owner, dropped);
        uint256[] memory before = agg.accumulator(taskId, 1, 0);

        seedMaskVerifier.setMode(MockGroth16Verifier.Mode.RejectAll);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidProof.selector, taskId, 1, 0, owner));
        recovery.recoverMask(taskId, 1, 0, owner, dropped, masks, _proof());

        // Strict: only the recovered seed with these masks.
        (uint256 seed,,) = recovery.escrowedSeed(taskId, 1, 0, owner, dropped);
        uint256[] memory inputs = new uint256[](1 + W);
        inputs[0] = seed;
        for (uint256 w; w < W; ++w) {
            inputs[1 + w] = masks[w];
        }
        seedMaskVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        seedMaskVerifier.allow(inputs);
        masks[W - 1] = addmod(masks[W - 1], 1, P);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidProof.selector, taskId, 1, 0, owner));
        recovery.recoverMask(taskId, 1, 0, owner, dropped, masks, _proof());

        vm.expectRevert(abi.encodeWithSelector(IFA.WrongWordCount.selector, W, W + 1));
        recovery.recoverMask(taskId, 1, 0, owner, dropped, new uint256[](W + 1), _proof());
        masks[1] = P;
        vm.expectRevert(abi.encodeWithSelector(IFA.WordOutOfField.selector, 1, P));
        recovery.recoverMask(taskId, 1, 0, owner, dropped, masks, _proof());

        assertEq(agg.accumulator(taskId, 1, 0), before);
        assertFalse(agg.maskRevealed(taskId, 1, 0, owner, dropped));
    }

    // ---------------------------------------------------------------------------------------
    // The aggregator's hooks
    // ---------------------------------------------------------------------------------------

    /// @dev Only the recovery contract may call the hooks, whoever else calls.
    function testFuzz_RevertWhen_Hooks_NotRecovery(address caller) public {
        vm.assume(caller != address(recovery));
        _sendFive();
        _toSubmissionDeadline(taskId, 1);
        uint256[] memory words = _sentWords[1][0][m[0]];
        vm.expectRevert(abi.encodeWithSelector(IFA.NotRecovery.selector, caller));
        vm.prank(caller);
        agg.withdrawContributor(taskId, 1, 0, m[0], words);
        vm.expectRevert(abi.encodeWithSelector(IFA.NotRecovery.selector, caller));
        vm.prank(caller);
        agg.removeRecoveredMask(taskId, 1, 0, members[m[0]], members[m[15]], true, words);
    }

    /// @dev Number of set bits of a holders bitmap.
    function _popcount(uint256 bits) internal pure returns (uint256 count) {
        for (; bits != 0; bits &= bits - 1) {
            ++count;
        }
    }
}
