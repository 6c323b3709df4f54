pragma circom 2.1.6;

// Member keys on circomlib's BabyJubJub (see circuits/README.md, "Field and curve").

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/escalarmulany.circom";
include "circomlib/circuits/escalarmulfix.circom";

// Bits of a secret key: every sk in [1, l) fits, since l < 2^251.
function SK_BITS() { return 251; }

// A member's secret key, checked against the registered public key.
//
// sk is decomposed once into SK_BITS() bits that pk = sk·Base8 (here) and the ECDH
// (SharedSecretX) of PairCommit both use. The decomposition is unique because 2^251 < p, so sk
// is an integer in [1, 2^251). The circuit does not also assert sk < l because it would not
// change the statement: the only other keys that pass are sk + l < 2^251, and they give the
// same pk and, for the prime-subgroup neighbour keys the registry enforces, the same shared
// secret (l·pk_j = O), so the public signals are identical (tests/circuits checks this).
template MemberKey() {
    signal input sk;
    signal input pk[2];
    signal output bits[SK_BITS()];

    bits <== Num2Bits(SK_BITS())(sk);

    // sk != 0: the zero key would give the identity as pk.
    signal skInv <-- sk != 0 ? 1 / sk : 0;
    sk * skInv === 1;

    var BASE8[2] = [
        5299619240641551281634865583518297030282874472190772894086521144482721001553,
        16950150798460657717958625567821834550301663161624707787222815936182638968203
    ];
    signal derived[2] <== EscalarMulFix(SK_BITS(), BASE8)(bits);
    pk[0] === derived[0];
    pk[1] === derived[1];
}

// x coordinate of sk·point (the ECDH pair secret), from sk's bits.
// `point` must be a prime-subgroup point: EscalarMulAny checks neither curve nor subgroup
// membership, so the registry (contracts/libraries/BabyJubJub.sol) does.
template SharedSecretX() {
    signal input skBits[SK_BITS()];
    signal input point[2];
    signal output x;

    signal shared[2] <== EscalarMulAny(SK_BITS())(skBits, point);
    x <== shared[0];
}
