"""Transaction gas of the default variant (W = 64, K = 4, L = 21) on a real node.

Mock verifiers stand in for the Groth16 ones, so each figure lacks the real `verifyProof`
(≈ 700k for 73 signals, DESIGN §3); the cap is checked with a 1M budget reserved for each
proof a transaction verifies (`joinTask` verifies one per neighbour slot). Run with ``-s`` to
see the table.
"""

from collections.abc import Callable
from typing import Any

from ape import chain
from contract_helpers import DEFAULT_VARIANT, ZERO_PROOF, P, Variant, dummy_commitments, task_config

TX_CAP = 1 << 24  # EIP-7825
VERIFY_BUDGET = 1_000_000
PARAMS_PER_CHUNK = DEFAULT_VARIANT.words * DEFAULT_VARIANT.lanes


def _words(salt: int) -> list[int]:
    return [pow(7, 1000 * salt + w, P) for w in range(DEFAULT_VARIANT.words)]


def test_default_variant_transactions_fit_under_the_cap(
    aggregator: Any,
    create_task: Callable[[tuple[Any, ...]], int],
    create_verifier: Callable[[Variant], Any],
    seed_verifier: Any,
    pair_verifier: Any,
    members: list[Any],
) -> None:
    # Prepare
    verifier = create_verifier(DEFAULT_VARIANT)
    config = task_config(
        verifier, seed_verifier, pair_verifier, DEFAULT_VARIANT, param_count=4 * PARAMS_PER_CHUNK
    )
    task_id = create_task(config)
    gas: dict[str, int] = {}
    proofs = {"submitChunk": 1, "revealSeed": 1, "finalizeRound": 0, "joinTask": 4}

    # Execute
    for i, member in enumerate(members):
        tx = aggregator.joinTask(task_id, dummy_commitments(i, 4), [ZERO_PROOF] * 4, sender=member)
        gas["joinTask"] = max(gas.get("joinTask", 0), tx.gas_used)
    for i in range(3):
        tx = aggregator.submitChunk(task_id, 1, 0, _words(i), ZERO_PROOF, sender=members[i])
        gas[f"submitChunk round 1, contributor {i + 1}"] = tx.gas_used
    chain.pending_timestamp = aggregator.roundInfo(task_id, 1).submissionDeadline
    tx = aggregator.revealSeed(task_id, 1, 0, members[5], 99, ZERO_PROOF, sender=members[0])
    gas["revealSeed"] = tx.gas_used
    chain.pending_timestamp = aggregator.roundInfo(task_id, 1).revealDeadline
    cid = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
    tx = aggregator.finalizeRound(task_id, 1, cid, b"\x66" * 32, sender=members[0])
    gas["finalizeRound"] = tx.gas_used
    for i in range(3, 5):
        tx = aggregator.submitChunk(task_id, 2, 0, _words(i), ZERO_PROOF, sender=members[i])
        gas[f"submitChunk round 2, contributor {i - 2}"] = tx.gas_used

    # Assert
    print()
    for name, used in gas.items():
        per_param = f"{used / PARAMS_PER_CHUNK:8.0f}/param" if "submit" in name else ""
        print(f"{name:38s} {used:>10,d} {per_param}")
    assert all(
        used + proofs[name.split()[0]] * VERIFY_BUDGET < TX_CAP for name, used in gas.items()
    )
