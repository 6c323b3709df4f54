// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator} from "./interfaces/IFederatedAggregator.sol";
import {IVerifierRegistry} from "./interfaces/IVerifierRegistry.sol";

/// @title VerifierRegistry
/// @notice The circuit variants and verifiers of one deployment, fixed at construction.
/// @dev No owner and no setter: a deployment that needs other keys deploys a new registry (and
///      aggregator). Checked here once: every verifier holds code, every packing is
///      well-formed, names are unique. The aggregator checks what depends on a task (its members).
contract VerifierRegistry is IVerifierRegistry {
    /// @inheritdoc IVerifierRegistry
    address public immutable keyVerifier;

    /// @inheritdoc IVerifierRegistry
    bytes32 public immutable keyVkeyHash;

    /// @inheritdoc IVerifierRegistry
    bool public immutable development;

    Variant[] private _variants;

    /// @param keyVerifier_ The `KeyPossession` verifier.
    /// @param keyVkeyHash_ keccak256 of its verification key file.
    /// @param development_ Whether the keys come from the insecure development setup.
    /// @param variants_ The `MaskedUpdate` variants, with their verifiers and key hashes.
    constructor(
        address keyVerifier_,
        bytes32 keyVkeyHash_,
        bool development_,
        Variant[] memory variants_
    ) {
        if (variants_.length == 0) revert NoVariants();
        _requireCode(keyVerifier_);
        // _requireCode refused the zero address (it holds no code).
        // slither-disable-next-line missing-zero-check
        keyVerifier = keyVerifier_;
        keyVkeyHash = keyVkeyHash_;
        development = development_;
        for (uint256 i; i < variants_.length; ++i) {
            Variant memory v = variants_[i];
            _check(v);
            for (uint256 j; j < i; ++j) {
                if (keccak256(bytes(variants_[j].name)) == keccak256(bytes(v.name))) {
                    revert DuplicateVariant(v.name);
                }
            }
            _variants.push(v);
        }
    }

    /// @inheritdoc IVerifierRegistry
    function variantCount() external view returns (uint256) {
        return _variants.length;
    }

    /// @inheritdoc IVerifierRegistry
    function variant(uint256 id) external view returns (Variant memory) {
        return _variant(id);
    }

    /// @inheritdoc IVerifierRegistry
    function circuit(uint256 id)
        external
        view
        returns (IFederatedAggregator.CircuitVariant memory)
    {
        return _variant(id).circuit;
    }

    function _variant(uint256 id) private view returns (Variant storage) {
        if (id >= _variants.length) revert UnknownVariant(id, _variants.length);
        return _variants[id];
    }

    function _check(Variant memory v) private view {
        IFederatedAggregator.CircuitVariant memory c = v.circuit;
        _requireCode(c.verifier);
        _requireCode(c.revealVerifier);
        _requireCode(c.pairVerifier);
        _requireCode(c.escrowVerifier);
        _requireCode(c.seedMaskVerifier);
        bool packed = c.lanes != 0 && c.valueBits != 0 && c.laneBits > c.valueBits
            && uint256(c.lanes) * c.laneBits <= 252;
        if (
            bytes(v.name).length == 0 || c.words == 0 || c.neighbors < 2 || c.neighbors % 2 != 0
                || !packed
        ) revert InvalidVariant(v.name);
    }

    function _requireCode(address verifier) private view {
        if (verifier.code.length == 0) revert InvalidVerifier(verifier);
    }
}
