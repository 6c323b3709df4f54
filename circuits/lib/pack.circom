pragma circom 2.1.6;

// Quantised values, lane packing and masking of circuits/README.md ("Quantise and pack", "Mask").

include "circomlib/circuits/bitify.circom";

// A square root of −1 in the BN254 scalar field (p ≡ 1 mod 4): 5^((p−1)/4).
function SQRT_MINUS_ONE() {
    return 21888242871839275217838484774961031246007050428528088939761107053157389710902;
}

// One word of L lanes of B bits from L quantised values q in [-2^(R-1), 2^(R-1)).
// Lane value v = q + 2^(R-1) is range-checked with Num2Bits(R); lane 0 is in the low bits.
template PackWord(L, B, R) {
    signal input q[L];
    signal output word;

    var offset = 1 << (R - 1);
    var packed = 0;
    for (var l = 0; l < L; l++) {
        _ <== Num2Bits(R)(q[l] + offset);
        packed += (q[l] + offset) * (1 << (B * l));
    }
    word <== packed;
}

// Σ in[k]², two squares per constraint: (a + i·b)·(a − i·b) = a² + b² with i² = −1.
// This is an identity of field polynomials, so the result is exactly Σ in² mod p.
template SumOfSquares(n) {
    signal input in[n];
    signal output out;

    var I = SQRT_MINUS_ONE();
    signal pair[(n + 1) \ 2];
    var total = 0;
    for (var k = 0; k < n \ 2; k++) {
        pair[k] <== (in[2 * k] + I * in[2 * k + 1]) * (in[2 * k] - I * in[2 * k + 1]);
        total += pair[k];
    }
    if (n % 2 == 1) {
        pair[n \ 2] <== in[n - 1] * in[n - 1];
        total += pair[n \ 2];
    }
    out <== total;
}

// The coefficient of neighbour slot j's mask: +1, −1, or 0 for an inactive slot.
// slotBits[j] = sign bit (1 for +1), slotBits[K + j] = active bit.
template SlotCoefficients(K) {
    signal input slotBits[2 * K];
    signal output coefficient[K];

    for (var j = 0; j < K; j++) {
        coefficient[j] <== slotBits[K + j] * (2 * slotBits[j] - 1);
    }
}

// Asserts y = word + Σ_j coefficient_j·mask_j (mod p).
template AssertMasked(K) {
    signal input word;
    signal input masks[K];
    signal input coefficient[K];
    signal input y;

    signal term[K];
    var total = word;
    for (var j = 0; j < K; j++) {
        term[j] <== coefficient[j] * masks[j];
        total += term[j];
    }
    y === total;
}
