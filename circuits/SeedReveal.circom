pragma circom 2.1.6;

// Reveal of one pair seed for dropout recovery (circuits/README.md, "Public signals").
// Inputs are declared in the public order of record; no outputs.

include "lib/prg.circom";

template SeedReveal() {
    // Public, in this order.
    signal input task;
    signal input round;
    signal input chunk;
    signal input commitment;
    signal input seed;
    // Private.
    signal input secret;

    signal committed <== PairCommitment()(secret, task);
    commitment === committed;
    signal derived <== PairSeed()(secret, task, round, chunk);
    seed === derived;
}
