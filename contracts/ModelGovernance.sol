// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {IFederatedAggregator} from "./interfaces/IFederatedAggregator.sol";
import {IModelGovernance} from "./interfaces/IModelGovernance.sol";

/// @title ModelGovernance
/// @notice One member, one vote: members propose a model (which opens a task on the aggregator
///         when executed) or a membership change; an absolute majority of the members at proposal
///         time carries a proposal.
/// @dev Deploy this contract first with the aggregator's future address, then the aggregator
///      (which checks the binding). Only members who joined before a proposal was created may
///      vote on it, so a membership change cannot swing a vote already under way.
contract ModelGovernance is IModelGovernance {
    using EnumerableSet for EnumerableSet.AddressSet;

    struct Proposal {
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

    /// @inheritdoc IModelGovernance
    address public immutable aggregator;
    /// @inheritdoc IModelGovernance
    uint64 public immutable votingPeriod;

    EnumerableSet.AddressSet private _members;
    /// @dev Number of proposals that existed when the member joined: it may vote on later ones.
    mapping(address member => uint256) private _joinedAt;
    uint256 private _proposalCount;
    mapping(uint256 proposalId => Proposal) private _proposals;
    mapping(uint256 proposalId => TaskProposal) private _taskProposals;
    mapping(uint256 proposalId => mapping(address voter => bool)) private _voted;

    modifier onlyMember() {
        if (!_members.contains(msg.sender)) revert NotMember(msg.sender);
        _;
    }

    /// @param aggregator_ The aggregator's address (deployed right after this contract).
    /// @param founders The founding members, in snapshot order.
    /// @param votingPeriod_ Seconds a proposal stays open for votes.
    constructor(address aggregator_, address[] memory founders, uint64 votingPeriod_) {
        if (aggregator_ == address(0)) revert ZeroAddress();
        if (founders.length == 0) revert NoFounders();
        if (votingPeriod_ == 0) revert ZeroVotingPeriod();
        aggregator = aggregator_;
        votingPeriod = votingPeriod_;
        for (uint256 i; i < founders.length; ++i) {
            _addMember(founders[i]);
        }
    }

    /// @inheritdoc IModelGovernance
    function proposeTask(TaskProposal calldata spec)
        external
        onlyMember
        returns (uint256 proposalId)
    {
        if (bytes(spec.specCid).length == 0 || spec.specHash == bytes32(0)) {
            revert EmptySpec();
        }
        proposalId = _createProposal(ProposalKind.Task, address(0));
        _taskProposals[proposalId] = spec;
        emit TaskProposed(proposalId, spec.specCid, spec.specHash, spec.hyperParamHash);
    }

    /// @inheritdoc IModelGovernance
    function proposeMembership(address account, bool add)
        external
        onlyMember
        returns (uint256 proposalId)
    {
        if (account == address(0)) revert ZeroAddress();
        _checkMembershipChange(account, add);
        proposalId =
            _createProposal(add ? ProposalKind.AddMember : ProposalKind.RemoveMember, account);
    }

    /// @inheritdoc IModelGovernance
    function vote(uint256 proposalId, bool support) external {
        Proposal storage p = _requireProposal(proposalId);
        if (!_members.contains(msg.sender) || _joinedAt[msg.sender] >= proposalId) {
            revert NotEligible(proposalId, msg.sender);
        }
        if (block.timestamp >= p.voteEnd) revert VotingClosed(proposalId, p.voteEnd);
        if (p.executed) revert ProposalAlreadyExecuted(proposalId);
        if (_voted[proposalId][msg.sender]) revert AlreadyVoted(proposalId, msg.sender);

        _voted[proposalId][msg.sender] = true;
        if (support) ++p.forVotes;
        else ++p.againstVotes;

        emit VoteCast(proposalId, msg.sender, support);
    }

    /// @inheritdoc IModelGovernance
    function execute(uint256 proposalId) external returns (uint256 taskId) {
        Proposal storage p = _requireProposal(proposalId);
        ProposalState current = _state(p);
        if (current != ProposalState.Succeeded) revert ProposalNotSucceeded(proposalId, current);

        p.executed = true;
        ProposalKind kind = p.kind;
        if (kind == ProposalKind.Task) {
            // The aggregator is immutable and bound to this contract at its construction; the
            // proposal is marked executed before the call, so a re-entry finds nothing to do.
            // slither-disable-next-line reentrancy-events
            taskId = IFederatedAggregator(aggregator).createTask(_taskProposals[proposalId].task);
            p.taskId = taskId;
        } else {
            bool add = kind == ProposalKind.AddMember;
            _checkMembershipChange(p.account, add);
            if (add) _addMember(p.account);
            else _removeMember(p.account);
        }

        emit ProposalExecuted(proposalId, taskId);
    }

    /// @inheritdoc IModelGovernance
    function isMember(address account) external view returns (bool) {
        return _members.contains(account);
    }

    /// @inheritdoc IModelGovernance
    function members() external view returns (address[] memory) {
        return _members.values();
    }

    /// @inheritdoc IModelGovernance
    function memberCount() external view returns (uint256) {
        return _members.length();
    }

    /// @inheritdoc IModelGovernance
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @inheritdoc IModelGovernance
    function proposal(uint256 proposalId) external view returns (ProposalInfo memory) {
        Proposal storage p = _requireProposal(proposalId);
        return ProposalInfo({
            kind: p.kind,
            proposer: p.proposer,
            voteEnd: p.voteEnd,
            electorate: p.electorate,
            forVotes: p.forVotes,
            againstVotes: p.againstVotes,
            executed: p.executed,
            account: p.account,
            taskId: p.taskId
        });
    }

    /// @inheritdoc IModelGovernance
    function taskProposal(uint256 proposalId) external view returns (TaskProposal memory) {
        _requireProposal(proposalId);
        return _taskProposals[proposalId];
    }

    /// @inheritdoc IModelGovernance
    function state(uint256 proposalId) external view returns (ProposalState) {
        return _state(_requireProposal(proposalId));
    }

    /// @inheritdoc IModelGovernance
    function hasVoted(uint256 proposalId, address voter) external view returns (bool) {
        return _voted[proposalId][voter];
    }

    function _createProposal(ProposalKind kind, address account)
        private
        returns (uint256 proposalId)
    {
        proposalId = ++_proposalCount;
        uint64 voteEnd = uint64(block.timestamp) + votingPeriod;
        _proposals[proposalId] = Proposal({
            kind: kind,
            proposer: msg.sender,
            voteEnd: voteEnd,
            electorate: uint32(_members.length()),
            forVotes: 0,
            againstVotes: 0,
            executed: false,
            account: account,
            taskId: 0
        });
        emit ProposalCreated(proposalId, msg.sender, kind, account, voteEnd);
    }

    function _checkMembershipChange(address account, bool add) private view {
        if (add) {
            if (_members.contains(account)) revert AlreadyMember(account);
        } else {
            if (!_members.contains(account)) revert NotMember(account);
            if (_members.length() == 1) revert LastMember(account);
        }
    }

    function _addMember(address account) private {
        if (account == address(0)) revert ZeroAddress();
        if (!_members.add(account)) revert AlreadyMember(account);
        _joinedAt[account] = _proposalCount;
        emit MemberAdded(account);
    }

    function _removeMember(address account) private {
        if (!_members.remove(account)) revert NotMember(account);
        delete _joinedAt[account];
        emit MemberRemoved(account);
    }

    function _requireProposal(uint256 proposalId) private view returns (Proposal storage p) {
        p = _proposals[proposalId];
        if (p.proposer == address(0)) revert UnknownProposal(proposalId);
    }

    /// @dev Succeeded is final once reached: votes are never withdrawn and the electorate is
    ///      fixed at creation, so execution need not wait for the voting period to end.
    function _state(Proposal storage p) private view returns (ProposalState) {
        if (p.executed) return ProposalState.Executed;
        if (2 * uint256(p.forVotes) > p.electorate) return ProposalState.Succeeded;
        if (block.timestamp < p.voteEnd) return ProposalState.Active;
        return ProposalState.Defeated;
    }
}
