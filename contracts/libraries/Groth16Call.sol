// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

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

    /// @dev Gas the staticcall itself takes before forwarding (cold account access and memory).
    uint256 private constant _CALL_OVERHEAD = 5_000;

    /// @notice Selector of `verifyProof` for a verifier with `n` public signals.
    function verifySelector(uint256 n) internal pure returns (bytes4) {
        return bytes4(
            keccak256(
                abi.encodePacked(
                    "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[", _decimal(n), "])"
                )
            )
        );
    }

    /// @dev `n` in decimal ASCII (a smaller stand-in for OpenZeppelin's `Strings.toString`, which
    ///      would push the aggregator past the 24,576-byte code size limit).
    function _decimal(uint256 n) private pure returns (bytes memory digits) {
        uint256 length = 1;
        for (uint256 rest = n / 10; rest != 0; rest /= 10) {
            ++length;
        }
        digits = new bytes(length);
        for (uint256 i = length; i > 0; --i) {
            // casting to 'uint8' is safe because n % 10 < 10
            // forge-lint: disable-next-line(unsafe-typecast)
            digits[i - 1] = bytes1(uint8(48 + n % 10));
            n /= 10;
        }
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

    /// @notice Gas a snarkjs verifier with `n` public signals may use.
    /// @dev Its cost is the pairing check (4 pairings, ≈ 181k gas with EIP-1108 prices) plus one
    ///      scalar multiplication and addition per signal (6,150 gas) and some bookkeeping; the
    ///      cap leaves about 1.5× that. Without a cap a proof whose point is off the curve makes
    ///      the failing precompile burn all the gas forwarded to it (63/64 of the transaction's).
    function gasCap(uint256 n) internal pure returns (uint256) {
        return 400_000 + 10_000 * n;
    }

    /// @notice Whether `verifier` accepts the proof and `n` signals in `data`.
    /// @dev A revert, a missing contract, running out of the `gasCap(n)` it is given, or any
    ///      answer other than exactly `true` is a refusal. Reverts with `VerifierGasTooLow` when
    ///      the call could not be given its whole cap (EIP-150 forwards at most 63/64 of what is
    ///      left), so a transaction sent with too little gas is not mistaken for a bad proof.
    function verify(address verifier, bytes memory data, uint256 n)
        internal
        view
        returns (bool valid)
    {
        uint256 cap = gasCap(n);
        uint256 required = cap + cap / 63 + _CALL_OVERHEAD;
        if (gasleft() < required) {
            revert IFederatedAggregator.VerifierGasTooLow(required, gasleft());
        }
        assembly ("memory-safe") {
            let ok := staticcall(cap, verifier, add(data, 0x20), mload(data), 0, 0x20)
            valid := and(ok, and(eq(returndatasize(), 0x20), eq(mload(0), 1)))
        }
    }
}
