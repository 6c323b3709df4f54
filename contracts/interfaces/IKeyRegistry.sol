// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator} from "./IFederatedAggregator.sol";

/// @title IKeyRegistry
/// @notice Members' BabyJubJub keys, each owned by one member and registered with a proof that
///         the registrant knows its secret (circuits/README.md, "Keys").
/// @dev Deployed by the `FederatedAggregator` in its constructor (`keys()`); the aggregator reads
///      keys here to snapshot a task's members and to check its pair commitments.
interface IKeyRegistry {
    event KeyRegistered(address indexed member, uint256 x, uint256 y);

    error NotMember(address account);
    error KeyAlreadyRegistered(address member);
    error InvalidPublicKey(uint256 x, uint256 y);
    /// @notice Another member registered this key first: keys are owned, one member each.
    error KeyInUse(uint256 x, uint256 y, address owner);
    /// @notice The `KeyPossession` proof does not show that the caller knows the key's secret.
    error InvalidKeyProof(address member);

    /// @notice Registers the caller's BabyJubJub public key, once.
    /// @dev Only a current governance member. The key must be on the curve, in the
    ///      prime-order subgroup and not the identity, no other member owns it, and the
    ///      `KeyPossession` proof verifies for public inputs (x, y, `keyBinding(msg.sender)`):
    ///      the binding ties the proof to this chain, this deployment and the caller, so a copied
    ///      proof serves nobody else. Keys never change: pair secrets depend on them.
    /// @param x Affine x of the key.
    /// @param y Affine y of the key.
    /// @param proof Groth16 proof of the `KeyPossession` statement.
    function registerKey(uint256 x, uint256 y, IFederatedAggregator.Proof calldata proof) external;

    /// @notice Whether `member` registered a key, and the key.
    function publicKey(address member) external view returns (bool registered, uint256 x, uint256 y);

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
