// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IChunkRecovery} from "./interfaces/IChunkRecovery.sol";
import {IFederatedAggregator as IFA} from "./interfaces/IFederatedAggregator.sol";
import {IKeyRegistry} from "./interfaces/IKeyRegistry.sol";
import {Groth16Call} from "./libraries/Groth16Call.sol";
import {Ring} from "./libraries/Ring.sol";

/// @title ChunkRecovery
/// @notice Withdrawals of isolated contributors and the recovery of escrowed pair seeds for the
///         `FederatedAggregator` that deployed it (see `IChunkRecovery`).
/// @dev Holds only the revealed escrow shares; every other fact is read from the aggregator's
///      views and the task's ring from its `KeyRegistry`, and a chunk changes only through the
///      aggregator's hooks `withdrawContributor` and `removeRecoveredMask`, which accept calls
///      from this contract alone. Its code counts towards the aggregator's initcode (it is
///      created by the aggregator's constructor), so each view is called from one place.
contract ChunkRecovery is IChunkRecovery {
    /// @dev BN254 scalar field.
    uint256 private constant _P =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @dev `EscrowPad` has 6 public signals: task, round, chunk, commitment, tag, pad.
    bytes4 private constant _ESCROW_PAD_SELECTOR =
        bytes4(keccak256("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[6])"));
    uint256 private constant _ESCROW_PAD_SIGNALS = 6;

    /// @inheritdoc IChunkRecovery
    address public immutable aggregator;

    /// @inheritdoc IChunkRecovery
    address public immutable keys;

    /// @dev The revealed shares of one escrowed seed: their sum mod p, a bitmap of the holders'
    ///      slots (in the owner's view), how many there are and how many the seed has.
    struct Escrowed {
        uint256 sum;
        uint128 slots;
        uint32 holders;
        uint32 required;
    }

    /// @dev keccak256(abi.encode(task, round, chunk, owner, dropped)) → its escrowed seed.
    mapping(bytes32 pair => Escrowed) private _escrowed;

    /// @dev A chunk of the task's current round, as `_load` checked and read it, with the
    ///      members a call names: `member` (withdrawChunk) or `owner` at `index`; the pair's
    ///      `dropped` neighbour in owner's slot j; the `holder` in owner's slot h, its escrow
    ///      entry e(j, h) and tag(j, h).
    struct Chunk {
        uint256 taskId;
        uint256 round;
        uint256 chunk;
        uint256 minContributors;
        uint256 contributors;
        uint256 count;
        bytes graph;
        IFA.CircuitVariant circuit;
        address owner;
        uint256 index;
        address dropped;
        uint256 droppedIndex;
        uint256 slot;
        address holder;
        uint256 holderSlot;
        uint256 entry;
        uint256 tag;
    }

    /// @param keys_ The aggregator's `KeyRegistry`.
    /// @dev Deployed only by the aggregator's constructor, which created `keys_` (a contract
    ///      just created, so never the zero address).
    // slither-disable-next-line missing-zero-check
    constructor(address keys_) {
        aggregator = msg.sender;
        keys = keys_;
    }

    // ---------------------------------------------------------------------------------------
    // Withdrawals
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc IChunkRecovery
    function withdrawChunk(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        address member,
        uint256[] calldata words,
        uint256[] calldata escrow
    ) external {
        Chunk memory c = _load(taskId, round, chunk, false);
        _member(c, member);
        if (
            keccak256(abi.encodePacked(keccak256(abi.encodePacked(round, words)), escrow))
                != _submissionHash(c)
        ) {
            revert IFA.NotTheSubmittedWords(taskId, round, chunk, member);
        }
        _requireIsolated(c);
        emit ChunkWithdrawn(taskId, round, chunk, member);
        IFA(aggregator).withdrawContributor(taskId, round, chunk, c.index, words);
    }

    // ---------------------------------------------------------------------------------------
    // Escrow recovery
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc IChunkRecovery
    function revealShare(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        address owner,
        address dropped,
        address holder,
        bytes32 wordsHash,
        uint256[] calldata escrow,
        uint256 pad,
        IFA.Proof calldata proof
    ) external {
        _revealShare(
            _pair(taskId, round, chunk, owner, dropped), holder, wordsHash, escrow, pad, proof
        );
    }

    /// @inheritdoc IChunkRecovery
    function recoverMask(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        address owner,
        address dropped,
        uint256[] calldata masks,
        IFA.Proof calldata proof
    ) external {
        Chunk memory c = _pair(taskId, round, chunk, owner, dropped);
        Escrowed storage e = _escrowed[_key(taskId, round, chunk, owner, dropped)];
        uint256 required = _activeSlots(c) - 1;
        if (e.holders != required) {
            revert SharesIncomplete(taskId, round, chunk, owner, dropped, e.holders, required);
        }
        _verifySeedMask(c, e.sum, masks, proof);
        emit MaskRecovered(taskId, round, chunk, owner, dropped);
        IFA(aggregator)
            .removeRecoveredMask(
                taskId, round, chunk, owner, dropped, c.index < c.droppedIndex, masks
            );
    }

    /// @dev `revealShare` after the checks it shares with `recoverMask`.
    function _revealShare(
        Chunk memory c,
        address holder,
        bytes32 wordsHash,
        uint256[] calldata escrow,
        uint256 pad,
        IFA.Proof calldata proof
    ) private {
        _holder(c, holder);
        uint256 size = _componentSize(c);
        if (size < c.minContributors) {
            revert OwnerIsolated(c.taskId, c.round, c.chunk, c.owner, size);
        }
        Escrowed storage e = _escrowed[_key(c.taskId, c.round, c.chunk, c.owner, c.dropped)];
        if ((e.slots >> c.holderSlot) & 1 == 1) {
            revert ShareAlreadyRevealed(c.taskId, c.round, c.chunk, c.owner, c.dropped, holder);
        }
        if (keccak256(abi.encodePacked(wordsHash, escrow)) != _submissionHash(c)) {
            revert NotTheSubmittedEscrow(c.taskId, c.round, c.chunk, c.owner);
        }
        _verifyPad(c, pad, proof);

        // The hash matched, so `escrow` has the K·(K−1) entries of the submission.
        uint256 share = addmod(escrow[c.entry], _P - pad, _P);
        e.sum = addmod(e.sum, share, _P);
        // casting to 'uint128' is safe because h < K ≤ MAX_NEIGHBORS = 126
        // forge-lint: disable-next-line(unsafe-typecast)
        e.slots |= uint128(2 ** c.holderSlot);
        ++e.holders;
        // casting to 'uint32' is safe because a member has at most 126 slots
        // forge-lint: disable-next-line(unsafe-typecast)
        e.required = uint32(_activeSlots(c) - 1);
        emit ShareRevealed(c.taskId, c.round, c.chunk, c.owner, c.dropped, holder, share);
    }

    // ---------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc IChunkRecovery
    function escrowedSeed(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        address owner,
        address dropped
    ) external view returns (uint256 sum, uint256 holders, bool complete) {
        Escrowed storage e = _escrowed[_key(taskId, round, chunk, owner, dropped)];
        return (e.sum, e.slots, e.holders != 0 && e.holders == e.required);
    }

    // ---------------------------------------------------------------------------------------
    // Internals: checks
    // ---------------------------------------------------------------------------------------

    /// @dev Checks that `chunk` belongs to the task's current round, neither finalized nor
    ///      aborted, is not sealed, and that the time is right: after the submission deadline
    ///      (`recovering` false: withdrawals) or in the recovery window of a task that escrows
    ///      (`recovering`); reads its contributors, ring and circuit.
    function _load(uint256 taskId, uint256 round, uint256 chunk, bool recovering)
        private
        view
        returns (Chunk memory c)
    {
        IFA agg = IFA(aggregator);
        // A future round is refused by the view (`RoundNotStarted`); a past round has ended.
        IFA.RoundInfo memory info = agg.roundInfo(taskId, round);
        if (info.status == IFA.RoundStatus.Finalized || info.status == IFA.RoundStatus.Aborted) {
            revert IFA.RoundEnded(taskId, round, info.status);
        }
        if (!recovering) {
            if (info.status == IFA.RoundStatus.Open) {
                revert IFA.RoundStillOpen(taskId, round, info.submissionDeadline);
            }
        } else {
            if (info.recoveryDeadline == info.revealDeadline) revert EscrowOff(taskId);
            if (block.timestamp < info.revealDeadline || block.timestamp >= info.recoveryDeadline) {
                revert NotInRecoveryWindow(
                    taskId, round, info.revealDeadline, info.recoveryDeadline
                );
            }
        }
        // The view refuses a chunk out of range (`ChunkOutOfRange`).
        (c.contributors, c.count) = agg.chunkContributors(taskId, round, chunk);
        if (chunk < info.sealedChunks) revert IFA.ChunkSealed(taskId, round, chunk);
        (c.taskId, c.round, c.chunk) = (taskId, round, chunk);
        c.minContributors = agg.minContributors(taskId);
        c.graph = IKeyRegistry(keys).graph(taskId);
        c.circuit = agg.taskCircuit(taskId);
    }

    /// @dev Names `member` (`c.owner`) and its index.
    function _member(Chunk memory c, address member) private view {
        c.owner = member;
        c.index = _memberIndex(c, member);
    }

    /// @dev Refuses to withdraw a non-contributor, a member whose component reaches
    ///      minContributors, or one that removed a mask in the chunk (its words would no longer
    ///      be what the accumulator holds of it).
    function _requireIsolated(Chunk memory c) private view {
        if ((c.contributors >> c.index) & 1 == 0) {
            revert IFA.NotContributor(c.taskId, c.round, c.chunk, c.owner);
        }
        uint256 size = _componentSize(c);
        if (size >= c.minContributors) {
            revert IFA.ComponentNotIsolated(c.taskId, c.round, c.chunk, c.owner, size);
        }
        // Only the neighbours' addresses are needed here, not the member's slots word.
        // slither-disable-next-line unused-return
        (address[] memory ring,) = IFA(aggregator).neighbors(c.taskId, c.owner);
        uint256 active = _activeSlots(c);
        for (uint256 s; s < active; ++s) {
            if (_maskRevealed(c, ring[s])) {
                revert IFA.MaskAlreadyRevealed(c.taskId, c.round, c.chunk, c.owner, ring[s]);
            }
        }
    }

    /// @dev Every check `revealShare` and `recoverMask` share, in their documented order, for
    ///      the pair (owner, dropped) of a chunk in the recovery window: owner contributed,
    ///      dropped (in owner's active slot j) did not, the chunk reaches minContributors and the
    ///      pair's mask is still in it.
    function _pair(uint256 taskId, uint256 round, uint256 chunk, address owner, address dropped)
        private
        view
        returns (Chunk memory c)
    {
        c = _load(taskId, round, chunk, true);
        _member(c, owner);
        c.dropped = dropped;
        c.droppedIndex = _memberIndex(c, dropped);
        bool found;
        (found, c.slot) = Ring.slotOf(c.graph, c.index, c.droppedIndex, c.circuit.neighbors);
        if (!found) revert IFA.NotNeighbor(taskId, owner, dropped);
        if ((c.contributors >> c.index) & 1 == 0) {
            revert IFA.NotContributor(taskId, round, chunk, owner);
        }
        if ((c.contributors >> c.droppedIndex) & 1 == 1) {
            revert IFA.NeighborContributed(taskId, round, chunk, dropped);
        }
        if (c.count < c.minContributors) {
            revert IFA.ChunkVoid(taskId, round, chunk, c.count, c.minContributors);
        }
        if (_maskRevealed(c, dropped)) {
            revert IFA.MaskAlreadyRevealed(taskId, round, chunk, owner, dropped);
        }
    }

    /// @dev Finds owner's slot h holding `holder` (an active slot other than dropped's), the
    ///      escrow entry e(j, h) = j·(K−1) + h − (h > j ? 1 : 0) and its tag
    ///      1 + e(j, h) + K·(K−1)·[owner's index below the holder's].
    function _holder(Chunk memory c, address holder) private view {
        uint256 holderIndex = _memberIndex(c, holder);
        uint256 k = c.circuit.neighbors;
        (bool found, uint256 h) = Ring.slotOf(c.graph, c.index, holderIndex, k);
        if (!found || h == c.slot) revert NotAHolder(c.taskId, c.owner, c.dropped, holder);
        c.holder = holder;
        c.holderSlot = h;
        c.entry = c.slot * (k - 1) + h - (h > c.slot ? 1 : 0);
        c.tag = 1 + c.entry + (c.index < holderIndex ? k * (k - 1) : 0);
    }

    // ---------------------------------------------------------------------------------------
    // Internals: proofs
    // ---------------------------------------------------------------------------------------

    /// @dev Verifies `EscrowPad` with D, round, chunk, owner's commitment of slot h, tag(j, h),
    ///      pad; a pad outside the field is no proof's (the verifier would refuse it too).
    function _verifyPad(Chunk memory c, uint256 pad, IFA.Proof calldata proof) private view {
        IFA agg = IFA(aggregator);
        bytes memory input = Groth16Call.encode(_ESCROW_PAD_SELECTOR, proof, _ESCROW_PAD_SIGNALS);
        Groth16Call.setInput(input, 0, agg.taskDomain(c.taskId));
        Groth16Call.setInput(input, 1, c.round);
        Groth16Call.setInput(input, 2, c.chunk);
        Groth16Call.setInput(input, 3, agg.pairCommitments(c.taskId, c.owner)[c.holderSlot]);
        Groth16Call.setInput(input, 4, c.tag);
        Groth16Call.setInput(input, 5, pad);
        if (pad >= _P || !Groth16Call.verify(c.circuit.escrowVerifier, input, _ESCROW_PAD_SIGNALS))
        {
            revert IFA.InvalidProof(c.taskId, c.round, c.chunk, c.holder);
        }
    }

    /// @dev Verifies `SeedMask(W)` with the seed and the W mask words (each below p).
    function _verifySeedMask(
        Chunk memory c,
        uint256 seed,
        uint256[] calldata masks,
        IFA.Proof calldata proof
    ) private view {
        uint256 w = c.circuit.words;
        if (masks.length != w) revert IFA.WrongWordCount(w, masks.length);
        bytes memory input = Groth16Call.encode(Groth16Call.verifySelector(w + 1), proof, w + 1);
        Groth16Call.setInput(input, 0, seed);
        for (uint256 i; i < w; ++i) {
            uint256 mask = masks[i];
            if (mask >= _P) revert IFA.WordOutOfField(i, mask);
            Groth16Call.setInput(input, 1 + i, mask);
        }
        if (!Groth16Call.verify(c.circuit.seedMaskVerifier, input, w + 1)) {
            revert IFA.InvalidProof(c.taskId, c.round, c.chunk, c.owner);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Internals: reads
    // ---------------------------------------------------------------------------------------

    function _memberIndex(Chunk memory c, address account) private view returns (uint256) {
        return IFA(aggregator).memberIndex(c.taskId, account);
    }

    /// @dev The hash the aggregator keeps of the words and escrow `c.owner` last submitted.
    function _submissionHash(Chunk memory c) private view returns (bytes32) {
        return IFA(aggregator).submissionHash(c.taskId, c.chunk, c.index);
    }

    /// @dev Whether `c.owner` removed its mask with `neighbor` from the chunk.
    function _maskRevealed(Chunk memory c, address neighbor) private view returns (bool) {
        // The aggregator deployed this contract and its views call nothing but its registry;
        // the loop (`_requireIsolated`) runs over at most K = 126 slots.
        // slither-disable-next-line calls-loop
        return IFA(aggregator).maskRevealed(c.taskId, c.round, c.chunk, c.owner, neighbor);
    }

    /// @dev `c.owner`'s component among the contributors, counted up to minContributors.
    function _componentSize(Chunk memory c) private pure returns (uint256) {
        return Ring.componentSize(
            c.graph, c.contributors, c.index, c.circuit.neighbors, c.minContributors
        );
    }

    /// @dev min(K, n − 1): a member's active slots (its seed has one holder fewer).
    function _activeSlots(Chunk memory c) private pure returns (uint256) {
        return Ring.activeSlots(c.circuit.neighbors, c.graph.length / 2);
    }

    function _key(uint256 taskId, uint256 round, uint256 chunk, address owner, address dropped)
        private
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(taskId, round, chunk, owner, dropped));
    }
}
