// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator} from "./IFederatedAggregator.sol";

/// @title IVerifierRegistry
/// @notice The circuit variants and Groth16 verifiers one deployment accepts, fixed when it is
///         deployed (from circuits/circuits.json): a task proposal names a variant by its id,
///         never an address, so no proposal can bring its own verifier or packing.
/// @dev Each verification key is recorded by hash (keccak256 of its committed
///      `circuits/keys/<variant>.vkey.json`) so clients can check that the deployment proves
///      against the keys they hold; `development` says the keys come from the insecure,
///      forgeable development setup.
interface IVerifierRegistry {
    /// @notice A registered `MaskedUpdate` variant with the verifiers of its statements.
    /// @param name The variant's name in circuits/circuits.json.
    /// @param circuit Its parameters and verifier addresses.
    /// @param vkeyHash keccak256 of the `MaskedUpdate` verification key file.
    /// @param revealVkeyHash keccak256 of the `MaskReveal(W)` verification key file.
    /// @param pairVkeyHash keccak256 of the `PairCommit` verification key file.
    /// @param escrowVkeyHash keccak256 of the `EscrowPad` verification key file.
    /// @param seedMaskVkeyHash keccak256 of the `SeedMask(W)` verification key file.
    struct Variant {
        string name;
        IFederatedAggregator.CircuitVariant circuit;
        bytes32 vkeyHash;
        bytes32 revealVkeyHash;
        bytes32 pairVkeyHash;
        bytes32 escrowVkeyHash;
        bytes32 seedMaskVkeyHash;
    }

    error NoVariants();
    error InvalidVerifier(address verifier);
    error InvalidVariant(string name);
    error DuplicateVariant(string name);
    error UnknownVariant(uint256 id, uint256 count);

    /// @notice The `KeyPossession` verifier every registration is checked with.
    function keyVerifier() external view returns (address);

    /// @notice keccak256 of the `KeyPossession` verification key file.
    function keyVkeyHash() external view returns (bytes32);

    /// @notice Whether the keys come from the insecure development setup (anyone can forge
    ///         proofs with them): true only for local chains and announced rehearsals.
    function development() external view returns (bool);

    /// @notice Number of registered variants (ids 0 .. variantCount − 1).
    function variantCount() external view returns (uint256);

    /// @notice A registered variant with its names and key hashes.
    function variant(uint256 id) external view returns (Variant memory);

    /// @notice A registered variant's parameters and verifiers, as a task stores them.
    function circuit(uint256 id) external view returns (IFederatedAggregator.CircuitVariant memory);
}
