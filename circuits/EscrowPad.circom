pragma circom 2.1.6;

// A holder's opening of one escrow entry's pad for dropout recovery (circuits/README.md, "Seed
// escrow"): the pad is Poseidon5 of the pair secret the owner shares with the holder, under the
// secret's posted commitment. The contract subtracts it from the entry to get the share.
// Inputs are declared in the public order of record; no outputs.

include "lib/escrow.circom";
include "lib/prg.circom";

template EscrowPad() {
    // Public, in this order.
    signal input task;
    signal input round;
    signal input chunk;
    signal input commitment;
    signal input tag;
    signal input pad;
    // Private.
    signal input secret;

    signal committed <== PairCommitment()(secret, task);
    commitment === committed;
    signal derived <== SharePad()(secret, task, round, chunk, tag);
    pad === derived;
}
