"""A round with real Groth16 proofs from the client, checked by the generated verifiers.

The session's aggregator takes stand-in key proofs, so this module deploys its own the way the
client does (`Zkfed.deploy`) on a registry of the generated verifiers of the small
`masked_update_test` variant (W = 2, K = 2) (`deploy_registry`): every member registers its key
with a real `KeyPossession` proof bound to its account, every contributor joins with real
`PairCommit` proofs and removes its dropped neighbours' masks with real `MaskReveal` proofs.
Skipped until the circuits are built (`python tools/circuits.py ...`: wasm and zkey under
circuits/build) and the verifiers are generated into contracts/verifiers/.
"""

from collections.abc import Callable
from typing import Any

import ape
import numpy as np
import pytest
from ape import chain
from contract_helpers import (
    TEST_VARIANT,
    P,
    artifacts,
    deploy_real,
    open_task,
    proof_arguments,
    task_config,
)

from zkfed.babyjubjub import Point, public_key
from zkfed.chain import Zkfed
from zkfed.packing import unpack_chunk
from zkfed.protocol import register_key
from zkfed.proving import SnarkjsProver
from zkfed.quantize import squared_norm_bound
from zkfed.secagg import (
    SecaggTask,
    join_inputs,
    mask_reveal_inputs,
    mask_update,
    required_reveals,
)

N_PARAMS = TEST_VARIANT.words * TEST_VARIANT.lanes  # one chunk
CONTRIBUTORS = (0, 1, 2, 3)  # members 4 and 5 drop
GAS_LIMIT = 16_000_000
MALFORMED_PROOF_GAS = 2_000_000
# (1, 3) is not on BN254 (y² = x³ + 3 holds for (1, 2) only): the pairing precompile fails.
OFF_CURVE_PROOF = ((1, 3), ((0, 0), (0, 0)), (0, 0))

RealRound = tuple[SecaggTask, dict[int, Any], dict[int, Any]]


@pytest.fixture(scope="module")
def newcomers(accounts: Any) -> tuple[Any, Any]:
    """Two founders of this module's governance that register no key in its fixtures."""
    return accounts[10], accounts[11]


@pytest.fixture(scope="module")
def founders(members: list[Any], newcomers: tuple[Any, Any]) -> list[Any]:
    return [*members, *newcomers]


@pytest.fixture(scope="module")
def zk(project: Any, deployer: Any, founders: list[Any]) -> Zkfed:
    """A registry of the test variant's generated verifiers, a governance and an aggregator of
    this module; no key registered."""
    return deploy_real(project, deployer, founders)


@pytest.fixture(scope="module")
def registered(
    zk: Zkfed, prover: SnarkjsProver, members: list[Any], secret_keys: list[int]
) -> Zkfed:
    """The module's aggregator after every member registered its key with a real proof."""
    artifacts("key_possession")
    for member, sk in zip(members, secret_keys, strict=True):
        register_key(zk, prover, member, sk)
    return zk


@pytest.fixture(scope="module")
def create_real_task(registered: Zkfed, founders: list[Any]) -> Callable[[], int]:
    def create() -> int:
        variant = registered.variant(TEST_VARIANT.name)
        bound = squared_norm_bound(0.5, TEST_VARIANT.packing)
        config = task_config(variant.id, TEST_VARIANT.scale_bits, param_count=N_PARAMS, bound=bound)
        return open_task(registered.governance, founders, config)

    return create


@pytest.fixture(scope="module")
def proved_round(
    registered: Zkfed,
    create_real_task: Callable[[], int],
    members: list[Any],
    secret_keys: list[int],
    prover: SnarkjsProver,
) -> RealRound:
    """A task on the real verifiers that every contributor joined with real `PairCommit`
    proofs, and every contributor's masked chunk 0 with its proof (proved once: each test's
    transactions are undone after it)."""
    wasm, zkey = artifacts("masked_update_test")
    pair_wasm, pair_zkey = artifacts("pair_commit")
    task = registered.secagg_task(create_real_task())
    for i in CONTRIBUTORS:
        pairs = join_inputs(task, i, secret_keys[i])
        join_proofs = [proof_arguments(prover.prove(pair_wasm, pair_zkey, x)) for _, x in pairs]
        registered.aggregator.joinTask(
            task.task_id, [c for c, _ in pairs], join_proofs, sender=members[i]
        )
    rng = np.random.default_rng(11)
    chunks = {
        i: mask_update(task, 1, i, secret_keys[i], rng.normal(0, 0.01, N_PARAMS), rng)[0]
        for i in CONTRIBUTORS
    }
    proofs = {i: prover.prove(wasm, zkey, chunks[i].inputs) for i in CONTRIBUTORS}
    return task, chunks, proofs


