"""A SecAgg task's ring is drawn from the hash of its creation block, and the client agrees.

`createTask` anchors the task to its block (the `KeyRegistry` records it when the task takes its
keys); `KeyRegistry.drawGraph` (anyone, once, from a later block) shuffles the member indices
with seed keccak256(abi.encode(blockhash(anchor), D)). Here the seed is recomputed in Python
from the block the node reports and the domain's definition, and the client's copy of the
shuffle (`zkfed.masking.draw_ring`) must give the registry's `ringOrder` (and its `graph`
bytes); the neighbour slots are then ring offsets from a member's ring position, their signs compare
member indices. The client draws the ring itself when it executes a SecAgg proposal, and refuses
to build a task whose ring is not drawn yet.
"""

from collections.abc import Callable
from typing import Any

import pytest
from ape import chain
from contract_helpers import (
    CKKS,
    DEFAULT_VARIANT,
    TEST_VARIANT,
    ZERO_PROOF,
    dummy_commitments,
    open_task,
    pass_proposal,
    strict_reverts,
    task_config,
    task_domain,
)
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from zkfed.babyjubjub import Point
from zkfed.chain import Zkfed
from zkfed.exceptions import ConfigurationError
from zkfed.masking import draw_ring

TASKS = 4
BLOCKHASH_WINDOW = 256  # blocks whose hash the EVM's BLOCKHASH still returns


def _seed(aggregator: Any, anchor_block: int, task_id: int) -> bytes:
    """The draw's seed from its definition: the anchor block's hash as the node reports it and
    the task's domain recomputed from chain id, aggregator and task id."""
    anchor_hash = bytes(chain.blocks[anchor_block].hash)
    domain = task_domain(chain.chain_id, aggregator.address, task_id)
    return keccak(encode(["bytes32", "uint256"], [anchor_hash, domain]))


def _graph_bytes(ring: tuple[int, ...]) -> bytes:
    """The registry's 2n-byte graph of a ring: the member at each ring position, then each
    member's ring position."""
    return bytes(ring) + bytes(ring.index(i) for i in range(len(ring)))


def _execute(governance: Any, members: list[Any], config: tuple[Any, ...]) -> tuple[int, int]:
    """Carries and executes a task proposal without drawing; (task id, creation block)."""
    proposal_id = pass_proposal(governance, members, config)
    tx = governance.execute(proposal_id, sender=members[0])
    return int(tx.events.filter(governance.ProposalExecuted)[0].taskId), int(tx.block_number)


def test_the_contracts_ring_is_the_clients_draw_from_the_creation_block(
    aggregator: Any,
    key_registry: Any,
    governance: Any,
    members: list[Any],
    outsider: Any,
    register_keys: Callable[[int], list[Point]],
) -> None:
    # Prepare: several tasks (one key per member each), each created in its own block and drawn
    # by a non-member.
    for key in range(1, TASKS):
        register_keys(key)
    created = [_execute(governance, members, task_config()) for _ in range(TASKS)]

    # Execute
    drawn = [key_registry.drawGraph(task_id, sender=outsider) for task_id, _ in created]

    # Assert
    rings = []
    for (task_id, block), tx in zip(created, drawn, strict=True):
        seed = _seed(aggregator, block, task_id)
        ring = tuple(int(i) for i in key_registry.ringOrder(task_id))
        assert ring == draw_ring(seed, len(members))
        assert sorted(ring) == list(range(len(members)))
        assert bytes(key_registry.graph(task_id)) == _graph_bytes(ring)
        (event,) = tx.events.filter(key_registry.GraphDrawn)
        assert (event.taskId, bytes(event.seed)) == (task_id, seed)
        assert int(aggregator.taskDomain(task_id)) == task_domain(
            chain.chain_id, aggregator.address, task_id
        )
        rings.append(ring)
    # Different blocks and domains draw different rings (all four equal: odds of 1 in 720³).
    assert len(set(rings)) > 1


