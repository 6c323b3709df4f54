// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {Vm} from "forge-std/Vm.sol";
import {ChunkRecovery} from "../../../../contracts/ChunkRecovery.sol";
import {FederatedAggregator} from "../../../../contracts/FederatedAggregator.sol";
import {
    IFederatedAggregator as IFA
} from "../../../../contracts/interfaces/IFederatedAggregator.sol";
import {IKeyRegistry} from "../../../../contracts/interfaces/IKeyRegistry.sol";
import {EscrowReference} from "../../utils/EscrowReference.sol";
import {RingReference} from "../../utils/RingReference.sol";

/// @notice Drives one SecAgg task, its ring drawn, through random joins, masked submissions
///         (with their seed escrow), mask reveals, withdrawals of isolated contributors, escrow
///         share reveals and mask recoveries, time jumps, batched finalisations, aborts and
///         attempts to redraw the ring, and keeps ghost records of what the aggregator and its
///         `ChunkRecovery` accepted.
/// @dev Every call is attempted as a real member would (including refused ones: second joins,
///      duplicates, reveals before the deadline or for void chunks, empty batches); only
///      accepted calls update the ghosts. A member joins the task before its first submission,
///      as the client does, except in one submission attempt in four (refused with `NotJoined`
///      when not joined). Submissions are masked as the protocol masks them: member i sends
///      x + Σ ±m_ij over its active neighbours j (+ when i is below j) with symmetric pair masks
///      m_ij (`pairMask`, the field's ends mixed in), and reveals carry the right m_ij (the mock
///      verifiers accept any proof; the real ones are what makes a wrong mask impossible).
///      Each submission escrows the member's pair seeds as `EscrowReference.escrow` does (keccak
///      stand-ins for seeds and pads); share reveals carry the right pad, and mask recoveries
///      the pair's m_ij.
contract AggregatorHandler is CommonBase, StdCheats, StdUtils {
    uint256 internal constant P =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant MAX_K = 8;

    struct Reveal {
        uint256 round;
        uint256 chunk;
        uint256 timestamp;
        uint256 contributorsAtReveal;
    }

    FederatedAggregator public immutable agg;
    ChunkRecovery public immutable recovery;
    IKeyRegistry public immutable keyRegistry;
    uint256 public immutable taskId;
    address[] internal _members;
    uint256 public immutable words;
    uint256 public immutable chunks;
    uint256 public immutable k;
    uint256 public immutable tMin;
    uint256 public immutable domain;
    /// the drawn ring (`ringOrder`); member → slot → neighbour index and member → slots word,
    /// derived from it by `RingReference` (the aggregator's `neighbors` must agree)
    uint256[] internal _order;
    uint256[MAX_K][] internal _ring;
    uint256[] internal _slots;

    /// round → chunk → word → Σ accepted words less the revealed signed masks, mod p
    mapping(uint256 => mapping(uint256 => mapping(uint256 => uint256))) public ghostSum;
    /// round → chunk → word → Σ of the contributors' unmasked values x, mod p
    mapping(uint256 => mapping(uint256 => mapping(uint256 => uint256))) public ghostPlain;
    /// round → chunk → member → accepted submissions
    mapping(uint256 => mapping(uint256 => mapping(uint256 => uint256))) public ghostSubmissions;
    /// round → chunk → member → accepted withdrawals (`withdrawChunk`)
    mapping(uint256 => mapping(uint256 => mapping(uint256 => uint256))) public ghostWithdrawals;
    /// round → chunk → member → the words y it submitted and its unmasked values x
    mapping(uint256 => mapping(uint256 => mapping(uint256 => uint256[]))) internal _sentWords;
    mapping(uint256 => mapping(uint256 => mapping(uint256 => uint256[]))) internal _sentValues;
    mapping(uint256 => mapping(uint256 => uint256)) public ghostCount;
    mapping(uint256 => mapping(uint256 => uint256)) public ghostContributors;
    mapping(uint256 => mapping(uint256 => uint256)) public ghostReveals;
    Reveal[] internal _reveals;
    /// masks removed by `recoverMask` (timestamp: when), counted in `ghostReveals` too
    Reveal[] internal _recoveries;
    /// round → chunk → member → the escrow entries it submitted
    mapping(uint256 => mapping(uint256 => mapping(uint256 => uint256[]))) internal _sentEscrows;
    /// round → chunk → owner → dropped → bitmap of the owner's holder slots whose share was
    /// revealed
    mapping(uint256 => mapping(uint256 => mapping(uint256 => mapping(uint256 => uint256)))) public
        ghostShares;
    /// `revealShare` calls accepted for an isolated owner, outside the recovery window, or
    /// emitting another share than the one escrowed; `recoverMask` calls accepted before every
    /// share was revealed, outside the recovery window, or whose seed was not the pair's
    uint256 public recoveryMismatches;
    uint256[] internal _endedRounds;
    mapping(uint256 round => bytes32) public endedSnapshot;
    /// member → the commitments its accepted join posted (empty until then)
    mapping(uint256 => uint256[]) internal _ghostCommitments;

    /// round → chunks sealed, sealed chunks with words, digest chain (from the events)
    mapping(uint256 => uint256) public ghostSealed;
    mapping(uint256 => uint256) public ghostAggregated;
    mapping(uint256 => bytes32) public ghostDigest;
    /// `ChunkAggregated` / `RoundFinalized` events that broke the sealing rule or the chain
    uint256 public sealMismatches;
    /// `drawGraph` calls accepted after the ring was drawn
    uint256 public redraws;
    /// `withdrawChunk` calls accepted for a member whose component of contributors (on the
    /// handler's copy of the ring) had t_min members or more
    uint256 public withdrawMismatches;

    mapping(string => uint256) public calls;

    constructor(FederatedAggregator agg_, uint256 taskId_, address[] memory members_) {
        agg = agg_;
        recovery = ChunkRecovery(agg_.recovery());
        keyRegistry = IKeyRegistry(agg_.keys());
        taskId = taskId_;
        _members = members_;
        IFA.CircuitVariant memory circuit = agg_.taskCircuit(taskId_);
        words = circuit.words;
        k = circuit.neighbors;
        require(k <= MAX_K, "AggregatorHandler: K");
        tMin = agg_.taskConfig(taskId_).minContributors;
        domain = agg_.taskDomain(taskId_);
        (,, chunks) = agg_.taskState(taskId_);
        _order = IKeyRegistry(agg_.keys()).ringOrder(taskId_);
        require(_order.length == members_.length, "AggregatorHandler: ring not drawn");
        for (uint256 i; i < members_.length; ++i) {
            (address[] memory ring, uint256 slots) = agg_.neighbors(taskId_, members_[i]);
            uint256[MAX_K] memory indices;
            for (uint256 s; s < k; ++s) {
                indices[s] = RingReference.neighbor(_order, i, s);
                require(ring[s] == members_[indices[s]], "AggregatorHandler: neighbors");
            }
            _ring.push(indices);
            _slots.push(RingReference.slotsWord(_order, i, k));
            require(slots == _slots[i], "AggregatorHandler: slots word");
        }
    }

    function currentRound() public view returns (uint256 round) {
        (, round,) = agg.taskState(taskId);
    }

    /// @notice The W mask words of the pair {i, j} for a chunk of a round: symmetric, below p.
    function pairMask(uint256 i, uint256 j, uint256 round, uint256 chunk)
        public
        view
        returns (uint256[] memory m)
    {
        (uint256 low, uint256 high) = i < j ? (i, j) : (j, i);
        m = new uint256[](words);
        for (uint256 w; w < words; ++w) {
            uint256 r = uint256(keccak256(abi.encode("mask", low, high, round, chunk, w)));
            m[w] = r % 4 == 0 ? 0 : r % 4 == 1 ? P - 1 - (r % 3) : r % P;
        }
    }

    /// @notice Required reveals of a contributor set: (contributor, non-contributing active
    ///         neighbour) pairs, from the handler's copy of the ring.
    function requiredReveals(uint256 contributors) public view returns (uint256 required) {
        for (uint256 i; i < _members.length; ++i) {
            if ((contributors >> i) & 1 == 0) continue;
            for (uint256 s; s < k; ++s) {
                if ((_slots[i] >> (k + s)) & 1 == 0) continue;
                if ((contributors >> _ring[i][s]) & 1 == 0) ++required;
            }
        }
    }

    /// @notice Whether the ghosts make the chunk Recoverable: t_min contributors, every
    ///         required mask revealed.
    function ghostRecoverable(uint256 round, uint256 chunk) public view returns (bool) {
        return ghostCount[round][chunk] >= tMin
            && ghostReveals[round][chunk] == requiredReveals(ghostContributors[round][chunk]);
    }

    /// @dev Joins with fresh commitments; refused once the member has joined.
    function join(uint256 memberSeed, uint256 salt) external {
        _join(_bound(memberSeed, 0, _members.length - 1), salt);
    }

    function _join(uint256 member, uint256 salt) internal {
        uint256 active;
        while (active < k && (_slots[member] >> (k + active)) & 1 == 1) {
            ++active;
        }
        uint256[] memory commitments = new uint256[](active);
        for (uint256 s; s < active; ++s) {
            commitments[s] =
                uint256(keccak256(abi.encode(salt, member, _ring[member][s]))) % (P - 1) + 1;
        }
        vm.prank(_members[member]);
        try agg.joinTask(taskId, commitments, new IFA.Proof[](active)) {
            calls["join.ok"]++;
            _ghostCommitments[member] = commitments;
        } catch {
            calls["join.refused"]++;
        }
    }

    function submit(uint256 memberSeed, uint256 chunkSeed, uint256 wordSeed) external {
        _submit(
            _bound(memberSeed, 0, _members.length - 1), _bound(chunkSeed, 0, chunks - 1), wordSeed
        );
    }

    /// @dev A subset of the members (bit i of `subset`) submits one chunk, as in a round where
    ///      most members are online; without it t_min is rarely reached before a deadline.
    function submitMany(uint256 subset, uint256 chunkSeed, uint256 wordSeed) external {
        uint256 chunk = _bound(chunkSeed, 0, chunks - 1);
        for (uint256 i; i < _members.length; ++i) {
            if ((subset >> i) & 1 == 1) {
                _submit(i, chunk, uint256(keccak256(abi.encode(wordSeed, i))));
            }
        }
    }

    /// @dev The members at ring positions p, p + 1, p + 2 and p + 5 (and p + 6 when `wordSeed`
    ///      is odd) submit one chunk: on a ring of ten or more, t_min = 3 beside an isolated
    ///      member (or pair), which `withdraw` can then take out.
    function submitSpread(uint256 startSeed, uint256 chunkSeed, uint256 wordSeed) external {
        uint256 n = _members.length;
        uint256 start = _bound(startSeed, 0, n - 1);
        uint256 chunk = _bound(chunkSeed, 0, chunks - 1);
        uint256[5] memory offsets = [uint256(0), 1, 2, 5, 6];
        uint256 count = wordSeed % 2 == 1 ? 5 : 4;
        for (uint256 t; t < count; ++t) {
            uint256 member = _order[(start + offsets[t]) % n];
            _submit(member, chunk, uint256(keccak256(abi.encode(wordSeed, member))));
        }
    }

    function _submit(uint256 member, uint256 chunk, uint256 wordSeed) internal {
        // Join first, as the client does; one attempt in four skips it, to be refused.
        if (wordSeed % 4 != 0 && !agg.hasJoined(taskId, _members[member])) _join(member, wordSeed);
        uint256 round = currentRound();
        uint256[] memory x = new uint256[](words);
        uint256[] memory y = new uint256[](words);
        for (uint256 w; w < words; ++w) {
            // Mix small, large and boundary values of the field.
            uint256 r = uint256(keccak256(abi.encode(wordSeed, w)));
            x[w] = r % 3 == 0 ? P - 1 - (r % 5) : r % 3 == 1 ? r % 1000 : r % P;
            y[w] = x[w];
        }
        for (uint256 s; s < k; ++s) {
            if ((_slots[member] >> (k + s)) & 1 == 0) continue;
            uint256[] memory m = pairMask(member, _ring[member][s], round, chunk);
            bool added = (_slots[member] >> s) & 1 == 1;
            for (uint256 w; w < words; ++w) {
                y[w] = addmod(y[w], added ? m[w] : P - m[w], P);
            }
        }
        uint256[] memory escrow = _escrow(member, round, chunk, wordSeed);
        IFA.Proof memory proof;
        vm.prank(_members[member]);
        try agg.submitChunk(taskId, round, chunk, y, escrow, proof) {
            calls["submit.ok"]++;
            for (uint256 w; w < words; ++w) {
                ghostSum[round][chunk][w] = addmod(ghostSum[round][chunk][w], y[w], P);
                ghostPlain[round][chunk][w] = addmod(ghostPlain[round][chunk][w], x[w], P);
            }
            ghostSubmissions[round][chunk][member]++;
            ghostCount[round][chunk]++;
            ghostContributors[round][chunk] |= 2 ** member;
            _sentWords[round][chunk][member] = y;
            _sentValues[round][chunk][member] = x;
            _sentEscrows[round][chunk][member] = escrow;
        } catch {
            calls["submit.refused"]++;
        }
    }

    /// @dev Picks, when one exists, a contributor of the chunk and one of its non-contributing
    ///      neighbours, so that reveals are refused for timing, voidness or repetition rather
    ///      than at random.
    function reveal(uint256 memberSeed, uint256 slotSeed, uint256 chunkSeed) external {
        uint256 n = _members.length;
        uint256 chunk = _bound(chunkSeed, 0, chunks - 1);
        uint256 round = currentRound();
        (uint256 bitmap,) = agg.chunkContributors(taskId, round, chunk);
        uint256 member = _bound(memberSeed, 0, n - 1);
        for (uint256 i; i < n && (bitmap >> member) & 1 == 0; ++i) {
            member = (member + 1) % n;
        }
        uint256 dropped;
        for (uint256 i; i < k; ++i) {
            dropped = _ring[member][(_bound(slotSeed, 0, k - 1) + i) % k];
            if ((bitmap >> dropped) & 1 == 0) break;
        }
        _reveal(round, chunk, member, dropped);
    }

    /// @dev Every (contributor, non-contributing neighbour) pair of the chunk reveals, except
    ///      the pairs whose bit in `skip` is set (skip = 0 in half the calls): chunks become
    ///      Recoverable, or stay pending for the deadline to void them.
    function revealMany(uint256 chunkSeed, uint256 skip) external {
        uint256 chunk = _bound(chunkSeed, 0, chunks - 1);
        uint256 round = currentRound();
        if (skip % 2 == 0) skip = 0;
        (uint256 bitmap,) = agg.chunkContributors(taskId, round, chunk);
        uint256 pair;
        for (uint256 i; i < _members.length; ++i) {
            if ((bitmap >> i) & 1 == 0) continue;
            for (uint256 s; s < k; ++s) {
                uint256 j = _ring[i][s];
                if ((_slots[i] >> (k + s)) & 1 == 0 || (bitmap >> j) & 1 == 1) continue;
                if ((skip >> (1 + pair++)) & 1 == 0) _reveal(round, chunk, i, j);
            }
        }
    }

    function _reveal(uint256 round, uint256 chunk, uint256 member, uint256 dropped) internal {
        uint256[] memory m = pairMask(member, dropped, round, chunk);
        IFA.Proof memory proof;
        vm.prank(_members[member]);
        try agg.revealMask(taskId, round, chunk, _members[dropped], m, proof) {
            calls["reveal.ok"]++;
            // The revealer had added the mask iff it is below the dropped neighbour.
            for (uint256 w; w < words; ++w) {
                ghostSum[round][chunk][w] =
                    addmod(ghostSum[round][chunk][w], member < dropped ? P - m[w] : m[w], P);
            }
            ghostReveals[round][chunk]++;
            (, uint256 count) = agg.chunkContributors(taskId, round, chunk);
            _reveals.push(Reveal(round, chunk, block.timestamp, count));
        } catch {
            calls["reveal.refused"]++;
        }
    }

    /// @dev A drawn ring is never drawn again, however many blocks later (the anchor's hash
    ///      forgotten or not): refused, counted in `redraws` if ever accepted.
    function redraw(uint256 blocks) external {
        vm.roll(block.number + _bound(blocks, 0, 300));
        try keyRegistry.drawGraph(taskId) {
            calls["redraw.ok"]++;
            ++redraws;
        } catch {
            calls["redraw.refused"]++;
        }
    }

    /// @dev Anyone withdraws a contributor of the chunk with the words it submitted, or, when
    ///      `tamper` is odd, with one word changed (refused): the first isolated contributor
    ///      (component below t_min on the handler's ring) from `memberSeed` on, else the first
    ///      contributor, else any member, so that withdrawals are refused for timing, sealing,
    ///      the component, a revealed mask or the count rather than at random. Accepted only
    ///      after the submission deadline, before the chunk is sealed, for an isolated member
    ///      that removed no mask, while the chunk keeps t_min without it. When bit 1 of `tamper`
    ///      is set, waits for the round's submission deadline first (as a withdrawer would).
    function withdraw(uint256 memberSeed, uint256 chunkSeed, uint256 tamper) external {
        uint256 n = _members.length;
        uint256 chunk = _bound(chunkSeed, 0, chunks - 1);
        uint256 round = currentRound();
        if ((tamper >> 1) & 1 == 1) {
            uint256 deadline = agg.roundInfo(taskId, round).submissionDeadline;
            // forge-lint: disable-next-line(block-timestamp)
            if (block.timestamp < deadline) vm.warp(deadline);
        }
        (uint256 bitmap,) = agg.chunkContributors(taskId, round, chunk);
        uint256 start = _bound(memberSeed, 0, n - 1);
        uint256 member = start;
        for (uint256 i; i < n && (bitmap >> member) & 1 == 0; ++i) {
            member = (member + 1) % n;
        }
        for (uint256 i; i < n; ++i) {
            uint256 candidate = (start + i) % n;
            if (
                (bitmap >> candidate) & 1 == 1
                    && RingReference.componentSize(_order, bitmap, candidate, k) < tMin
            ) {
                member = candidate;
                break;
            }
        }
        uint256[] memory y = _sentWords[round][chunk][member];
        if (y.length == 0) y = new uint256[](words);
        if (tamper % 2 == 1) y[tamper % words] = addmod(y[tamper % words], 1, P);
        uint256[] memory escrow = _sentEscrows[round][chunk][member];
        if (escrow.length == 0) escrow = new uint256[](k * (k - 1));
        vm.prank(address(uint160(uint256(keccak256(abi.encode("withdrawer", tamper))))));
        try recovery.withdrawChunk(taskId, round, chunk, _members[member], y, escrow) {
            calls["withdraw.ok"]++;
            (, uint256 count) = agg.chunkContributors(taskId, round, chunk);
            if (
                RingReference.componentSize(_order, bitmap, member, k) >= tMin || count < tMin
                    || tamper % 2 == 1
            ) {
                ++withdrawMismatches;
            }
            uint256[] memory x = _sentValues[round][chunk][member];
            for (uint256 w; w < words; ++w) {
                ghostSum[round][chunk][w] = addmod(ghostSum[round][chunk][w], P - y[w], P);
                ghostPlain[round][chunk][w] = addmod(ghostPlain[round][chunk][w], P - x[w], P);
            }
            ghostWithdrawals[round][chunk][member]++;
            ghostCount[round][chunk]--;
            ghostContributors[round][chunk] &= ~(2 ** member);
        } catch {
            calls["withdraw.refused"]++;
        }
    }

    /// @dev The member's escrow of a chunk of a round: every pair seed of its active slots,
    ///      shared among its other active slots as `EscrowReference.escrow` does.
    function _escrow(uint256 member, uint256 round, uint256 chunk, uint256 salt)
        internal
        view
        returns (uint256[] memory)
    {
        uint256[] memory ring = new uint256[](k);
        for (uint256 s; s < k; ++s) {
            ring[s] = _ring[member][s];
        }
        uint256 active = RingReference.activeSlots(k, _members.length);
        return EscrowReference.escrow(member, ring, active, active >= 3, domain, round, chunk, salt);
    }

    /// @notice The stand-in seed of the pair {i, j} for a chunk of a round (what the escrow of
    ///         either shares).
    function pairSeed(uint256 i, uint256 j, uint256 round, uint256 chunk)
        public
        view
        returns (uint256)
    {
        return EscrowReference.seed(i, j, domain, round, chunk);
    }

    /// @dev A contributor of the chunk and the slot of one of its non-contributing neighbours,
    ///      when there are such (as `reveal` picks them).
    function _pickPair(uint256 round, uint256 chunk, uint256 memberSeed, uint256 slotSeed)
        internal
        view
        returns (uint256 owner, uint256 slot)
    {
        uint256 n = _members.length;
        (uint256 bitmap,) = agg.chunkContributors(taskId, round, chunk);
        owner = _bound(memberSeed, 0, n - 1);
        for (uint256 i; i < n && (bitmap >> owner) & 1 == 0; ++i) {
            owner = (owner + 1) % n;
        }
        for (uint256 i; i < k; ++i) {
            slot = (_bound(slotSeed, 0, k - 1) + i) % k;
            if ((bitmap >> _ring[owner][slot]) & 1 == 0) break;
        }
    }

    /// @dev With bit 0 of `options` set, waits for the round's reveal deadline (the recovery
    ///      window opens then), as a recovering member would.
    function _waitForRecovery(uint256 round, uint256 options) internal {
        if (options & 1 == 0) return;
        uint256 deadline = agg.roundInfo(taskId, round).revealDeadline;
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < deadline) vm.warp(deadline);
    }

    function _inRecoveryWindow(uint256 round) internal view returns (bool) {
        IFA.RoundInfo memory info = agg.roundInfo(taskId, round);
        // forge-lint: disable-next-line(block-timestamp)
        return block.timestamp >= info.revealDeadline && block.timestamp < info.recoveryDeadline;
    }

    /// @dev Opens one holder's share (slot from `holderSeed`, not the dropped neighbour's) of a
    ///      pair picked as `reveal` picks it, with the right pad; bit 1 of `options` changes an
    ///      escrow entry (refused). Accepted only in the recovery window, for a contributor whose
    ///      component reaches t_min, a dropped neighbour whose mask is still in, once per holder.
    function revealShare(
        uint256 memberSeed,
        uint256 slotSeed,
        uint256 holderSeed,
        uint256 chunkSeed,
        uint256 options
    ) external {
        uint256 chunk = _bound(chunkSeed, 0, chunks - 1);
        uint256 round = currentRound();
        _waitForRecovery(round, options);
        (uint256 owner, uint256 j) = _pickPair(round, chunk, memberSeed, slotSeed);
        uint256 h = _bound(holderSeed, 0, k - 1);
        if (h == j) h = (h + 1) % k;
        _revealShare(round, chunk, owner, j, h, (options >> 1) & 1 == 1);
    }

    /// @dev The arguments of one `revealShare` call.
    struct Share {
        uint256 round;
        uint256 chunk;
        address owner;
        address dropped;
        address holder;
        bytes32 wordsHash;
        uint256[] escrow;
        uint256 pad;
    }

    function _revealShare(
        uint256 round,
        uint256 chunk,
        uint256 owner,
        uint256 j,
        uint256 h,
        bool tamper
    ) internal {
        Share memory c;
        (c.round, c.chunk) = (round, chunk);
        uint256 holder = _ring[owner][h];
        (c.owner, c.dropped, c.holder) =
        (_members[owner], _members[_ring[owner][j]], _members[holder]);
        c.escrow = _sentEscrows[round][chunk][owner];
        if (c.escrow.length == 0) c.escrow = new uint256[](k * (k - 1));
        if (tamper) c.escrow[0] = addmod(c.escrow[0], 1, P);
        c.wordsHash = keccak256(abi.encodePacked(round, _sentWords[round][chunk][owner]));
        c.pad = _pad(c, owner, holder, EscrowReference.tag(j, h, k, owner < holder));
        if (!_callRevealShare(c)) return;
        ghostShares[round][chunk][owner][_ring[owner][j]] |= 2 ** h;
        (uint256 bitmap,) = agg.chunkContributors(taskId, round, chunk);
        if (
            tamper || RingReference.componentSize(_order, bitmap, owner, k) < tMin
                || !_inRecoveryWindow(round)
        ) {
            ++recoveryMismatches;
        }
    }

    function _pad(Share memory c, uint256 owner, uint256 holder, uint256 tag)
        internal
        view
        returns (uint256)
    {
        return EscrowReference.pad(owner, holder, domain, c.round, c.chunk, tag);
    }

    function _callRevealShare(Share memory c) internal returns (bool ok) {
        IFA.Proof memory proof;
        vm.prank(c.holder);
        try recovery.revealShare(
            taskId,
            c.round,
            c.chunk,
            c.owner,
            c.dropped,
            c.holder,
            c.wordsHash,
            c.escrow,
            c.pad,
            proof
        ) {
            calls["share.ok"]++;
            return true;
        } catch {
            calls["share.refused"]++;
        }
    }

    /// @dev Removes the mask of a pair picked as `reveal` picks it with `recoverMask`, having
    ///      first opened every holder's share when bit 1 of `options` is set. Accepted only in
    ///      the recovery window once every share is open; the recovered seed must be the pair's.
    function recoverMask(uint256 memberSeed, uint256 slotSeed, uint256 chunkSeed, uint256 options)
        external
    {
        uint256 chunk = _bound(chunkSeed, 0, chunks - 1);
        uint256 round = currentRound();
        _waitForRecovery(round, options);
        (uint256 owner, uint256 j) = _pickPair(round, chunk, memberSeed, slotSeed);
        if ((options >> 1) & 1 == 1) {
            uint256 active = RingReference.activeSlots(k, _members.length);
            uint256 dropped = _ring[owner][j];
            for (uint256 h; h < active; ++h) {
                if (h == j || (ghostShares[round][chunk][owner][dropped] >> h) & 1 == 1) continue;
                _revealShare(round, chunk, owner, j, h, false);
            }
        }
        _recoverMask(round, chunk, owner, _ring[owner][j]);
    }

    function _recoverMask(uint256 round, uint256 chunk, uint256 owner, uint256 dropped) internal {
        uint256[] memory m = pairMask(owner, dropped, round, chunk);
        IFA.Proof memory proof;
        try recovery.recoverMask(
            taskId, round, chunk, _members[owner], _members[dropped], m, proof
        ) {
            calls["recover.ok"]++;
            // As if the owner had revealed it: it had added the mask iff below the dropped one.
            for (uint256 w; w < words; ++w) {
                ghostSum[round][chunk][w] =
                    addmod(ghostSum[round][chunk][w], owner < dropped ? P - m[w] : m[w], P);
            }
            ghostReveals[round][chunk]++;
            (uint256 seed,, bool complete) =
                recovery.escrowedSeed(taskId, round, chunk, _members[owner], _members[dropped]);
            if (
                !complete || seed != pairSeed(owner, dropped, round, chunk)
                    || !_inRecoveryWindow(round)
            ) {
                ++recoveryMismatches;
            }
            (, uint256 count) = agg.chunkContributors(taskId, round, chunk);
            _recoveries.push(Reveal(round, chunk, block.timestamp, count));
        } catch {
            calls["recover.refused"]++;
        }
    }

    function warp(uint256 seconds_) external {
        calls["warp"]++;
        vm.warp(block.timestamp + _bound(seconds_, 0, 2 hours));
    }

    /// @dev Seals a batch of 0 (refused) to chunks + 1 chunks and checks every emitted
    ///      `ChunkAggregated` against the ghosts.
    function finalize(uint256 callerSeed, uint256 batchSeed) external {
        uint256 round = currentRound();
        uint256 batch = _bound(batchSeed, 0, chunks + 1);
        vm.recordLogs();
        address caller = _members[_bound(callerSeed, 0, _members.length - 1)];
        vm.prank(caller);
        try agg.finalizeRound(taskId, round, batch) {
            calls["finalize.ok"]++;
            _checkSeals(round, caller, vm.getRecordedLogs());
            if (ghostSealed[round] == chunks) _recordEnded(round);
        } catch {
            calls["finalize.refused"]++;
            vm.getRecordedLogs();
        }
    }

    function abort() external {
        uint256 round = currentRound();
        try agg.abortRound(taskId, round) {
            calls["abort.ok"]++;
            _recordEnded(round);
        } catch {
            calls["abort.refused"]++;
        }
    }

    /// @dev Each sealed chunk must come next in order, carry (count, Σ x) when the ghosts make
    ///      it Recoverable and (0, []) otherwise, and extend the chain from
    ///      keccak256(abi.encode(D, round)); `RoundFinalized` must name the round and its
    ///      finalizer and carry the chain's end.
    function _checkSeals(uint256 round, address caller, Vm.Log[] memory logs) internal {
        for (uint256 i; i < logs.length; ++i) {
            Vm.Log memory log = logs[i];
            if (log.emitter != address(agg)) continue;
            if (log.topics[0] == IFA.RoundFinalized.selector) {
                bytes32 final_ = abi.decode(log.data, (bytes32));
                if (
                    uint256(log.topics[2]) != round
                        || log.topics[3] != bytes32(uint256(uint160(caller)))
                        || final_ != ghostDigest[round] || ghostSealed[round] != chunks
                ) {
                    ++sealMismatches;
                }
                continue;
            }
            if (log.topics[0] != IFA.ChunkAggregated.selector) continue;
            uint256 chunk = uint256(log.topics[3]);
            (uint256 count, uint256[] memory aggregate, bytes32 digest) =
                abi.decode(log.data, (uint256, uint256[], bytes32));
            if (uint256(log.topics[2]) != round || chunk != ghostSealed[round]) ++sealMismatches;
            bytes32 previous =
                ghostSealed[round] == 0 ? keccak256(abi.encode(domain, round)) : ghostDigest[round];
            if (digest != keccak256(abi.encode(previous, chunk, count, aggregate))) {
                ++sealMismatches;
            }
            if (ghostRecoverable(round, chunk)) {
                if (count != ghostCount[round][chunk] || aggregate.length != words) {
                    ++sealMismatches;
                } else {
                    for (uint256 w; w < words; ++w) {
                        if (aggregate[w] != ghostPlain[round][chunk][w]) ++sealMismatches;
                    }
                }
                ghostAggregated[round]++;
                calls["seal.aggregated"]++;
            } else {
                if (count != 0 || aggregate.length != 0) ++sealMismatches;
                calls["seal.void"]++;
            }
            ghostDigest[round] = digest;
            ghostSealed[round]++;
        }
    }

    /// @notice Everything recorded about an ended round, hashed.
    function snapshot(uint256 round) public view returns (bytes32) {
        bytes memory state = abi.encode(agg.roundInfo(taskId, round));
        for (uint256 c; c < chunks; ++c) {
            (uint256 bitmap, uint256 count) = agg.chunkContributors(taskId, round, c);
            (uint256 revealed, uint256 required) = agg.chunkReveals(taskId, round, c);
            state = bytes.concat(
                state,
                abi.encode(bitmap, count, revealed, required, agg.chunkStatus(taskId, round, c))
            );
        }
        return keccak256(state);
    }

    function _recordEnded(uint256 round) internal {
        _endedRounds.push(round);
        endedSnapshot[round] = snapshot(round);
    }

    function ghostCommitments(uint256 member) external view returns (uint256[] memory) {
        return _ghostCommitments[member];
    }

    function ringOrder() external view returns (uint256[] memory) {
        return _order;
    }

    function members() external view returns (address[] memory) {
        return _members;
    }

    function reveals() external view returns (Reveal[] memory) {
        return _reveals;
    }

    function recoveries() external view returns (Reveal[] memory) {
        return _recoveries;
    }

    function endedRounds() external view returns (uint256[] memory) {
        return _endedRounds;
    }
}
