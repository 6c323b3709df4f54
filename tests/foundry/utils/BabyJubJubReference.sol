// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

/// @notice Textbook affine BabyJubJub arithmetic (one field inversion per addition), written
///         independently of `contracts/libraries/BabyJubJub.sol` to produce test keys and to
///         cross-check it. Slow; tests only.
library BabyJubJubReference {
    uint256 internal constant P =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant A = 168700;
    uint256 internal constant D = 168696;
    uint256 internal constant ORDER =
        2736030358979909402780800718157159386076813972158567259200215660948447373041;

    // circomlibjs babyjub.Base8 and babyjub.Generator (order 8·ORDER).
    uint256 internal constant BASE8_X =
        5299619240641551281634865583518297030282874472190772894086521144482721001553;
    uint256 internal constant BASE8_Y =
        16950150798460657717958625567821834550301663161624707787222815936182638968203;
    uint256 internal constant GEN_X =
        995203441582195749578291179787384436505546430278305826713579947235728471134;
    uint256 internal constant GEN_Y =
        5472060717959818805561601436314318772137091100104008585924551046643952123905;

    function inverse(uint256 a) internal view returns (uint256 result) {
        (bool ok, bytes memory out) = address(0x05).staticcall(abi.encode(32, 32, 32, a, P - 2, P));
        require(ok, "modexp");
        result = abi.decode(out, (uint256));
    }

    function add(uint256 x1, uint256 y1, uint256 x2, uint256 y2)
        internal
        view
        returns (uint256 x3, uint256 y3)
    {
        uint256 t = mulmod(D, mulmod(mulmod(x1, x2, P), mulmod(y1, y2, P), P), P);
        x3 = mulmod(addmod(mulmod(x1, y2, P), mulmod(y1, x2, P), P), inverse(addmod(1, t, P)), P);
        y3 = mulmod(
            addmod(mulmod(y1, y2, P), P - mulmod(A, mulmod(x1, x2, P), P), P),
            inverse(addmod(1, P - t, P)),
            P
        );
    }

    function mul(uint256 x, uint256 y, uint256 k) internal view returns (uint256 rx, uint256 ry) {
        (rx, ry) = (0, 1);
        while (k != 0) {
            if (k & 1 == 1) (rx, ry) = add(rx, ry, x, y);
            (x, y) = add(x, y, x, y);
            k >>= 1;
        }
    }

    /// @notice The public key of secret `sk`: sk·Base8.
    function publicKey(uint256 sk) internal view returns (uint256 x, uint256 y) {
        return mul(BASE8_X, BASE8_Y, sk);
    }
}
