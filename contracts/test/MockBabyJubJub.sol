// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {BabyJubJub} from "../libraries/BabyJubJub.sol";

/// @notice Exposes the BabyJubJub library to tests.
contract MockBabyJubJub {
    function isOnCurve(uint256 x, uint256 y) external pure returns (bool) {
        return BabyJubJub.isOnCurve(x, y);
    }

    function isValidPublicKey(uint256 x, uint256 y) external pure returns (bool) {
        return BabyJubJub.isValidPublicKey(x, y);
    }
}
