pragma circom 2.1.6;

// Reveal of the W mask words of one pair and chunk for dropout recovery (circuits/README.md,
// "Public signals"). The seed stays private: the contract subtracts the words themselves.
// Inputs are declared in the public order of record; no outputs.

include "lib/prg.circom";

template MaskReveal(W) {
    // Public, in this order.
    signal input task;
    signal input round;
    signal input chunk;
    signal input commitment;
    signal input mask[W];
    // Private.
    signal input secret;

    signal committed <== PairCommitment()(secret, task);
    commitment === committed;
    signal seed <== PairSeed()(secret, task, round, chunk);
    signal words[W] <== PrgWords(W)(seed);
    for (var w = 0; w < W; w++) {
        mask[w] === words[w];
    }
}
