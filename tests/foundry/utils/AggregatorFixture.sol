// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {FederatedAggregator} from "../../../contracts/FederatedAggregator.sol";
import {IFederatedAggregator} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {IModelGovernance} from "../../../contracts/interfaces/IModelGovernance.sol";
import {MockGroth16Verifier} from "../../../contracts/test/MockGroth16Verifier.sol";
import {MockModelGovernance} from "../../../contracts/test/MockModelGovernance.sol";
import {BabyJubJubReference} from "./BabyJubJubReference.sol";

/// @notice An aggregator behind a mock governance, six members with registered keys and mock
///         verifiers for a small variant (W = 4, K = 4; packing L = 15, B = 16, R = 12).
/// @dev `_createTask` returns a task every member has joined, with the pair commitments of
///      `_commitment` (symmetric, as c_ij = c_ji for real ECDH secrets).
abstract contract AggregatorFixture is Test {
    uint256 internal constant P =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    uint16 internal constant W = 4;
    uint8 internal constant K = 4;
    uint8 internal constant L = 15;
    uint256 internal constant N_MEMBERS = 6;
    uint256 internal constant CHUNKS = 3;
    uint16 internal constant T_MIN = 3;
    uint64 internal constant SUBMISSION = 1 days;
    uint64 internal constant REVEAL = 12 hours;
    uint64 internal constant BOUND = 1_000_000;
    uint32 internal constant ROUNDS = 2;

    FederatedAggregator internal agg;
    MockModelGovernance internal gov;
    MockGroth16Verifier internal verifier;
    MockGroth16Verifier internal seedVerifier;
    MockGroth16Verifier internal pairVerifier;

    address[] internal members;
    uint256[2][] internal keys;
    address internal outsider = makeAddr("outsider");

    function setUp() public virtual {
        verifier = new MockGroth16Verifier(5 + uint256(K) + W);
        seedVerifier = new MockGroth16Verifier(5);
        pairVerifier = new MockGroth16Verifier(6);
        (gov, agg) = _deploy();
        for (uint256 i; i < N_MEMBERS; ++i) {
            members.push(makeAddr(string.concat("member", vm.toString(i))));
            (uint256 x, uint256 y) = BabyJubJubReference.publicKey(1000 + i);
            keys.push([x, y]);
        }
        gov.setMembers(members);
        for (uint256 i; i < N_MEMBERS; ++i) {
            vm.prank(members[i]);
            agg.registerKey(keys[i][0], keys[i][1]);
        }
    }

    /// @dev Governance first, bound to the aggregator's future address, then the aggregator.
    function _deploy() internal returns (MockModelGovernance g, FederatedAggregator a) {
        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        g = new MockModelGovernance(predicted);
        a = new FederatedAggregator(IModelGovernance(address(g)));
    }

    function _variant() internal view returns (IFederatedAggregator.CircuitVariant memory) {
        return IFederatedAggregator.CircuitVariant({
            verifier: address(verifier),
            words: W,
            neighbors: K,
            lanes: L,
            laneBits: 16,
            valueBits: 12,
            scaleBits: 8,
            seedVerifier: address(seedVerifier),
            pairVerifier: address(pairVerifier)
        });
    }

    function _config() internal view returns (IFederatedAggregator.TaskConfig memory c) {
        c.variant = _variant();
        c.mode = IFederatedAggregator.Mode.SecAgg;
        // Two full chunks and a partial third.
        c.paramCount = uint64(2 * W * L + 1);
        c.bound = BOUND;
        c.minContributors = T_MIN;
        c.rounds = ROUNDS;
        c.submissionPeriod = SUBMISSION;
        c.revealPeriod = REVEAL;
        c.modelCid = "bafy-initial-model";
        c.modelHash = keccak256("initial model");
    }

    function _ckksConfig() internal view returns (IFederatedAggregator.TaskConfig memory c) {
        c = _config();
        delete c.variant;
        c.mode = IFederatedAggregator.Mode.Ckks;
        c.keyHolder = members[0];
        c.contextCid = "bafy-ckks-context";
    }

    /// @dev A task of `_config()` that every member has joined.
    function _createTask() internal returns (uint256 taskId) {
        taskId = gov.createTask(_config());
        _joinAll(taskId);
    }

    /// @dev Every task member joins, in task order.
    function _joinAll(uint256 taskId) internal {
        address[] memory snapshot = agg.taskMembers(taskId);
        for (uint256 i; i < snapshot.length; ++i) {
            _join(taskId, snapshot[i]);
        }
    }

    function _join(uint256 taskId, address member) internal {
        (uint256[] memory commitments, IFederatedAggregator.Proof[] memory proofs) =
            _joinArguments(taskId, member);
        vm.prank(member);
        agg.joinTask(taskId, commitments, proofs);
    }

    /// @dev One commitment and proof per active slot of `member`, in slot order.
    function _joinArguments(uint256 taskId, address member)
        internal
        view
        returns (uint256[] memory commitments, IFederatedAggregator.Proof[] memory proofs)
    {
        (address[] memory ring, uint256 slots) = agg.neighbors(taskId, member);
        uint256 k = ring.length;
        uint256 active;
        while (active < k && (slots >> (k + active)) & 1 == 1) {
            ++active;
        }
        commitments = new uint256[](active);
        proofs = new IFederatedAggregator.Proof[](active);
        for (uint256 s; s < active; ++s) {
            commitments[s] = _commitment(taskId, member, ring[s]);
            proofs[s] = _proof();
        }
    }

    /// @dev A stand-in for Poseidon2(ECDH(sk_a, pk_b).x, task): non-zero, below p, symmetric.
    function _commitment(uint256 taskId, address a, address b) internal pure returns (uint256) {
        (address low, address high) = a < b ? (a, b) : (b, a);
        return uint256(keccak256(abi.encode("pair", taskId, low, high))) % (P - 1) + 1;
    }

    function _proof() internal pure returns (IFederatedAggregator.Proof memory proof) {
        proof.a = [uint256(1), 2];
        proof.b = [[uint256(3), 4], [uint256(5), 6]];
        proof.c = [uint256(7), 8];
    }

    /// @dev W field elements derived from `salt`.
    function _words(uint256 salt) internal pure returns (uint256[] memory words) {
        words = new uint256[](W);
        for (uint256 i; i < W; ++i) {
            words[i] = uint256(keccak256(abi.encode(salt, i))) % P;
        }
    }

    function _submit(uint256 taskId, uint256 round, uint256 member, uint256 chunk)
        internal
        returns (uint256[] memory words)
    {
        words = _words(uint256(keccak256(abi.encode(taskId, round, member, chunk))));
        vm.prank(members[member]);
        agg.submitChunk(taskId, round, chunk, words, _proof());
    }

    function _reveal(
        uint256 taskId,
        uint256 round,
        uint256 chunk,
        uint256 revealer,
        uint256 dropped
    ) internal {
        vm.prank(members[revealer]);
        agg.revealSeed(taskId, round, chunk, members[dropped], 42 + revealer, _proof());
    }

    function _toSubmissionDeadline(uint256 taskId, uint256 round) internal {
        vm.warp(agg.roundInfo(taskId, round).submissionDeadline);
    }

    function _toRevealDeadline(uint256 taskId, uint256 round) internal {
        vm.warp(agg.roundInfo(taskId, round).revealDeadline);
    }
}
