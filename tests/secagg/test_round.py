"""A whole secure-aggregation round in Python: masks cancel, dropouts are recovered."""

import numpy as np
import pytest

from zkfed.babyjubjub import generate_secret_key, public_key
from zkfed.exceptions import ConfigurationError
from zkfed.field import P
from zkfed.masking import neighbor_sign
from zkfed.prg import derive_seed, pair_commitment, prg_words
from zkfed.quantize import Packing, dequantize, quantize, squared_norm_bound
from zkfed.secagg import (
    SecaggTask,
    aggregate_chunk,
    apply_round,
    join_inputs,
    mask_reveal_inputs,
    mask_update,
    required_reveals,
)

PACKING = Packing(words=4, lanes=15, lane_bits=16, value_bits=12, scale_bits=8)


def _task(n_members: int, n_params: int = 130) -> tuple[SecaggTask, list[int]]:
    secrets = [generate_secret_key() for _ in range(n_members)]
    members = tuple(public_key(sk) for sk in secrets)
    bound = squared_norm_bound(2.0, PACKING)
    task = SecaggTask(7, PACKING, n_params, neighbors=4, bound=bound, members=members)
    return task, secrets


def _submit(task: SecaggTask, secrets: list[int], updates: np.ndarray, who: set[int]):
    masked = {
        i: mask_update(task, 3, i, secrets[i], updates[i], np.random.default_rng(i)) for i in who
    }
    accumulators = [
        [sum(masked[i][c].words[w] for i in who) % P for w in range(PACKING.words)]
        for c in range(task.n_chunks)
    ]
    return masked, accumulators


def _expected_mean(task: SecaggTask, updates: np.ndarray, who: set[int]) -> np.ndarray:
    # Quantise exactly as the members did (same rng seeds), then average the integers.
    q = [
        quantize(updates[i], PACKING, np.random.default_rng(i), task.clip_norm) for i in sorted(who)
    ]
    return dequantize(np.sum(q, axis=0), PACKING) / len(who)


def test_full_participation_recovers_the_mean_exactly() -> None:
    # Prepare
    task, secrets = _task(6)
    updates = np.random.default_rng(1).normal(0, 0.05, (6, task.n_params))
    everyone = set(range(6))
    _, accumulators = _submit(task, secrets, updates, everyone)

    # Execute
    means = [aggregate_chunk(task, acc, len(everyone)) for acc in accumulators]
    new = apply_round(task, np.zeros(task.n_params), means)

    # Assert
    assert required_reveals(task, everyone) == []
    np.testing.assert_array_equal(new, _expected_mean(task, updates, everyone))


def test_masked_words_hide_the_update() -> None:
    # Prepare
    task, secrets = _task(5)
    zeros = np.zeros((5, task.n_params))

    # Execute
    masked, _ = _submit(task, secrets, zeros, set(range(5)))

    # Assert: a zero update's words are not the packed zeros (they look uniform in the field).
    packed_zero = sum(PACKING.lane_offset << (16 * lane) for lane in range(15))
    assert all(word != packed_zero for word in masked[0][0].words)
    assert max(masked[0][0].words) > P // 4


@pytest.mark.parametrize(("n", "neighbours_of_2"), [(7, 4), (5, 4), (4, 3)])
def test_dropout_is_recovered_by_revealed_masks(n: int, neighbours_of_2: int) -> None:
    # Prepare: member 2 drops out after masking with its neighbours (with 4 members one of
    # each member's K = 4 slots is inactive and the other three make the complete graph).
    task, secrets = _task(n)
    updates = np.random.default_rng(2).normal(0, 0.05, (n, task.n_params))
    survivors = set(range(n)) - {2}
    _, accumulators = _submit(task, secrets, updates, survivors)

    # Execute: each contributor takes out the mask it added with its dropped neighbour, as the
    # contract does with a revealed mask (subtract when it added +1, add back when -1).
    pairs = required_reveals(task, survivors)
    means = []
    for c, acc in enumerate(accumulators):
        exact = list(acc)
        for i, j in pairs:
            masks, _ = mask_reveal_inputs(task, 3, c, secrets[i], j)
            sign = neighbor_sign(i, j)
            exact = [(w - sign * m) % P for w, m in zip(exact, masks, strict=True)]
        means.append(aggregate_chunk(task, exact, len(survivors)))
    new = apply_round(task, np.zeros(task.n_params), means)

    # Assert
    assert sorted(j for _, j in pairs) == [2] * neighbours_of_2
    np.testing.assert_array_equal(new, _expected_mean(task, updates, survivors))


