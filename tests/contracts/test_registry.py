"""The deployment's `VerifierRegistry`: the only circuit variants, verifiers and keys its tasks use.

In v1 a task proposal carried its own verifier addresses and packing, checked only for code: a
proposal with an accept-everything verifier passed the vote, and junk proofs were then accepted.
Now the registry fixes the variants at deployment, a proposal names one by id, the aggregator
copies the registered entry, and clients refuse a registry whose verifiers are not the code they
generated or whose recorded keys are not the ones they hold.
"""

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import pytest
from contract_helpers import (
    ACCEPT_ALL,
    CKKS,
    DEFAULT_VARIANT,
    REGISTERED,
    REJECT_ALL,
    SECAGG,
    TEST_VARIANT,
    VOTING_PERIOD,
    ZERO_PROOF,
    Variant,
    circuit_tuple,
    escrow,
    key_vkey_hash,
    open_task,
    registry_entry,
    strict_reverts,
    task_config,
    vkey_hashes,
)
from eth_utils.crypto import keccak

from zkfed.babyjubjub import Point
from zkfed.chain import Zkfed, deploy_registry
from zkfed.circuits import ESCROW_PAD, KEY_POSSESSION, PAIR_COMMIT, load_circuit
from zkfed.exceptions import ChainError, ConfigurationError

UINT32_MAX = 2**32 - 1
ZERO_ADDRESS = "0x" + "00" * 20
OTHER_KEY_HASH = keccak(b"a verification key this client does not hold")


@pytest.fixture(scope="session")
def build_registry(
    project: Any,
    deployer: Any,
    key_verifier: Any,
    verifier: Any,
    reveal_verifier: Any,
    pair_verifier: Any,
    escrow_verifier: Any,
    seed_mask_verifier: Any,
) -> Callable[..., Any]:
    """Deploys a `VerifierRegistry` of `variants`: entries as they are, variants on the test
    variant's mock verifiers and key hashes (whatever their W and K)."""
    hashes = vkey_hashes(TEST_VARIANT)
    verifiers = (verifier, reveal_verifier, pair_verifier, escrow_verifier, seed_mask_verifier)

    def build(variants: Sequence[Any], *, key: Any = key_verifier) -> Any:
        entries = [
            v if isinstance(v, tuple) else registry_entry(v, *verifiers, hashes) for v in variants
        ]
        return deployer.deploy(
            project.VerifierRegistry, getattr(key, "address", key), key_vkey_hash(), True, entries
        )

    return build


@pytest.fixture(scope="session")
def deploy_on(
    project: Any, deployer: Any, members: list[Any], public_keys: list[Point]
) -> Callable[..., Zkfed]:
    """Deploys governance and an aggregator on `registry` the client's way (`Zkfed.deploy`);
    with `keys`, the members register theirs with stand-in proofs (the key verifier must be a
    mock)."""

    def deploy(registry: Any, *, keys: bool = False) -> Zkfed:
        zk = Zkfed.deploy(project, deployer, members, VOTING_PERIOD, registry.address)
        if keys:
            for member, (x, y) in zip(members, public_keys, strict=True):
                zk.keys.registerKey(x, y, ZERO_PROOF, sender=member)
        return zk

    return deploy


def _generated(project: Any, deployer: Any, name: str) -> Any:
    """Deploys the verifier this client generated for the circuit `name`."""
    return deployer.deploy(getattr(project, load_circuit(name).verifier_contract))


# --- construction -------------------------------------------------------------------------------


def test_registry_without_variants_is_refused(
    project: Any, build_registry: Callable[..., Any]
) -> None:
    # Execute / Assert
    with strict_reverts(project.VerifierRegistry.NoVariants):
        build_registry([])


def test_key_verifier_without_code_is_refused(
    project: Any, build_registry: Callable[..., Any], outsider: Any
) -> None:
    # Execute / Assert
    with strict_reverts(project.VerifierRegistry.InvalidVerifier, verifier=outsider.address):
        build_registry([TEST_VARIANT], key=outsider)


