// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator} from "./IFederatedAggregator.sol";

/// @title IChunkRecovery
/// @notice What lets a SecAgg chunk aggregate when contributors cannot or will not remove their
///         masks themselves: the withdrawal of isolated contributors (`withdrawChunk`), and the
///         recovery of a pair seed a contributor escrowed among its other neighbours
///         (`revealShare`, then `recoverMask`), so that no single member can void a chunk by
///         staying silent after its neighbour dropped (circuits/README.md, "Dropouts").
/// @dev Deployed by the `FederatedAggregator` in its constructor (`recovery()`), next to its
///      `KeyRegistry`; it changes a chunk only through the aggregator's two recovery hooks, and
///      reads everything else from the aggregator's views. Refusals shared with the aggregator
///      keep its errors (`IFederatedAggregator.UnknownTask`, `WrongMode`, `RoundNotStarted`,
///      `RoundEnded`, `RoundStillOpen`, `ChunkOutOfRange`, `ChunkSealed`, `NotTaskMember`,
///      `NotContributor`, `NeighborContributed`, `ChunkVoid`, `NotNeighbor`,
///      `MaskAlreadyRevealed`, `NotTheSubmittedWords`, `ComponentNotIsolated`,
///      `TooFewWouldRemain`, `WrongWordCount`, `WordOutOfField`, `InvalidProof`,
///      `VerifierGasTooLow`). Every call concerns the task's current round: a later one is
///      refused with `RoundNotStarted`, an earlier one (finalized or aborted) with `RoundEnded`.
///
///      Windows of round r: submissions until `submissionDeadline`; the contributors' own
///      `revealMask` until `revealDeadline`; the recovery window [revealDeadline,
///      recoveryDeadline) (`IFederatedAggregator.RoundInfo`), one reveal period long when the
///      task escrows its seeds (at least 3 active slots: K ≥ 4 and n ≥ 4), empty otherwise.
///
///      Escrow (circuits/README.md): with K slots, E = K·(K−1) entries, entry
///      e(j, h) = j·(K−1) + h − (h > j ? 1 : 0) for seed slot j and holder slot h ≠ j, equal to
///      share(j, h) + pad(j, h) mod p with pad(j, h) = Poseidon5(s_ih, D, r, c, tag(j, h)),
///      tag(j, h) = 1 + e(j, h) + E·[owner index < holder index]; the shares of seed j over
///      its holders sum to seed_j = Poseidon4(s_ij, D, r, c).
interface IChunkRecovery {
    // ---------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------

    /// @notice `member`'s words were taken out of a chunk's accumulator: its component of
    ///         contributors was too small to hide it, and the rest of the chunk aggregates.
    event ChunkWithdrawn(
        uint256 indexed taskId, uint256 indexed round, uint256 indexed chunk, address member
    );

    /// @notice `holder`'s share of the seed `owner` escrowed for its pair with `dropped` is
    ///         public: `share` = escrow entry − pad mod p, added to the pair's running sum
    ///         (`escrowedSeed`).
    event ShareRevealed(
        uint256 indexed taskId,
        uint256 indexed round,
        uint256 chunk,
        address indexed owner,
        address dropped,
        address holder,
        uint256 share
    );

    /// @notice The mask of the pair (owner, dropped) left the chunk's accumulator, expanded from
    ///         the recovered seed, as `revealMask` by `owner` would have removed it.
    event MaskRecovered(
        uint256 indexed taskId,
        uint256 indexed round,
        uint256 chunk,
        address indexed owner,
        address dropped
    );

    // ---------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------

    /// @notice Shares are revealed and masks recovered only in [opens, closes): from the reveal
    ///         deadline to the recovery deadline.
    error NotInRecoveryWindow(uint256 taskId, uint256 round, uint256 opens, uint256 closes);
    /// @notice The task does not escrow its seeds (fewer than 3 active slots: K = 2 or n < 4).
    error EscrowOff(uint256 taskId);
    /// @notice `holder` is not one of `owner`'s active neighbours other than `dropped`, so it
    ///         holds no share of their seed.
    error NotAHolder(uint256 taskId, address owner, address dropped, address holder);
    /// @notice `owner`'s component among the chunk's contributors has `size` < minContributors
    ///         members: removing its masks would publish that component's sum, so it is to be
    ///         withdrawn (`withdrawChunk`), not recovered.
    error OwnerIsolated(uint256 taskId, uint256 round, uint256 chunk, address owner, uint256 size);
    error ShareAlreadyRevealed(
        uint256 taskId, uint256 round, uint256 chunk, address owner, address dropped, address holder
    );
    /// @notice The words hash and escrow given are not what `owner` submitted for this chunk in
    ///         this round (`IFederatedAggregator.submissionHash`).
    error NotTheSubmittedEscrow(uint256 taskId, uint256 round, uint256 chunk, address owner);
    /// @notice Only `revealed` of the `required` holders revealed their share of the seed.
    error SharesIncomplete(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        address owner,
        address dropped,
        uint256 revealed,
        uint256 required
    );

