// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IFederatedAggregator} from "../interfaces/IFederatedAggregator.sol";

/// @title Groth16Call
/// @notice Calls a snarkjs-generated Groth16 verifier whose public-signal count is known only at
///         run time.
/// @dev snarkjs verifiers expose
///      `verifyProof(uint[2] _pA, uint[2][2] _pB, uint[2] _pC, uint[N] _pubSignals)` with N baked
///      into the signature, so one interface cannot serve every circuit variant. The call data is
///      static ABI: selector, the 8 proof words, then N public signals, 32 bytes each. It is
///      built once in memory and the signals are written in place.
library Groth16Call {
    /// @dev Selector plus the 8 words of a proof.
    uint256 private constant _HEADER = 4 + 8 * 32;

    /// @notice Selector of `verifyProof` for a verifier with `n` public signals.
    function verifySelector(uint256 n) internal pure returns (bytes4) {
        return bytes4(
            keccak256(
                abi.encodePacked(
                    "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[",
                    Strings.toString(n),
                    "])"
                )
            )
        );
    }

    /// @notice Allocates the call data for `n` public signals, all zero, after the selector and
    ///         the proof.
    function encode(bytes4 sel, IFederatedAggregator.Proof calldata proof, uint256 n)
        internal
        pure
        returns (bytes memory data)
    {
        data = new bytes(_HEADER + 32 * n);
        assembly ("memory-safe") {
            // The selector's 28 trailing zero bytes are overwritten by the proof right after.
            mstore(add(data, 0x20), sel)
            calldatacopy(add(data, 0x24), proof, 0x100)
        }
    }

    /// @notice Writes public signal `i` of call data made by `encode`.
    /// @dev Unchecked: callers write only indices below the `n` they encoded.
    function setInput(bytes memory data, uint256 i, uint256 value) internal pure {
        assembly ("memory-safe") {
            mstore(add(add(data, add(0x20, _HEADER)), mul(i, 0x20)), value)
        }
    }

    /// @notice Whether `verifier` accepts the proof and signals in `data`.
    /// @dev A revert, a missing contract, or any answer other than exactly `true` is a refusal.
    function verify(address verifier, bytes memory data) internal view returns (bool valid) {
        assembly ("memory-safe") {
            let ok := staticcall(gas(), verifier, add(data, 0x20), mload(data), 0, 0x20)
            valid := and(ok, and(eq(returndatasize(), 0x20), eq(mload(0), 1)))
        }
    }
}
