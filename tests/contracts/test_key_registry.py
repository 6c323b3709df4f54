"""Members' masking keys live in the `KeyRegistry` the aggregator deploys; the client reads them
there.

The registry moved out of `FederatedAggregator`, but a `KeyPossession` proof's binding still names
the aggregator: keccak256(abi.encode(keccak256("zkfed.key-binding"), chainid, aggregator,
account)) mod p, as before the move, so keys proven for a deployment are bound to it.

Masking keys are one-time: a member registers any number ahead of tasks, and each SecAgg task
takes, at its creation, the next unused key of every governance member (`assignKeys`); a member
with none is left out. The session's aggregator takes stand-in key proofs; the last tests deploy
the generated verifiers and use real `KeyPossession` and `PairCommit` proofs.
"""

from collections.abc import Callable
from typing import Any

import ape
import pytest
from ape import chain
from contract_helpers import (
    CKKS,
    TEST_VARIANT,
    ZERO_PROOF,
    artifacts,
    deploy_real,
    key_binding,
    member_secret_key,
    open_task,
    pass_proposal,
    proof_arguments,
    strict_reverts,
    task_config,
)

from zkfed.babyjubjub import Point, public_key
from zkfed.chain import Zkfed
from zkfed.protocol import register_key
from zkfed.proving import SnarkjsProver
from zkfed.quantize import squared_norm_bound
from zkfed.secagg import join_inputs

UNUSED_ACCOUNT = "0x" + "ab" * 20
REAL_KEYS = 2  # keys each member registers with real proofs: one for each of two tasks


def test_the_aggregator_deploys_its_key_registry(
    aggregator: Any, governance: Any, key_registry: Any, registry: Any, key_verifier: Any
) -> None:
    # Execute
    zk = Zkfed(aggregator, governance)

    # Assert
    assert zk.keys.address == aggregator.keys() == key_registry.address
    assert key_registry.aggregator() == aggregator.address
    assert key_registry.governance() == governance.address
    assert key_registry.keyVerifier() == registry.keyVerifier() == key_verifier.address


def test_key_binding_names_the_chain_the_aggregator_and_the_account(
    aggregator: Any, governance: Any, key_registry: Any, members: list[Any], outsider: Any
) -> None:
    # Prepare
    zk = Zkfed(aggregator, governance)
    accounts = [m.address for m in members] + [outsider.address, UNUSED_ACCOUNT]

    # Execute
    bindings = [int(key_registry.keyBinding(a)) for a in accounts]

    # Assert: the old formula with the aggregator's address, not the registry's; one per account.
    assert bindings == [key_binding(chain.chain_id, aggregator.address, a) for a in accounts]
    assert [zk.key_binding(a) for a in accounts] == bindings
    assert bindings[0] != key_binding(chain.chain_id, key_registry.address, accounts[0])
    assert len(set(bindings)) == len(accounts)


def test_client_reads_keys_from_the_key_registry(
    aggregator: Any,
    governance: Any,
    key_registry: Any,
    members: list[Any],
    public_keys: list[Point],
    newcomer: Any,
) -> None:
    # Prepare
    zk = Zkfed(aggregator, governance)
    pk = public_key(0x7E57)

    # Execute
    before = (zk.unused_keys(newcomer), zk.key_owner(pk))
    tx = key_registry.registerKey(*pk, ZERO_PROOF, sender=newcomer)

    # Assert
    assert [zk.unused_keys(m) for m in members] == [1] * len(members)
    assert [zk.key_owner(key) for key in public_keys] == [m.address for m in members]
    assert before == (0, None)
    assert (zk.unused_keys(newcomer), zk.key_owner(pk)) == (1, newcomer.address)
    (event,) = tx.events.filter(key_registry.KeyRegistered)
    assert (event.member, event.x, event.y) == (newcomer.address, *pk)


def test_a_member_registers_several_keys(key_registry: Any, newcomer: Any) -> None:
    # Prepare
    keys = [public_key(0x7E57 + i) for i in range(3)]

    # Execute
    unused = []
    for x, y in keys:
        key_registry.registerKey(x, y, ZERO_PROOF, sender=newcomer)
        unused.append(int(key_registry.unusedKeys(newcomer)))

    # Assert: each call adds one key to the member's pool; the member owns them all.
    assert unused == [1, 2, 3]
    assert [key_registry.keyOwner(x, y) for x, y in keys] == [newcomer.address] * 3