@pytest.mark.parametrize(
    "field",
    [0, 6, 7, 8, 9],
    ids=["verifier", "revealVerifier", "pairVerifier", "escrowVerifier", "seedMaskVerifier"],
)
def test_variant_verifier_without_code_is_refused(
    field: int,
    project: Any,
    build_registry: Callable[..., Any],
    verifier: Any,
    reveal_verifier: Any,
    pair_verifier: Any,
    escrow_verifier: Any,
    seed_mask_verifier: Any,
    outsider: Any,
) -> None:
    # Prepare: an account without code in place of one of the five verifiers.
    circuit = list(
        circuit_tuple(
            TEST_VARIANT,
            verifier,
            reveal_verifier,
            pair_verifier,
            escrow_verifier,
            seed_mask_verifier,
        )
    )
    circuit[field] = outsider.address
    entry = (TEST_VARIANT.name, tuple(circuit), *vkey_hashes(TEST_VARIANT))

    # Execute / Assert
    with strict_reverts(project.VerifierRegistry.InvalidVerifier, verifier=outsider.address):
        build_registry([entry])


@pytest.mark.parametrize(
    "variant",
    [
        replace(TEST_VARIANT, name=""),
        replace(TEST_VARIANT, words=0),
        replace(TEST_VARIANT, neighbors=0),
        replace(TEST_VARIANT, neighbors=3),
        replace(TEST_VARIANT, lanes=0),
        replace(TEST_VARIANT, value_bits=0),
        replace(TEST_VARIANT, lane_bits=12, value_bits=12),
        replace(TEST_VARIANT, lanes=16, lane_bits=16),
    ],
    ids=[
        "no name",
        "no word",
        "no neighbour",
        "odd neighbours",
        "no lane",
        "no value bit",
        "no headroom",
        "wider than a field element",
    ],
)
def test_malformed_variant_is_refused(
    variant: Variant, project: Any, build_registry: Callable[..., Any]
) -> None:
    # Execute / Assert
    with strict_reverts(project.VerifierRegistry.InvalidVariant, name=variant.name):
        build_registry([variant])


def test_variant_filling_a_field_element_is_accepted(
    build_registry: Callable[..., Any],
) -> None:
    # Prepare: L·B = 21 · 12 = 252 bits, the most a word below p can hold (the default variant).
    variant = replace(TEST_VARIANT, lanes=21, lane_bits=12, value_bits=8)

    # Execute
    registry = build_registry([variant])

    # Assert
    assert registry.circuit(0).lanes * registry.circuit(0).laneBits == 252


def test_duplicate_variant_name_is_refused(
    project: Any, build_registry: Callable[..., Any]
) -> None:
    # Prepare: the same name for other parameters.
    other = replace(DEFAULT_VARIANT, name=TEST_VARIANT.name)

    # Execute / Assert
    with strict_reverts(project.VerifierRegistry.DuplicateVariant, name=TEST_VARIANT.name):
        build_registry([TEST_VARIANT, other])


# --- views --------------------------------------------------------------------------------------


def test_registry_views(
    registry: Any,
    key_verifier: Any,
    pair_verifier: Any,
    escrow_verifier: Any,
    variant_verifiers: dict[str, tuple[Any, Any, Any]],
) -> None:
    # Execute
    count = registry.variantCount()
    entries = [registry.variant(v.id) for v in REGISTERED]
    circuits = [registry.circuit(v.id) for v in REGISTERED]

    # Assert
    assert (registry.keyVerifier(), registry.keyVkeyHash()) == (
        key_verifier.address,
        key_vkey_hash(),
    )
    assert registry.development()
    assert count == len(REGISTERED)
    for v, entry, circuit in zip(REGISTERED, entries, circuits, strict=True):
        masked, reveal, seed_mask = variant_verifiers[v.name]
        expected = circuit_tuple(v, masked, reveal, pair_verifier, escrow_verifier, seed_mask)
        assert circuit == entry.circuit == expected
        assert entry.name == v.name
        assert (
            entry.vkeyHash,
            entry.revealVkeyHash,
            entry.pairVkeyHash,
            entry.escrowVkeyHash,
            entry.seedMaskVkeyHash,
        ) == vkey_hashes(v)


