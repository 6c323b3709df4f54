"""CKKS mode: no member can cancel the others out of the sum, and the sum is the chain's.

In protocol v1 a member's ciphertext CID was public as soon as it was submitted, so a member
that submitted last could post Enc(0) - (every other ciphertext but a victim's): the decrypted
"mean" was the victim's update divided by n, read off the published model (this test, run on v1,
recovered the victim's update to 1e-8). The contributor count was whatever the aggregate
declared, and CKKS verify-round said MATCH without relating the model to the ciphertexts. Now
members commit to their ciphertext's hash before the deadline and reveal it after; the chain
counts the contributors; the key holder records the digest of the sum it decrypted, and the model
is derived from the published sum and the chain's count.
"""

from __future__ import annotations

from collections.abc import Callable
from hashlib import sha256

import ape
import numpy as np
import pytest
import tenseal as ts  # type: ignore[import-untyped]
from adversarial_helpers import N_MEMBERS, PERIOD, Consortium
from ape import chain

from zkfed.chain import Mode, TaskSpec
from zkfed.ckks import EncryptedVector, KeyHolder, PublicContext
from zkfed.protocol import (
    ckks_aggregate,
    ckks_round_model,
    commit_ciphertext,
    finalize_ckks,
    reveal_ciphertext,
    store_model,
    verify_ckks_round,
)

N_PARAMS = 40
KEY_HOLDER, VICTIM, HONEST, ATTACKER = 0, 1, (2, 3), 4


@pytest.fixture(scope="module")
def holder() -> KeyHolder:
    return KeyHolder.create()


