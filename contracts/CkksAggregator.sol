// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {ICkksAggregator} from "./interfaces/ICkksAggregator.sol";
import {IFederatedAggregator} from "./interfaces/IFederatedAggregator.sol";
import {IModelGovernance} from "./interfaces/IModelGovernance.sol";

/// @title CkksAggregator
/// @notice Runs the rounds of CKKS-mode tasks: commit, reveal, and the key holder's record of
///         what it decrypted (circuits/README.md, "CKKS mode").
/// @dev Why commit–reveal: ciphertexts under one public key add up, so a member that saw the
///      others' ciphertexts before the deadline could submit Enc(0) minus all of them but a
///      victim's, and the decrypted sum would be the victim's update. A commitment binds the
///      member, round and task domain, so it can be neither built from others' ciphertexts (they
///      are private until the deadline) nor copied (another member's commitment names it).
contract CkksAggregator is ICkksAggregator {
    /// @dev What a round needs of its task's configuration.
    struct TaskRecord {
        IFederatedAggregator.TaskStatus status;
        uint32 currentRound;
        uint32 rounds;
        uint16 minContributors;
        uint64 submissionPeriod;
        uint64 revealPeriod;
        address keyHolder;
        uint256 domain;
    }

    struct Ciphertext {
        bytes32 commitment;
        bytes32 digest;
        string cid;
    }

    /// @inheritdoc ICkksAggregator
    address public immutable aggregator;

    /// @inheritdoc ICkksAggregator
    address public immutable governance;

    mapping(uint256 taskId => TaskRecord) private _tasks;
    mapping(uint256 taskId => mapping(address member => uint256 indexPlusOne)) private _memberSlot;
    /// @dev Stored with status Open, Finalized or Aborted; `roundInfo` derives Recovery.
    mapping(uint256 taskId => mapping(uint256 round => RoundInfo)) private _rounds;
    mapping(uint256 taskId => mapping(uint256 round => mapping(address member => Ciphertext)))
        private _ciphertexts;

    /// @param governance_ The governance whose current members may commit and reveal.
    /// @dev Deployed only by the aggregator's constructor, which checked the governance's binding.
    // slither-disable-next-line missing-zero-check
    constructor(address governance_) {
        aggregator = msg.sender;
        governance = governance_;
    }

    /// @inheritdoc ICkksAggregator
    function openTask(
        uint256 taskId,
        IFederatedAggregator.TaskConfig calldata config,
        address[] calldata members
    ) external {
        if (msg.sender != aggregator) {
            revert NotAggregator(msg.sender);
        }
        TaskRecord storage task = _tasks[taskId];
        task.status = IFederatedAggregator.TaskStatus.Active;
        task.rounds = config.rounds;
        task.minContributors = config.minContributors;
        task.submissionPeriod = config.submissionPeriod;
        task.revealPeriod = config.revealPeriod;
        task.keyHolder = config.keyHolder;
        task.domain = IFederatedAggregator(aggregator).taskDomain(taskId);
        for (uint256 i; i < members.length; ++i) {
            _memberSlot[taskId][members[i]] = i + 1;
        }
        _openRound(taskId, task, 1);
    }

    /// @inheritdoc ICkksAggregator
    function commitCiphertext(uint256 taskId, uint256 round, bytes32 commitmentHash) external {
        _requireParticipant(taskId);
        RoundInfo storage r = _currentRound(taskId, round);
        if (block.timestamp >= r.submissionDeadline) {
            revert RoundClosed(taskId, round, r.submissionDeadline);
        }
        if (commitmentHash == bytes32(0)) revert EmptyCommitment();
        Ciphertext storage c = _ciphertexts[taskId][round][msg.sender];
        if (c.commitment != bytes32(0)) revert AlreadyCommitted(taskId, round, msg.sender);

        c.commitment = commitmentHash;
        ++r.committed;

        emit CiphertextCommitted(taskId, round, msg.sender, commitmentHash);
    }

    /// @inheritdoc ICkksAggregator
    function revealCiphertext(
        uint256 taskId,
        uint256 round,
        string calldata cid,
        bytes32 sha256Digest
    ) external {
        uint256 index = _requireParticipant(taskId);
        RoundInfo storage r = _currentRound(taskId, round);
        if (block.timestamp < r.submissionDeadline) {
            revert RoundStillOpen(taskId, round, r.submissionDeadline);
        }
        if (block.timestamp >= r.revealDeadline) {
            revert RevealWindowClosed(taskId, round, r.revealDeadline);
        }
        if (bytes(cid).length == 0) revert EmptyCid();
        Ciphertext storage c = _ciphertexts[taskId][round][msg.sender];
        if (c.commitment == bytes32(0)) revert NotCommitted(taskId, round, msg.sender);
        if ((r.contributors >> index) & 1 == 1) revert AlreadyRevealed(taskId, round, msg.sender);
        bytes32 expected =
            keccak256(abi.encode(_tasks[taskId].domain, round, msg.sender, sha256Digest));
        if (c.commitment != expected) revert CommitmentMismatch(taskId, round, msg.sender);

        c.digest = sha256Digest;
        c.cid = cid;
        // casting to 'uint128' is safe because index < MAX_MEMBERS = 128 (the aggregator's cap)
        // forge-lint: disable-next-line(unsafe-typecast)
        r.contributors |= uint128(1 << index);
        ++r.revealed;

        emit CiphertextRevealed(taskId, round, msg.sender, cid, sha256Digest);
    }

    /// @inheritdoc ICkksAggregator
    function finalizeRound(
        uint256 taskId,
        uint256 round,
        uint128 excluded,
        bytes32 aggregateDigest,
        string calldata sumCid,
        bytes32 sumHash
    ) external {
        TaskRecord storage task = _requireTask(taskId);
        if (msg.sender != task.keyHolder) revert NotKeyHolder(taskId, msg.sender);
        RoundInfo storage r = _currentRound(taskId, round);
        if (block.timestamp < r.revealDeadline) {
            revert RevealsStillOpen(taskId, round, r.revealDeadline);
        }
        uint128 contributors = r.contributors;
        if (excluded & ~contributors != 0) revert NotRevealed(taskId, round, excluded);
        contributors &= ~excluded;
        uint256 count = _popcount(contributors);
        if (count < task.minContributors) {
            revert TooFewContributors(taskId, round, count, task.minContributors);
        }
        if (bytes(sumCid).length == 0) revert EmptyCid();

        r.status = IFederatedAggregator.RoundStatus.Finalized;
        r.contributors = contributors;
        r.excluded = excluded;
        // casting to 'uint32' is safe because count ≤ 128
        // forge-lint: disable-next-line(unsafe-typecast)
        r.revealed = uint32(count);
        r.aggregateDigest = aggregateDigest;
        r.sumCid = sumCid;
        r.sumHash = sumHash;

        emit RoundFinalized(taskId, round, count, excluded, aggregateDigest, sumCid, sumHash);
        _advance(taskId, task, round);
    }

    /// @inheritdoc ICkksAggregator
    function abortRound(uint256 taskId, uint256 round) external {
        TaskRecord storage task = _requireTask(taskId);
        RoundInfo storage r = _currentRound(taskId, round);
        if (block.timestamp < r.revealDeadline) {
            revert RevealsStillOpen(taskId, round, r.revealDeadline);
        }
        // The key holder may give up at once (it could simply not finalize); anyone else waits
        // out its decryption window unless too few revealed.
        bool tooFew = r.revealed < task.minContributors;
        if (
            !tooFew && msg.sender != task.keyHolder
                && block.timestamp < uint256(r.revealDeadline) + task.revealPeriod
        ) {
            revert RoundNotAbortable(taskId, round);
        }

        r.status = IFederatedAggregator.RoundStatus.Aborted;

        emit RoundAborted(taskId, round, msg.sender);
        _advance(taskId, task, round);
    }

    // ---------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc ICkksAggregator
    function taskState(uint256 taskId)
        external
        view
        returns (IFederatedAggregator.TaskStatus status, uint256 currentRound)
    {
        TaskRecord storage task = _requireTask(taskId);
        return (task.status, task.currentRound);
    }

    /// @inheritdoc ICkksAggregator
    function roundInfo(uint256 taskId, uint256 round) external view returns (RoundInfo memory) {
        _requireTask(taskId);
        RoundInfo memory info = _rounds[taskId][round];
        if (info.status == IFederatedAggregator.RoundStatus.None) {
            revert RoundNotStarted(taskId, round);
        }
        if (
            info.status == IFederatedAggregator.RoundStatus.Open
                && block.timestamp >= info.submissionDeadline
        ) {
            info.status = IFederatedAggregator.RoundStatus.Recovery;
        }
        return info;
    }

    /// @inheritdoc ICkksAggregator
    function commitment(uint256 taskId, uint256 round, address member)
        external
        view
        returns (bytes32)
    {
        return _ciphertexts[taskId][round][member].commitment;
    }

    /// @inheritdoc ICkksAggregator
    function ciphertext(uint256 taskId, uint256 round, address member)
        external
        view
        returns (string memory cid, bytes32 sha256Digest)
    {
        Ciphertext storage c = _ciphertexts[taskId][round][member];
        return (c.cid, c.digest);
    }

    // ---------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------

    function _requireTask(uint256 taskId) private view returns (TaskRecord storage task) {
        task = _tasks[taskId];
        if (task.status == IFederatedAggregator.TaskStatus.None) revert UnknownTask(taskId);
    }

    /// @dev The caller's index in the task; it must still be a member of the governance, so a
    ///      member removed by vote takes no further part in running tasks.
    function _requireParticipant(uint256 taskId) private view returns (uint256) {
        _requireTask(taskId);
        uint256 slot = _memberSlot[taskId][msg.sender];
        if (slot == 0) revert NotTaskMember(taskId, msg.sender);
        if (!IModelGovernance(governance).isMember(msg.sender)) revert NotMember(msg.sender);
        // slot ≥ 1 here.
        unchecked {
            return slot - 1;
        }
    }

    /// @dev The task's current round, still neither finalized nor aborted.
    function _currentRound(uint256 taskId, uint256 round)
        private
        view
        returns (RoundInfo storage r)
    {
        uint256 current = _tasks[taskId].currentRound;
        if (round != current) revert NotCurrentRound(taskId, round, current);
        r = _rounds[taskId][round];
        IFederatedAggregator.RoundStatus stored = r.status;
        if (stored != IFederatedAggregator.RoundStatus.Open) {
            revert RoundEnded(taskId, round, stored);
        }
    }

    function _openRound(uint256 taskId, TaskRecord storage task, uint256 round) private {
        uint64 submissionDeadline = uint64(block.timestamp) + task.submissionPeriod;
        uint64 revealDeadline = submissionDeadline + task.revealPeriod;
        RoundInfo storage r = _rounds[taskId][round];
        r.status = IFederatedAggregator.RoundStatus.Open;
        r.submissionDeadline = submissionDeadline;
        r.revealDeadline = revealDeadline;
        // casting to 'uint32' is safe because round ≤ task.rounds, a uint32
        // forge-lint: disable-next-line(unsafe-typecast)
        task.currentRound = uint32(round);
        emit RoundOpened(taskId, round, submissionDeadline, revealDeadline);
    }

    function _popcount(uint128 bitmap) private pure returns (uint256 count) {
        for (; bitmap != 0; bitmap &= bitmap - 1) {
            ++count;
        }
    }

    function _advance(uint256 taskId, TaskRecord storage task, uint256 round) private {
        if (round >= task.rounds) {
            task.status = IFederatedAggregator.TaskStatus.Completed;
            emit TaskCompleted(taskId);
        } else {
            _openRound(taskId, task, round + 1);
        }
    }
}
