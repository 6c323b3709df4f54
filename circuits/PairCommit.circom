pragma circom 2.1.6;

// Commitment to one pair secret, posted once per task when a member joins it
// (circuits/README.md, "Public signals"). Inputs are declared in the public order of record;
// no outputs.

include "lib/keys.circom";
include "lib/prg.circom";

template PairCommit() {
    // Public, in this order.
    signal input task;
    signal input pk[2];
    signal input neighbor[2];
    signal input commitment;
    // Private.
    signal input sk;

    signal skBits[SK_BITS()] <== MemberKey()(sk, pk);
    signal secret <== SharedSecretX()(skBits, neighbor);
    signal derived <== PairCommitment()(secret, task);
    commitment === derived;
}