    // ---------------------------------------------------------------------------------------
    // Functions
    // ---------------------------------------------------------------------------------------

    /// @notice Takes a contributor's words back out of a chunk's accumulator when its component
    ///         among the chunk's contributors (members joined by ring edges whose ends both
    ///         contributed) is smaller than minContributors: removing its masks would publish
    ///         that component's sum, so instead it leaves the chunk and the rest aggregates
    ///         (SECURITY.md, P6). The member then counts as a non-contributor of the chunk.
    /// @dev Anyone, from the submission deadline until the chunk is sealed, with the exact words
    ///      and escrow the member submitted (`ChunkSubmitted`; checked against the aggregator's
    ///      `submissionHash`), for a member that removed no mask in the chunk, while the chunk
    ///      keeps at least minContributors without it (`TooFewWouldRemain`). Refusals in this
    ///      order: UnknownTask, WrongMode, RoundNotStarted, RoundEnded, RoundStillOpen,
    ///      ChunkOutOfRange, ChunkSealed, NotTaskMember, NotTheSubmittedWords, NotContributor,
    ///      ComponentNotIsolated, MaskAlreadyRevealed, TooFewWouldRemain. Its component's other
    ///      members, each as isolated, are withdrawn the same way; a neighbour of a withdrawn
    ///      member is always in its component, so no remaining contributor owes a reveal for it.
    /// @param member The isolated contributor.
    /// @param words The words it submitted.
    /// @param escrow The escrow entries it submitted with them.
    function withdrawChunk(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        address member,
        uint256[] calldata words,
        uint256[] calldata escrow
    ) external;

    /// @notice Opens one holder's share of the seed `owner` escrowed for its pair with the
    ///         dropped neighbour `dropped`: share = escrow[e(j, h)] − pad mod p.
    /// @dev Anyone (only owner and holder know the pair secret the proof needs), in the
    ///      recovery window of the task's current round, for a task that escrows. Refusals in
    ///      this order: UnknownTask, WrongMode, RoundNotStarted, RoundEnded, EscrowOff,
    ///      NotInRecoveryWindow, ChunkOutOfRange, ChunkSealed, NotTaskMember (owner, dropped),
    ///      NotNeighbor (dropped not in an active slot j of owner), NotContributor (owner),
    ///      NeighborContributed (dropped), ChunkVoid, MaskAlreadyRevealed (the pair's mask was
    ///      removed), NotTaskMember (holder), NotAHolder (holder not in an active slot h ≠ j of
    ///      owner), OwnerIsolated, ShareAlreadyRevealed, NotTheSubmittedEscrow, InvalidProof
    ///      (member = holder; also for pad ≥ p). The `EscrowPad` public inputs are D, round,
    ///      chunk, owner's commitment of slot h (= holder's for owner), tag(j, h), pad.
    /// @param owner The contributor that escrowed the seed.
    /// @param dropped Its neighbour that did not contribute the chunk.
    /// @param holder Its neighbour whose share is opened.
    /// @param wordsHash keccak256(abi.encodePacked(round, words)) of owner's submitted words.
    /// @param escrow Owner's submitted escrow entries (`ChunkSubmitted`).
    /// @param pad pad(j, h).
    /// @param proof Groth16 proof of the `EscrowPad` statement.
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
        IFederatedAggregator.Proof calldata proof
    ) external;

    /// @notice Removes the mask of the pair (owner, dropped) from the chunk's accumulator with
    ///         the seed its holders' shares add up to, exactly as `revealMask` by `owner` would:
    ///         marks the pair revealed (`maskRevealed(owner, dropped)`), counts the reveal and
    ///         subtracts the masks when owner's index is below dropped's, adds them otherwise.
    /// @dev Anyone, in the recovery window, once every active slot of owner other than dropped's
    ///      revealed its share. Refusals in this order: as `revealShare` up to
    ///      MaskAlreadyRevealed, then SharesIncomplete, WrongWordCount, WordOutOfField,
    ///      InvalidProof (member = owner). The `SeedMask(W)` public inputs are the seed
    ///      (`escrowedSeed`) and the W mask words.
    /// @param masks PRG(seed, w) for w < W.
    /// @param proof Groth16 proof of the `SeedMask(W)` statement.
    function recoverMask(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        address owner,
        address dropped,
        uint256[] calldata masks,
        IFederatedAggregator.Proof calldata proof
    ) external;

    /// @notice The escrowed seed of the pair (owner, dropped) as far as its shares are revealed.
    /// @return sum Σ revealed shares mod p: the seed once `complete`.
    /// @return holders Bitmap of owner's slots whose holders revealed their share (bit h for
    ///         slot h).
    /// @return complete Whether every holder (each active slot of owner but dropped's) did.
    function escrowedSeed(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        address owner,
        address dropped
    ) external view returns (uint256 sum, uint256 holders, bool complete);

    /// @notice The aggregator that deployed this contract.
    function aggregator() external view returns (address);

    /// @notice The aggregator's `KeyRegistry` (the tasks' rings).
    function keys() external view returns (address);
}
