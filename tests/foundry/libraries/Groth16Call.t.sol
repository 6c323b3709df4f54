// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {IFederatedAggregator} from "../../../contracts/interfaces/IFederatedAggregator.sol";
import {MockGroth16Call} from "../../../contracts/test/MockGroth16Call.sol";
import {MockGroth16Verifier} from "../../../contracts/test/MockGroth16Verifier.sol";
import {GasBurningVerifier} from "../utils/GasBurningVerifier.sol";

/// @dev A verifier with a fixed-size signature, as snarkjs generates it, for ABI comparison.
interface ISnarkjsVerifier3 {
    function verifyProof(
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[3] calldata pubSignals
    ) external view returns (bool);
}

contract Groth16CallTest is Test {
    MockGroth16Call internal lib;

    function setUp() public {
        lib = new MockGroth16Call();
    }

    function _proof() internal pure returns (IFederatedAggregator.Proof memory proof) {
        proof.a = [uint256(11), 12];
        proof.b = [[uint256(21), 22], [uint256(23), 24]];
        proof.c = [uint256(31), 32];
    }

    function test_Selector_MatchesSnarkjsSignature() public view {
        assertEq(lib.selector(3), ISnarkjsVerifier3.verifyProof.selector);
        assertEq(
            lib.selector(79),
            bytes4(keccak256("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[79])"))
        );
        assertEq(
            lib.selector(8),
            bytes4(keccak256("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[8])"))
        );
    }

    function testFuzz_Encode_EqualsStaticAbiEncoding(uint256[3] memory signals) public view {
        uint256[] memory inputs = new uint256[](3);
        for (uint256 i; i < 3; ++i) {
            inputs[i] = signals[i];
        }
        IFederatedAggregator.Proof memory proof = _proof();
        bytes memory expected =
            abi.encodeCall(ISnarkjsVerifier3.verifyProof, (proof.a, proof.b, proof.c, signals));
        assertEq(lib.encode(proof, inputs), expected);
    }

    function test_Verify_Accepts() public {
        MockGroth16Verifier v = new MockGroth16Verifier(3);
        assertTrue(lib.verify(address(v), _proof(), new uint256[](3)));
    }

    function test_Verify_RefusesRejection() public {
        MockGroth16Verifier v = new MockGroth16Verifier(3);
        v.setMode(MockGroth16Verifier.Mode.RejectAll);
        assertFalse(lib.verify(address(v), _proof(), new uint256[](3)));
    }

    function test_Verify_RefusesNonBooleanAnswer() public {
        MockGroth16Verifier v = new MockGroth16Verifier(3);
        v.setMode(MockGroth16Verifier.Mode.Malformed);
        assertFalse(lib.verify(address(v), _proof(), new uint256[](3)));
    }

    function test_Verify_RefusesRevert() public {
        MockGroth16Verifier v = new MockGroth16Verifier(3);
        v.setMode(MockGroth16Verifier.Mode.Reverting);
        assertFalse(lib.verify(address(v), _proof(), new uint256[](3)));
    }

    function test_Verify_RefusesWrongSignalCount() public {
        MockGroth16Verifier v = new MockGroth16Verifier(4);
        assertFalse(lib.verify(address(v), _proof(), new uint256[](3)));
    }

    function test_Verify_RefusesAccountWithoutCode() public view {
        assertFalse(lib.verify(address(0xC0DE), _proof(), new uint256[](3)));
    }

    function test_Verify_StrictSignals() public {
        MockGroth16Verifier v = new MockGroth16Verifier(3);
        v.setMode(MockGroth16Verifier.Mode.Strict);
        uint256[] memory inputs = new uint256[](3);
        inputs[0] = 1;
        inputs[1] = 2;
        inputs[2] = 3;
        v.allow(inputs);
        assertTrue(lib.verify(address(v), _proof(), inputs));
        inputs[2] = 4;
        assertFalse(lib.verify(address(v), _proof(), inputs));
    }

    // --- gas cap: 400,000 + 10,000 per signal -------------------------------------------------

    /// @dev A verifier that needs less than the cap answers as usual.
    function testFuzz_Verify_AcceptsWorkBelowTheCap(uint256 signals, uint256 work) public {
        signals = bound(signals, 1, 80);
        uint256 cap = 400_000 + 10_000 * signals;
        work = bound(work, 0, cap - 50_000);
        GasBurningVerifier v = new GasBurningVerifier(work);
        assertTrue(lib.verify{gas: 16_000_000}(address(v), _proof(), new uint256[](signals)));
    }

    /// @dev One that needs more than the cap is cut off there, and that is a refusal.
    function testFuzz_Verify_RefusesWorkAboveTheCap(uint256 signals, uint256 work) public {
        signals = bound(signals, 1, 80);
        uint256 cap = 400_000 + 10_000 * signals;
        work = bound(work, cap, 10_000_000);
        GasBurningVerifier v = new GasBurningVerifier(work);
        uint256 before = gasleft();
        assertFalse(lib.verify{gas: 16_000_000}(address(v), _proof(), new uint256[](signals)));
        assertLt(before - gasleft(), cap + 100_000);
    }

    /// @dev A verifier that burns all the gas it is given (a malformed proof on the real one)
    ///      costs the caller the cap, not the 63/64 of a 16M transaction it would otherwise take.
    function test_Verify_BurnerCostsAtMostTheCap() public {
        GasBurningVerifier v = new GasBurningVerifier(type(uint256).max);
        uint256 before = gasleft();
        (bool ok,) = address(v).call{gas: 16_000_000}("");
        uint256 uncapped = before - gasleft();
        assertFalse(ok);
        assertGt(uncapped, 15_000_000);

        before = gasleft();
        assertFalse(lib.verify{gas: 16_000_000}(address(v), _proof(), new uint256[](3)));
        uint256 capped = before - gasleft();
        assertGe(capped, 430_000);
        assertLt(capped, 530_000);
    }

    /// @dev Less gas left than the cap (plus the 1/64 EIP-150 keeps back) is the caller's
    ///      error, not a refused proof: the call reverts instead of answering false.
    function test_RevertWhen_Verify_TooLittleGasForTheCap() public {
        MockGroth16Verifier v = new MockGroth16Verifier(3);
        vm.expectPartialRevert(IFederatedAggregator.VerifierGasTooLow.selector);
        lib.verify{gas: 400_000}(address(v), _proof(), new uint256[](3));
    }

    /// @dev Somewhat above the cap is enough, and the answer is the verifier's.
    function test_Verify_EnoughGasForTheCap() public {
        MockGroth16Verifier v = new MockGroth16Verifier(3);
        assertTrue(lib.verify{gas: 500_000}(address(v), _proof(), new uint256[](3)));
    }
}
