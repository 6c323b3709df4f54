"""Finding 2 of the privacy review: an isolated contributor reveals its own update.

With pairwise masks only, the public learns the sum of every connected component of the graph
of contributors joined by neighbour edges, once the masks with dropped neighbours are removed.
If every neighbour of a contributor drops a chunk, its component is itself: removing its masks
would publish its update. As SecAgg+ clients do, a contributor now refuses to remove its masks
for a chunk whose component has fewer than t_min contributors. That alone left the chunk void
for everyone, so a coalition that isolated one member by staying offline (or a builder that
censored its neighbours) voided the whole chunk. Now anyone withdraws the isolated member's words
(`ChunkRecovery.withdrawChunk`, with its words and escrow checked against the hash stored when it
submitted) and the rest aggregates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from adversarial_helpers import Consortium
from ape import chain

from zkfed.chain import ChunkStatus
from zkfed.circuits import TEST_VARIANT, load_circuit
from zkfed.field import P
from zkfed.packing import pack_chunk
from zkfed.protocol import (
    contributor_component,
    finalize,
    reveal_for_dropouts,
    submit_update,
)
from zkfed.proving import Prover
from zkfed.quantize import quantize
from zkfed.secagg import SecaggTask


def _isolate(
    consortium: Consortium, prover: Prover
) -> tuple[SecaggTask, list[int], dict[int, Any]]:
    """Six members on a drawn ring with K = 2; both neighbours of member 2 drop out (honestly,
    or a coalition staying offline to isolate it); the others submit. Returns the task, the
    contributors and their updates."""
    zk, members = consortium.zk, consortium.members
    task = consortium.open_task(consortium.variant.packing.params_per_chunk)
    dropped = task.neighbor_indices(2)
    contributors = [i for i in range(len(members)) if i not in dropped]
    updates = {}
    for i in contributors:
        updates[i] = np.random.default_rng(i).normal(0, 0.02, task.n_params)
        submit_update(
            zk, prover, load_circuit(TEST_VARIANT), members[i], consortium.secret(task, i), task, 1,
            updates[i], np.random.default_rng(100 + i),
        )  # fmt: skip
    chain.pending_timestamp = zk.round_state(task.task_id, 1).submission_deadline
    return task, contributors, updates


def test_an_isolated_contributor_does_not_unmask_itself(
    deploy: Callable[..., Consortium], prover: Prover
) -> None:
    # Prepare
    consortium = deploy()
    zk, members = consortium.zk, consortium.members
    task, contributors, _ = _isolate(consortium, prover)

    # Execute: every contributor runs its client's recovery step.
    reports = {
        i: reveal_for_dropouts(zk, prover, members[i], consortium.secret(task, i), task, 1)
        for i in contributors
    }

    # Assert: member 2 removed none of its masks (they would leave its update in the clear).
    assert contributor_component(task, set(contributors), 2) == {2}
    assert reports[2].chunks == 0
    assert not {p for p in zk.revealed_masks(task, 1, 0, set(contributors)) if p[0] == 2}


def test_an_isolated_contributor_leaves_and_the_rest_aggregates(
    deploy: Callable[..., Consortium], prover: Prover
) -> None:
    # Prepare: as above; the others remove their masks with their dropped neighbours.
    consortium = deploy()
    zk, members = consortium.zk, consortium.members
    task, contributors, updates = _isolate(consortium, prover)
    for i in contributors:
        reveal_for_dropouts(zk, prover, members[i], consortium.secret(task, i), task, 1)

    # Execute: a member finalizes; its client first withdraws the isolated member's words.
    finalize(zk, consortium.store, members[contributors[-1]], task, 1)

    # Assert: the chunk aggregates exactly the others' quantised updates (before the change it
    # was void: nobody could take member 2's masked words back out), and member 2 left it.
    kept = [i for i in contributors if i != 2]
    (aggregate,) = zk.chunk_aggregates(task.task_id, 1)
    assert zk.chunk_status(task.task_id, 1, 0) == ChunkStatus.RECOVERABLE
    assert aggregate.count == len(kept) and zk.contributors(task.task_id, 1, 0) == set(kept)
    packed = [
        pack_chunk(
            quantize(updates[i], task.packing, np.random.default_rng(100 + i), task.clip_norm),
            task.packing,
        )
        for i in kept
    ]
    assert list(aggregate.words) == [sum(words) % P for words in zip(*packed, strict=True)]