def _open_ckks_task(consortium: Consortium, holder: KeyHolder) -> int:
    zk, store = consortium.zk, consortium.store
    cid, digest = store_model(store, np.zeros(N_PARAMS))
    spec = TaskSpec(
        variant=consortium.variant,
        param_count=N_PARAMS,
        bound=1,
        rounds=2,
        submission_period=PERIOD,
        reveal_period=PERIOD,
        model_cid=cid,
        model_hash=digest,
        mode=Mode.CKKS,
        key_holder=consortium.members[KEY_HOLDER].address,
        context_cid=store.add(holder.public_bytes),
    )
    proposal = zk.propose_task(consortium.members[0], spec, "spec", b"\x22" * 32, b"\x33" * 32)
    for member in consortium.members[: N_MEMBERS // 2 + 1]:
        zk.vote(member, proposal, True)
    return zk.execute(consortium.members[0], proposal)


def _commit_and_reveal(
    consortium: Consortium, task_id: int, blobs: dict[int, bytes], reveal: set[int]
) -> None:
    """Members commit to `blobs` before the deadline; those in `reveal` reveal after it."""
    zk, store, members = consortium.zk, consortium.store, consortium.members
    for i, blob in blobs.items():
        commit_ciphertext(zk, members[i], task_id, 1, blob)
    chain.pending_timestamp = zk.ckks_round(task_id, 1).submission_deadline
    for i in sorted(reveal):
        reveal_ciphertext(zk, store, members[i], task_id, 1, blobs[i])


def _cancelling(public: PublicContext, ciphertexts: list[bytes]) -> bytes:
    """Enc(0) - Σ ciphertexts, declared as one member's update (the v1 attack)."""
    parsed = [EncryptedVector.from_bytes(c) for c in ciphertexts]
    context = public._context
    chunks = []
    for k in range(len(parsed[0].chunks)):
        total = ts.ckks_vector_from(context, parsed[0].chunks[k])
        for other in parsed[1:]:
            total = total + ts.ckks_vector_from(context, other.chunks[k])
        zero = ts.ckks_vector(context, [0.0] * min(N_PARAMS, public.slots))
        chunks.append((zero - total).serialize())
    return EncryptedVector(public.hash, N_PARAMS, 1, tuple(chunks)).to_bytes()


def test_one_member_cannot_cancel_the_others(
    deploy: Callable[..., Consortium], holder: KeyHolder
) -> None:
    # Prepare: the victim and two honest members commit; their ciphertexts stay private.
    consortium = deploy()
    zk, store, members = consortium.zk, consortium.store, consortium.members
    public = PublicContext.from_bytes(holder.public_bytes)
    task_id = _open_ckks_task(consortium, holder)
    updates = {i: np.random.default_rng(i).normal(0, 0.05, N_PARAMS) for i in (VICTIM, *HONEST)}
    blobs = {i: public.encrypt(u) for i, u in updates.items()}
    for i, blob in blobs.items():
        commit_ciphertext(zk, members[i], task_id, 1, blob)
    seen_before_deadline = zk.ciphertexts(task_id, 1)
    # The attacker can only commit to something it built without them.
    neutral = public.encrypt(np.zeros(N_PARAMS))
    commit_ciphertext(zk, members[ATTACKER], task_id, 1, neutral)

    # Execute: after the deadline the honest ciphertexts are revealed; the attacker builds the
    # cancelling ciphertext from them and tries to reveal it, or to commit anew.
    chain.pending_timestamp = zk.ckks_round(task_id, 1).submission_deadline
    for i, blob in blobs.items():
        reveal_ciphertext(zk, store, members[i], task_id, 1, blob)
    forged = _cancelling(public, [store.get(zk.ciphertexts(task_id, 1)[i][0]) for i in HONEST])
    with ape.reverts(zk.ckks.CommitmentMismatch):
        reveal_ciphertext(zk, store, members[ATTACKER], task_id, 1, forged)
    with ape.reverts(zk.ckks.RoundClosed):
        commit_ciphertext(zk, members[ATTACKER], task_id, 1, forged)
    reveal_ciphertext(zk, store, members[ATTACKER], task_id, 1, neutral)
    chain.pending_timestamp = zk.ckks_round(task_id, 1).reveal_deadline
    finalize_ckks(zk, store, members[KEY_HOLDER], holder, task_id, 1, np.random.default_rng(7))

    # Assert: nothing was visible before the deadline; the model is the mean of all four
    # (within the flooding noise), and scaling it up does not give the victim's update.
    assert seen_before_deadline == {}
    model = ckks_round_model(zk, store, task_id, 2)
    tolerance = 7 * holder.flooding_sigma(4) / 4
    np.testing.assert_allclose(model, sum(updates.values()) / 4, rtol=0, atol=tolerance)
    assert not np.allclose(4 * model, updates[VICTIM], atol=1e-2)
    assert verify_ckks_round(zk, store, public, task_id, 1).match


def test_the_chain_counts_contributors_and_fixes_what_was_decrypted(
    deploy: Callable[..., Consortium], holder: KeyHolder
) -> None:
    # Prepare: four members commit and reveal honestly.
    consortium = deploy()
    zk, store, members = consortium.zk, consortium.store, consortium.members
    public = PublicContext.from_bytes(holder.public_bytes)
    task_id = _open_ckks_task(consortium, holder)
    blobs = {
        i: public.encrypt(np.random.default_rng(i).normal(0, 0.05, N_PARAMS)) for i in range(1, 5)
    }
    _commit_and_reveal(consortium, task_id, blobs, set(blobs))
    chain.pending_timestamp = zk.ckks_round(task_id, 1).reveal_deadline

    # Execute: the key holder decrypts only the victim's ciphertext (a sum of one, dressed as
    # the round's) and records its digest with the chain's count of four.
    single = public.aggregate([blobs[VICTIM]])
    alone = holder._decrypt(public.parse(single))
    cid, digest = store_model(store, alone)
    zk.finalize_ckks_round(members[KEY_HOLDER], task_id, 1, 0, sha256(single).digest(), cid, digest)

    # Assert: the round counts the four reveals, the model divides by them, and verify-round
    # names the mismatch between what was decrypted and the revealed ciphertexts' sum.
    state = zk.ckks_round(task_id, 1)
    assert state.contributors == frozenset({1, 2, 3, 4})
    np.testing.assert_array_equal(ckks_round_model(zk, store, task_id, 2), alone / 4)
    verdict = verify_ckks_round(zk, store, public, task_id, 1)
    assert not verdict.match
    assert "another aggregate" in verdict.detail
    assert ckks_aggregate(zk, store, public, task_id, 1) != single


def test_unusable_reveals_are_excluded_and_block_nothing(
    deploy: Callable[..., Consortium], holder: KeyHolder
) -> None:
    # Prepare: member 1 reveals a ciphertext whose header says it sums two updates (to weigh
    # twice), member 5 a correct digest under a CID nobody can fetch (to block the round);
    # members 2, 3 and 4 are honest.
    consortium = deploy()
    zk, store, members = consortium.zk, consortium.store, consortium.members
    public = PublicContext.from_bytes(holder.public_bytes)
    task_id = _open_ckks_task(consortium, holder)
    vector = EncryptedVector.from_bytes(public.encrypt(np.ones(N_PARAMS)))
    inflated = EncryptedVector(vector.context_hash, vector.length, 2, vector.chunks).to_bytes()
    updates = {i: np.random.default_rng(i).normal(0, 0.05, N_PARAMS) for i in (2, 3, 4)}
    blobs = {1: inflated, 5: public.encrypt(np.ones(N_PARAMS))}
    blobs.update({i: public.encrypt(u) for i, u in updates.items()})
    _commit_and_reveal(consortium, task_id, blobs, {1, 2, 3, 4})
    unfetchable = "bafkreiaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    zk.reveal_ciphertext(members[5], task_id, 1, unfetchable, sha256(blobs[5]).digest())
    chain.pending_timestamp = zk.ckks_round(task_id, 1).reveal_deadline

    # Execute
    finalize_ckks(zk, store, members[KEY_HOLDER], holder, task_id, 1, np.random.default_rng(3))

    # Assert: both are excluded on-chain, the round counts the three others, and the model is
    # their mean.
    state = zk.ckks_round(task_id, 1)
    assert (state.excluded, state.contributors) == ({1, 5}, {2, 3, 4})
    model = ckks_round_model(zk, store, task_id, 2)
    tolerance = 7 * holder.flooding_sigma(3) / 3
    np.testing.assert_allclose(model, sum(updates.values()) / 3, rtol=0, atol=tolerance)
    assert verify_ckks_round(zk, store, public, task_id, 1).match
