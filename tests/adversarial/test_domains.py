"""Finding 5 of the privacy review: no domain separation.

In protocol v1 seeds were Poseidon(x, task, round, chunk) with a per-contract task counter, so
the same keys in the same order in two deployments (a rehearsal and production) gave identical
commitments and masks. Every proof's `task` input is now the task's domain
D = keccak256(chain id, aggregator, task id) mod p, which the contract supplies.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from adversarial_helpers import Consortium

from zkfed.circuits import PAIR_COMMIT, load_circuit
from zkfed.protocol import join_task
from zkfed.proving import Prover
from zkfed.secagg import mask_update


def test_the_same_keys_give_other_secrets_in_another_deployment(
    deploy: Callable[..., Consortium], prover: Prover
) -> None:
    # Prepare: two deployments, the same six keys in the same order, each with task 1.
    tasks, commitments = [], []
    for consortium in (deploy(), deploy()):
        task = consortium.open_task(consortium.variant.packing.params_per_chunk)
        member = consortium.members[0]

        # Execute
        join_task(
            consortium.zk,
            prover,
            load_circuit(PAIR_COMMIT),
            member,
            consortium.secret(task, 0),
            task,
        )
        commitments.append(consortium.zk.aggregator.pairCommitments(task.task_id, member))
        tasks.append(task)

    # Assert: same task id, other domain, other commitments, other masks.
    assert tasks[0].task_id == tasks[1].task_id == 1
    assert tasks[0].seed_domain != tasks[1].seed_domain
    assert list(commitments[0]) != list(commitments[1])
    zeros = np.zeros(tasks[0].n_params)
    words = [
        mask_update(t, 1, 0, consortium.secret(task, 0), zeros, np.random.default_rng(1))[0].words
        for t in tasks
    ]
    assert words[0] != words[1]
