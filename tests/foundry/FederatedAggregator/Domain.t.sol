// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {FederatedAggregator} from "../../../contracts/FederatedAggregator.sol";
import {IFederatedAggregator as IFA} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {IKeyRegistry} from "../../../contracts/interfaces/IKeyRegistry.sol";
import {MockGroth16Verifier} from "../../../contracts/test/MockGroth16Verifier.sol";
import {MockModelGovernance} from "../../../contracts/test/MockModelGovernance.sol";
import {AggregatorFixture} from "../utils/AggregatorFixture.sol";
import {RingReference} from "../utils/RingReference.sol";

/// @notice The task domain D = keccak256(abi.encode(keccak256("zkfed.task-domain"), chainid,
///         aggregator, taskId)) mod p is the first public input of every `PairCommit`,
///         `MaskedUpdate` and `MaskReveal` proof, so a proof made for one deployment or chain is
///         refused by any other; it also seeds the task's ring with the creation block's hash.
/// @dev Two deployments, A (the fixture's `agg`) and B, with the same verifiers, members, keys
///      and configuration; each has task 1, drawn on the same ring (B's creation-block hash is
///      one found to draw A's ring from B's domain), which nobody has joined yet. `_use` points
///      the fixture's helpers at one of them.
contract DomainTest is AggregatorFixture {
    uint256 internal constant TASK = 1;

    FederatedAggregator internal aggA;
    MockModelGovernance internal govA;
    FederatedAggregator internal aggB;
    MockModelGovernance internal govB;

    function setUp() public override {
        super.setUp();
        (aggA, govA) = (agg, gov);
        assertEq(_newTask(_config()), TASK);
        uint256[] memory ring = IKeyRegistry(aggA.keys()).ringOrder(TASK);

        (govB, aggB) = _deploy();
        _use(aggB, govB);
        gov.setMembers(members);
        for (uint256 i; i < N_MEMBERS; ++i) {
            _registerKey(members[i], keys[i][0], keys[i][1]);
        }
        assertEq(_newTask(_config(), ring), TASK);
        assertEq(IKeyRegistry(aggB.keys()).ringOrder(TASK), ring);
        _use(aggA, govA);
    }

    function _use(FederatedAggregator a, MockModelGovernance g) internal {
        (agg, gov) = (a, g);
    }

    /// @dev The `MaskedUpdate` signals `member` proves for `chunk` of round 1 on aggregator `a`,
    ///      read from `a`'s own views (the order itself is SubmitChunk.t.sol's subject).
    function _updateInputs(FederatedAggregator a, uint256 member, uint256 chunk, uint256[] memory y)
        internal
        view
        returns (uint256[] memory inputs)
    {
        uint256[] memory commitments = a.pairCommitments(TASK, members[member]);
        (, uint256 slots) = a.neighbors(TASK, members[member]);
        // The escrow entries (zero here) follow the words.
        inputs = new uint256[](5 + K + W + uint256(K) * (K - 1));
        (inputs[0], inputs[1], inputs[2]) = (_domain(a, TASK), 1, chunk);
        for (uint256 s; s < K; ++s) {
            inputs[3 + s] = commitments[s];
        }
        (inputs[3 + K], inputs[4 + K]) = (slots, BOUND);
        for (uint256 w; w < W; ++w) {
            inputs[5 + K + w] = y[w];
        }
    }

    // --- taskDomain -----------------------------------------------------------------------

    function test_TaskDomain_Definition() public {
        uint256 domain = aggA.taskDomain(TASK);
        assertEq(domain, _domain(aggA, TASK));
        assertLt(domain, P);
        assertEq(aggB.taskDomain(TASK), _domain(aggB, TASK));
        assertTrue(aggB.taskDomain(TASK) != domain, "another deployment");
        _registerSpareKeys(1); // task 1 took every member's first key
        uint256 second = gov.createTask(_config());
        assertTrue(aggA.taskDomain(second) != domain, "another task");
    }

    function testFuzz_TaskDomain_FollowsChainId(uint64 chainId) public {
        vm.assume(chainId != block.chainid);
        uint256 before = aggA.taskDomain(TASK);
        vm.chainId(chainId);
        assertEq(aggA.taskDomain(TASK), _domain(aggA, TASK));
        assertTrue(aggA.taskDomain(TASK) != before);
    }

    /// @dev Task 1 and the account 0x…01 encode as the same word; the hashes' tags keep the
    ///      task's domain apart from the account's key binding.
    function test_TaskDomain_DiffersFromTheKeyBindingOfTheSameWord() public view {
        assertTrue(
            aggA.taskDomain(TASK) != IKeyRegistry(aggA.keys()).keyBinding(address(uint160(TASK)))
        );
        assertEq(abi.encode(TASK), abi.encode(address(uint160(TASK))));
    }

    function test_RevertWhen_TaskDomain_UnknownTask() public {
        vm.expectRevert(abi.encodeWithSelector(IFA.UnknownTask.selector, 0));
        aggA.taskDomain(0);
    }

    // --- drawGraph ------------------------------------------------------------------------

    /// @dev The ring's seed is keccak256(abi.encode(anchor hash, D)): task 2 created in the same
    ///      block on both deployments, whose hash is the same, gets two seeds and two rings.
    function test_DrawGraph_SeedTakesTheDomain() public {
        // Task 1 took every member's first key on both deployments.
        _registerSpareKeys(1);
        _use(aggB, govB);
        _registerSpareKeys(1);
        _use(aggA, govA);
        uint256 anchor = block.number;
        assertEq(govA.createTask(_config()), 2);
        assertEq(govB.createTask(_config()), 2);
        bytes32 anchorHash = keccak256("one block");
        vm.roll(anchor + 1);
        vm.setBlockhash(anchor, anchorHash);
        bytes32 seedA = _seed(aggA, 2, anchorHash);
        bytes32 seedB = _seed(aggB, 2, anchorHash);
        assertTrue(seedA != seedB);

        IKeyRegistry keysA = IKeyRegistry(aggA.keys());
        IKeyRegistry keysB = IKeyRegistry(aggB.keys());
        vm.expectEmit(address(keysA));
        emit IKeyRegistry.GraphDrawn(2, seedA);
        keysA.drawGraph(2);
        vm.expectEmit(address(keysB));
        emit IKeyRegistry.GraphDrawn(2, seedB);
        keysB.drawGraph(2);
        assertEq(keysA.ringOrder(2), RingReference.shuffle(seedA, N_MEMBERS));
        assertEq(keysB.ringOrder(2), RingReference.shuffle(seedB, N_MEMBERS));
        assertTrue(
            keccak256(abi.encode(keysA.ringOrder(2))) != keccak256(abi.encode(keysB.ringOrder(2)))
        );
    }

    // --- joinTask -------------------------------------------------------------------------

    /// @dev The same `joinTask` arguments (keys and commitments are equal on both deployments)
    ///      are accepted on A, whose domain the proofs carry, and refused on B.
    function test_JoinTask_DomainIsFirstPublicInput() public {
        (uint256[] memory commitments, IFA.Proof[] memory proofs) = _joinArguments(TASK, members[0]);
        (address[] memory ring,) = aggA.neighbors(TASK, members[0]);
        pairVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        for (uint256 s; s < K; ++s) {
            uint256 j = _indexOf(ring[s]);
            uint256[] memory inputs = new uint256[](6);
            (inputs[0], inputs[1], inputs[2]) = (_domain(aggA, TASK), keys[0][0], keys[0][1]);
            (inputs[3], inputs[4], inputs[5]) = (keys[j][0], keys[j][1], commitments[s]);
            pairVerifier.allow(inputs);
        }

        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidPairProof.selector, TASK, members[0], 0));
        vm.prank(members[0]);
        aggB.joinTask(TASK, commitments, proofs);

        vm.prank(members[0]);
        aggA.joinTask(TASK, commitments, proofs);
        assertTrue(aggA.hasJoined(TASK, members[0]));
    }

    // --- submitChunk ----------------------------------------------------------------------

    function test_RevertWhen_SubmitChunk_ProofForAnotherDeployment() public {
        _joinAll(TASK);
        _use(aggB, govB);
        _joinAll(TASK);
        _use(aggA, govA);
        uint256[] memory y = _words(5);
        assertEq(aggA.pairCommitments(TASK, members[2]), aggB.pairCommitments(TASK, members[2]));
        verifier.setMode(MockGroth16Verifier.Mode.Strict);
        verifier.allow(_updateInputs(aggA, 2, 1, y));

        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidProof.selector, TASK, 1, 1, members[2]));
        vm.prank(members[2]);
        aggB.submitChunk(TASK, 1, 1, y, _escrow(), _proof());
        vm.prank(members[2]);
        aggA.submitChunk(TASK, 1, 1, y, _escrow(), _proof());
    }

    /// @dev A proof made on one chain is refused after a fork to another chain id, and accepted
    ///      again on the original chain.
    function testFuzz_RevertWhen_SubmitChunk_ProofForAnotherChain(uint64 chainId) public {
        uint256 original = block.chainid;
        vm.assume(chainId != original);
        _joinAll(TASK);
        uint256[] memory y = _words(6);
        verifier.setMode(MockGroth16Verifier.Mode.Strict);
        verifier.allow(_updateInputs(aggA, 4, 0, y));

        vm.chainId(chainId);
        vm.expectRevert(abi.encodeWithSelector(IFA.InvalidProof.selector, TASK, 1, 0, members[4]));
        vm.prank(members[4]);
        aggA.submitChunk(TASK, 1, 0, y, _escrow(), _proof());

        vm.chainId(original);
        vm.prank(members[4]);
        aggA.submitChunk(TASK, 1, 0, y, _escrow(), _proof());
    }

    // --- revealMask -----------------------------------------------------------------------

    /// @dev The members at ring positions 0–2 contribute; position 0 removes its mask with
    ///      position 5.
    function test_RevertWhen_RevealMask_ProofForAnotherDeployment() public {
        _contributeOnBoth(3);
        (uint256 revealer, uint256 dropped) = (_at(TASK, 0), _at(TASK, 5));
        uint256[] memory masks = _masks(TASK, 1, 0, members[revealer], members[dropped]);
        revealVerifier.setMode(MockGroth16Verifier.Mode.Strict);
        revealVerifier.allow(_revealInputs(TASK, 1, 0, revealer, dropped, masks));
        assertEq(_revealInputs(TASK, 1, 0, revealer, dropped, masks)[0], aggA.taskDomain(TASK));

        vm.expectRevert(
            abi.encodeWithSelector(IFA.InvalidProof.selector, TASK, 1, 0, members[revealer])
        );
        vm.prank(members[revealer]);
        aggB.revealMask(TASK, 1, 0, members[dropped], masks, _proof());
        vm.prank(members[revealer]);
        aggA.revealMask(TASK, 1, 0, members[dropped], masks, _proof());
    }

    // --- finalizeRound --------------------------------------------------------------------

    /// @dev Equal contributions on both deployments (everyone sends the same words for chunk 0)
    ///      give equal aggregates but different digest chains: each starts from
    ///      keccak256(abi.encode(D, round)).
    function test_FinalizeRound_DigestStartsFromTheDomain() public {
        _contributeOnBoth(N_MEMBERS);
        uint256[] memory sum = aggA.accumulator(TASK, 1, 0);
        assertEq(aggB.accumulator(TASK, 1, 0), sum);
        aggA.finalizeRound(TASK, 1, CHUNKS);
        aggB.finalizeRound(TASK, 1, CHUNKS);

        bytes32 digestA = keccak256(abi.encode(_domain(aggA, TASK), uint256(1)));
        bytes32 digestB = keccak256(abi.encode(_domain(aggB, TASK), uint256(1)));
        digestA = _digestNext(digestA, 0, N_MEMBERS, sum);
        digestB = _digestNext(digestB, 0, N_MEMBERS, sum);
        for (uint256 c = 1; c < CHUNKS; ++c) {
            digestA = _digestNext(digestA, c, 0, new uint256[](0));
            digestB = _digestNext(digestB, c, 0, new uint256[](0));
        }
        assertEq(aggA.roundInfo(TASK, 1).aggregateDigest, digestA);
        assertEq(aggB.roundInfo(TASK, 1).aggregateDigest, digestB);
        assertTrue(digestA != digestB);
    }

    /// @dev Everyone joins and the members at ring positions 0 to `count` − 1 (the same on
    ///      both) contribute chunk 0, on both deployments; both reach the submission deadline.
    function _contributeOnBoth(uint256 count) internal {
        for (uint256 d; d < 2; ++d) {
            _use(d == 0 ? aggA : aggB, d == 0 ? govA : govB);
            _joinAll(TASK);
            for (uint256 p; p < count; ++p) {
                _submit(TASK, 1, _at(TASK, p), 0);
            }
        }
        _use(aggA, govA);
        assertEq(
            aggA.roundInfo(TASK, 1).submissionDeadline, aggB.roundInfo(TASK, 1).submissionDeadline
        );
        _toSubmissionDeadline(TASK, 1);
    }

    function _indexOf(address member) internal view returns (uint256) {
        for (uint256 i; i < N_MEMBERS; ++i) {
            if (members[i] == member) return i;
        }
        revert("not a member");
    }
}