@pytest.mark.parametrize("variant_id", [len(REGISTERED), UINT32_MAX])
def test_unknown_variant_id_is_refused_by_the_views(registry: Any, variant_id: int) -> None:
    # Execute / Assert
    with strict_reverts(registry.UnknownVariant, id=variant_id, count=len(REGISTERED)):
        registry.variant(variant_id)
    with strict_reverts(registry.UnknownVariant, id=variant_id, count=len(REGISTERED)):
        registry.circuit(variant_id)


def test_aggregator_takes_its_key_verifier_from_the_registry(
    aggregator: Any, governance: Any, registry: Any, key_registry: Any, key_verifier: Any
) -> None:
    # Execute
    zk = Zkfed(aggregator, governance)

    # Assert
    assert aggregator.registry() == registry.address
    assert key_registry.keyVerifier() == registry.keyVerifier() == key_verifier.address
    assert zk.keys.address == aggregator.keys() == key_registry.address
    assert [v.name for v in zk.variants()] == [v.name for v in REGISTERED]
    assert zk.development_keys()
    with pytest.raises(ConfigurationError, match="no circuit variant 'masked_update_huge'"):
        zk.variant("masked_update_huge")


# --- tasks --------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", REGISTERED, ids=[v.name for v in REGISTERED])
def test_task_copies_its_registered_variant(
    variant: Variant,
    aggregator: Any,
    governance: Any,
    registry: Any,
    create_task: Callable[[tuple[Any, ...]], int],
) -> None:
    # Prepare: the proposal chooses the variant and the scale, nothing else of the circuit.
    scale_bits = variant.scale_bits + 1

    # Execute
    task_id = create_task(task_config(variant.id, scale_bits))

    # Assert
    config = aggregator.taskConfig(task_id)
    assert (config.variant, config.scaleBits) == (variant.id, scale_bits)
    assert aggregator.taskCircuit(task_id) == registry.circuit(variant.id)
    read = Zkfed(aggregator, governance).task_variant(task_id)
    assert (read.id, read.name, read.packing) == (
        variant.id,
        variant.name,
        replace(variant, scale_bits=scale_bits).packing,
    )
    assert read.verifier == registry.circuit(variant.id).verifier


@pytest.mark.parametrize("variant_id", [len(REGISTERED), UINT32_MAX])
def test_proposal_of_an_unknown_variant_is_refused_at_execution(
    variant_id: int, aggregator: Any, governance: Any, registry: Any, members: list[Any]
) -> None:
    # Prepare: governance does not read the registry, so the proposal passes the vote.
    before = aggregator.taskCount()

    # Execute / Assert
    with strict_reverts(registry.UnknownVariant, id=variant_id, count=len(REGISTERED)):
        open_task(governance, members, task_config(variant_id))
    assert aggregator.taskCount() == before


def test_ckks_task_ignores_the_variant(
    aggregator: Any, members: list[Any], create_task: Callable[[tuple[Any, ...]], int]
) -> None:
    # Prepare: a CKKS task has no circuit, so its variant id is not looked up.
    config = task_config(
        UINT32_MAX, mode=CKKS, key_holder=members[0].address, context_cid="bafkreicontext"
    )

    # Execute
    task_id = create_task(config)

    # Assert
    assert aggregator.taskConfig(task_id).variant == UINT32_MAX
    assert aggregator.taskCircuit(task_id) == (
        ZERO_ADDRESS,
        0,
        0,
        0,
        0,
        0,
        ZERO_ADDRESS,
        ZERO_ADDRESS,
        ZERO_ADDRESS,
        ZERO_ADDRESS,
    )


