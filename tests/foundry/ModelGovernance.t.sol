// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {FederatedAggregator} from "../../contracts/FederatedAggregator.sol";
import {ModelGovernance} from "../../contracts/ModelGovernance.sol";
import {IFederatedAggregator as IFA} from "../../contracts/interfaces/IFederatedAggregator.sol";
import {IKeyRegistry} from "../../contracts/interfaces/IKeyRegistry.sol";
import {IModelGovernance as IMG} from "../../contracts/interfaces/IModelGovernance.sol";
import {IVerifierRegistry} from "../../contracts/interfaces/IVerifierRegistry.sol";
import {MockGroth16Verifier} from "../../contracts/test/MockGroth16Verifier.sol";
import {VerifierRegistry} from "../../contracts/VerifierRegistry.sol";
import {BabyJubJubReference as Ref} from "./utils/BabyJubJubReference.sol";

/// @dev Three founders with keys, the small test variant (W = 2, K = 2) behind mock verifiers,
///      the only variant (id 0) of the deployment's registry.
contract ModelGovernanceTest is Test {
    uint64 internal constant VOTING = 3 days;

    ModelGovernance internal gov;
    FederatedAggregator internal agg;
    VerifierRegistry internal registry;
    MockGroth16Verifier internal verifier;
    MockGroth16Verifier internal revealVerifier;
    MockGroth16Verifier internal pairVerifier;
    MockGroth16Verifier internal keyVerifier;

    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");
    address internal dave = makeAddr("dave");
    address internal outsider = makeAddr("outsider");

    function setUp() public {
        verifier = new MockGroth16Verifier(5 + 2 + 2 + 2);
        revealVerifier = new MockGroth16Verifier(4 + 2);
        pairVerifier = new MockGroth16Verifier(6);
        keyVerifier = new MockGroth16Verifier(3);
        IVerifierRegistry.Variant[] memory variants = new IVerifierRegistry.Variant[](1);
        variants[0] = IVerifierRegistry.Variant({
            name: "masked_update_test",
            circuit: IFA.CircuitVariant({
                verifier: address(verifier),
                words: 2,
                neighbors: 2,
                lanes: 15,
                laneBits: 16,
                valueBits: 12,
                revealVerifier: address(revealVerifier),
                pairVerifier: address(pairVerifier),
                // K = 2 never escrows: stand-ins that hold code, never called.
                escrowVerifier: address(pairVerifier),
                seedMaskVerifier: address(revealVerifier)
            }),
            vkeyHash: keccak256("masked_update_test.vkey.json"),
            revealVkeyHash: keccak256("mask_reveal_test.vkey.json"),
            pairVkeyHash: keccak256("pair_commit.vkey.json"),
            escrowVkeyHash: keccak256("escrow_pad.vkey.json"),
            seedMaskVkeyHash: keccak256("seed_mask_test.vkey.json")
        });
        registry = new VerifierRegistry(
            address(keyVerifier), keccak256("key_possession.vkey.json"), true, variants
        );
        address[] memory founders = new address[](3);
        founders[0] = alice;
        founders[1] = bob;
        founders[2] = carol;
        (gov, agg) = _deploy(founders);
        for (uint256 i; i < 3; ++i) {
            _registerKey(founders[i], 10 + i);
        }
    }

    /// @dev Registers sk·Base8 with a stand-in `KeyPossession` proof (the mock accepts it).
    function _registerKey(address member, uint256 sk) internal {
        (uint256 x, uint256 y) = Ref.publicKey(sk);
        IFA.Proof memory proof;
        IKeyRegistry keys = IKeyRegistry(agg.keys());
        vm.prank(member);
        keys.registerKey(x, y, proof);
    }

    function _deploy(address[] memory founders)
        internal
        returns (ModelGovernance g, FederatedAggregator a)
    {
        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        g = new ModelGovernance(predicted, founders, VOTING);
        a = new FederatedAggregator(IMG(address(g)), registry);
    }

    function _taskProposal() internal view returns (IMG.TaskProposal memory p) {
        p.specCid = "bafy-spec";
        p.specHash = keccak256("spec");
        p.hyperParamHash = keccak256("lr=0.01,epochs=1");
        p.task.variant = 0;
        p.task.scaleBits = 8;
        p.task.mode = IFA.Mode.SecAgg;
        p.task.paramCount = 100;
        p.task.bound = 1 << 20;
        p.task.minContributors = 3;
        p.task.rounds = 1;
        p.task.submissionPeriod = 1 days;
        p.task.revealPeriod = 1 days;
        p.task.modelCid = "bafy-initial";
        p.task.modelHash = keccak256("initial");
    }

    function _propose() internal returns (uint256 id) {
        vm.prank(alice);
        id = gov.proposeTask(_taskProposal());
    }

    function _pass(uint256 id) internal {
        vm.prank(alice);
        gov.vote(id, true);
        vm.prank(bob);
        gov.vote(id, true);
    }

    // --- constructor ----------------------------------------------------------------------

    function test_Constructor() public view {
        assertEq(gov.aggregator(), address(agg));
        assertEq(gov.votingPeriod(), VOTING);
        assertEq(gov.memberCount(), 3);
        address[] memory m = gov.members();
        assertEq(m[0], alice);
        assertEq(m[1], bob);
        assertEq(m[2], carol);
        assertTrue(gov.isMember(bob));
        assertFalse(gov.isMember(outsider));
    }

    function test_RevertWhen_Constructor_ZeroAggregator() public {
        address[] memory founders = new address[](1);
        founders[0] = alice;
        vm.expectRevert(IMG.ZeroAddress.selector);
        new ModelGovernance(address(0), founders, VOTING);
    }

    function test_RevertWhen_Constructor_NoFounders() public {
        vm.expectRevert(IMG.NoFounders.selector);
        new ModelGovernance(address(1), new address[](0), VOTING);
    }

    function test_RevertWhen_Constructor_ZeroVotingPeriod() public {
        address[] memory founders = new address[](1);
        founders[0] = alice;
        vm.expectRevert(IMG.ZeroVotingPeriod.selector);
        new ModelGovernance(address(1), founders, 0);
    }

    function test_RevertWhen_Constructor_DuplicateFounder() public {
        address[] memory founders = new address[](2);
        founders[0] = alice;
        founders[1] = alice;
        vm.expectRevert(abi.encodeWithSelector(IMG.AlreadyMember.selector, alice));
        new ModelGovernance(address(1), founders, VOTING);
    }

    function test_RevertWhen_Constructor_ZeroFounder() public {
        address[] memory founders = new address[](1);
        vm.expectRevert(IMG.ZeroAddress.selector);
        new ModelGovernance(address(1), founders, VOTING);
    }

    // --- proposeTask ----------------------------------------------------------------------

    function test_ProposeTask() public {
        IMG.TaskProposal memory p = _taskProposal();
        vm.expectEmit(address(gov));
        emit IMG.ProposalCreated(
            1, alice, IMG.ProposalKind.Task, address(0), uint64(block.timestamp) + VOTING
        );
        vm.expectEmit(address(gov));
        emit IMG.TaskProposed(1, p.specCid, p.specHash, p.hyperParamHash);
        uint256 id = _propose();

        assertEq(id, 1);
        assertEq(gov.proposalCount(), 1);
        IMG.ProposalInfo memory info = gov.proposal(id);
        assertEq(uint8(info.kind), uint8(IMG.ProposalKind.Task));
        assertEq(info.proposer, alice);
        assertEq(info.electorate, 3);
        assertEq(info.voteEnd, block.timestamp + VOTING);
        assertEq(abi.encode(gov.taskProposal(id)), abi.encode(p));
        assertEq(uint8(gov.state(id)), uint8(IMG.ProposalState.Active));
    }

    function test_RevertWhen_ProposeTask_NotMember() public {
        IMG.TaskProposal memory p = _taskProposal();
        vm.expectRevert(abi.encodeWithSelector(IMG.NotMember.selector, outsider));
        vm.prank(outsider);
        gov.proposeTask(p);
    }

    function test_RevertWhen_ProposeTask_EmptySpecCid() public {
        IMG.TaskProposal memory p = _taskProposal();
        p.specCid = "";
        vm.expectRevert(IMG.EmptySpec.selector);
        vm.prank(alice);
        gov.proposeTask(p);
    }

    function test_RevertWhen_ProposeTask_EmptySpecHash() public {
        IMG.TaskProposal memory p = _taskProposal();
        p.specHash = bytes32(0);
        vm.expectRevert(IMG.EmptySpec.selector);
        vm.prank(alice);
        gov.proposeTask(p);
    }

    // --- proposeMembership ----------------------------------------------------------------

    function test_ProposeMembership() public {
        vm.expectEmit(address(gov));
        emit IMG.ProposalCreated(
            1, bob, IMG.ProposalKind.AddMember, dave, uint64(block.timestamp) + VOTING
        );
        vm.prank(bob);
        uint256 id = gov.proposeMembership(dave, true);
        assertEq(gov.proposal(id).account, dave);

        vm.prank(bob);
        id = gov.proposeMembership(carol, false);
        assertEq(uint8(gov.proposal(id).kind), uint8(IMG.ProposalKind.RemoveMember));
    }

    function test_RevertWhen_ProposeMembership_NotMember() public {
        vm.expectRevert(abi.encodeWithSelector(IMG.NotMember.selector, outsider));
        vm.prank(outsider);
        gov.proposeMembership(outsider, true);
    }

    function test_RevertWhen_ProposeMembership_ZeroAddress() public {
        vm.expectRevert(IMG.ZeroAddress.selector);
        vm.prank(alice);
        gov.proposeMembership(address(0), true);
    }

    function test_RevertWhen_ProposeMembership_AddExistingMember() public {
        vm.expectRevert(abi.encodeWithSelector(IMG.AlreadyMember.selector, bob));
        vm.prank(alice);
        gov.proposeMembership(bob, true);
    }

    function test_RevertWhen_ProposeMembership_RemoveNonMember() public {
        vm.expectRevert(abi.encodeWithSelector(IMG.NotMember.selector, dave));
        vm.prank(alice);
        gov.proposeMembership(dave, false);
    }

    function test_RevertWhen_ProposeMembership_RemoveLastMember() public {
        address[] memory founders = new address[](1);
        founders[0] = alice;
        ModelGovernance solo = new ModelGovernance(address(1), founders, VOTING);
        vm.expectRevert(abi.encodeWithSelector(IMG.LastMember.selector, alice));
        vm.prank(alice);
        solo.proposeMembership(alice, false);
    }

    // --- vote -----------------------------------------------------------------------------

    function test_Vote() public {
        uint256 id = _propose();
        vm.expectEmit(address(gov));
        emit IMG.VoteCast(id, carol, false);
        vm.prank(carol);
        gov.vote(id, false);
        assertTrue(gov.hasVoted(id, carol));
        assertFalse(gov.hasVoted(id, bob));
        assertEq(gov.proposal(id).againstVotes, 1);
        assertEq(gov.proposal(id).forVotes, 0);
    }

    function test_RevertWhen_Vote_UnknownProposal() public {
        vm.expectRevert(abi.encodeWithSelector(IMG.UnknownProposal.selector, 7));
        vm.prank(alice);
        gov.vote(7, true);
    }

    function test_RevertWhen_Vote_NotMember() public {
        uint256 id = _propose();
        vm.expectRevert(abi.encodeWithSelector(IMG.NotEligible.selector, id, outsider));
        vm.prank(outsider);
        gov.vote(id, true);
    }

    function test_RevertWhen_Vote_Twice() public {
        uint256 id = _propose();
        vm.prank(alice);
        gov.vote(id, true);
        vm.expectRevert(abi.encodeWithSelector(IMG.AlreadyVoted.selector, id, alice));
        vm.prank(alice);
        gov.vote(id, false);
    }

    /// @dev Execution is final: the members who had not voted yet cannot vote on it any more,
    ///      within the voting period too, and the tally stays as it was executed.
    function test_RevertWhen_Vote_AfterExecution() public {
        uint256 id = _propose();
        _pass(id);
        gov.execute(id);
        assertLt(block.timestamp, gov.proposal(id).voteEnd);

        vm.expectRevert(abi.encodeWithSelector(IMG.ProposalAlreadyExecuted.selector, id));
        vm.prank(carol);
        gov.vote(id, false);
        assertFalse(gov.hasVoted(id, carol));
        assertEq(gov.proposal(id).againstVotes, 0);
        assertEq(uint8(gov.state(id)), uint8(IMG.ProposalState.Executed));
    }

    /// @dev Executed membership changes take no more votes either; a member who already voted
    ///      is told the proposal was executed.
    function test_RevertWhen_Vote_AfterExecutionOfMembershipChange() public {
        vm.prank(alice);
        uint256 id = gov.proposeMembership(dave, true);
        _pass(id);
        gov.execute(id);
        vm.expectRevert(abi.encodeWithSelector(IMG.ProposalAlreadyExecuted.selector, id));
        vm.prank(alice);
        gov.vote(id, true);
    }

    function testFuzz_RevertWhen_Vote_AfterVotingPeriod(uint256 delay) public {
        uint256 id = _propose();
        uint64 voteEnd = gov.proposal(id).voteEnd;
        vm.warp(bound(delay, voteEnd, voteEnd + 365 days));
        vm.expectRevert(abi.encodeWithSelector(IMG.VotingClosed.selector, id, voteEnd));
        vm.prank(alice);
        gov.vote(id, true);
    }

    function test_RevertWhen_Vote_JoinedAfterProposal() public {
        uint256 pending = _propose();
        vm.prank(alice);
        uint256 add = gov.proposeMembership(dave, true);
        _pass(add);
        gov.execute(add);

        vm.expectRevert(abi.encodeWithSelector(IMG.NotEligible.selector, pending, dave));
        vm.prank(dave);
        gov.vote(pending, true);

        // Proposals created after joining are open to the new member.
        vm.prank(dave);
        uint256 later = gov.proposeTask(_taskProposal());
        vm.prank(dave);
        gov.vote(later, true);
        assertEq(gov.proposal(later).electorate, 4);
    }

    // --- state ----------------------------------------------------------------------------

    function test_State_SucceedsOnAbsoluteMajority() public {
        uint256 id = _propose();
        vm.prank(alice);
        gov.vote(id, true);
        assertEq(uint8(gov.state(id)), uint8(IMG.ProposalState.Active));
        vm.prank(bob);
        gov.vote(id, true);
        assertEq(uint8(gov.state(id)), uint8(IMG.ProposalState.Succeeded));
        vm.warp(block.timestamp + VOTING);
        assertEq(uint8(gov.state(id)), uint8(IMG.ProposalState.Succeeded));
    }

    function test_State_DefeatedWithoutMajority() public {
        uint256 id = _propose();
        vm.prank(alice);
        gov.vote(id, true);
        vm.prank(bob);
        gov.vote(id, false);
        vm.warp(block.timestamp + VOTING);
        assertEq(uint8(gov.state(id)), uint8(IMG.ProposalState.Defeated));
    }

    /// @dev Seven members; the proposal carries iff more than half of them vote for it.
    function testFuzz_State_MajorityOfMembers(uint8 forVotes, uint8 againstVotes) public {
        address[] memory founders = new address[](7);
        for (uint256 i; i < 7; ++i) {
            founders[i] = vm.addr(0xA000 + i);
        }
        ModelGovernance seven = new ModelGovernance(address(1), founders, VOTING);
        forVotes = uint8(bound(forVotes, 0, 7));
        againstVotes = uint8(bound(againstVotes, 0, 7 - forVotes));
        vm.prank(founders[0]);
        uint256 id = seven.proposeMembership(dave, true);
        for (uint256 i; i < forVotes + againstVotes; ++i) {
            vm.prank(founders[i]);
            seven.vote(id, i < forVotes);
        }
        vm.warp(block.timestamp + VOTING);
        IMG.ProposalState expected =
            forVotes >= 4 ? IMG.ProposalState.Succeeded : IMG.ProposalState.Defeated;
        assertEq(uint8(seven.state(id)), uint8(expected));
    }

    function test_RevertWhen_State_UnknownProposal() public {
        vm.expectRevert(abi.encodeWithSelector(IMG.UnknownProposal.selector, 1));
        gov.state(1);
    }

    // --- execute --------------------------------------------------------------------------

    function test_Execute_TaskProposalCreatesTask() public {
        uint256 id = _propose();
        _pass(id);
        vm.expectEmit(address(agg));
        emit IFA.TaskCreated(1, IFA.Mode.SecAgg, 3, 4, 1);
        vm.expectEmit(address(gov));
        emit IMG.ProposalExecuted(id, 1);
        uint256 taskId = gov.execute(id);

        assertEq(taskId, 1);
        assertEq(gov.proposal(id).taskId, 1);
        assertTrue(gov.proposal(id).executed);
        assertEq(uint8(gov.state(id)), uint8(IMG.ProposalState.Executed));
        address[] memory members = agg.taskMembers(taskId);
        assertEq(members.length, 3);
        assertEq(agg.taskConfig(taskId).modelCid, "bafy-initial");
    }

    function test_Execute_AddMember() public {
        vm.prank(alice);
        uint256 id = gov.proposeMembership(dave, true);
        _pass(id);
        vm.expectEmit(address(gov));
        emit IMG.MemberAdded(dave);
        gov.execute(id);
        assertTrue(gov.isMember(dave));
        assertEq(gov.memberCount(), 4);

        // The new member may register a key with the aggregator's key registry.
        _registerKey(dave, 99);
        (uint256 x, uint256 y) = Ref.publicKey(99);
        assertEq(IKeyRegistry(agg.keys()).keyOwner(x, y), dave);
        assertEq(IKeyRegistry(agg.keys()).unusedKeys(dave), 1);
    }

    function test_Execute_RemoveMember() public {
        vm.prank(alice);
        uint256 id = gov.proposeMembership(carol, false);
        _pass(id);
        vm.expectEmit(address(gov));
        emit IMG.MemberRemoved(carol);
        gov.execute(id);
        assertFalse(gov.isMember(carol));
        assertEq(gov.memberCount(), 2);

        vm.expectRevert(abi.encodeWithSelector(IMG.NotMember.selector, carol));
        vm.prank(carol);
        gov.proposeMembership(carol, true);
    }

    function test_RevertWhen_Execute_Active() public {
        uint256 id = _propose();
        vm.expectRevert(
            abi.encodeWithSelector(IMG.ProposalNotSucceeded.selector, id, IMG.ProposalState.Active)
        );
        gov.execute(id);
    }

    function test_RevertWhen_Execute_Defeated() public {
        uint256 id = _propose();
        vm.warp(block.timestamp + VOTING);
        vm.expectRevert(
            abi.encodeWithSelector(
                IMG.ProposalNotSucceeded.selector, id, IMG.ProposalState.Defeated
            )
        );
        gov.execute(id);
    }

    function test_RevertWhen_Execute_Twice() public {
        uint256 id = _propose();
        _pass(id);
        gov.execute(id);
        vm.expectRevert(
            abi.encodeWithSelector(
                IMG.ProposalNotSucceeded.selector, id, IMG.ProposalState.Executed
            )
        );
        gov.execute(id);
    }

    function test_RevertWhen_Execute_UnknownProposal() public {
        vm.expectRevert(abi.encodeWithSelector(IMG.UnknownProposal.selector, 3));
        gov.execute(3);
    }

    function test_RevertWhen_Execute_StaleMembershipChange() public {
        vm.prank(alice);
        uint256 first = gov.proposeMembership(dave, true);
        vm.prank(bob);
        uint256 second = gov.proposeMembership(dave, true);
        _pass(first);
        _pass(second);
        gov.execute(first);
        vm.expectRevert(abi.encodeWithSelector(IMG.AlreadyMember.selector, dave));
        gov.execute(second);
    }

    /// @dev A task the aggregator refuses (here: a member without a key leaves too few for
    ///      t_min) stays executable once the cause is fixed.
    function test_Execute_RefusedTaskCanBeRetried() public {
        vm.prank(alice);
        uint256 add = gov.proposeMembership(dave, true);
        _pass(add);
        gov.execute(add);

        IMG.TaskProposal memory p = _taskProposal();
        p.task.minContributors = 4;
        vm.prank(alice);
        uint256 id = gov.proposeTask(p);
        _pass(id);
        vm.prank(carol);
        gov.vote(id, true);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidMinContributors.selector, 4, 3));
        gov.execute(id);
        assertEq(uint8(gov.state(id)), uint8(IMG.ProposalState.Succeeded));

        _registerKey(dave, 99);
        assertEq(gov.execute(id), 1);
    }

    /// @dev A proposal names a variant of the registry, never verifiers: one naming an id the
    ///      registry does not hold may pass the vote but never creates a task.
    function test_RevertWhen_Execute_UnregisteredVariant() public {
        IMG.TaskProposal memory p = _taskProposal();
        p.task.variant = 1;
        vm.prank(alice);
        uint256 id = gov.proposeTask(p);
        _pass(id);
        vm.expectRevert(abi.encodeWithSelector(IVerifierRegistry.UnknownVariant.selector, 1, 1));
        gov.execute(id);
        assertEq(uint8(gov.state(id)), uint8(IMG.ProposalState.Succeeded));
        assertEq(agg.taskCount(), 0);
    }

    function test_RevertWhen_TaskProposal_UnknownProposal() public {
        vm.expectRevert(abi.encodeWithSelector(IMG.UnknownProposal.selector, 1));
        gov.taskProposal(1);
        vm.expectRevert(abi.encodeWithSelector(IMG.UnknownProposal.selector, 1));
        gov.proposal(1);
    }

    /// @dev Governance to finalized round: proposal, votes, execution, the ring drawn in the
    ///      next block (by anyone), three joins (two pair commitments each: a ring of three,
    ///      K = 2) and three submissions.
    function test_Integration_VotedTaskRunsARound() public {
        uint256 id = _propose();
        _pass(id);
        uint256 taskId = gov.execute(id);
        vm.roll(block.number + 1);
        vm.prank(outsider);
        IKeyRegistry(agg.keys()).drawGraph(taskId);
        assertEq(IKeyRegistry(agg.keys()).ringOrder(taskId).length, 3);
        address[3] memory who = [alice, bob, carol];
        for (uint256 i; i < 3; ++i) {
            uint256[] memory commitments = new uint256[](2);
            commitments[0] = 100 + i;
            commitments[1] = 200 + i;
            vm.prank(who[i]);
            agg.joinTask(taskId, commitments, new IFA.Proof[](2));
        }
        for (uint256 i; i < 3; ++i) {
            uint256[] memory words = new uint256[](2);
            words[0] = i + 1;
            words[1] = 10 * (i + 1);
            IFA.Proof memory proof;
            vm.prank(who[i]);
            agg.submitChunk(taskId, 1, 0, words, new uint256[](2), proof);
        }
        assertEq(agg.accumulator(taskId, 1, 0)[1], 60);
        vm.warp(agg.roundInfo(taskId, 1).submissionDeadline);
        vm.prank(outsider);
        agg.finalizeRound(taskId, 1, type(uint256).max);
        assertEq(agg.roundInfo(taskId, 1).aggregatedChunks, 1);
        (IFA.TaskStatus status,,) = agg.taskState(taskId);
        assertEq(uint8(status), uint8(IFA.TaskStatus.Completed));
    }
}
