// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator} from "./IFederatedAggregator.sol";

/// @title ICkksAggregator
/// @notice The rounds of CKKS-mode tasks (circuits/README.md, "CKKS mode"): members commit to
///         the hash of their encrypted update before the deadline and reveal it after, so no one
///         can build its ciphertext from another's; the chain fixes who contributed; the key
///         holder records the digest of the ciphertexts' sum it decrypted and the (noise-flooded)
///         decrypted sum, from which the round's model follows.
/// @dev Deployed by the `FederatedAggregator` in its constructor; tasks are numbered and created
///      there (one id space for both modes) and opened here. A round runs in three windows:
///      commits until `submissionDeadline`, reveals until `revealDeadline`, and the key holder's
///      decryption for one more reveal period; after that anyone may abort the round.
interface ICkksAggregator {
    /// @notice A CKKS round's schedule and outcome.
    /// @param status Open (commits), Recovery (reveals, then decryption), Finalized or Aborted.
    /// @param submissionDeadline First second at which commitments are refused.
    /// @param revealDeadline First second at which reveals are refused and the key holder may
    ///        finalize.
    /// @param committed Members that committed to a ciphertext.
    /// @param revealed Members whose revealed ciphertext matched their commitment, less those the
    ///        key holder excluded: the round's contributor count, fixed by the chain.
    /// @param contributors Bit i = member i's revealed ciphertext is in the sum.
    /// @param excluded Bit i = member i revealed a ciphertext the key holder could not use
    ///        (not fetchable, not matching its hash, or malformed) and left out of the sum.
    /// @param aggregateDigest sha256 of the sum of the revealed ciphertexts, in member order
    ///        (the bytes the key holder decrypted); set at finalization.
    /// @param sumCid CID of the decrypted, noise-flooded sum of the updates (float64 vector).
    /// @param sumHash Hash of that vector's bytes (the model hash rule of circuits/README.md).
    struct RoundInfo {
        IFederatedAggregator.RoundStatus status;
        uint64 submissionDeadline;
        uint64 revealDeadline;
        uint32 committed;
        uint32 revealed;
        uint128 contributors;
        uint128 excluded;
        bytes32 aggregateDigest;
        string sumCid;
        bytes32 sumHash;
    }

    event RoundOpened(
        uint256 indexed taskId,
        uint256 indexed round,
        uint64 submissionDeadline,
        uint64 revealDeadline
    );
    event CiphertextCommitted(
        uint256 indexed taskId, uint256 indexed round, address indexed member, bytes32 commitment
    );
    event CiphertextRevealed(
        uint256 indexed taskId,
        uint256 indexed round,
        address indexed member,
        string cid,
        bytes32 sha256Digest
    );
    event RoundFinalized(
        uint256 indexed taskId,
        uint256 indexed round,
        uint256 contributors,
        uint128 excluded,
        bytes32 aggregateDigest,
        string sumCid,
        bytes32 sumHash
    );
    event RoundAborted(uint256 indexed taskId, uint256 indexed round, address indexed caller);
    event TaskCompleted(uint256 indexed taskId);

    error NotAggregator(address caller);
    error NotMember(address account);
    error UnknownTask(uint256 taskId);
    error NotTaskMember(uint256 taskId, address account);
    error NotCurrentRound(uint256 taskId, uint256 round, uint256 currentRound);
    error RoundEnded(uint256 taskId, uint256 round, IFederatedAggregator.RoundStatus status);
    error RoundNotStarted(uint256 taskId, uint256 round);
    error RoundClosed(uint256 taskId, uint256 round, uint256 submissionDeadline);
    error RoundStillOpen(uint256 taskId, uint256 round, uint256 submissionDeadline);
    error RevealWindowClosed(uint256 taskId, uint256 round, uint256 revealDeadline);
    error RevealsStillOpen(uint256 taskId, uint256 round, uint256 revealDeadline);
    error EmptyCommitment();
    error AlreadyCommitted(uint256 taskId, uint256 round, address member);
    error NotCommitted(uint256 taskId, uint256 round, address member);
    error AlreadyRevealed(uint256 taskId, uint256 round, address member);
    error CommitmentMismatch(uint256 taskId, uint256 round, address member);
    error EmptyCid();
    error NotKeyHolder(uint256 taskId, address account);
    error TooFewContributors(uint256 taskId, uint256 round, uint256 contributors, uint256 required);
    error NotRevealed(uint256 taskId, uint256 round, uint256 excluded);
    error RoundNotAbortable(uint256 taskId, uint256 round);

    /// @notice Opens round 1 of a CKKS task the aggregator created.
    /// @dev Only the aggregator; `members` is the task's snapshot, in task order.
    function openTask(
        uint256 taskId,
        IFederatedAggregator.TaskConfig calldata config,
        address[] calldata members
    ) external;

    /// @notice Commits the caller to its encrypted update of the round, before the deadline.
    /// @param commitmentHash keccak256(abi.encode(D, round, member, sha256Digest)), D the task's
    ///        domain (`IFederatedAggregator.taskDomain`) and sha256Digest the ciphertext's sha256.
    ///        The ciphertext itself must stay private until the reveal window.
    function commitCiphertext(uint256 taskId, uint256 round, bytes32 commitmentHash) external;

    /// @notice Reveals the committed ciphertext's CID and sha256 after the deadline; only a
    ///         ciphertext matching the caller's commitment counts.
    function revealCiphertext(
        uint256 taskId,
        uint256 round,
        string calldata cid,
        bytes32 sha256Digest
    ) external;

    /// @notice The key holder records what it decrypted once the reveal window has closed: the
    ///         sha256 of the sum of the revealed ciphertexts it did not exclude and the CID and
    ///         hash of the decrypted, noise-flooded sum. The round's model is the previous one
    ///         plus that sum divided by the number of ciphertexts in it.
    /// @param excluded Revealed ciphertexts left out because the key holder could not use them
    ///        (bitmap over member indices; a member could otherwise block every round by
    ///        revealing a ciphertext nobody can fetch). At least `minContributors` must remain.
    function finalizeRound(
        uint256 taskId,
        uint256 round,
        uint128 excluded,
        bytes32 aggregateDigest,
        string calldata sumCid,
        bytes32 sumHash
    ) external;

    /// @notice Aborts a round (model unchanged) after the reveal deadline: at once when fewer
    ///         than `minContributors` revealed or when the key holder calls (e.g. too few of the
    ///         reveals were usable), otherwise once the key holder let its decryption window pass.
    function abortRound(uint256 taskId, uint256 round) external;

    /// @notice The aggregator that creates this contract's tasks.
    function aggregator() external view returns (address);

    /// @notice The governance whose members may take part.
    function governance() external view returns (address);

    /// @notice A task's status and current round.
    function taskState(uint256 taskId)
        external
        view
        returns (IFederatedAggregator.TaskStatus status, uint256 currentRound);

    /// @notice A started round's schedule and outcome.
    function roundInfo(uint256 taskId, uint256 round) external view returns (RoundInfo memory);

    /// @notice A member's commitment of a round (zero when none).
    function commitment(uint256 taskId, uint256 round, address member)
        external
        view
        returns (bytes32);

    /// @notice A member's revealed ciphertext of a round (empty CID when none).
    function ciphertext(uint256 taskId, uint256 round, address member)
        external
        view
        returns (string memory cid, bytes32 sha256Digest);
}