def test_neighbour_slots_are_ring_offsets_with_signs_by_member_index(
    aggregator: Any,
    key_registry: Any,
    members: list[Any],
    create_task: Callable[[tuple[Any, ...]], int],
) -> None:
    # Prepare: K = 4 over six members, every slot active: slot s holds the member at ring offset
    # +1, -1, +2, -2 from the member's ring position.
    task_id = create_task(task_config(DEFAULT_VARIANT.id, DEFAULT_VARIANT.scale_bits))
    ring = [int(i) for i in key_registry.ringOrder(task_id)]
    n, k = len(members), DEFAULT_VARIANT.neighbors
    offsets = [+1, -1, +2, -2]

    # Execute
    on_chain = {i: aggregator.neighbors(task_id, members[i]) for i in range(n)}

    # Assert
    assert sorted(ring) == list(range(n))
    for i, (addresses, slots) in on_chain.items():
        position = ring.index(i)
        expected = [ring[(position + o) % n] for o in offsets]
        assert list(addresses) == [members[j].address for j in expected]
        signs = sum(1 << s for s, j in enumerate(expected) if i < j)
        # Bits K..2K-1: every slot active; bit 2K: four active slots, so the task escrows.
        assert slots == signs | ((1 << k) - 1) << k | (1 << 2 * k)


def test_nothing_is_drawn_or_joined_before_the_draw(
    aggregator: Any, key_registry: Any, governance: Any, members: list[Any], outsider: Any
) -> None:
    # Prepare
    task_id, _ = _execute(governance, members, task_config())

    # Execute / Assert: no ring, no neighbours and no join until someone draws, once.
    assert list(key_registry.ringOrder(task_id)) == []
    assert bytes(key_registry.graph(task_id)) == b""
    with strict_reverts(aggregator.GraphNotDrawn, taskId=task_id):
        aggregator.neighbors(task_id, members[0])
    with strict_reverts(aggregator.GraphNotDrawn, taskId=task_id):
        aggregator.joinTask(task_id, dummy_commitments(0, 2), [ZERO_PROOF] * 2, sender=members[0])
    key_registry.drawGraph(task_id, sender=outsider)
    with strict_reverts(key_registry.GraphAlreadyDrawn, taskId=task_id):
        key_registry.drawGraph(task_id, sender=members[1])
    aggregator.joinTask(task_id, dummy_commitments(0, 2), [ZERO_PROOF] * 2, sender=members[0])
    assert aggregator.hasJoined(task_id, members[0])


def test_a_ckks_task_or_an_unknown_id_has_no_ring(
    aggregator: Any,
    key_registry: Any,
    members: list[Any],
    create_task: Callable[[tuple[Any, ...]], int],
) -> None:
    # Prepare: a CKKS task takes no keys, so the registry knows nothing of it.
    task_id = create_task(
        task_config(mode=CKKS, key_holder=members[0].address, context_cid="bafkreicontext")
    )
    unknown = int(aggregator.taskCount()) + 1

    # Execute / Assert
    for refused in (task_id, unknown):
        with strict_reverts(key_registry.NoSuchTask, taskId=refused):
            key_registry.drawGraph(refused, sender=members[0])
        assert list(key_registry.ringOrder(refused)) == []
        assert bytes(key_registry.graph(refused)) == b""


def test_a_forgotten_anchor_block_is_replaced_by_the_drawing_block(
    aggregator: Any, key_registry: Any, governance: Any, members: list[Any], outsider: Any
) -> None:
    # Prepare: the creation block falls out of BLOCKHASH's window before anyone draws.
    task_id, created = _execute(governance, members, task_config())
    chain.mine(BLOCKHASH_WINDOW + 1)

    # Execute
    first = key_registry.drawGraph(task_id, sender=outsider)
    after_first = list(key_registry.ringOrder(task_id))
    second = key_registry.drawGraph(task_id, sender=outsider)

    # Assert: the first call only re-anchors to its own block, the second draws from it.
    (anchored,) = first.events.filter(key_registry.GraphAnchored)
    assert (anchored.taskId, anchored.blockNumber) == (task_id, first.block_number)
    assert first.block_number > created + BLOCKHASH_WINDOW
    assert after_first == []
    seed = _seed(aggregator, first.block_number, task_id)
    assert tuple(int(i) for i in key_registry.ringOrder(task_id)) == draw_ring(seed, len(members))
    assert bytes(second.events.filter(key_registry.GraphDrawn)[0].seed) == seed