def test_proposal_cannot_bring_its_own_verifier(
    project: Any,
    aggregator: Any,
    registry: Any,
    verifier: Any,
    deployer: Any,
    members: list[Any],
    create_task: Callable[[tuple[Any, ...]], int],
    join_all: Callable[[int], None],
) -> None:
    # Prepare: the v1 attack. A member deploys a verifier that accepts everything; the
    # registered one stands for the generated verifier, which refuses a junk proof.
    accept_all = members[0].deploy(project.MockGroth16Verifier, TEST_VARIANT.signals)
    verifier.setMode(REJECT_ALL, sender=deployer)
    task_fields = aggregator.createTask.abis[0].inputs[0].components

    # Execute: the proposal sets every field it has.
    task_id = create_task(task_config(TEST_VARIANT.id, 0, bound=2**64 - 1, rounds=1))
    join_all(task_id)

    # Assert: no field can name a verifier, the task runs the registered one, the junk proof
    # the attacker's verifier would take is refused.
    assert [f.name for f in task_fields if f.type == "address"] == ["keyHolder"]
    assert aggregator.taskConfig(task_id).mode == SECAGG
    circuit = aggregator.taskCircuit(task_id)
    assert circuit == registry.circuit(TEST_VARIANT.id)
    assert accept_all.address not in (
        circuit.verifier,
        circuit.revealVerifier,
        circuit.pairVerifier,
        circuit.escrowVerifier,
        circuit.seedMaskVerifier,
    )
    with strict_reverts(
        aggregator.InvalidProof, taskId=task_id, round=1, chunk=0, member=members[0].address
    ):
        aggregator.submitChunk(
            task_id, 1, 0, [1, 2], escrow(TEST_VARIANT), ZERO_PROOF, sender=members[0]
        )


@pytest.mark.parametrize("scale_bits", [0, 255])
def test_headroom_comes_from_the_registry(
    scale_bits: int,
    build_registry: Callable[..., Any],
    deploy_on: Callable[..., Zkfed],
    members: list[Any],
) -> None:
    # Prepare: 2^(B - R) lanes of headroom: 4 in the narrow variant, 8 in the roomy one; six
    # members. No proposal field can widen a lane.
    narrow = replace(TEST_VARIANT, id=0, name="narrow", lane_bits=14)
    roomy = replace(TEST_VARIANT, id=1, name="roomy", lane_bits=15)
    zk = deploy_on(build_registry([narrow, roomy]), keys=True)

    # Execute / Assert
    with strict_reverts(zk.aggregator.TooManyMembers, members=len(members), maximum=4):
        open_task(zk.governance, members, task_config(narrow.id, scale_bits))
    task_id = open_task(zk.governance, members, task_config(roomy.id, scale_bits))
    assert zk.aggregator.taskCircuit(task_id).laneBits == 15
    assert len(zk.aggregator.taskMembers(task_id)) == len(members)


@pytest.mark.parametrize(
    ("words", "neighbors"), [(257, 2), (2, 128)], ids=["W > MAX_WORDS", "K > MAX_NEIGHBORS"]
)
def test_variant_beyond_the_aggregators_storage_is_refused(
    words: int,
    neighbors: int,
    build_registry: Callable[..., Any],
    deploy_on: Callable[..., Zkfed],
    members: list[Any],
) -> None:
    # Prepare: well-formed for the registry, too large for the aggregator's fixed arrays.
    huge = replace(TEST_VARIANT, name="huge", words=words, neighbors=neighbors)
    zk = deploy_on(build_registry([huge]), keys=True)
    assert zk.aggregator.MAX_WORDS() == 256 and zk.aggregator.MAX_NEIGHBORS() == 126

    # Execute / Assert
    with strict_reverts(zk.aggregator.InvalidCircuitVariant, words=words, neighbors=neighbors):
        open_task(zk.governance, members, task_config(0))


# --- the client's checks ------------------------------------------------------------------------


def test_check_verifiers_accepts_the_generated_verifiers(
    project: Any, deployer: Any, deploy_on: Callable[..., Zkfed]
) -> None:
    # Prepare
    registry = deploy_registry(project, deployer, [TEST_VARIANT.name])
    zk = deploy_on(registry)

    # Execute
    Zkfed(zk.aggregator, zk.governance).check_verifiers(project)
    attached = Zkfed.at(project, zk.aggregator.address)

    # Assert
    (variant,) = attached.variants()
    assert (variant.name, variant.vkey_hashes) == (TEST_VARIANT.name, vkey_hashes(TEST_VARIANT))
    assert registry.keyVkeyHash() == key_vkey_hash()
    assert registry.development()  # the committed keys come from the insecure setup
    attached.check_keys(variant)


