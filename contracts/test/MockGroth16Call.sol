// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IFederatedAggregator} from "../interfaces/IFederatedAggregator.sol";
import {Groth16Call} from "../libraries/Groth16Call.sol";

/// @notice Exposes the Groth16Call library to tests.
contract MockGroth16Call {
    function selector(uint256 n) external pure returns (bytes4) {
        return Groth16Call.verifySelector(n);
    }

    function encode(IFederatedAggregator.Proof calldata proof, uint256[] calldata inputs)
        external
        pure
        returns (bytes memory data)
    {
        data = Groth16Call.encode(Groth16Call.verifySelector(inputs.length), proof, inputs.length);
        for (uint256 i; i < inputs.length; ++i) {
            Groth16Call.setInput(data, i, inputs[i]);
        }
    }

    function verify(
        address verifier,
        IFederatedAggregator.Proof calldata proof,
        uint256[] calldata inputs
    ) external view returns (bool) {
        return Groth16Call.verify(verifier, this.encode(proof, inputs), inputs.length);
    }
}
