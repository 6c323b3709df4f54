"""A round with real Groth16 proofs from the client, checked by the generated verifiers.

Uses the small `masked_update_test` variant (W = 2, K = 2), `pair_commit` (every contributor
joins with real proofs) and `seed_reveal`. Skipped until the
circuits are built (`python tools/circuits.py ...`: wasm and zkey under circuits/build) and the
verifiers are generated into contracts/verifiers/.
"""

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ape
import numpy as np
import pytest
from ape import chain
from contract_helpers import TEST_VARIANT, P, task_config

from zkfed.babyjubjub import Point
from zkfed.masking import remove_masks
from zkfed.packing import unpack_chunk
from zkfed.protocol import seed_reveal_inputs
from zkfed.proving import SnarkjsProver
from zkfed.quantize import squared_norm_bound
from zkfed.secagg import SecaggTask, join_inputs, mask_update, required_reveals

ROOT = Path(__file__).resolve().parents[2]
N_PARAMS = TEST_VARIANT.words * TEST_VARIANT.lanes  # one chunk
CONTRIBUTORS = (0, 1, 2, 3)  # members 4 and 5 drop


def _artifacts(variant: str) -> tuple[Path, Path]:
    registry = json.loads((ROOT / "circuits" / "circuits.json").read_text())["variants"]
    derived = registry[variant].get("derived", {}).get("artifacts")
    if not derived:
        pytest.skip(f"{variant} has not been built")
    wasm, zkey = ROOT / derived["wasm"], ROOT / derived["zkey"]
    if not (wasm.is_file() and zkey.is_file()):
        pytest.skip(f"{variant}'s wasm or zkey is missing; build the circuits")
    return wasm, zkey


def _proof_arguments(result: Any) -> tuple[Any, ...]:
    a, b, c = result.proof.solidity_arguments()
    return (a, b, c)


@pytest.fixture(scope="module")
def prover() -> Iterator[SnarkjsProver]:
    with SnarkjsProver() as p:
        yield p


@pytest.fixture(scope="module")
def real_verifiers(project: Any, deployer: Any) -> tuple[Any, Any, Any]:
    try:
        masked = project.MaskedUpdateTestVerifier
        seed = project.SeedRevealVerifier
        pair = project.PairCommitVerifier
    except (AttributeError, KeyError, ape.exceptions.ApeException):
        pytest.skip("the Groth16 verifiers have not been generated yet")
    return deployer.deploy(masked), deployer.deploy(seed), deployer.deploy(pair)


@pytest.fixture
def proved_round(
    aggregator: Any,
    members: list[Any],
    create_task: Callable[[tuple[Any, ...]], int],
    real_verifiers: tuple[Any, Any, Any],
    public_keys: list[Point],
    secret_keys: list[int],
    prover: SnarkjsProver,
) -> tuple[SecaggTask, dict[int, Any], dict[int, Any]]:
    """A task on the real verifiers that every contributor joined with real `PairCommit`
    proofs, and every contributor's masked chunk 0 with its proof."""
    wasm, zkey = _artifacts("masked_update_test")
    pair_wasm, pair_zkey = _artifacts("pair_commit")
    bound = squared_norm_bound(0.5, TEST_VARIANT.packing)
    task_id = create_task(task_config(*real_verifiers, param_count=N_PARAMS, bound=bound))
    task = SecaggTask(
        task_id, TEST_VARIANT.packing, N_PARAMS, TEST_VARIANT.neighbors, bound, tuple(public_keys)
    )
    for i in CONTRIBUTORS:
        pairs = join_inputs(task, i, secret_keys[i])
        join_proofs = [_proof_arguments(prover.prove(pair_wasm, pair_zkey, x)) for _, x in pairs]
        aggregator.joinTask(task_id, [c for c, _ in pairs], join_proofs, sender=members[i])
    rng = np.random.default_rng(11)
    chunks = {
        i: mask_update(task, 1, i, secret_keys[i], rng.normal(0, 0.01, N_PARAMS), rng)[0]
        for i in CONTRIBUTORS
    }
    proofs = {i: prover.prove(wasm, zkey, chunks[i].inputs) for i in CONTRIBUTORS}
    return task, chunks, proofs


