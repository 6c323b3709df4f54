pragma circom 2.1.6;

// Seed escrow of circuits/README.md ("Seed escrow"): each pair seed of a chunk, additively shared
// among the member's other active neighbours, each share encrypted with a one-time pad of the
// pair secret the member shares with that holder.

include "circomlib/circuits/poseidon.circom";

// Escrow entries of K slots: one per (seed slot j, holder slot h ≠ j).
function ESCROW_ENTRIES(K) { return K * (K - 1); }

// Entry of seed slot j at holder slot h ≠ j: e(j, h) = j·(K−1) + h − [h > j].
function ESCROW_INDEX(K, j, h) { return j * (K - 1) + h - (h > j ? 1 : 0); }

// pad = Poseidon5(secret, task, round, chunk, tag): the one-time pad of one escrow entry, keyed
// by the pair secret of owner and holder. The tag names the entry and its direction, so the pad
// of the owner's entry at a holder never equals the pad of the holder's entry at the owner.
// Width 6: a separate domain from the commitment (3), the seed (5) and the PRG (17).
template SharePad() {
    signal input secret;
    signal input task;
    signal input round;
    signal input chunk;
    signal input tag;
    signal output pad;

    pad <== Poseidon(5)([secret, task, round, chunk, tag]);
}

// The escrow of K pair seeds. `slotBits` is MaskedUpdate's decomposed `slots`: bit s = sign of
// slot s, bit K + s = slot s active, bit 2K = escrow on. For every seed slot j and holder h ≠ j,
// with on(j, h) = escrowBit·active_j·active_h and e = e(j, h):
//   escrow[e] === on(j, h)·(shares[e] + pad(j, h)),  tag(j, h) = 1 + e + E·signBit_h;
//   Σ_h on(j, h)·shares[e(j, h)] === escrowBit·active_j·seeds[j].
// Entries that are not on are 0; the shares of an entry that is not on are free.
template SeedEscrow(K) {
    var E = ESCROW_ENTRIES(K);
    signal input task;
    signal input round;
    signal input chunk;
    signal input slotBits[2 * K + 1];
    signal input secrets[K];
    signal input seeds[K];
    signal input escrow[E];
    signal input shares[E];

    signal escrowed[K];
    for (var j = 0; j < K; j++) {
        escrowed[j] <== slotBits[2 * K] * slotBits[K + j];
    }

    signal on[E];
    signal pad[E];
    signal held[E];
    for (var j = 0; j < K; j++) {
        var total = 0;
        for (var h = 0; h < K; h++) {
            if (h != j) {
                var e = ESCROW_INDEX(K, j, h);
                on[e] <== escrowed[j] * slotBits[K + h];
                pad[e] <== SharePad()(secrets[h], task, round, chunk, 1 + e + E * slotBits[h]);
                escrow[e] === on[e] * (shares[e] + pad[e]);
                held[e] <== on[e] * shares[e];
                total += held[e];
            }
        }
        total === escrowed[j] * seeds[j];
    }
}
