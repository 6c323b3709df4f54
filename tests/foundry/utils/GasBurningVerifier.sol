// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

/// @notice A stand-in verifier that spends gas before it answers `true` to any call.
/// @dev With `work` = type(uint256).max it spends every unit of gas it is given and fails, as
///      the pairing precompile does for a proof point off the curve (the real verifier forwards
///      it nearly all of its gas). Otherwise it spends about `work` gas first.
contract GasBurningVerifier {
    uint256 public constant ALL = type(uint256).max;

    uint256 public immutable work;

    constructor(uint256 work_) {
        work = work_;
    }

    fallback(bytes calldata) external returns (bytes memory) {
        if (work == ALL) {
            assembly ("memory-safe") {
                invalid()
            }
        }
        // Reverts (a refusal) when less than `work` gas is left.
        uint256 stop = gasleft() - work;
        while (gasleft() > stop) {}
        return abi.encode(true);
    }
}
