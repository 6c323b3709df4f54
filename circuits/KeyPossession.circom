pragma circom 2.1.6;

// Proof of possession of a member key at registration (circuits/README.md, "Public signals").
// Inputs are declared in the public order of record; no outputs.

include "lib/keys.circom";

template KeyPossession() {
    // Public, in this order.
    signal input pk[2];
    signal input binding;
    // Private.
    signal input sk;

    signal skBits[SK_BITS()] <== MemberKey()(sk, pk);

    // binding enters no other constraint; squaring it puts it in one, so the proof commits to
    // it (as Semaphore does with its external nullifier) and a proof made for one registrant,
    // chain and contract does not verify for another.
    signal bindingSquare <== binding * binding;
}
