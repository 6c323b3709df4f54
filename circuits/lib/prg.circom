pragma circom 2.1.6;

// Pair seeds and the sponge PRG of circuits/README.md ("Seeds and PRG").

include "circomlib/circuits/poseidon.circom";

// Words of one PRG block: the rate of a width-17 Poseidon state.
function PRG_RATE() { return 16; }

// c = Poseidon2(ECDH(sk_i, pk_j), task): the pair secret's commitment, posted once per task.
template PairCommitment() {
    signal input secret;
    signal input task;
    signal output commitment;

    commitment <== Poseidon(2)([secret, task]);
}

// s = Poseidon4(ECDH(sk_i, pk_j), task, round, chunk).
template PairSeed() {
    signal input secret;
    signal input task;
    signal input round;
    signal input chunk;
    signal output seed;

    seed <== Poseidon(4)([secret, task, round, chunk]);
}

// Block `b` of seed s: permute [0, s, b, 0, ..., 0] and squeeze the 16 rate elements.
// The capacity element (out[0]) never leaves this template: with it the permutation could be
// inverted and s recovered.
template PrgBlock(b) {
    signal input seed;
    signal output out[PRG_RATE()];

    signal absorbed[PRG_RATE()];
    absorbed[0] <== seed;
    absorbed[1] <== b;
    for (var i = 2; i < PRG_RATE(); i++) {
        absorbed[i] <== 0;
    }
    signal state[PRG_RATE() + 1] <== PoseidonEx(PRG_RATE(), PRG_RATE() + 1)(absorbed, 0);
    for (var i = 0; i < PRG_RATE(); i++) {
        out[i] <== state[i + 1];
    }
}

// The first W mask words PRG(s, 0..W-1); word w is element w mod 16 of block w div 16.
template PrgWords(W) {
    signal input seed;
    signal output out[W];

    var nBlocks = (W + PRG_RATE() - 1) \ PRG_RATE();
    component blocks[nBlocks];
    for (var b = 0; b < nBlocks; b++) {
        blocks[b] = PrgBlock(b);
        blocks[b].seed <== seed;
    }
    for (var w = 0; w < W; w++) {
        out[w] <== blocks[w \ PRG_RATE()].out[w % PRG_RATE()];
    }
}
