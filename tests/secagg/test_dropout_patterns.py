"""Every dropout pattern, off-chain: components, the client's refusals and exact recovery.

On a ring of degree K (a random Harary graph), a pattern in which every contributor loses at
most K/2 of its neighbours leaves every component of contributors with at least K/2 + 1 members
(or all of them, when fewer contributed), so with t_min <= K/2 + 1 (the default variant: K = 4,
t_min = 3) no honest client has to refuse its reveals and every chunk completes. These tests
check that for every such pattern on rings of 3 to 12 members, and that removing exactly the
required masks yields the exact sum.
"""

from itertools import combinations

import numpy as np
import pytest

from zkfed.babyjubjub import public_key
from zkfed.field import P
from zkfed.masking import draw_ring
from zkfed.protocol import contributor_component
from zkfed.quantize import Packing, dequantize, quantize, squared_norm_bound
from zkfed.secagg import (
    SecaggTask,
    aggregate_chunk,
    mask_reveal_inputs,
    mask_update,
    required_reveals,
)

PACKING = Packing(words=4, lanes=15, lane_bits=16, value_bits=12, scale_bits=8)


def _task(n: int, k: int, secrets: list[int] | None = None) -> SecaggTask:
    keys = secrets or [1_000 + i for i in range(n)]
    return SecaggTask(
        task_id=9,
        packing=PACKING,
        n_params=2 * PACKING.params_per_chunk,
        neighbors=k,
        bound=squared_norm_bound(2.0, PACKING),
        members=tuple(public_key(sk) for sk in keys),
        ring=draw_ring(bytes([n, k]) * 16, n),
    )


def _patterns(task: SecaggTask) -> list[set[int]]:
    """Contributor sets of at least 3 in which each contributor lost at most K/2 neighbours."""
    n = len(task.members)
    found = []
    for size in range(3, n + 1):
        for alive in combinations(range(n), size):
            contributors = set(alive)
            if all(
                len(set(task.neighbor_indices(i)) - contributors) <= task.neighbors // 2
                for i in contributors
            ):
                found.append(contributors)
    return found


@pytest.mark.parametrize("k", [2, 4, 6])
def test_components_keep_half_the_degree_plus_one(k: int) -> None:
    for n in range(3, 13):
        # Prepare
        task = _task(n, k)
        patterns = _patterns(task)

        # Execute: each pattern's smallest component, against K/2 + 1 (or all contributors,
        # when there are fewer).
        slack = [
            min(len(contributor_component(task, contributors, i)) for i in contributors)
            - min(k // 2 + 1, len(contributors))
            for contributors in patterns
        ]

        # Assert: the bound holds for every pattern, and is tight once the ring is large enough.
        assert min(slack) >= 0, (n, k)
        if n >= 2 * k + 2:
            assert min(slack) == 0, (n, k)


def test_every_pattern_recovers_the_exact_sum() -> None:
    # Prepare: seven members, K = 4; every member masks once (masks do not depend on who
    # drops), then every admissible pattern is aggregated as the contract would.
    n, k, r = 7, 4, 2
    secrets = [0x5EED + 7_919 * i for i in range(n)]
    task = _task(n, k, secrets)
    updates = np.random.default_rng(5).normal(0, 0.05, (n, task.n_params))
    masked = {
        i: mask_update(task, r, i, secrets[i], updates[i], np.random.default_rng(i))
        for i in range(n)
    }
    masks: dict[tuple[int, int, int], list[int]] = {}
    patterns = _patterns(task)

    for contributors in patterns:
        # Execute: sum the contributors' words, remove each required pair's mask with the sign
        # its contributor added it with.
        means = []
        for c in range(task.n_chunks):
            acc = [sum(masked[i][c].words[w] for i in contributors) % P for w in range(4)]
            for i, j in required_reveals(task, contributors):
                if (i, j, c) not in masks:
                    masks[(i, j, c)] = mask_reveal_inputs(task, r, c, secrets[i], j)[0]
                sign = -1 if i < j else 1
                acc = [(a + sign * m) % P for a, m in zip(acc, masks[(i, j, c)], strict=True)]
            means.append(aggregate_chunk(task, acc, len(contributors)))

        # Assert: the exact mean of the contributors' own quantised updates.
        q = [
            quantize(updates[i], PACKING, np.random.default_rng(i), task.clip_norm)
            for i in sorted(contributors)
        ]
        expected = dequantize(np.sum(q, axis=0), PACKING) / len(contributors)
        np.testing.assert_array_equal(np.concatenate(means)[: task.n_params], expected)
    assert len(patterns) == 50