# --- the client ---------------------------------------------------------------------------------


def test_client_refuses_a_task_whose_ring_is_not_drawn_in_one_sentence(
    aggregator: Any, key_registry: Any, governance: Any, members: list[Any]
) -> None:
    # Prepare
    zk = Zkfed(aggregator, governance)
    task_id = open_task(governance, members, task_config(), draw=False)

    # Execute
    with pytest.raises(ConfigurationError) as refused:
        zk.secagg_task(task_id)
    zk.draw_graph(members[2], task_id)
    task = zk.secagg_task(task_id)

    # Assert: one sentence naming the task and the remedy; once drawn the task reads back with
    # the contract's ring.
    message = str(refused.value)
    assert message.startswith(f"Task {task_id}'s neighbour graph is not drawn yet")
    assert "anyone can draw it" in message
    assert "\n" not in message and message.endswith(".") and message.count(".") == 1
    assert (
        task.ring
        == zk.ring_order(task_id)
        == tuple(int(i) for i in key_registry.ringOrder(task_id))
    )


def test_client_execute_leaves_a_secagg_task_drawn(
    aggregator: Any, governance: Any, members: list[Any]
) -> None:
    # Prepare
    zk = Zkfed(aggregator, governance)
    proposal_id = pass_proposal(governance, members, task_config(TEST_VARIANT.id))
    before = chain.blocks.height

    # Execute
    task_id = zk.execute(members[1], proposal_id)

    # Assert: drawn from the block that created the task (the execution's first of two).
    (created,) = aggregator.TaskCreated.range(
        before + 1, chain.blocks.height + 1, search_topics={"taskId": task_id}
    )
    seed = _seed(aggregator, created.block_number, task_id)
    assert zk.ring_order(task_id) == draw_ring(seed, len(members))
    assert zk.secagg_task(task_id).ring == zk.ring_order(task_id)
    assert zk.draw_graph(members[1], task_id) is None  # drawn already: nothing sent


def test_client_execute_of_a_ckks_proposal_draws_nothing(
    aggregator: Any, governance: Any, members: list[Any]
) -> None:
    # Prepare: a CKKS task has no ring, so a draw would revert the execution's second step.
    zk = Zkfed(aggregator, governance)
    config = task_config(mode=CKKS, key_holder=members[0].address, context_cid="bafkreicontext")
    proposal_id = pass_proposal(governance, members, config)

    # Execute
    task_id = zk.execute(members[1], proposal_id)

    # Assert
    assert task_id == int(aggregator.taskCount())
    assert int(aggregator.taskConfig(task_id).mode) == CKKS


def test_client_draw_returns_the_receipt_of_the_draw(
    aggregator: Any, key_registry: Any, governance: Any, members: list[Any]
) -> None:
    # Prepare
    zk = Zkfed(aggregator, governance)
    task_id = open_task(governance, members, task_config(), draw=False)

    # Execute
    receipt = zk.draw_graph(members[3], task_id)

    # Assert: as documented, the receipt of the transaction that drew the ring.
    assert receipt is not None
    assert [e.taskId for e in receipt.events.filter(key_registry.GraphDrawn)] == [task_id]


def test_client_draw_after_a_forgotten_anchor_draws_in_two_steps(
    aggregator: Any, key_registry: Any, governance: Any, members: list[Any]
) -> None:
    # Prepare
    zk = Zkfed(aggregator, governance)
    task_id = open_task(governance, members, task_config(), draw=False)
    chain.mine(BLOCKHASH_WINDOW + 1)

    # Execute
    receipt = zk.draw_graph(members[3], task_id)

    # Assert: the first transaction re-anchored, the returned second one drew from that block.
    (drawn,) = receipt.events.filter(key_registry.GraphDrawn)
    seed = _seed(aggregator, receipt.block_number - 1, task_id)
    assert bytes(drawn.seed) == seed
    assert zk.ring_order(task_id) == draw_ring(seed, len(members))
