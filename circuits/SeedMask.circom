pragma circom 2.1.6;

// The W mask words of a recovered pair seed (circuits/README.md, "Seed escrow"): once the
// holders' shares sum to the seed on-chain, anyone proves the words the contract removes are
// PRG(seed, 0..W−1). Inputs are declared in the public order of record; no outputs.

include "lib/prg.circom";

template SeedMask(W) {
    // Public, in this order.
    signal input seed;
    signal input mask[W];

    signal words[W] <== PrgWords(W)(seed);
    for (var w = 0; w < W; w++) {
        mask[w] === words[w];
    }
}
