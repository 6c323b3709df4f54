"""Finding 4 of the privacy review: a leaked member key exposed every update of that member.

In protocol v1 a member had one key, which masked its updates in every task: whoever learnt its
secret (a stolen laptop, a backup) computed its pair secrets with every neighbour of every task,
so every mask, and read each of its updates off the chain, where they stay forever. Masking keys
are now one-time: a member registers keys ahead (each with a `KeyPossession` proof), each SecAgg
task takes the next unused one at its creation, and the client deletes a task's secret once the
task has ended. A leaked secret exposes the one task it masked.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from adversarial_helpers import Consortium

from zkfed.circuits import PAIR_COMMIT, TEST_VARIANT, load_circuit
from zkfed.field import P
from zkfed.masking import mask_words
from zkfed.packing import pack_chunk
from zkfed.protocol import join_task
from zkfed.proving import Prover
from zkfed.quantize import quantize
from zkfed.secagg import SecaggTask, mask_update

VICTIM = 2


def _unmask(task: SecaggTask, words: list[int], sk: int) -> list[int]:
    """What an attacker holding `sk` reads from the victim's round-1 chunk-0 words: the words
    minus every mask `sk` gives the victim with its neighbours."""
    neighbors = [(j, task.members[j]) for j in task.neighbor_indices(VICTIM)]
    masks = mask_words(sk, VICTIM, neighbors, task.seed_domain, 1, 0, len(words))
    return [(y - m) % P for y, m in zip(words, masks, strict=True)]


def test_a_leaked_key_exposes_one_task_only(
    deploy: Callable[..., Consortium], prover: Prover
) -> None:
    # Prepare: the victim submits a real chunk in task 1; later task 2 is created, and the
    # secret of the key task 2 assigned to the victim leaks.
    consortium = deploy()
    zk, members = consortium.zk, consortium.members
    first = consortium.open_task(consortium.variant.packing.params_per_chunk)
    update = np.random.default_rng(4).normal(0, 0.05, first.n_params)
    (chunk,) = mask_update(
        first, 1, VICTIM, consortium.secret(first, VICTIM), update, np.random.default_rng(8)
    )
    join_task(
        zk, prover, load_circuit(PAIR_COMMIT), members[VICTIM], consortium.secret(first, VICTIM),
        first,
    )  # fmt: skip
    circuit = load_circuit(TEST_VARIANT)
    proof = prover.prove(circuit.wasm, circuit.zkey, chunk.inputs).proof
    zk.submit_chunk(members[VICTIM], first.task_id, 1, 0, chunk.words, chunk.escrow, proof)
    second = consortium.open_task(consortium.variant.packing.params_per_chunk)
    leaked = consortium.secret(second, VICTIM)
    rng = np.random.default_rng(8)
    plain = pack_chunk(quantize(update, first.packing, rng, first.clip_norm), first.packing)

    # Execute: the attacker removes the masks the leaked secret gives, as v1 allowed.
    read = _unmask(first, chunk.words, leaked)

    # Assert: the tasks hold different keys of the victim, and the leaked one reveals nothing
    # of task 1 (while task 1's own secret would: the attack itself is sound).
    assert first.members[VICTIM] != second.members[VICTIM]
    assert zk.masking_key(first.task_id, members[VICTIM]) == first.members[VICTIM]
    assert read != plain
    assert _unmask(first, chunk.words, consortium.secret(first, VICTIM)) == plain


def test_a_task_takes_each_members_next_unused_key(
    deploy: Callable[..., Consortium],
) -> None:
    # Prepare: every member registered one key; member 5 registers no second one.
    consortium = deploy()
    zk, members = consortium.zk, consortium.members
    first = consortium.open_task(consortium.variant.packing.params_per_chunk)
    consortium.registered[5] = 0  # the helper no longer tops member 5 up

    # Execute
    second = consortium.open_task(consortium.variant.packing.params_per_chunk)

    # Assert: no key serves two tasks; a member without an unused key is left out.
    assert zk.unused_keys(members[5]) == 0
    assert members[5].address not in zk.task_members(second.task_id)
    assert len(second.members) == len(members) - 1
    assert not set(first.members) & set(second.members)