def _submit_all(zk: Zkfed, members: list[Any], proved_round: RealRound) -> None:
    task, chunks, proofs = proved_round
    for i in CONTRIBUTORS:
        zk.aggregator.submitChunk(
            task.task_id,
            1,
            0,
            chunks[i].words,
            chunks[i].escrow,
            proof_arguments(proofs[i]),
            sender=members[i],
        )
    chain.pending_timestamp = zk.aggregator.roundInfo(task.task_id, 1).submissionDeadline


def test_keys_registered_with_real_proofs(
    registered: Zkfed, members: list[Any], newcomers: tuple[Any, Any], public_keys: list[Point]
) -> None:
    # Execute
    owners = [registered.key_owner(pk) for pk in public_keys]
    unused = [registered.unused_keys(m) for m in [*members, *newcomers]]

    # Assert: one unused key per member, none for the founders that registered none.
    assert owners == [m.address for m in members]
    assert unused == [1] * len(members) + [0, 0]


def test_round_with_real_proofs(
    registered: Zkfed,
    members: list[Any],
    newcomers: tuple[Any, Any],
    public_keys: list[Point],
    secret_keys: list[int],
    prover: SnarkjsProver,
    proved_round: RealRound,
) -> None:
    # Prepare
    task, chunks, _ = proved_round
    aggregator = registered.aggregator
    wasm, zkey = artifacts("mask_reveal_test")
    _submit_all(registered, members, proved_round)
    pairs = required_reveals(task, set(CONTRIBUTORS))

    # Execute: the contributors remove their dropped neighbours' masks, anyone seals the round.
    for i, j in pairs:
        masks, inputs = mask_reveal_inputs(task, 1, 0, secret_keys[i], j)
        result = prover.prove(wasm, zkey, inputs)
        aggregator.revealMask(
            task.task_id, 1, 0, members[j], masks, proof_arguments(result), sender=members[i]
        )
    tx = aggregator.finalizeRound(task.task_id, 1, 1, sender=newcomers[1])  # not a task member

    # Assert
    assert task.members == tuple(public_keys)
    # Each contributor removes its mask with each neighbour on the drawn ring that dropped.
    addresses = [m.address for m in members]
    assert pairs == [
        (i, addresses.index(neighbor))
        for i in CONTRIBUTORS
        for neighbor in aggregator.neighbors(task.task_id, members[i]).ring
        if addresses.index(neighbor) not in CONTRIBUTORS
    ]
    assert pairs
    assert all(
        aggregator.maskRevealed(task.task_id, 1, 0, members[i], members[j]) for i, j in pairs
    )
    (sealed,) = tx.events.filter(aggregator.ChunkAggregated)
    assert sealed.count == len(CONTRIBUTORS)
    assert list(sealed.words) == list(aggregator.accumulator(task.task_id, 1, 0))
    sums = unpack_chunk(sealed.words, task.packing, len(CONTRIBUTORS))
    expected = sum(np.asarray(chunks[i].inputs["q"], dtype=np.int64) for i in CONTRIBUTORS)
    assert np.array_equal(sums, expected)
    (read,) = registered.chunk_aggregates(task.task_id, 1)
    assert list(read.words) == list(sealed.words)
    assert aggregator.roundInfo(task.task_id, 1).aggregatedChunks == 1


def test_real_mask_reveal_with_a_tampered_mask_is_refused(
    registered: Zkfed,
    members: list[Any],
    secret_keys: list[int],
    prover: SnarkjsProver,
    proved_round: RealRound,
) -> None:
    # Prepare: a contributor i proves its mask with a dropped neighbour j, then posts one word
    # changed.
    task, _, _ = proved_round
    aggregator = registered.aggregator
    wasm, zkey = artifacts("mask_reveal_test")
    _submit_all(registered, members, proved_round)
    i, j = required_reveals(task, set(CONTRIBUTORS))[0]
    masks, inputs = mask_reveal_inputs(task, 1, 0, secret_keys[i], j)
    proof = proof_arguments(prover.prove(wasm, zkey, inputs))
    tampered = [masks[0], (masks[1] + 1) % P]

    # Execute / Assert
    with ape.reverts(aggregator.InvalidProof, member=members[i].address):
        aggregator.revealMask(task.task_id, 1, 0, members[j], tampered, proof, sender=members[i])
    aggregator.revealMask(task.task_id, 1, 0, members[j], masks, proof, sender=members[i])
    assert aggregator.maskRevealed(task.task_id, 1, 0, members[i], members[j])


def test_real_proof_replayed_by_another_member_is_refused(
    registered: Zkfed, members: list[Any], proved_round: RealRound
) -> None:
    # Prepare
    task, chunks, proofs = proved_round
    aggregator = registered.aggregator
    words, entries, proof = chunks[0].words, chunks[0].escrow, proof_arguments(proofs[0])
    aggregator.submitChunk(task.task_id, 1, 0, words, entries, proof, sender=members[0])

    # Execute / Assert
    with ape.reverts(aggregator.InvalidProof, member=members[1].address):
        aggregator.submitChunk(task.task_id, 1, 0, words, entries, proof, sender=members[1])


