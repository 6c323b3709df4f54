"""Finding 6 of the privacy review: a fixed, public ring.

In protocol v1 a task's members sat on the ring in task order, the order in which they entered
the governance, so the neighbour graph was known before any task existed and never changed: a
coalition could arrange to surround a victim (run on v1, this test found the victim between the
same two members in every task). Now the ring is drawn after the task is created, from the hash of
its creation block and its domain, before anyone joins (SecAgg+'s random Harary graph).
"""

from __future__ import annotations

from collections.abc import Callable

import ape
from adversarial_helpers import Consortium
from ape import chain
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from zkfed.masking import draw_ring

VICTIM = 2
TASKS = 6


def test_nobody_chooses_its_place_around_a_victim(deploy: Callable[..., Consortium]) -> None:
    # Prepare: the same six members open several tasks, one after another.
    consortium = deploy()
    zk = consortium.zk

    # Execute
    tasks = [
        consortium.open_task(consortium.variant.packing.params_per_chunk) for _ in range(TASKS)
    ]

    # Assert: every ring is the draw from the task's creation block and domain, and the
    # victim's neighbours change from task to task.
    neighbourhoods = set()
    for task in tasks:
        (created,) = zk.aggregator.TaskCreated.range(
            0, chain.blocks.height + 1, search_topics={"taskId": task.task_id}
        )
        anchor = bytes(chain.blocks[created.block_number].hash)
        seed = keccak(encode(["bytes32", "uint256"], [anchor, task.domain]))
        assert zk.ring_order(task.task_id) == draw_ring(seed, len(consortium.members))
        neighbourhoods.add(frozenset(task.neighbor_indices(VICTIM)))
    assert len(neighbourhoods) > 1


def test_nobody_joins_before_the_ring_is_drawn(deploy: Callable[..., Consortium]) -> None:
    # Prepare: a task created through the governance, not drawn yet.
    consortium = deploy()
    zk, members = consortium.zk, consortium.members
    task_id = consortium.open_task_undrawn(consortium.variant.packing.params_per_chunk)

    # Execute / Assert: no neighbour is known and no join is accepted until someone draws.
    assert zk.ring_order(task_id) == ()
    with ape.reverts(zk.aggregator.GraphNotDrawn, taskId=task_id):
        zk.aggregator.joinTask(
            task_id, [1], [((1, 2), ((1, 2), (1, 2)), (1, 2))], sender=members[0]
        )
    zk.draw_graph(members[5], task_id)
    with ape.reverts(zk.keys.GraphAlreadyDrawn, taskId=task_id):
        zk.keys.drawGraph(task_id, sender=members[4])
    assert sorted(zk.ring_order(task_id)) == list(range(len(members)))
