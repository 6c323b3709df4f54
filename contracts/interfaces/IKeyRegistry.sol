// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator} from "./IFederatedAggregator.sol";

/// @title IKeyRegistry
/// @notice Members' one-time BabyJubJub masking keys, each owned by one member, registered with
///         a proof that the registrant knows its secret, and used by one SecAgg task at most
///         (circuits/README.md, "Keys").
/// @dev Deployed by the `FederatedAggregator` in its constructor (`keys()`). A member registers
///      keys ahead of tasks, any number; when a SecAgg task is created the aggregator takes the
///      next unused key of each governance member (`assignKeys`), and a member with none is left
///      out of the task. A leaked masking secret so exposes one task, never another.
interface IKeyRegistry {
    event KeyRegistered(address indexed member, uint256 x, uint256 y);
    /// @notice A SecAgg task took one unused key of each of its `members` members.
    event KeysAssigned(uint256 indexed taskId, uint256 members);

    /// @notice A SecAgg task's ring was drawn from `seed` (see `drawGraph`).
    event GraphDrawn(uint256 indexed taskId, bytes32 seed);
    /// @notice The draw's anchor block was older than `blockhash` remembers; it is now this one.
    event GraphAnchored(uint256 indexed taskId, uint256 blockNumber);

    error NotMember(address account);
    /// @notice No SecAgg task with this id took keys here.
    error NoSuchTask(uint256 taskId);
    error GraphNotReady(uint256 taskId, uint256 anchorBlock);
    error GraphAlreadyDrawn(uint256 taskId);
    error NotAggregator(address account);
    error InvalidPublicKey(uint256 x, uint256 y);
    /// @notice Another member registered this key first: keys are owned, one member each.
    error KeyInUse(uint256 x, uint256 y, address owner);
    /// @notice The `KeyPossession` proof does not show that the caller knows the key's secret.
    error InvalidKeyProof(address member);

    /// @notice Adds a BabyJubJub public key to the caller's unused masking keys.
    /// @dev Only a current governance member. The key must be on the curve, in the
    ///      prime-order subgroup and not the identity, no member registered it before (this
    ///      one included), and the `KeyPossession` proof verifies for public inputs (x, y,
    ///      `keyBinding(msg.sender)`): the binding ties the proof to this chain, this deployment
    ///      and the caller, so a copied proof serves nobody else. A key is never removed or
    ///      reused: the pair secrets of the task that takes it depend on it.
    /// @param x Affine x of the key.
    /// @param y Affine y of the key.
    /// @param proof Groth16 proof of the `KeyPossession` statement.
    function registerKey(uint256 x, uint256 y, IFederatedAggregator.Proof calldata proof) external;

    /// @notice Assigns task `taskId` the next unused key of each candidate; returns, in the
    ///         candidates' order, those that had one (the task's members).
    /// @dev Only the aggregator, once per SecAgg task, at its creation.
    function assignKeys(uint256 taskId, address[] memory candidates)
        external
        returns (address[] memory members);

    /// @notice Draws a SecAgg task's ring: a Fisher–Yates shuffle of the member indices seeded
    ///         with keccak256(abi.encode(blockhash(anchor), D)), the anchor being the block that
    ///         created the task and D its domain (circuits/README.md, "Mask"). Nobody joins
    ///         before it is drawn.
    /// @dev Anyone, once, from the block after the anchor. The transaction that creates a task
    ///      cannot read its own block's hash, so no member can steer the draw (only that block's
    ///      builder could). If the anchor is older than the 256 blocks `blockhash` remembers, the
    ///      call makes its own block the anchor (`GraphAnchored`) and a later call draws.
    /// @param taskId A SecAgg task.
    function drawGraph(uint256 taskId) external;

    /// @notice A SecAgg task's ring once drawn (empty before): 2n bytes, byte p < n the member
    ///         index at ring position p, byte n + i the ring position of member i.
    function graph(uint256 taskId) external view returns (bytes memory);

    /// @notice A SecAgg task's ring: the member index at each ring position, empty until drawn.
    function ringOrder(uint256 taskId) external view returns (uint256[] memory order);

    /// @notice The masking key task `taskId` assigned to `member`, if any.
    function maskingKey(uint256 taskId, address member)
        external
        view
        returns (bool assigned, uint256 x, uint256 y);

    /// @notice How many of `member`'s registered keys no task has taken yet.
    function unusedKeys(address member) external view returns (uint256);

    /// @notice The member that registered the key (x, y), or zero.
    function keyOwner(uint256 x, uint256 y) external view returns (address);

    /// @notice The `binding` public input of `account`'s `KeyPossession` proof:
    ///         keccak256(abi.encode(keccak256("zkfed.key-binding"), chainid, aggregator,
    ///         account)) mod p.
    function keyBinding(address account) external view returns (uint256);

    /// @notice The `KeyPossession` verifier, the verifier registry's, fixed at deployment.
    function keyVerifier() external view returns (address);

    /// @notice The aggregator that deployed this registry (its address is in every binding).
    function aggregator() external view returns (address);

    /// @notice The governance whose current members may register.
    function governance() external view returns (address);
}
