"""Every dropout pattern of the attack suite's ring completes its round on-chain.

Six members on a drawn ring of degree K = 2, t_min = 3: every contributor set of at least
three in which each contributor lost at most K/2 = 1 neighbour, one round each, with real
proofs. Every round finalizes. Contributors whose component is below t_min are withdrawn
(K/2 + 1 = 2 < t_min here, so some patterns leave pairs alone, whose clients refuse to unmask
them); the chunk is the exact mean of the others when they reach t_min, and void otherwise
(the model unchanged). With the default variant (K = 4) K/2 + 1 = 3 = t_min, so every such
pattern aggregates (tests/secagg/test_dropout_patterns.py checks that off-chain).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

import numpy as np
from adversarial_helpers import Consortium
from ape import chain

from zkfed.chain import ChunkStatus, RoundStatus
from zkfed.circuits import TEST_VARIANT, load_circuit
from zkfed.protocol import (
    contributor_component,
    finalize,
    reveal_for_dropouts,
    round_model,
    submit_update,
)
from zkfed.proving import Prover
from zkfed.quantize import dequantize, quantize
from zkfed.secagg import SecaggTask


def _patterns(task: SecaggTask) -> list[set[int]]:
    n = len(task.members)
    return [
        set(alive)
        for size in range(task.t_min, n + 1)
        for alive in combinations(range(n), size)
        if all(len(set(task.neighbor_indices(i)) - set(alive)) <= 1 for i in alive)
    ]


def test_every_dropout_pattern_completes_its_round(
    deploy: Callable[..., Consortium], prover: Prover
) -> None:
    # Prepare: one task with a round per pattern.
    consortium = deploy()
    zk, store, members = consortium.zk, consortium.store, consortium.members
    probe = consortium.open_task(consortium.variant.packing.params_per_chunk, rounds=1)
    patterns = _patterns(probe)
    task = consortium.open_task(probe.n_params, rounds=len(patterns))
    patterns = _patterns(task)  # this task's own ring
    circuit = load_circuit(TEST_VARIANT)
    outcomes = []

    for r, contributors in enumerate(patterns, start=1):
        # Execute: the contributors submit, recover and finalize round r.
        updates = {}
        for i in sorted(contributors):
            updates[i] = np.random.default_rng(10 * r + i).normal(0, 0.02, task.n_params)
            submit_update(
                zk, prover, circuit, members[i], consortium.secret(task, i), task, r, updates[i],
                np.random.default_rng(1000 * r + i),
            )  # fmt: skip
        chain.pending_timestamp = zk.round_state(task.task_id, r).submission_deadline
        for i in sorted(contributors):
            reveal_for_dropouts(zk, prover, members[i], consortium.secret(task, i), task, r)
        chain.pending_timestamp = zk.round_state(task.task_id, r).recovery_deadline
        finalize(zk, store, members[min(contributors)], task, r)

        # Assert: finalized; the contributors in components of at least t_min are aggregated
        # (exactly) when they are at least t_min, the others withdrawn.
        kept = {i for i in contributors
                if len(contributor_component(task, contributors, i)) >= task.t_min}  # fmt: skip
        status = zk.chunk_status(task.task_id, r, 0)
        before, after = (round_model(zk, store, task, k) for k in (r, r + 1))
        assert zk.round_state(task.task_id, r).status == RoundStatus.FINALIZED
        if len(kept) >= task.t_min:
            q = [
                quantize(updates[i], task.packing, np.random.default_rng(1000 * r + i),
                         task.clip_norm)
                for i in sorted(kept)
            ]  # fmt: skip
            assert status == ChunkStatus.RECOVERABLE, contributors
            mean = dequantize(np.sum(q, axis=0), task.packing) / len(kept)
            np.testing.assert_array_equal(after, before + mean)
        else:
            assert status == ChunkStatus.VOID, contributors
            np.testing.assert_array_equal(after, before)
        outcomes.append(len(kept) >= task.t_min)
    assert len(patterns) == 22 and any(outcomes) and not all(outcomes)
