"""The aggregator assembles public signals in the order of circuits/circuits.json.

For every registered `MaskedUpdate` variant, `SeedReveal` and `PairCommit`, the expected vector
is built
by walking the registry's `publicSignals` list (names, shapes) with values read from chain; a
strict mock verifier accepts only that vector, so a submission passes iff the orders agree.
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ape import chain
from contract_helpers import STRICT, ZERO_PROOF, Variant, task_config

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = json.loads((ROOT / "circuits" / "circuits.json").read_text())["variants"]
MASKED_UPDATE = sorted(name for name, v in REGISTRY.items() if v["template"] == "MaskedUpdate")


def _values(aggregator: Any, task_id: int, member: Any, chunk: int) -> dict[str, list[int]]:
    _, slots = aggregator.neighbors(task_id, member)
    return {
        "task": [task_id],
        "round": [1],
        "chunk": [chunk],
        "commitments": list(aggregator.pairCommitments(task_id, member)),
        "slots": [slots],
        "bound": [aggregator.taskConfig(task_id).bound],
    }


def _in_registry_order(signals: list[dict[str, Any]], values: dict[str, list[int]]) -> list[int]:
    vector: list[int] = []
    for signal in signals:
        chunk = values[signal["name"]]
        assert len(chunk) == signal["length"], signal["name"]
        vector += chunk
    return vector


@pytest.mark.parametrize("variant_name", MASKED_UPDATE)
def test_masked_update_signals_follow_the_registry(
    variant_name: str,
    aggregator: Any,
    create_task: Callable[[tuple[Any, ...]], int],
    create_verifier: Callable[[Variant], Any],
    seed_verifier: Any,
    pair_verifier: Any,
    join_all: Callable[[int], None],
    deployer: Any,
    members: list[Any],
) -> None:
    # Prepare
    entry = REGISTRY[variant_name]
    params = entry["parameters"]
    variant = Variant(
        words=params["W"],
        neighbors=params["K"],
        lanes=params["L"],
        lane_bits=params["B"],
        value_bits=params["R"],
    )
    verifier = create_verifier(variant)
    task_id = create_task(task_config(verifier, seed_verifier, pair_verifier, variant))
    join_all(task_id)
    words = [(7 * w + 3) ** 5 for w in range(variant.words)]
    values = _values(aggregator, task_id, members[2], chunk=0) | {"y": words}
    verifier.setMode(STRICT, sender=deployer)
    verifier.allow(_in_registry_order(entry["publicSignals"], values), sender=deployer)

    # Execute
    tx = aggregator.submitChunk(task_id, 1, 0, words, ZERO_PROOF, sender=members[2])

    # Assert
    assert len(tx.events.filter(aggregator.ChunkSubmitted)) == 1


def test_seed_reveal_signals_follow_the_registry(
    aggregator: Any,
    seed_verifier: Any,
    pair_verifier: Any,
    deployer: Any,
    members: list[Any],
    secagg_task: int,
) -> None:
    # Prepare: members 0, 1, 2 contribute; member 0 reveals for its dropped neighbour 5.
    for i in range(3):
        aggregator.submitChunk(secagg_task, 1, 0, [1, 2], ZERO_PROOF, sender=members[i])
    chain.pending_timestamp = aggregator.roundInfo(secagg_task, 1).submissionDeadline
    seed = 424242
    values = _values(aggregator, secagg_task, members[0], chunk=0)
    ring, _ = aggregator.neighbors(secagg_task, members[0])
    slot = list(ring).index(members[5].address)
    values |= {"commitment": [values["commitments"][slot]], "seed": [seed]}
    seed_verifier.setMode(STRICT, sender=deployer)
    signals = REGISTRY["seed_reveal"]["publicSignals"]
    seed_verifier.allow(_in_registry_order(signals, values), sender=deployer)

    # Execute
    tx = aggregator.revealSeed(secagg_task, 1, 0, members[5], seed, ZERO_PROOF, sender=members[0])

    # Assert
    assert tx.events.filter(aggregator.SeedRevealed)[0].seed == seed


def test_pair_commit_signals_follow_the_registry(
    aggregator: Any, pair_verifier: Any, deployer: Any, members: list[Any], unjoined_task: int
) -> None:
    # Prepare: member 3 joins; each slot's proof must carry (task, own key, neighbour's key,
    # commitment) in the registry's order.
    task_id = unjoined_task
    ring, _ = aggregator.neighbors(task_id, members[3])
    commitments = [777, 888]
    pair_verifier.setMode(STRICT, sender=deployer)
    signals = REGISTRY["pair_commit"]["publicSignals"]
    for neighbor, commitment in zip(ring, commitments, strict=True):
        values = {
            "task": [task_id],
            "pk": list(aggregator.publicKey(members[3])[1:]),
            "neighbor": list(aggregator.publicKey(neighbor)[1:]),
            "commitment": [commitment],
        }
        pair_verifier.allow(_in_registry_order(signals, values), sender=deployer)

    # Execute
    tx = aggregator.joinTask(task_id, commitments, [ZERO_PROOF] * 2, sender=members[3])

    # Assert
    assert tx.events.filter(aggregator.TaskJoined)[0].member == members[3].address
    assert list(aggregator.pairCommitments(task_id, members[3])) == commitments
