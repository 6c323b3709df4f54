"""A CKKS round: ciphertext CIDs, one aggregate, the key holder's decrypted model."""

from collections.abc import Callable
from typing import Any

import ape
from ape import chain
from contract_helpers import CKKS, task_config

ALL_CHUNKS = 2**256 - 1


def test_ckks_round(
    aggregator: Any,
    create_task: Callable[[tuple[Any, ...]], int],
    members: list[Any],
) -> None:
    # Prepare
    key_holder = members[0]
    config = task_config(
        mode=CKKS,
        key_holder=key_holder.address,
        context_cid="bafkreicontext",
    )
    task_id = create_task(config)
    for i, member in enumerate(members[:4]):
        aggregator.submitCiphertext(task_id, 1, f"bafkreict{i}", bytes([i]) * 32, sender=member)
    chain.pending_timestamp = aggregator.roundInfo(task_id, 1).submissionDeadline

    # Execute
    aggregator.postAggregate(task_id, 1, "bafkreisum", b"\x77" * 32, sender=members[3])
    with ape.reverts(aggregator.NotKeyHolder, account=members[1].address):
        aggregator.finalizeCkksRound(task_id, 1, "bafkreimodel", b"\x88" * 32, sender=members[1])
    with ape.reverts(aggregator.WrongMode, taskId=task_id, mode=CKKS):
        aggregator.finalizeRound(task_id, 1, ALL_CHUNKS, sender=key_holder)
    tx = aggregator.finalizeCkksRound(task_id, 1, "bafkreimodel", b"\x88" * 32, sender=key_holder)

    # Assert
    finalized = tx.events.filter(aggregator.RoundFinalized)[0]
    assert (finalized.modelCid, finalized.modelHash) == ("bafkreimodel", b"\x88" * 32)
    assert aggregator.ciphertext(task_id, 1, members[2]) == ("bafkreict2", b"\x02" * 32)
    assert aggregator.aggregate(task_id, 1) == ("bafkreisum", b"\x77" * 32)
    assert aggregator.globalModel(task_id, 2) == ("bafkreimodel", b"\x88" * 32, 1)
    info = aggregator.roundInfo(task_id, 1)
    assert (info.modelCid, info.modelHash) == ("bafkreimodel", b"\x88" * 32)
    with ape.reverts(aggregator.WrongMode, taskId=task_id, mode=CKKS):
        aggregator.publishModel(task_id, 1, "bafkreimodel", b"\x88" * 32, sender=members[1])
