"""Shared fixtures of the contract suites: role accounts, member keys and deployed contracts.

Deployment order is the one of record: the ``VerifierRegistry`` with its verifiers, then
``ModelGovernance``, bound to the aggregator's future address (the deployer's next CREATE
address), then ``FederatedAggregator``, whose constructor checks the binding and deploys the
``CkksAggregator``, the ``KeyRegistry`` and the ``ChunkRecovery``. The session's registry holds
mock verifiers (one `MaskedUpdate`, one `MaskReveal(W)` and one `SeedMask(W)` verifier per variant
of `REGISTERED`, shared `PairCommit` and `EscrowPad` ones and the `KeyPossession` one) with the
committed keys' hashes, so members
register their keys with a stand-in proof; tests/contracts/test_real_proofs.py deploys its own
registry of the generated verifiers. Tests create tasks the way members do: propose, vote,
execute, then (SecAgg) draw the task's ring. Masking keys are one-time: each SecAgg task takes
the next unused key of every member, so the session registers one key per member and a test
that creates more SecAgg tasks registers more first (`register_keys`).
"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from contract_helpers import (
    ESCROW_PAD_SIGNALS,
    KEY_POSSESSION_SIGNALS,
    N_MEMBERS,
    PAIR_COMMIT_SIGNALS,
    REGISTERED,
    TEST_VARIANT,
    VOTING_PERIOD,
    ZERO_PROOF,
    admit_member,
    dummy_commitments,
    key_vkey_hash,
    member_secret_key,
    open_task,
    raised_by,
    registry_entry,
    task_config,
)

from zkfed.babyjubjub import Point, public_key
from zkfed.proving import SnarkjsProver


@pytest.fixture(scope="session")
def deployer(accounts: Any) -> Any:
    return accounts[0]


@pytest.fixture(scope="session")
def members(accounts: Any) -> list[Any]:
    return list(accounts[1 : 1 + N_MEMBERS])


@pytest.fixture(scope="session")
def outsider(accounts: Any) -> Any:
    return accounts[9]


@pytest.fixture(scope="session")
def secret_keys() -> list[int]:
    """Fixed BabyJubJub secret keys of the members (tests only): the key each registers first,
    which the first SecAgg task takes."""
    return [member_secret_key(i) for i in range(N_MEMBERS)]


@pytest.fixture(scope="session")
def public_keys(secret_keys: list[int]) -> list[Point]:
    return [public_key(sk) for sk in secret_keys]


@pytest.fixture(scope="session")
def baby_jubjub(project: Any, deployer: Any) -> Any:
    return deployer.deploy(project.MockBabyJubJub)


@pytest.fixture(scope="session")
def key_verifier(project: Any, deployer: Any) -> Any:
    """The session aggregator's mock `KeyPossession` verifier."""
    return deployer.deploy(project.MockGroth16Verifier, KEY_POSSESSION_SIGNALS)


@pytest.fixture(scope="session")
def pair_verifier(project: Any, deployer: Any) -> Any:
    return deployer.deploy(project.MockGroth16Verifier, PAIR_COMMIT_SIGNALS)


@pytest.fixture(scope="session")
def escrow_verifier(project: Any, deployer: Any) -> Any:
    """The session's mock `EscrowPad` verifier, shared by every variant."""
    return deployer.deploy(project.MockGroth16Verifier, ESCROW_PAD_SIGNALS)


@pytest.fixture(scope="session")
def variant_verifiers(project: Any, deployer: Any) -> dict[str, tuple[Any, Any, Any]]:
    """The mock `MaskedUpdate`, `MaskReveal(W)` and `SeedMask(W)` verifiers of each registered
    variant, by variant name."""
    return {
        v.name: (
            deployer.deploy(project.MockGroth16Verifier, v.signals),
            deployer.deploy(project.MockGroth16Verifier, v.reveal_signals),
            deployer.deploy(project.MockGroth16Verifier, v.seed_mask_signals),
        )
        for v in REGISTERED
    }


@pytest.fixture(scope="session")
def verifier(variant_verifiers: dict[str, tuple[Any, Any, Any]]) -> Any:
    """The test variant's mock `MaskedUpdate` verifier."""
    return variant_verifiers[TEST_VARIANT.name][0]


@pytest.fixture(scope="session")
def reveal_verifier(variant_verifiers: dict[str, tuple[Any, Any, Any]]) -> Any:
    """The test variant's mock `MaskReveal(2)` verifier."""
    return variant_verifiers[TEST_VARIANT.name][1]


@pytest.fixture(scope="session")
def seed_mask_verifier(variant_verifiers: dict[str, tuple[Any, Any, Any]]) -> Any:
    """The test variant's mock `SeedMask(2)` verifier."""
    return variant_verifiers[TEST_VARIANT.name][2]


@pytest.fixture(scope="session")
def registry(
    project: Any,
    deployer: Any,
    key_verifier: Any,
    pair_verifier: Any,
    escrow_verifier: Any,
    variant_verifiers: dict[str, tuple[Any, Any, Any]],
) -> Any:
    """The session's `VerifierRegistry`: the variants of `REGISTERED`, in id order, on mock
    verifiers, with the committed keys' hashes (development keys)."""
    entries = []
    for v in REGISTERED:
        masked, reveal, seed_mask = variant_verifiers[v.name]
        entries.append(registry_entry(v, masked, reveal, pair_verifier, escrow_verifier, seed_mask))
    return deployer.deploy(
        project.VerifierRegistry, key_verifier.address, key_vkey_hash(), True, entries
    )


