"""Finding 3 of the privacy review: a contributor vetoes a chunk after seeing its aggregate.

Before seed escrow only a contributor could remove its mask with a dropped neighbour. A
contributor colluding with that neighbour knew every seed around it, so the pair computed the
chunk's exact sum from the accumulator, and then chose: reveal (the chunk aggregates) or not (it
goes void). An honest contributor that went offline after submitting voided it too. Run on the
code before the change, this test's scenario ended with the chunk Void after the coalition had
computed its exact sum.

Now every chunk proof escrows each pair seed among the contributor's other neighbours, and in
the recovery window they open it on-chain: the chunk aggregates whether or not the contributor
reveals. The default variant (K = 4) is used: with two neighbours a seed would have one holder,
who could read it alone, so the test variant (K = 2) does not escrow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ape
import numpy as np
import pytest
from adversarial_helpers import Consortium
from ape import chain

from zkfed.babyjubjub import ecdh_x
from zkfed.chain import ChunkStatus
from zkfed.circuits import ESCROW_PAD, load_circuit
from zkfed.field import P
from zkfed.masking import masks_from_seeds, neighbor_sign
from zkfed.packing import pack_chunk
from zkfed.prg import derive_seed
from zkfed.protocol import (
    finalize,
    pending_recoveries,
    recover_escrowed,
    reveal_for_dropouts,
    submit_update,
)
from zkfed.proving import Prover
from zkfed.quantize import quantize
from zkfed.secagg import SecaggTask, escrow_pad_inputs

DEFAULT = "masked_update_default"
DROPPED = 0


def _submit_all_but_dropped(
    consortium: Consortium, prover: Prover
) -> tuple[SecaggTask, list[int], dict[int, Any]]:
    """Six members on a drawn ring with K = 4; member 0 drops, the five others submit one
    chunk. Returns the task, the contributors and their updates."""
    zk, members = consortium.zk, consortium.members
    task = consortium.open_task(consortium.variant.packing.params_per_chunk)
    contributors = [i for i in range(len(members)) if i != DROPPED]
    updates = {}
    for i in contributors:
        updates[i] = np.random.default_rng(i).normal(0, 0.02, task.n_params)
        submit_update(
            zk, prover, load_circuit(DEFAULT), members[i], consortium.secret(task, i), task, 1,
            updates[i], np.random.default_rng(100 + i),
        )  # fmt: skip
    chain.pending_timestamp = zk.round_state(task.task_id, 1).submission_deadline
    return task, contributors, updates


def _exact_sum(task: SecaggTask, updates: dict[int, Any]) -> list[int]:
    packed = [
        pack_chunk(
            quantize(u, task.packing, np.random.default_rng(100 + i), task.clip_norm), task.packing
        )
        for i, u in updates.items()
    ]
    return [sum(words) % P for words in zip(*packed, strict=True)]


def _coalition_view(consortium: Consortium, task: SecaggTask) -> list[int]:
    """What the dropped member computes alone from the accumulator: it knows its seed with every
    neighbour, so it removes every mask the contributors still hold with it."""
    accumulator = consortium.zk.accumulator(task.task_id, 1, 0)
    sk = consortium.secret(task, DROPPED)
    signed = [
        (
            derive_seed(ecdh_x(sk, task.members[n]), task.seed_domain, 1, 0),
            neighbor_sign(n, DROPPED),
        )
        for n in task.neighbor_indices(DROPPED)
    ]
    masks = masks_from_seeds(signed, len(accumulator))
    return [(a - m) % P for a, m in zip(accumulator, masks, strict=True)]


@pytest.mark.parametrize("why", ["colluding", "offline"])
def test_a_withheld_reveal_no_longer_voids_the_chunk(
    deploy: Callable[..., Consortium], prover: Prover, why: str
) -> None:
    # Prepare: member 0 drops; its neighbour `owner` contributes and then withholds its reveal
    # for member 0 (colluding with it, having seen the sum below, or simply gone offline).
    consortium = deploy(variant=DEFAULT)
    zk, members = consortium.zk, consortium.members
    task, contributors, updates = _submit_all_but_dropped(consortium, prover)
    owner = task.neighbor_indices(DROPPED)[0]
    exact = _exact_sum(task, updates)
    if why == "colluding":
        assert _coalition_view(consortium, task) == exact  # the coalition knows the result
    for i in contributors:
        if i != owner:
            reveal_for_dropouts(zk, prover, members[i], consortium.secret(task, i), task, 1)
    chain.pending_timestamp = zk.round_state(task.task_id, 1).reveal_deadline
    assert pending_recoveries(zk, task, 1) == [(0, owner, DROPPED)]

    # Execute: in the recovery window, every other member runs its client's recovery step
    # (the owner and the dropped member do nothing).
    reports = {
        i: recover_escrowed(zk, prover, members[i], consortium.secret(task, i), task, 1)
        for i in contributors
        if i != owner
    }
    finalize(zk, consortium.store, members[contributors[-1]], task, 1)

    # Assert: the owner's other neighbours opened their shares, the mask came out, and the chunk
    # aggregates exactly the five contributors (before the change it was Void).
    holders = [h for h in task.neighbor_indices(owner) if h != DROPPED]
    assert sum(reports[h].chunks for h in holders) >= len(holders)
    assert zk.escrowed_seed(task.task_id, 1, 0, members[owner], members[DROPPED])[2]
    (aggregate,) = zk.chunk_aggregates(task.task_id, 1)
    assert zk.chunk_status(task.task_id, 1, 0) == ChunkStatus.RECOVERABLE
    assert aggregate.count == len(contributors)
    assert list(aggregate.words) == exact


def test_one_holder_withholding_keeps_the_seed_closed(
    deploy: Callable[..., Consortium], prover: Prover
) -> None:
    # Prepare: as above, but one of the owner's other neighbours also withholds its share (a
    # coalition of three around the owner: the bound SECURITY.md states for P11).
    consortium = deploy(variant=DEFAULT)
    zk, members = consortium.zk, consortium.members
    task, contributors, _ = _submit_all_but_dropped(consortium, prover)
    owner = task.neighbor_indices(DROPPED)[0]
    withholder = next(h for h in task.neighbor_indices(owner) if h != DROPPED)
    for i in contributors:
        if i != owner:
            reveal_for_dropouts(zk, prover, members[i], consortium.secret(task, i), task, 1)
    chain.pending_timestamp = zk.round_state(task.task_id, 1).reveal_deadline

    # Execute
    for i in contributors:
        if i not in (owner, withholder):
            recover_escrowed(zk, prover, members[i], consortium.secret(task, i), task, 1)

    # Assert: the other holders' shares alone say nothing: the seed is incomplete, and nothing
    # was removed with it (a share is uniformly random unless all of them are known).
    total, holders, complete = zk.escrowed_seed(
        task.task_id, 1, 0, members[owner], members[DROPPED]
    )
    assert not complete
    slots = task.slots(owner)
    assert not holders >> slots.index(withholder) & 1
    seed = derive_seed(
        ecdh_x(consortium.secret(task, owner), task.members[DROPPED]), task.seed_domain, 1, 0
    )
    assert total != seed
    assert pending_recoveries(zk, task, 1) == [(0, owner, DROPPED)]


def test_a_pad_opens_only_its_own_entry(deploy: Callable[..., Consortium], prover: Prover) -> None:
    # Prepare: the scenario above, in the recovery window; holder A proves its pad honestly.
    consortium = deploy(variant=DEFAULT)
    zk, members = consortium.zk, consortium.members
    task, _, _ = _submit_all_but_dropped(consortium, prover)
    owner = task.neighbor_indices(DROPPED)[0]
    first, second = [h for h in task.neighbor_indices(owner) if h != DROPPED][:2]
    chain.pending_timestamp = zk.round_state(task.task_id, 1).reveal_deadline
    submitted = zk.submitted_chunk(task.task_id, 1, 0, members[owner])
    assert submitted is not None
    pad, inputs = escrow_pad_inputs(
        task, 1, 0, consortium.secret(task, first), first, owner, DROPPED
    )
    circuit = load_circuit(ESCROW_PAD)
    proof = prover.prove(circuit.wasm, circuit.zkey, inputs).proof

    # Execute / Assert: the same proof cannot open another holder's entry (another tag and
    # commitment), nor the seed of a neighbour that contributed (nothing to recover there).
    with ape.reverts(zk.recovery.InvalidProof, member=members[second].address):
        zk.reveal_share(
            members[first], task.task_id, 1, 0, members[owner], members[DROPPED],
            members[second], submitted, pad, proof,
        )  # fmt: skip
    contributed = next(j for j in task.neighbor_indices(owner) if j not in (DROPPED, first))
    with ape.reverts(zk.recovery.NeighborContributed):
        zk.reveal_share(
            members[first], task.task_id, 1, 0, members[owner], members[contributed],
            members[first], submitted, pad, proof,
        )  # fmt: skip
    zk.reveal_share(
        members[first], task.task_id, 1, 0, members[owner], members[DROPPED], members[first],
        submitted, pad, proof,
    )  # fmt: skip
    _, holders, complete = zk.escrowed_seed(task.task_id, 1, 0, members[owner], members[DROPPED])
    assert holders == 1 << task.slots(owner).index(first) and not complete