def test_real_join_with_a_wrong_commitment_is_refused(
    registered: Zkfed,
    members: list[Any],
    secret_keys: list[int],
    prover: SnarkjsProver,
    proved_round: RealRound,
) -> None:
    # Prepare: member 4 proves its commitments, then posts them in swapped slots.
    task, _, _ = proved_round
    aggregator = registered.aggregator
    pair_wasm, pair_zkey = artifacts("pair_commit")
    pairs = join_inputs(task, 4, secret_keys[4])
    proofs = [proof_arguments(prover.prove(pair_wasm, pair_zkey, x)) for _, x in pairs]
    swapped = [c for c, _ in pairs][::-1]

    # Execute / Assert
    with ape.reverts(aggregator.InvalidPairProof, member=members[4].address, slot=0):
        aggregator.joinTask(task.task_id, swapped, proofs, sender=members[4])
    aggregator.joinTask(task.task_id, [c for c, _ in pairs], proofs, sender=members[4])
    assert aggregator.hasJoined(task.task_id, members[4])


def test_real_proof_with_a_tampered_word_is_refused(
    registered: Zkfed, members: list[Any], proved_round: RealRound
) -> None:
    # Prepare
    task, chunks, proofs = proved_round
    aggregator = registered.aggregator
    words = list(chunks[2].words)
    words[1] = (words[1] + 1) % P

    # Execute / Assert
    with ape.reverts(aggregator.InvalidProof, member=members[2].address):
        aggregator.submitChunk(
            task.task_id,
            1,
            0,
            words,
            chunks[2].escrow,
            proof_arguments(proofs[2]),
            sender=members[2],
        )


def test_real_proof_with_an_escrow_entry_is_refused(
    registered: Zkfed, members: list[Any], proved_round: RealRound
) -> None:
    # Prepare: the test variant (K = 2) never escrows, so its proof binds the two entries to 0.
    task, chunks, proofs = proved_round
    aggregator = registered.aggregator
    assert chunks[3].escrow == [0, 0]
    proof = proof_arguments(proofs[3])

    # Execute / Assert
    for entries in ([1, 0], [0, P - 1]):
        with ape.reverts(aggregator.InvalidProof, member=members[3].address):
            aggregator.submitChunk(
                task.task_id, 1, 0, chunks[3].words, entries, proof, sender=members[3]
            )
    aggregator.submitChunk(
        task.task_id, 1, 0, chunks[3].words, chunks[3].escrow, proof, sender=members[3]
    )


def test_key_proof_made_for_another_account_is_refused(
    zk: Zkfed, prover: SnarkjsProver, newcomers: tuple[Any, Any]
) -> None:
    # Prepare: a real proof of the key, bound to account A.
    wasm, zkey = artifacts("key_possession")
    account_a, account_b = newcomers
    sk = 0xA11CE
    pk = public_key(sk)
    inputs = {"pk": list(pk), "binding": zk.key_binding(account_a), "sk": sk}
    proof = proof_arguments(prover.prove(wasm, zkey, inputs))

    # Execute / Assert: B cannot take A's key with it; A can.
    with ape.reverts(zk.keys.InvalidKeyProof, member=account_b.address):
        zk.keys.registerKey(*pk, proof, sender=account_b)
    assert zk.key_owner(pk) is None
    zk.keys.registerKey(*pk, proof, sender=account_a)
    assert zk.key_owner(pk) == account_a.address


@pytest.mark.anvil_only  # eth-tester does not mine a reverting transaction, so it has no gas
def test_malformed_proof_costs_little_gas(
    project: Any, zk: Zkfed, newcomers: tuple[Any, Any]
) -> None:
    # Prepare: an off-curve point makes the pairing precompile fail, and a failing precompile
    # burns all the gas forwarded to it; the key registry's cap on the verifier call bounds that.
    account = newcomers[0]
    pk = public_key(0xB0B)
    verifier = project.KeyPossessionVerifier.at(zk.keys.keyVerifier())
    signals = [*pk, zk.key_binding(account)]

    # Execute
    receipt = zk.keys.registerKey(
        *pk, OFF_CURVE_PROOF, sender=account, gas=GAS_LIMIT, raise_on_revert=False
    )
    uncapped = verifier.verifyProof.transact(
        *OFF_CURVE_PROOF, signals, sender=account, gas=GAS_LIMIT
    )

    # Assert: called directly, without a cap, the verifier burns nearly the whole limit.
    assert receipt.failed
    assert receipt.gas_used < MALFORMED_PROOF_GAS < uncapped.gas_used
    with ape.reverts(zk.keys.InvalidKeyProof, member=account.address):
        zk.keys.registerKey(*pk, OFF_CURVE_PROOF, sender=account, gas=GAS_LIMIT)