@pytest.fixture(scope="session")
def governance_and_aggregator(
    project: Any,
    deployer: Any,
    registry: Any,
    members: list[Any],
    public_keys: list[Point],
) -> tuple[Any, Any]:
    predicted = deployer.get_deployment_address(deployer.nonce + 1)
    governance = deployer.deploy(
        project.ModelGovernance, predicted, [m.address for m in members], VOTING_PERIOD
    )
    aggregator = deployer.deploy(project.FederatedAggregator, governance.address, registry.address)
    assert aggregator.address == predicted
    keys = project.KeyRegistry.at(aggregator.keys())
    for member, (x, y) in zip(members, public_keys, strict=True):
        keys.registerKey(x, y, ZERO_PROOF, sender=member)
    return governance, aggregator


@pytest.fixture(scope="session")
def governance(governance_and_aggregator: tuple[Any, Any]) -> Any:
    return governance_and_aggregator[0]


@pytest.fixture(scope="session")
def aggregator(governance_and_aggregator: tuple[Any, Any]) -> Any:
    return governance_and_aggregator[1]


@pytest.fixture(scope="session")
def key_registry(project: Any, aggregator: Any) -> Any:
    """The `KeyRegistry` the session aggregator deployed, where members register their keys."""
    return project.KeyRegistry.at(aggregator.keys())


@pytest.fixture
def register_keys(key_registry: Any, members: list[Any]) -> Callable[[int], list[Point]]:
    """Every member registers its `key`-th key (`member_secret_key`) with a stand-in proof;
    returns the public keys in member order. The session registered key 0, which the first
    SecAgg task takes; register key t - 1 before creating the t-th."""

    def register(key: int) -> list[Point]:
        keys = [public_key(member_secret_key(i, key)) for i in range(len(members))]
        for member, (x, y) in zip(members, keys, strict=True):
            key_registry.registerKey(x, y, ZERO_PROOF, sender=member)
        return keys

    return register


@pytest.fixture(scope="module")
def prover() -> Iterator[SnarkjsProver]:
    """The client's snarkjs prover, for the modules on the generated verifiers."""
    with SnarkjsProver() as p:
        yield p


@pytest.fixture(scope="session")
def recovery(project: Any, aggregator: Any) -> Any:
    """The `ChunkRecovery` the session aggregator deployed: withdrawals of isolated
    contributors and the recovery of escrowed seeds."""
    return project.ChunkRecovery.at(aggregator.recovery())


@pytest.fixture(scope="session")
def recovery_error(recovery: Any, aggregator: Any) -> Callable[[str], Any]:
    """The custom error of a name that a `ChunkRecovery` call reverts with: its own, or the
    aggregator's that it passes on (`raised_by`)."""
    return lambda name: raised_by(name, recovery, aggregator)


@pytest.fixture(scope="session")
def ckks(project: Any, aggregator: Any) -> Any:
    """The `CkksAggregator` the session aggregator deployed, which runs CKKS tasks' rounds."""
    return project.CkksAggregator.at(aggregator.ckks())


@pytest.fixture
def newcomer(accounts: Any, governance: Any, members: list[Any]) -> Any:
    """An account the members voted in, which has registered no key yet."""
    account = accounts[10]
    admit_member(governance, members, account)
    return account


@pytest.fixture(scope="session")
def create_task(governance: Any, members: list[Any]) -> Callable[[tuple[Any, ...]], int]:
    """Opens a task the way members do: a proposal, a majority of votes, execution; a SecAgg
    task's ring is then drawn (the executor does, in the next block)."""

    def create(config: tuple[Any, ...]) -> int:
        return open_task(governance, members, config)

    return create


@pytest.fixture(scope="session")
def join_all(aggregator: Any, members: list[Any]) -> Callable[[int], None]:
    """Every member joins a task with stand-in commitments (the mock pair verifier accepts)."""

    def join(task_id: int) -> None:
        for i, member in enumerate(members):
            ring, slots = aggregator.neighbors(task_id, member)
            k = len(ring)  # bits K..2K-1 of `slots` mark the active slots (bit 2K: escrow)
            active = bin(int(slots) >> k & ((1 << k) - 1)).count("1")
            commitments = dummy_commitments(i, active)
            aggregator.joinTask(task_id, commitments, [ZERO_PROOF] * active, sender=member)

    return join


@pytest.fixture
def unjoined_task(create_task: Callable[[tuple[Any, ...]], int]) -> int:
    """A fresh SecAgg task of the test variant (W = 2, K = 2) over the six members, which no
    member has joined yet."""
    return create_task(task_config())


@pytest.fixture
def secagg_task(unjoined_task: int, join_all: Callable[[int], None]) -> int:
    """The same task after every member joined it (stand-in commitments)."""
    join_all(unjoined_task)
    return unjoined_task