def test_each_secagg_task_takes_the_next_unused_key(
    aggregator: Any,
    governance: Any,
    key_registry: Any,
    members: list[Any],
    public_keys: list[Point],
    register_keys: Callable[[int], list[Point]],
    create_task: Callable[[tuple[Any, ...]], int],
) -> None:
    # Prepare: three keys per member, registered in order (the session's first).
    zk = Zkfed(aggregator, governance)
    registered = [public_keys, register_keys(1), register_keys(2)]
    unused = [[zk.unused_keys(m) for m in members]]

    # Execute: three SecAgg tasks.
    tasks = []
    for _ in registered:
        tasks.append(create_task(task_config()))
        unused.append([zk.unused_keys(m) for m in members])

    # Assert: task t took every member's t-th key, and the pools counted down to empty.
    n = len(members)
    for task_id, keys in zip(tasks, registered, strict=True):
        assert [zk.masking_key(task_id, m) for m in members] == keys
        assert zk.secagg_task(task_id).members == tuple(keys)
        assert list(aggregator.taskMembers(task_id)) == [m.address for m in members]
    assert unused == [[3] * n, [2] * n, [1] * n, [0] * n]


def test_task_creation_reports_the_keys_it_took(
    governance: Any, key_registry: Any, members: list[Any]
) -> None:
    # Prepare
    proposal_id = pass_proposal(governance, members, task_config())

    # Execute
    tx = governance.execute(proposal_id, sender=members[0])

    # Assert: the registry took one key of each of the six members for the new task.
    task_id = int(tx.events.filter(governance.ProposalExecuted)[0].taskId)
    (event,) = tx.events.filter(key_registry.KeysAssigned)
    assert (int(event.taskId), int(event.members)) == (task_id, len(members))


def test_a_member_without_an_unused_key_is_left_out(
    aggregator: Any,
    governance: Any,
    key_registry: Any,
    members: list[Any],
    newcomer: Any,
    register_keys: Callable[[int], list[Point]],
    create_task: Callable[[tuple[Any, ...]], int],
) -> None:
    # Prepare: the first task takes every member's only key; then all but member 2 register a
    # second one. The newcomer, a governance member too, never registers any.
    zk = Zkfed(aggregator, governance)
    first = create_task(task_config())
    kept = [i for i in range(len(members)) if i != 2]
    for i in kept:
        x, y = public_key(member_secret_key(i, 1))
        key_registry.registerKey(x, y, ZERO_PROOF, sender=members[i])

    # Execute
    second = create_task(task_config())

    # Assert
    assert governance.isMember(newcomer)
    assert list(aggregator.taskMembers(first)) == [m.address for m in members]
    assert list(aggregator.taskMembers(second)) == [members[i].address for i in kept]
    assert zk.masking_key(second, members[2]) is None
    assert zk.masking_key(second, newcomer) is None
    assert zk.masking_key(first, members[2]) == public_key(member_secret_key(2))
    assert zk.secagg_task(second).members == tuple(
        public_key(member_secret_key(i, 1)) for i in kept
    )
    assert [zk.unused_keys(m) for m in [*members, newcomer]] == [0] * (len(members) + 1)


def test_a_task_with_too_few_members_with_unused_keys_is_refused(
    aggregator: Any,
    key_registry: Any,
    members: list[Any],
    create_task: Callable[[tuple[Any, ...]], int],
) -> None:
    # Prepare: the first task takes every member's only key; two members register another.
    create_task(task_config())
    for i in range(2):
        x, y = public_key(member_secret_key(i, 1))
        key_registry.registerKey(x, y, ZERO_PROOF, sender=members[i])
    count = int(aggregator.taskCount())

    # Execute / Assert: two members left for a task of at least three contributors.
    with strict_reverts(aggregator.InvalidMinContributors, minContributors=3, members=2):
        create_task(task_config(min_contributors=3))
    assert int(aggregator.taskCount()) == count
    assert [int(key_registry.unusedKeys(m)) for m in members] == [1, 1, 0, 0, 0, 0]


def test_a_ckks_task_takes_no_key(
    aggregator: Any,
    governance: Any,
    key_registry: Any,
    members: list[Any],
    newcomer: Any,
    create_task: Callable[[tuple[Any, ...]], int],
) -> None:
    # Prepare
    zk = Zkfed(aggregator, governance)
    config = task_config(mode=CKKS, key_holder=members[0].address, context_cid="bafkreicontext")

    # Execute
    ckks_task = create_task(config)
    secagg_task = create_task(task_config())

    # Assert: the CKKS task is over every governance member, keys or not, and took none: the
    # SecAgg task after it still took every member's first key.
    everyone = [*members, newcomer]
    assert list(aggregator.taskMembers(ckks_task)) == [m.address for m in everyone]
    assert [zk.masking_key(ckks_task, m) for m in everyone] == [None] * len(everyone)
    assert [zk.masking_key(secagg_task, m) for m in members] == [
        public_key(member_secret_key(i)) for i in range(len(members))
    ]
    assert [zk.unused_keys(m) for m in members] == [0] * len(members)


