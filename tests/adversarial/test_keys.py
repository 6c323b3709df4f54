"""Finding 1 of the privacy review: copied public keys unmask an honest member.

In protocol v1 member i-1 could register member i+1's key; the victim i then shared one pair
secret with both neighbours, its two opposite-signed masks cancelled and its submitted words were
its plain update, with a valid proof. Keys are now owned (one member each) and registered with a
`KeyPossession` proof bound to the chain, the contract and the registrant's account.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ape
import numpy as np
from adversarial_helpers import SECRET_KEYS, Consortium

from zkfed.babyjubjub import public_key
from zkfed.circuits import PAIR_COMMIT, TEST_VARIANT, load_circuit
from zkfed.packing import pack_chunk
from zkfed.proving import Prover
from zkfed.quantize import quantize
from zkfed.secagg import join_inputs, mask_update


def _possession_proof(zk: Any, prover: Prover, account: Any, sk: int) -> Any:
    pk = public_key(sk)
    circuit = load_circuit("key_possession")
    inputs = {"pk": [pk[0], pk[1]], "binding": zk.key_binding(account), "sk": sk}
    return prover.prove(circuit.wasm, circuit.zkey, inputs).proof


def test_a_key_another_member_registered_is_refused(
    deploy: Callable[..., Consortium], prover: Prover
) -> None:
    # Prepare: member 3 registered its key; member 1 (between victim 2's neighbours in v1's
    # attack) wants the same key.
    consortium = deploy(register=False)
    zk, members = consortium.zk, consortium.members
    pk3 = public_key(SECRET_KEYS[3])
    zk.register_key(members[3], pk3, _possession_proof(zk, prover, members[3], SECRET_KEYS[3]))
    replayed = _possession_proof(zk, prover, members[3], SECRET_KEYS[3])

    # Execute / Assert
    with ape.reverts(zk.keys.KeyInUse, owner=members[3].address):
        zk.register_key(members[1], pk3, replayed)
    assert zk.key_owner(pk3) == members[3].address


def test_a_front_runner_cannot_use_the_owners_possession_proof(
    deploy: Callable[..., Consortium], prover: Prover
) -> None:
    # Prepare: member 1 sees member 3's registration in the mempool and sends it first under its
    # own account (same key, same proof).
    consortium = deploy(register=False)
    zk, members = consortium.zk, consortium.members
    pk3 = public_key(SECRET_KEYS[3])
    proof = _possession_proof(zk, prover, members[3], SECRET_KEYS[3])

    # Execute / Assert: the proof is bound to member 3's account.
    with ape.reverts(zk.keys.InvalidKeyProof, member=members[1].address):
        zk.register_key(members[1], pk3, proof)
    zk.register_key(members[3], pk3, proof)
    assert zk.key_owner(pk3) == members[3].address


def test_a_possession_proof_from_another_deployment_is_refused(
    deploy: Callable[..., Consortium], prover: Prover
) -> None:
    # Prepare: a proof member 3 made for a rehearsal deployment, replayed on another.
    rehearsal, production = deploy(register=False), deploy(register=False)
    member = rehearsal.members[3]
    proof = _possession_proof(rehearsal.zk, prover, member, SECRET_KEYS[3])

    # Execute / Assert
    with ape.reverts(production.zk.keys.InvalidKeyProof):
        production.zk.register_key(member, public_key(SECRET_KEYS[3]), proof)


def test_the_v1_victim_stays_masked(deploy: Callable[..., Consortium], prover: Prover) -> None:
    # Prepare: the copier's attempt fails, so it registers a key of its own; the victim (member
    # 2) joins and submits a real chunk.
    consortium = deploy(register=False)
    zk, members = consortium.zk, consortium.members
    from zkfed.protocol import register_key

    for i in (0, 2, 3, 4, 5):
        register_key(zk, prover, members[i], SECRET_KEYS[i])
    with ape.reverts(zk.keys.KeyInUse):
        zk.register_key(
            members[1],
            public_key(SECRET_KEYS[3]),
            _possession_proof(zk, prover, members[1], SECRET_KEYS[3]),
        )
    register_key(zk, prover, members[1], SECRET_KEYS[1])
    task = consortium.open_task(consortium.variant.packing.params_per_chunk)
    from zkfed.protocol import join_task

    join_task(zk, prover, load_circuit(PAIR_COMMIT), members[2], SECRET_KEYS[2], task)
    update = np.random.default_rng(5).normal(0, 0.05, task.n_params)
    (chunk,) = mask_update(task, 1, 2, SECRET_KEYS[2], update, np.random.default_rng(9))
    circuit = load_circuit(TEST_VARIANT)

    # Execute
    proof = prover.prove(circuit.wasm, circuit.zkey, chunk.inputs).proof
    zk.submit_chunk(members[2], task.task_id, 1, 0, chunk.words, chunk.escrow, proof)

    # Assert: on-chain words are not the plain packed update (v1: they were equal).
    rng = np.random.default_rng(9)
    plain = pack_chunk(quantize(update, task.packing, rng, task.clip_norm), task.packing)
    assert chunk.words != plain
    assert len(set(task.members)) == len(task.members)


def test_a_join_replaying_another_members_pair_proofs_is_refused(
    deploy: Callable[..., Consortium], prover: Prover
) -> None:
    # Prepare: member 2's real PairCommit proofs, replayed by member 4 with the slots swapped
    # (v1 accepted this from a member that had copied member 2's key).
    consortium = deploy()
    zk, members = consortium.zk, consortium.members
    task = consortium.open_task(consortium.variant.packing.params_per_chunk)
    circuit = load_circuit(PAIR_COMMIT)
    pairs = join_inputs(task, 2, SECRET_KEYS[2])
    proofs = [prover.prove(circuit.wasm, circuit.zkey, dict(x)).proof for _, x in pairs]
    commitments = [c for c, _ in pairs]

    # Execute / Assert
    for order in (1, -1):
        with ape.reverts(zk.aggregator.InvalidPairProof, member=members[4].address):
            zk.join_task(members[4], task.task_id, commitments[::order], proofs[::order])
    assert not zk.has_joined(task.task_id, members[4])