def test_round_with_real_proofs(
    aggregator: Any,
    members: list[Any],
    public_keys: list[Point],
    secret_keys: list[int],
    prover: SnarkjsProver,
    proved_round: tuple[SecaggTask, dict[int, Any], dict[int, Any]],
) -> None:
    # Prepare
    task, chunks, proofs = proved_round
    wasm, zkey = _artifacts("seed_reveal")

    # Execute
    for i in CONTRIBUTORS:
        aggregator.submitChunk(
            task.task_id, 1, 0, chunks[i].words, _proof_arguments(proofs[i]), sender=members[i]
        )
    chain.pending_timestamp = aggregator.roundInfo(task.task_id, 1).submissionDeadline
    pairs = required_reveals(task, set(CONTRIBUTORS))
    for i, j in pairs:
        seed, inputs = seed_reveal_inputs(task, 1, 0, secret_keys[i], j)
        result = prover.prove(wasm, zkey, inputs)
        aggregator.revealSeed(
            task.task_id, 1, 0, members[j], seed, _proof_arguments(result), sender=members[i]
        )
    aggregator.finalizeRound(task.task_id, 1, "bafkreiround1", b"\x99" * 32, sender=members[0])

    # Assert
    accumulator = list(aggregator.accumulator(task.task_id, 1, 0))
    signed = [
        (
            aggregator.revealedSeed(task.task_id, 1, 0, members[i], members[j]).seed,
            1 if i < j else -1,
        )
        for i, j in pairs
    ]
    sums = unpack_chunk(remove_masks(accumulator, signed), task.packing, len(CONTRIBUTORS))
    expected = sum(np.asarray(chunks[i].inputs["q"], dtype=np.int64) for i in CONTRIBUTORS)
    assert np.array_equal(sums, expected)
    assert aggregator.isChunkRecoverable(task.task_id, 1, 0)


def test_real_proof_replayed_by_another_member_is_refused(
    aggregator: Any,
    members: list[Any],
    proved_round: tuple[SecaggTask, dict[int, Any], dict[int, Any]],
) -> None:
    # Prepare
    task, chunks, proofs = proved_round
    aggregator.submitChunk(
        task.task_id, 1, 0, chunks[0].words, _proof_arguments(proofs[0]), sender=members[0]
    )

    # Execute / Assert
    with ape.reverts(aggregator.InvalidProof, member=members[1].address):
        aggregator.submitChunk(
            task.task_id, 1, 0, chunks[0].words, _proof_arguments(proofs[0]), sender=members[1]
        )


def test_real_join_with_a_wrong_commitment_is_refused(
    aggregator: Any,
    members: list[Any],
    secret_keys: list[int],
    prover: SnarkjsProver,
    proved_round: tuple[SecaggTask, dict[int, Any], dict[int, Any]],
) -> None:
    # Prepare: member 4 proves its commitments, then posts them in swapped slots.
    task, _, _ = proved_round
    pair_wasm, pair_zkey = _artifacts("pair_commit")
    pairs = join_inputs(task, 4, secret_keys[4])
    proofs = [_proof_arguments(prover.prove(pair_wasm, pair_zkey, x)) for _, x in pairs]
    swapped = [c for c, _ in pairs][::-1]

    # Execute / Assert
    with ape.reverts(aggregator.InvalidPairProof, member=members[4].address, slot=0):
        aggregator.joinTask(task.task_id, swapped, proofs, sender=members[4])
    aggregator.joinTask(task.task_id, [c for c, _ in pairs], proofs, sender=members[4])
    assert aggregator.hasJoined(task.task_id, members[4])


def test_real_proof_with_a_tampered_word_is_refused(
    aggregator: Any,
    members: list[Any],
    proved_round: tuple[SecaggTask, dict[int, Any], dict[int, Any]],
) -> None:
    # Prepare
    task, chunks, proofs = proved_round
    words = list(chunks[2].words)
    words[1] = (words[1] + 1) % P

    # Execute / Assert
    with ape.reverts(aggregator.InvalidProof, member=members[2].address):
        aggregator.submitChunk(
            task.task_id, 1, 0, words, _proof_arguments(proofs[2]), sender=members[2]
        )