@pytest.mark.parametrize("caller", ["deployer", "member", "outsider"])
def test_assign_keys_by_anyone_but_the_aggregator_is_refused(
    caller: str,
    aggregator: Any,
    key_registry: Any,
    deployer: Any,
    members: list[Any],
    outsider: Any,
) -> None:
    # Prepare: the next task id, as if to take every member's key for it ahead of time.
    account = {"deployer": deployer, "member": members[0], "outsider": outsider}[caller]
    task_id = int(aggregator.taskCount()) + 1
    candidates = [m.address for m in members]

    # Execute / Assert
    with ape.reverts(key_registry.NotAggregator, account=account.address):
        key_registry.assignKeys(task_id, candidates, sender=account)
    assert [int(key_registry.unusedKeys(m)) for m in members] == [1] * len(members)
    assert not key_registry.maskingKey(task_id, members[0]).assigned


def test_a_member_cannot_register_its_own_key_again(
    key_registry: Any,
    members: list[Any],
    public_keys: list[Point],
    create_task: Callable[[tuple[Any, ...]], int],
) -> None:
    # Prepare: a key is one-time, so registering it again would let a second task reuse it.
    x, y = public_keys[0]

    # Execute / Assert: refused while the key is unused, and after a task took it.
    with ape.reverts(key_registry.KeyInUse, x=x, y=y, owner=members[0].address):
        key_registry.registerKey(x, y, ZERO_PROOF, sender=members[0])
    create_task(task_config())
    with ape.reverts(key_registry.KeyInUse, x=x, y=y, owner=members[0].address):
        key_registry.registerKey(x, y, ZERO_PROOF, sender=members[0])
    assert int(key_registry.unusedKeys(members[0])) == 0


# ---------------------------------------------------------------------------------------------
# On the generated verifiers, with real proofs
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_zk(project: Any, deployer: Any, members: list[Any], prover: SnarkjsProver) -> Zkfed:
    """A deployment on the test variant's generated verifiers where every member registered
    `REAL_KEYS` keys (`member_secret_key(i, k)`, k in order) with real `KeyPossession` proofs."""
    artifacts("key_possession")
    zk = deploy_real(project, deployer, members)
    for key in range(REAL_KEYS):
        for i, member in enumerate(members):
            register_key(zk, prover, member, member_secret_key(i, key))
    return zk


def _real_task(zk: Zkfed, members: list[Any]) -> int:
    bound = squared_norm_bound(0.5, TEST_VARIANT.packing)
    config = task_config(zk.variant(TEST_VARIANT.name).id, TEST_VARIANT.scale_bits, bound=bound)
    return open_task(zk.governance, members, config)


def test_tasks_take_keys_registered_with_real_proofs_in_order(
    real_zk: Zkfed, members: list[Any]
) -> None:
    # Prepare
    n = len(members)
    unused = [[real_zk.unused_keys(m) for m in members]]

    # Execute
    tasks = []
    for _ in range(REAL_KEYS):
        tasks.append(_real_task(real_zk, members))
        unused.append([real_zk.unused_keys(m) for m in members])

    # Assert
    for key, task_id in enumerate(tasks):
        expected = [public_key(member_secret_key(i, key)) for i in range(n)]
        assert [real_zk.masking_key(task_id, m) for m in members] == expected
    assert unused == [[REAL_KEYS - k] * n for k in range(REAL_KEYS + 1)]


def test_a_pair_commitment_made_with_an_earlier_tasks_key_is_refused(
    project: Any, real_zk: Zkfed, members: list[Any], prover: SnarkjsProver
) -> None:
    # Prepare: two tasks; member 0 proves its task-2 commitments with the key task 1 took
    # (valid proofs of the PairCommit statement for that key), then with the key task 2 took.
    wasm, zkey = artifacts("pair_commit")
    _real_task(real_zk, members)
    task = real_zk.secagg_task(_real_task(real_zk, members))
    old, new = member_secret_key(0, 0), member_secret_key(0, 1)
    stale = join_inputs(task, 0, old)
    stale_results = [prover.prove(wasm, zkey, inputs) for _, inputs in stale]
    fresh = join_inputs(task, 0, new)
    fresh_proofs = [proof_arguments(prover.prove(wasm, zkey, x)) for _, x in fresh]
    pair_verifier = project.PairCommitVerifier.at(real_zk.task_variant(task.task_id).pair_verifier)
    aggregator = real_zk.aggregator

    # Execute / Assert: the stale proofs verify for the old key, but the task checks its own.
    assert all(
        pair_verifier.verifyProof(*proof_arguments(r), r.public_signals) for r in stale_results
    )
    refusal = {"taskId": task.task_id, "member": members[0].address, "slot": 0}
    with ape.reverts(aggregator.InvalidPairProof, **refusal):
        aggregator.joinTask(
            task.task_id,
            [c for c, _ in stale],
            [proof_arguments(r) for r in stale_results],
            sender=members[0],
        )
    assert not real_zk.has_joined(task.task_id, members[0])
    aggregator.joinTask(task.task_id, [c for c, _ in fresh], fresh_proofs, sender=members[0])
    assert real_zk.has_joined(task.task_id, members[0])
