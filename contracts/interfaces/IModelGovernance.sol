// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator} from "./IFederatedAggregator.sol";

/// @title IModelGovernance
/// @notice The consortium's vote (DESIGN §5): members propose a model or a membership change,
///         vote once each within the voting period, and an absolute majority of the members at
///         proposal time carries it; executing a model proposal opens a task on the aggregator.
interface IModelGovernance {
    enum ProposalKind {
        Task,
        AddMember,
        RemoveMember
    }

    /// @notice Active: voting open, no absolute majority yet. Succeeded: more than half of the
    ///         electorate voted for it (final: votes cannot be withdrawn). Defeated: the voting
    ///         period ended without that majority. Executed: carried out.
    enum ProposalState {
        None,
        Active,
        Succeeded,
        Defeated,
        Executed
    }

    /// @notice A model proposal: the model's spec on IPFS plus everything the task needs.
    /// @param specCid CID of the model spec (architecture, parameter count, chunk layout,
    ///        hyper-parameters, initial weights CID + hash).
    /// @param specHash Hash of the spec's bytes.
    /// @param hyperParamHash Hash of the canonical hyper-parameter encoding.
    /// @param task The task the proposal opens (parameter count, circuit variant, mode, initial
    ///        weights CID + hash, …).
    struct TaskProposal {
        string specCid;
        bytes32 specHash;
        bytes32 hyperParamHash;
        IFederatedAggregator.TaskConfig task;
    }

    /// @notice A proposal's bookkeeping (the task content is in `taskProposal`).
    struct ProposalInfo {
        ProposalKind kind;
        address proposer;
        uint64 voteEnd;
        uint32 electorate;
        uint32 forVotes;
        uint32 againstVotes;
        bool executed;
        address account;
        uint256 taskId;
    }

    event ProposalCreated(
        uint256 indexed proposalId,
        address indexed proposer,
        ProposalKind kind,
        address account,
        uint64 voteEnd
    );
    event TaskProposed(
        uint256 indexed proposalId, string specCid, bytes32 specHash, bytes32 hyperParamHash
    );
    event VoteCast(uint256 indexed proposalId, address indexed voter, bool support);
    event ProposalExecuted(uint256 indexed proposalId, uint256 indexed taskId);
    event MemberAdded(address indexed account);
    event MemberRemoved(address indexed account);

    error NoFounders();
    error ZeroVotingPeriod();
    error ZeroAddress();
    error NotMember(address account);
    error AlreadyMember(address account);
    error LastMember(address account);
    error UnknownProposal(uint256 proposalId);
    error NotEligible(uint256 proposalId, address voter);
    error AlreadyVoted(uint256 proposalId, address voter);
    error VotingClosed(uint256 proposalId, uint64 voteEnd);
    /// @notice The proposal was executed: its outcome is final and takes no more votes.
    error ProposalAlreadyExecuted(uint256 proposalId);
    error ProposalNotSucceeded(uint256 proposalId, ProposalState state);
    error EmptySpec();

    /// @notice Proposes a model; executing it creates the task on the aggregator.
    /// @dev The task configuration is checked by the aggregator at execution (members may still
    ///      register keys meanwhile); a refused execution leaves the proposal executable.
    /// @param spec Spec CID + hash, hyper-parameter hash and the task configuration.
    /// @return proposalId The new proposal's id.
    function proposeTask(TaskProposal calldata spec) external returns (uint256 proposalId);

    /// @notice Proposes adding (`add`) or removing a member.
    /// @dev A removed member keeps its place in running tasks' snapshots, but the aggregators
    ///      refuse its further keys, joins, submissions and ciphertexts (`NotMember`), so it
    ///      counts as a dropout there (it may still remove its masks for chunks it submitted).
    /// @param account The account to add or remove.
    /// @param add True to add, false to remove.
    /// @return proposalId The new proposal's id.
    function proposeMembership(address account, bool add) external returns (uint256 proposalId);

    /// @notice Casts the caller's one vote on a proposal during its voting period.
    /// @dev Only members who were members when the proposal was created may vote.
    /// @param proposalId Proposal.
    /// @param support True for, false against.
    function vote(uint256 proposalId, bool support) external;

    /// @notice Carries out a succeeded proposal; anyone may call it.
    /// @param proposalId Proposal.
    /// @return taskId The created task's id (0 for a membership proposal).
    function execute(uint256 proposalId) external returns (uint256 taskId);

    /// @notice The aggregator whose tasks this governance creates.
    function aggregator() external view returns (address);

    /// @notice Seconds a proposal stays open for votes.
    function votingPeriod() external view returns (uint64);

    /// @notice Whether `account` is a member now.
    function isMember(address account) external view returns (bool);

    /// @notice Current members, in the order tasks snapshot them.
    function members() external view returns (address[] memory);

    /// @notice Number of members.
    function memberCount() external view returns (uint256);

    /// @notice Number of proposals so far (ids are 1..proposalCount).
    function proposalCount() external view returns (uint256);

    /// @notice A proposal's bookkeeping.
    function proposal(uint256 proposalId) external view returns (ProposalInfo memory);

    /// @notice The model proposal's content (empty for membership proposals).
    function taskProposal(uint256 proposalId) external view returns (TaskProposal memory);

    /// @notice A proposal's state.
    function state(uint256 proposalId) external view returns (ProposalState);

    /// @notice Whether `voter` voted on the proposal.
    function hasVoted(uint256 proposalId, address voter) external view returns (bool);
}