def test_check_verifiers_refuses_an_accept_everything_verifier(
    project: Any, deployer: Any, deploy_on: Callable[..., Zkfed]
) -> None:
    # Prepare: every verifier is the generated one but the `MaskedUpdate` verifier, which is a
    # mock that accepts every proof; the recorded key hashes are the right ones.
    key = _generated(project, deployer, KEY_POSSESSION)
    pair = _generated(project, deployer, PAIR_COMMIT)
    reveal = _generated(project, deployer, "mask_reveal_test")
    escrow_pad = _generated(project, deployer, ESCROW_PAD)
    seed_mask = _generated(project, deployer, "seed_mask_test")
    accept_all = deployer.deploy(project.MockGroth16Verifier, TEST_VARIANT.signals)
    assert accept_all.mode() == ACCEPT_ALL
    entry = registry_entry(TEST_VARIANT, accept_all, reveal, pair, escrow_pad, seed_mask)
    registry = deployer.deploy(
        project.VerifierRegistry, key.address, key_vkey_hash(), True, [entry]
    )
    zk = deploy_on(registry)

    # Execute / Assert
    with pytest.raises(
        ChainError, match=f"{accept_all.address} is not the MaskedUpdateTestVerifier"
    ):
        Zkfed(zk.aggregator, zk.governance).check_verifiers(project)
    with pytest.raises(ChainError, match=accept_all.address):
        Zkfed.at(project, zk.aggregator.address)


@pytest.mark.parametrize(
    ("wrong", "name"),
    enumerate(
        ["masked_update_test", "mask_reveal_test", "pair_commit", "escrow_pad", "seed_mask_test"]
    ),
)
def test_check_keys_refuses_a_recorded_key_hash_that_differs(
    wrong: int,
    name: str,
    build_registry: Callable[..., Any],
    deploy_on: Callable[..., Zkfed],
    verifier: Any,
    reveal_verifier: Any,
    pair_verifier: Any,
    escrow_verifier: Any,
    seed_mask_verifier: Any,
) -> None:
    # Prepare: one of the variant's five recorded hashes is not the committed key's.
    hashes = list(vkey_hashes(TEST_VARIANT))
    hashes[wrong] = OTHER_KEY_HASH
    verifiers = (verifier, reveal_verifier, pair_verifier, escrow_verifier, seed_mask_verifier)
    entry = registry_entry(TEST_VARIANT, *verifiers, hashes)
    zk = deploy_on(build_registry([entry]))
    variant = zk.variant(TEST_VARIANT.name)

    # Execute / Assert
    with pytest.raises(ChainError, match=f"{name} verification key is not the one"):
        zk.check_keys(variant)


def test_check_keys_accepts_the_committed_keys(aggregator: Any, governance: Any) -> None:
    # Prepare
    zk = Zkfed(aggregator, governance)

    # Execute / Assert: the session registry records the committed keys' hashes.
    for variant in zk.variants():
        zk.check_keys(variant)


def test_client_refuses_a_task_whose_recorded_key_differs(
    build_registry: Callable[..., Any],
    deploy_on: Callable[..., Zkfed],
    verifier: Any,
    reveal_verifier: Any,
    pair_verifier: Any,
    escrow_verifier: Any,
    seed_mask_verifier: Any,
    members: list[Any],
) -> None:
    # Prepare
    hashes = (OTHER_KEY_HASH, *vkey_hashes(TEST_VARIANT)[1:])
    verifiers = (verifier, reveal_verifier, pair_verifier, escrow_verifier, seed_mask_verifier)
    entry = registry_entry(TEST_VARIANT, *verifiers, hashes)
    zk = deploy_on(build_registry([entry]), keys=True)
    task_id = open_task(zk.governance, members, task_config(TEST_VARIANT.id))

    # Execute / Assert: the client will not mask, prove or join for it.
    with pytest.raises(ChainError, match="masked_update_test verification key is not the one"):
        zk.secagg_task(task_id)
