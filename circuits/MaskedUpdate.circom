pragma circom 2.1.6;

// One chunk of a member's masked update (circuits/README.md, "Public signals").
// Public inputs are declared first, in the order of record; the template has no outputs, so
// snarkjs's public-signal vector is exactly that order.

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "lib/escrow.circom";
include "lib/pack.circom";
include "lib/prg.circom";

// W words per chunk, L lanes of B bits per word, R value bits, K neighbour slots.
template MaskedUpdate(W, L, B, R, K) {
    assert(W >= 1 && K >= 2 && R >= 1);
    assert(R <= B && L * B <= 252);
    var E = ESCROW_ENTRIES(K);

    // Public, in this order.
    signal input task;
    signal input round;
    signal input chunk;
    signal input commitments[K];
    signal input slots;
    signal input bound;
    signal input y[W];
    signal input escrow[E];
    // Private.
    signal input secrets[K];
    signal input q[W * L];
    signal input shares[E];

    // Σq² ≤ bound. bound < 2^64 and Σq² ≤ W·L·2^(2R−2) < 2^normBits, as LessEqThan requires.
    var normBits = 64;
    while ((1 << normBits) <= W * L * (1 << (2 * R - 2))) {
        normBits++;
    }
    assert(normBits <= 252);
    _ <== Num2Bits(64)(bound);

    // Bits 0..K−1: sign of slot j (1 for +1); bits K..2K−1: slot j is active; bit 2K: the
    // pair seeds are escrowed.
    signal slotBits[2 * K + 1] <== Num2Bits(2 * K + 1)(slots);
    signal signAndActive[2 * K];
    for (var b = 0; b < 2 * K; b++) {
        signAndActive[b] <== slotBits[b];
    }
    signal coefficient[K] <== SlotCoefficients(K)(signAndActive);

    // An active slot's secret must open the member's commitment for that neighbour; an
    // inactive slot's secret and commitment are free (its mask has coefficient 0).
    component commits[K];
    component seeds[K];
    component prg[K];
    for (var j = 0; j < K; j++) {
        commits[j] = PairCommitment();
        commits[j].secret <== secrets[j];
        commits[j].task <== task;
        slotBits[K + j] * (commits[j].commitment - commitments[j]) === 0;

        seeds[j] = PairSeed();
        seeds[j].secret <== secrets[j];
        seeds[j].task <== task;
        seeds[j].round <== round;
        seeds[j].chunk <== chunk;
        prg[j] = PrgWords(W);
        prg[j].seed <== seeds[j].seed;
    }

    // Each active seed, shared among the other active slots and encrypted to each holder.
    component escrowed = SeedEscrow(K);
    escrowed.task <== task;
    escrowed.round <== round;
    escrowed.chunk <== chunk;
    escrowed.slotBits <== slotBits;
    escrowed.secrets <== secrets;
    for (var j = 0; j < K; j++) {
        escrowed.seeds[j] <== seeds[j].seed;
    }
    escrowed.escrow <== escrow;
    escrowed.shares <== shares;

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
            masked[w].coefficient[j] <== coefficient[j];
        }
        masked[w].y <== y[w];
    }

    signal sumSquares <== SumOfSquares(W * L)(q);
    signal withinBound <== LessEqThan(normBits)([sumSquares, bound]);
    withinBound === 1;
}
