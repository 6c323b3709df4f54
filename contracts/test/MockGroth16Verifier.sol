// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

/// @notice Stands in for a snarkjs Groth16 verifier with `signals` public signals in tests.
/// @dev Answers `verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[N])` for its own N only
///      (any other selector or length reverts, as a real verifier's ABI decoder would). In
///      `Mode.Strict` it accepts exactly the public-signal vectors registered with `allow`, which
///      lets a test assert the order in which the caller assembled them; the proof words are
///      ignored. The answer is computed with reads only: callers reach it through `staticcall`.
contract MockGroth16Verifier {
    enum Mode {
        AcceptAll,
        RejectAll,
        Strict,
        Malformed, // answers 2 instead of a bool
        Reverting
    }

    uint256 public immutable signals;
    bytes4 public immutable selector;
    Mode public mode;
    mapping(bytes32 signalsHash => bool) public allowed;

    constructor(uint256 signals_) {
        signals = signals_;
        selector = bytes4(
            keccak256(
                bytes.concat(
                    "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[",
                    bytes(Strings.toString(signals_)),
                    "])"
                )
            )
        );
    }

    function setMode(Mode mode_) external {
        mode = mode_;
    }

    /// @notice Accepts (in Strict mode) a call whose public signals are exactly `inputs`.
    function allow(uint256[] calldata inputs) external {
        allowed[keccak256(abi.encodePacked(inputs))] = true;
    }

    fallback(bytes calldata data) external returns (bytes memory) {
        require(data.length == 4 + 32 * (8 + signals), "MockGroth16Verifier: length");
        require(bytes4(data[:4]) == selector, "MockGroth16Verifier: selector");
        Mode current = mode;
        require(current != Mode.Reverting, "MockGroth16Verifier: reverting");
        if (current == Mode.Malformed) return abi.encode(uint256(2));
        if (current == Mode.Strict) return abi.encode(allowed[keccak256(data[4 + 256:])]);
        return abi.encode(current == Mode.AcceptAll);
    }
}
