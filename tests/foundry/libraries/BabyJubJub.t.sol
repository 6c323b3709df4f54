// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";
import {MockBabyJubJub} from "../../../contracts/test/MockBabyJubJub.sol";
import {BabyJubJubReference as Ref} from "../utils/BabyJubJubReference.sol";

contract BabyJubJubTest is Test {
    uint256 internal constant P =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    // circomlibjs babyjub.Base8 and babyjub.Generator (= 8 cofactor-free multiple's preimage).
    uint256 internal constant BASE8_X =
        5299619240641551281634865583518297030282874472190772894086521144482721001553;
    uint256 internal constant BASE8_Y =
        16950150798460657717958625567821834550301663161624707787222815936182638968203;
    uint256 internal constant GEN_X =
        995203441582195749578291179787384436505546430278305826713579947235728471134;
    uint256 internal constant GEN_Y =
        5472060717959818805561601436314318772137091100104008585924551046643952123905;
    // circomlibjs mulPointEscalar(Base8, 12345)
    uint256 internal constant K_X =
        19099552327547260981542886231210125691902505931204088720746463491300185142606;
    uint256 internal constant K_Y =
        13276557205153692030187527501273228448057533426731746626187331221465573305487;

    MockBabyJubJub internal bjj;

    function setUp() public {
        bjj = new MockBabyJubJub();
    }

    function test_Base8IsValidKey() public view {
        assertTrue(bjj.isOnCurve(BASE8_X, BASE8_Y));
        assertTrue(bjj.isValidPublicKey(BASE8_X, BASE8_Y));
    }

    function test_MultipleOfBase8IsValidKey() public view {
        assertTrue(bjj.isValidPublicKey(K_X, K_Y));
    }

    function test_GeneratorOutsideSubgroupIsRejected() public view {
        assertTrue(bjj.isOnCurve(GEN_X, GEN_Y));
        assertFalse(bjj.isValidPublicKey(GEN_X, GEN_Y));
    }

    function test_SmallOrderPointsAreRejected() public view {
        assertTrue(bjj.isOnCurve(0, 1));
        assertFalse(bjj.isValidPublicKey(0, 1));
        assertTrue(bjj.isOnCurve(0, P - 1));
        assertFalse(bjj.isValidPublicKey(0, P - 1));
    }

    function test_NegatedKeyIsValid() public view {
        // -(x, y) = (-x, y) stays in the subgroup.
        assertTrue(bjj.isValidPublicKey(P - K_X, K_Y));
    }

    function testFuzz_PerturbedKeyIsRejected(uint256 delta) public view {
        delta = bound(delta, 1, P - 1);
        uint256 y = addmod(K_Y, delta, P);
        // A changed y leaves the curve unless it lands on the one other point with this x.
        vm.assume(y != K_Y && y != P - K_Y);
        assertFalse(bjj.isValidPublicKey(K_X, y));
    }

    function testFuzz_UnreducedCoordinatesAreRejected(uint256 x) public view {
        x = bound(x, P, type(uint256).max);
        assertFalse(bjj.isOnCurve(x, BASE8_Y));
        assertFalse(bjj.isOnCurve(BASE8_X, x));
    }
}

/// @notice The optimised subgroup check against textbook affine arithmetic.
contract BabyJubJubReferenceTest is Test {
    MockBabyJubJub internal bjj;

    function setUp() public {
        bjj = new MockBabyJubJub();
    }

    /// @dev k·Generator (order 8·l) is in the prime subgroup iff 8 divides k.
    /// forge-config: default.fuzz.runs = 24
    /// forge-config: ci.fuzz.runs = 512
    function testFuzz_MultiplesOfGenerator(uint256 k) public view {
        k = bound(k, 1, 8 * Ref.ORDER - 1);
        (uint256 x, uint256 y) = Ref.mul(Ref.GEN_X, Ref.GEN_Y, k);
        assertTrue(bjj.isOnCurve(x, y));
        assertEq(bjj.isValidPublicKey(x, y), k % 8 == 0);
    }

    /// forge-config: default.fuzz.runs = 24
    /// forge-config: ci.fuzz.runs = 512
    function testFuzz_MultiplesOfBase8AreValid(uint256 sk) public view {
        sk = bound(sk, 1, Ref.ORDER - 1);
        (uint256 x, uint256 y) = Ref.publicKey(sk);
        assertTrue(bjj.isValidPublicKey(x, y));
    }

    /// @dev The eight torsion points (order 1, 2, 4, 8) are all refused.
    function test_TorsionPointsAreRejected() public view {
        (uint256 tx, uint256 ty) = Ref.mul(Ref.GEN_X, Ref.GEN_Y, Ref.ORDER); // order 8
        (uint256 x, uint256 y) = (0, 1);
        for (uint256 j; j < 8; ++j) {
            assertTrue(bjj.isOnCurve(x, y));
            assertFalse(bjj.isValidPublicKey(x, y));
            (x, y) = Ref.add(x, y, tx, ty);
        }
    }
}
