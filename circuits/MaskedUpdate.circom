pragma circom 2.1.6;

// One chunk of a member's masked update (circuits/README.md, "Public signals").
// Public inputs are declared first, in the order of record; the template has no outputs, so
// snarkjs's public-signal vector is exactly that order.

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "lib/keys.circom";
include "lib/pack.circom";
include "lib/prg.circom";

// W words per chunk, L lanes of B bits per word, R value bits, K neighbours.
template MaskedUpdate(W, L, B, R, K) {
    assert(W >= 1 && K >= 1 && R >= 1);
    assert(R <= B && L * B <= 252);

    // Public, in this order.
    signal input task;
    signal input round;
    signal input chunk;
    signal input pk[2];
    signal input neighbors[K][2];
    signal input signs;
    signal input bound;
    signal input y[W];
    // Private.
    signal input sk;
    signal input q[W * L];

    signal skBits[SK_BITS()] <== MemberKey()(sk, pk);

    // Σq² ≤ bound. bound < 2^64 and Σq² ≤ W·L·2^(2R−2) < 2^normBits, as LessEqThan requires.
    var normBits = 64;
    while ((1 << normBits) <= W * L * (1 << (2 * R - 2))) {
        normBits++;
    }
    assert(normBits <= 252);
    _ <== Num2Bits(64)(bound);

    signal signBits[K] <== Num2Bits(K)(signs);

    component seeds[K];
    component prg[K];
    for (var j = 0; j < K; j++) {
        seeds[j] = PairSeed();
        seeds[j].secret <== SharedSecretX()(skBits, neighbors[j]);
        seeds[j].task <== task;
        seeds[j].round <== round;
        seeds[j].chunk <== chunk;
        prg[j] = PrgWords(W);
        prg[j].seed <== seeds[j].seed;
    }

    component words[W];
    component masked[W];
    for (var w = 0; w < W; w++) {
        words[w] = PackWord(L, B, R);
        for (var l = 0; l < L; l++) {
            words[w].q[l] <== q[w * L + l];
        }

        masked[w] = AssertMasked(K);
        masked[w].word <== words[w].word;
        for (var j = 0; j < K; j++) {
            masked[w].masks[j] <== prg[j].out[w];
            masked[w].signBits[j] <== signBits[j];
        }
        masked[w].y <== y[w];
    }

    signal sumSquares <== SumOfSquares(W * L)(q);
    signal withinBound <== LessEqThan(normBits)([sumSquares, bound]);
    withinBound === 1;
}
