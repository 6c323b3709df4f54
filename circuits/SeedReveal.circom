pragma circom 2.1.6;

// Reveal of one pair seed for dropout recovery (circuits/README.md, "Public signals").
// Inputs are declared in the public order of record; no outputs.

include "lib/keys.circom";
include "lib/prg.circom";

template SeedReveal() {
    // Public, in this order.
    signal input task;
    signal input round;
    signal input chunk;
    signal input pk[2];
    signal input neighbor[2];
    signal input seed;
    // Private.
    signal input sk;

    signal skBits[SK_BITS()] <== MemberKey()(sk, pk);
    signal secret <== SharedSecretX()(skBits, neighbor);
    signal derived <== PairSeed()(secret, task, round, chunk);
    seed === derived;
}
