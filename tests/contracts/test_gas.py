"""Transaction gas of the default variant (W = 64, K = 4, L = 21) on a real node.

Mock verifiers stand in for the Groth16 ones, so each figure lacks the real `verifyProof`
(≈ 780k for 85 signals, DESIGN §3); the cap is checked with the most gas the aggregator lets a
verifier call use (`Groth16Call.gasCap`, even for a malformed proof) reserved for each proof a
transaction verifies (`joinTask` verifies one per neighbour slot). One contributor withholds a
reveal, so the escrow recovery's transactions (`ChunkRecovery.revealShare` and `recoverMask`)
are measured too. Run with ``-s`` to see the table.
"""

from collections.abc import Callable
from typing import Any

from ape import chain
from contract_helpers import (
    CHUNK_RECOVERABLE,
    DEFAULT_VARIANT,
    ESCROW_PAD_SIGNALS,
    PAIR_COMMIT_SIGNALS,
    ZERO_PROOF,
    P,
    dummy_commitments,
    dummy_masks,
    task_config,
)

from zkfed.chain import SubmittedChunk
from zkfed.protocol import FINALIZE_BATCH

TX_CAP = 1 << 24  # EIP-7825
PARAMS_PER_CHUNK = DEFAULT_VARIANT.words * DEFAULT_VARIANT.lanes
CHUNKS = 4
BASE_TX = 21_000


def _verify_cap(signals: int) -> int:
    """Gas the aggregator forwards to a verifier with `signals` public signals
    (`Groth16Call.gasCap`)."""
    return 400_000 + 10_000 * signals


def _words(salt: int) -> list[int]:
    return [pow(7, 1000 * salt + w, P) for w in range(DEFAULT_VARIANT.words)]


def _escrow(salt: int) -> list[int]:
    """Stand-in escrow entries, all non-zero like a real chunk's (calldata costs the same)."""
    return [pow(11, 1000 * salt + e, P) for e in range(DEFAULT_VARIANT.escrow_entries)]


def test_default_variant_transactions_fit_under_the_cap(
    aggregator: Any,
    recovery: Any,
    create_task: Callable[[tuple[Any, ...]], int],
    members: list[Any],
    outsider: Any,
) -> None:
    # Prepare
    config = task_config(
        DEFAULT_VARIANT.id, DEFAULT_VARIANT.scale_bits, param_count=CHUNKS * PARAMS_PER_CHUNK
    )
    task_id = create_task(config)
    index = {m.address: i for i, m in enumerate(members)}
    contributors = range(3)
    gas: dict[str, int] = {}
    verify_budget = {
        "joinTask": 4 * _verify_cap(PAIR_COMMIT_SIGNALS),
        "submitChunk": _verify_cap(DEFAULT_VARIANT.signals),
        "revealMask": _verify_cap(DEFAULT_VARIANT.reveal_signals),
        "revealShare": _verify_cap(ESCROW_PAD_SIGNALS),
        "recoverMask": _verify_cap(DEFAULT_VARIANT.seed_mask_signals),
        "finalizeRound": 0,
    }

    # Execute
    for i, member in enumerate(members):
        tx = aggregator.joinTask(task_id, dummy_commitments(i, 4), [ZERO_PROOF] * 4, sender=member)
        gas["joinTask"] = max(gas.get("joinTask", 0), tx.gas_used)
    for i in contributors:
        tx = aggregator.submitChunk(
            task_id, 1, 0, _words(i), _escrow(i), ZERO_PROOF, sender=members[i]
        )
        gas[f"submitChunk round 1, contributor {i + 1}"] = tx.gas_used
    info = aggregator.roundInfo(task_id, 1)
    chain.pending_timestamp = info.submissionDeadline
    pairs = [
        (i, index[a])
        for i in contributors
        for a in aggregator.neighbors(task_id, members[i]).ring
        if index[a] not in contributors
    ]
    owner, dropped = pairs[0]  # withholds its reveal: the escrow recovers it
    for i, j in pairs[1:]:
        masks = dummy_masks(i, j, DEFAULT_VARIANT.words)
        tx = aggregator.revealMask(task_id, 1, 0, members[j], masks, ZERO_PROOF, sender=members[i])
        gas["revealMask"] = max(gas.get("revealMask", 0), tx.gas_used)
    chain.pending_timestamp = info.revealDeadline
    ring = [index[a] for a in aggregator.neighbors(task_id, members[owner]).ring]
    words_hash = SubmittedChunk(1, tuple(_words(owner)), ()).words_hash
    for holder in (h for h in ring if h != dropped):
        tx = recovery.revealShare(
            task_id, 1, 0, members[owner], members[dropped], members[holder], words_hash,
            _escrow(owner), P - 1 - holder, ZERO_PROOF, sender=members[holder],
        )  # fmt: skip
        gas["revealShare"] = max(gas.get("revealShare", 0), tx.gas_used)
    masks = dummy_masks(owner, dropped, DEFAULT_VARIANT.words)
    tx = recovery.recoverMask(
        task_id, 1, 0, members[owner], members[dropped], masks, ZERO_PROOF, sender=outsider
    )
    gas["recoverMask"] = tx.gas_used
    assert aggregator.chunkStatus(task_id, 1, 0) == CHUNK_RECOVERABLE
    tx = aggregator.finalizeRound(task_id, 1, 1, sender=outsider)
    gas["finalizeRound, 1 recoverable chunk"] = tx.gas_used
    tx = aggregator.finalizeRound(task_id, 1, CHUNKS, sender=outsider)
    gas[f"finalizeRound, {CHUNKS - 1} void chunks"] = tx.gas_used
    for i in range(3, 5):
        tx = aggregator.submitChunk(
            task_id, 2, 0, _words(i), _escrow(i), ZERO_PROOF, sender=members[i]
        )
        gas[f"submitChunk round 2, contributor {i - 2}"] = tx.gas_used

    # Assert
    print()
    for name, used in gas.items():
        per_param = f"{used / PARAMS_PER_CHUNK:8.0f}/param" if "submit" in name else ""
        print(f"{name:38s} {used:>10,d} {per_param}")
    assert all(
        used + verify_budget[name.split()[0].rstrip(",")] < TX_CAP for name, used in gas.items()
    )
    # The client's finalize batch stays under the cap even if every chunk is recoverable.
    per_chunk = gas["finalizeRound, 1 recoverable chunk"] - BASE_TX
    assert BASE_TX + FINALIZE_BATCH * per_chunk < TX_CAP
