"""Finding 2 of the privacy review: an isolated contributor reveals its own update.

With pairwise masks only, the public learns the sum of every connected component of the graph
of contributors joined by neighbour edges, once the masks with dropped neighbours are removed.
If every neighbour of a contributor drops a chunk, its component is itself: removing its masks
would publish its update. As SecAgg+ clients do, a contributor now refuses to remove its masks
for a chunk whose component has fewer than t_min contributors; the chunk stays void.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from adversarial_helpers import Consortium
from ape import chain

from zkfed.chain import ChunkStatus
from zkfed.circuits import TEST_VARIANT, load_circuit
from zkfed.protocol import contributor_component, reveal_for_dropouts, submit_update
from zkfed.proving import Prover


def test_an_isolated_contributor_does_not_unmask_itself(
    deploy: Callable[..., Consortium], prover: Prover
) -> None:
    # Prepare: six members on a drawn ring with K = 2; both neighbours of member 2 drop out
    # (honestly, or a coalition staying offline to isolate it).
    consortium = deploy()
    zk, members = consortium.zk, consortium.members
    task = consortium.open_task(consortium.variant.packing.params_per_chunk)
    dropped = task.neighbor_indices(2)
    contributors = [i for i in range(len(members)) if i not in dropped]
    for i in contributors:
        update = np.random.default_rng(i).normal(0, 0.02, task.n_params)
        submit_update(
            zk, prover, load_circuit(TEST_VARIANT), members[i], consortium.secret(task, i), task, 1,
            update, np.random.default_rng(100 + i),
        )  # fmt: skip
    chain.pending_timestamp = zk.round_state(task.task_id, 1).submission_deadline

    # Execute: every contributor runs its client's recovery step.
    reports = {
        i: reveal_for_dropouts(zk, prover, members[i], consortium.secret(task, i), task, 1)
        for i in contributors
    }

    # Assert: member 2 removed none of its masks (they would leave its update in the clear);
    # the chunk cannot become recoverable and is void after the reveal deadline.
    assert contributor_component(task, set(contributors), 2) == {2}
    assert reports[2].chunks == 0
    assert not {p for p in zk.revealed_masks(task, 1, 0, set(contributors)) if p[0] == 2}
    chain.pending_timestamp = zk.round_state(task.task_id, 1).reveal_deadline
    chain.mine()
    assert zk.chunk_status(task.task_id, 1, 0) == ChunkStatus.VOID