def test_chunk_inputs_open_the_posted_commitments() -> None:
    # Prepare
    task, secrets = _task(4)
    update = np.random.default_rng(4).normal(0, 0.05, task.n_params)

    # Execute
    (first, *_) = mask_update(task, 3, 1, secrets[1], update, np.random.default_rng(1))
    joined = join_inputs(task, 1, secrets[1])

    # Assert: member 1 of 4 has slots 2, 0, 3 and an inactive one; the chunk's public
    # commitments are the ones it posts when joining (0 for the inactive slot), and each slot's
    # secret is the ECDH secret both members of the pair share. Three active slots: escrowed.
    commitments = task.pair_commitments(1, secrets[1])
    assert first.inputs["commitments"] == commitments
    assert commitments[3] == 0 and all(commitments[:3])
    assert [c for c, _ in joined] == commitments[:3]
    assert [inputs["neighbor"] for _, inputs in joined] == [
        list(task.members[j]) for j in (2, 0, 3)
    ]
    assert first.inputs["slots"] == 0b1_0111_0101
    for slot, j in enumerate((2, 0, 3)):
        mine = task.pair_secrets(1, secrets[1])[slot]
        theirs = task.pair_secrets(j, secrets[j])[task.slots(j).index(1)]
        assert mine == theirs


def test_void_chunks_keep_their_weights() -> None:
    # Prepare
    task, _ = _task(7)
    mean = np.full(task.packing.params_per_chunk, 0.25)

    # Execute: chunk 0 aggregated, the others void (None), as sealed on-chain.
    kept = apply_round(task, np.ones(task.n_params), [mean] + [None] * (task.n_chunks - 1))

    # Assert
    per_chunk = task.packing.params_per_chunk
    np.testing.assert_array_equal(kept[:per_chunk], np.full(per_chunk, 1.25))
    np.testing.assert_array_equal(kept[per_chunk:], np.ones(task.n_params - per_chunk))


def test_mask_reveal_inputs_open_the_pair_and_give_its_prg_stream() -> None:
    # Prepare
    task, secrets = _task(5)
    domain_task = SecaggTask(
        7, PACKING, 130, neighbors=4, bound=task.bound, members=task.members, domain=P - 5
    )

    # Execute
    masks, inputs = mask_reveal_inputs(domain_task, 3, 1, secrets[0], 1)

    # Assert: the pair's secret opens member 0's commitment for that slot under the domain,
    # and the masks are the PRG words of the domain-bound seed; the task id plays no part.
    secret = int(inputs["secret"])  # type: ignore[arg-type]
    assert inputs["task"] == P - 5
    assert inputs["commitment"] == pair_commitment(secret, P - 5)
    assert inputs["commitment"] in domain_task.pair_commitments(0, secrets[0])
    assert masks == prg_words(derive_seed(secret, P - 5, 3, 1), PACKING.words)
    assert masks != mask_reveal_inputs(task, 3, 1, secrets[0], 1)[0]


def test_a_task_with_a_repeated_key_is_refused() -> None:
    # Prepare: member 1 registered member 3's key (the copied-key attack).
    members = tuple(public_key(generate_secret_key()) for _ in range(4))
    copied = (members[0], members[3], members[2], members[3])

    # Execute / Assert
    with pytest.raises(ConfigurationError, match="same public key"):
        SecaggTask(1, PACKING, 10, neighbors=2, bound=1 << 30, members=copied)


def test_bad_task_shapes_are_refused() -> None:
    members = tuple(public_key(generate_secret_key()) for _ in range(2))
    with pytest.raises(ConfigurationError, match="at least 3 members"):
        SecaggTask(1, PACKING, 10, neighbors=4, bound=1 << 30, members=members)
    task, secrets = _task(5)
    with pytest.raises(ConfigurationError, match="parameters"):
        mask_update(task, 0, 0, secrets[0], np.zeros(3), np.random.default_rng(0))


def test_clip_norm_is_the_largest_that_meets_the_bound() -> None:
    # Prepare
    task, _ = _task(5)

    # Execute
    norm = task.clip_norm

    # Assert
    assert squared_norm_bound(norm, PACKING) <= task.bound
    assert squared_norm_bound(norm * 1.001, PACKING) > task.bound
    assert abs(norm - 2.0) < 0.01
