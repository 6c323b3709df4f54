"""The aggregator assembles public signals in the order of circuits/circuits.json.

For every `MaskedUpdate` variant of circuits.json (each one in the session's `VerifierRegistry`,
on mock verifiers), its `MaskReveal` and `SeedMask` variants, `EscrowPad`, `PairCommit` and
`KeyPossession`, the expected vector is built by walking the registry's `publicSignals` list
(names, shapes) with values read from chain or recomputed from their definitions (the task's
domain D, the `slots` word with its escrow bit 2K, the escrow entries' tags, the key binding); a
strict mock verifier accepts only that vector, so a transaction passes iff the orders agree. The
domain, not the task id, is the first signal of every proof of a task.
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ape import chain
from contract_helpers import (
    DEFAULT_VARIANT,
    REGISTERED,
    STRICT,
    ZERO_PROOF,
    P,
    Variant,
    dummy_masks,
    key_binding,
    task_config,
    task_domain,
)

from zkfed.babyjubjub import Point, public_key
from zkfed.chain import SubmittedChunk
from zkfed.masking import escrow_index, slots_word

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = json.loads((ROOT / "circuits" / "circuits.json").read_text())["variants"]
MASKED_UPDATE = sorted(name for name, v in REGISTRY.items() if v["template"] == "MaskedUpdate")


def _variant(name: str) -> Variant:
    """The session registry's entry of a circuits.json variant, checked against its parameters."""
    (variant,) = (v for v in REGISTERED if v.name == name)
    v, params = variant, REGISTRY[name]["parameters"]
    assert (v.words, v.neighbors, v.lanes, v.lane_bits, v.value_bits) == tuple(
        params[p] for p in "WKLBR"
    )
    return variant


def _entry_of(template: str, words: int) -> dict[str, Any]:
    """The circuits.json entry of the `template` (`MaskReveal` or `SeedMask`) variant of W."""
    (entry,) = (
        v for v in REGISTRY.values() if v["template"] == template and v["parameters"]["W"] == words
    )
    return entry


def _escrows(variant: Variant, members: list[Any]) -> bool:
    """Whether a task of `variant` over `members` escrows its seeds, from the rule: at least
    three active slots, min(K, n - 1) >= 3."""
    return min(variant.neighbors, len(members) - 1) >= 3


def _domain(aggregator: Any, task_id: int) -> int:
    return task_domain(chain.chain_id, aggregator.address, task_id)


def _values(
    aggregator: Any, task_id: int, members: list[Any], me: int, chunk: int, variant: Variant
) -> dict[str, list[int]]:
    """The values of a member's statements, the `slots` word recomputed from the drawn ring:
    bit s the sign of slot s, bit K + s set for an active slot, bit 2K set iff the task
    escrows (every slot is active with six members and K <= 4)."""
    ring, slots = aggregator.neighbors(task_id, members[me])
    index = [m.address for m in members]
    expected = slots_word(me, [index.index(a) for a in ring], _escrows(variant, members))
    assert slots == expected
    return {
        "task": [_domain(aggregator, task_id)],
        "round": [1],
        "chunk": [chunk],
        "commitments": list(aggregator.pairCommitments(task_id, members[me])),
        "slots": [expected],
        "bound": [aggregator.taskConfig(task_id).bound],
    }


def _in_registry_order(signals: list[dict[str, Any]], values: dict[str, list[int]]) -> list[int]:
    vector: list[int] = []
    for signal in signals:
        chunk = values[signal["name"]]
        assert len(chunk) == signal["length"], signal["name"]
        vector += chunk
    return vector


def _stand_in_escrow(variant: Variant, member: int) -> list[int]:
    return [(1 + member) * 1_000 + e for e in range(variant.escrow_entries)]


@pytest.fixture
def create_variant_task(
    create_task: Callable[[tuple[Any, ...]], int],
    variant_verifiers: dict[str, tuple[Any, Any, Any]],
    join_all: Callable[[int], None],
) -> Callable[[Variant], tuple[int, Any, Any, Any]]:
    """Opens a task of a registered variant, which every member joins; returns the task id and
    the variant's mock `MaskedUpdate`, `MaskReveal` and `SeedMask` verifiers."""

    def create(variant: Variant) -> tuple[int, Any, Any, Any]:
        task_id = create_task(task_config(variant.id, variant.scale_bits))
        join_all(task_id)
        return task_id, *variant_verifiers[variant.name]

    return create


@pytest.mark.parametrize("variant_name", MASKED_UPDATE)
def test_masked_update_signals_follow_the_registry(
    variant_name: str,
    aggregator: Any,
    create_variant_task: Callable[[Variant], tuple[int, Any, Any, Any]],
    deployer: Any,
    members: list[Any],
) -> None:
    # Prepare
    # Prepare: distinct words and escrow entries (the contract passes the entries as given, even
    # where a real proof needs zeros), so a swap of any two would be refused.
    variant = _variant(variant_name)
    task_id, verifier, _, _ = create_variant_task(variant)
    words = [(7 * w + 3) ** 5 for w in range(variant.words)]
    entries = [(P - 1 - 13 * e) for e in range(variant.escrow_entries)]
    values = _values(aggregator, task_id, members, 2, 0, variant) | {"y": words, "escrow": entries}
    signals = _in_registry_order(REGISTRY[variant_name]["publicSignals"], values)
    verifier.setMode(STRICT, sender=deployer)
    verifier.allow(signals, sender=deployer)

    # Execute
    tx = aggregator.submitChunk(task_id, 1, 0, words, entries, ZERO_PROOF, sender=members[2])

    # Assert
    (event,) = tx.events.filter(aggregator.ChunkSubmitted)
    assert (list(event.words), list(event.escrow)) == (words, entries)
    assert signals[0] == aggregator.taskDomain(task_id) != task_id
    k = variant.neighbors
    assert signals[3 + k] >> (2 * k) == int(_escrows(variant, members))


@pytest.mark.parametrize("variant_name", MASKED_UPDATE)
def test_mask_reveal_signals_follow_the_registry(
    variant_name: str,
    aggregator: Any,
    create_variant_task: Callable[[Variant], tuple[int, Any, Any, Any]],
    deployer: Any,
    members: list[Any],
) -> None:
    # Prepare: member 0 and two others contribute; member 0 reveals for its slot-0 neighbour on
    # the drawn ring, which dropped.
    variant = _variant(variant_name)
    task_id, _, reveal_verifier, _ = create_variant_task(variant)
    ring, _ = aggregator.neighbors(task_id, members[0])
    dropped = [m.address for m in members].index(ring[0])
    contributors = [0, *[i for i in range(1, len(members)) if i != dropped][:2]]
    for i in contributors:
        words = [i + w for w in range(variant.words)]
        aggregator.submitChunk(
            task_id, 1, 0, words, _stand_in_escrow(variant, i), ZERO_PROOF, sender=members[i]
        )
    chain.pending_timestamp = aggregator.roundInfo(task_id, 1).submissionDeadline
    masks = dummy_masks(0, dropped, variant.words)
    values = _values(aggregator, task_id, members, 0, 0, variant)
    slot = list(ring).index(members[dropped].address)
    values |= {"commitment": [values["commitments"][slot]], "mask": masks}
    signals = _in_registry_order(_entry_of("MaskReveal", variant.words)["publicSignals"], values)
    reveal_verifier.setMode(STRICT, sender=deployer)
    reveal_verifier.allow(signals, sender=deployer)

    # Execute
    tx = aggregator.revealMask(
        task_id, 1, 0, members[dropped], masks, ZERO_PROOF, sender=members[0]
    )

    # Assert
    revealed = tx.events.filter(aggregator.MaskRevealed)[0]
    assert (revealed.revealer, revealed.dropped) == (members[0].address, members[dropped].address)
    assert signals[0] == aggregator.taskDomain(task_id) != task_id


def test_escrow_pad_and_seed_mask_signals_follow_the_registry(
    aggregator: Any,
    recovery: Any,
    escrow_verifier: Any,
    create_variant_task: Callable[[Variant], tuple[int, Any, Any, Any]],
    deployer: Any,
    members: list[Any],
    outsider: Any,
) -> None:
    # Prepare: on a default-variant task (it escrows), every member but the owner's slot-j
    # neighbour contributes and the owner withholds its reveal; in the recovery window each
    # holder (slot h != j) opens its pad, whose proof must carry (D, round, chunk, the owner's
    # commitment of slot h, tag(j, h) = 1 + e(j, h) + E·[owner < holder], pad), then the mask is
    # removed with a proof of (seed, mask[W]).
    variant = DEFAULT_VARIANT
    k, e_count = variant.neighbors, variant.escrow_entries
    task_id, _, _, seed_mask_verifier = create_variant_task(variant)
    owner = 1
    ring, _ = aggregator.neighbors(task_id, members[owner])
    index = [m.address for m in members]
    j = 1  # the dropped neighbour's slot in the owner's view
    dropped = index.index(ring[j])
    words = {i: [i + w for w in range(variant.words)] for i in range(len(members))}
    for i in range(len(members)):
        if i != dropped:
            aggregator.submitChunk(
                task_id, 1, 0, words[i], _stand_in_escrow(variant, i), ZERO_PROOF,
                sender=members[i],
            )  # fmt: skip
    chain.pending_timestamp = aggregator.roundInfo(task_id, 1).revealDeadline
    values = _values(aggregator, task_id, members, owner, 0, variant)
    submitted = SubmittedChunk(1, tuple(words[owner]), tuple(_stand_in_escrow(variant, owner)))
    escrow_verifier.setMode(STRICT, sender=deployer)
    seed_mask_verifier.setMode(STRICT, sender=deployer)
    pad_signals = REGISTRY["escrow_pad"]["publicSignals"]
    seed = 0
    shares = []
    for h in (h for h in range(k) if h != j):
        holder = index.index(ring[h])
        tag = 1 + escrow_index(j, h, k) + e_count * int(owner < holder)
        pad = P - 2 - h
        pad_values = values | {
            "commitment": [values["commitments"][h]],
            "tag": [tag],
            "pad": [pad],
        }
        escrow_verifier.allow(_in_registry_order(pad_signals, pad_values), sender=deployer)
        tx = recovery.revealShare(
            task_id, 1, 0, members[owner], members[dropped], members[holder],
            submitted.words_hash, list(submitted.escrow), pad, ZERO_PROOF, sender=members[holder],
        )  # fmt: skip
        share = (submitted.escrow[escrow_index(j, h, k)] - pad) % P
        assert tx.events.filter(recovery.ShareRevealed)[0].share == share
        shares.append(share)
        seed = (seed + share) % P
    masks = dummy_masks(owner, dropped, variant.words)
    seed_mask_signals = _entry_of("SeedMask", variant.words)["publicSignals"]
    seed_mask_verifier.allow(
        _in_registry_order(seed_mask_signals, {"seed": [seed], "mask": masks}), sender=deployer
    )

    # Execute
    tx = recovery.recoverMask(
        task_id, 1, 0, members[owner], members[dropped], masks, ZERO_PROOF, sender=outsider
    )

    # Assert
    assert len(shares) == k - 1
    every_holder = sum(1 << h for h in range(k) if h != j)
    assert tuple(recovery.escrowedSeed(task_id, 1, 0, members[owner], members[dropped])) == (
        seed,
        every_holder,
        True,
    )
    assert tx.events.filter(recovery.MaskRecovered)[0].owner == members[owner].address
    assert aggregator.maskRevealed(task_id, 1, 0, members[owner], members[dropped])


def test_pair_commit_signals_follow_the_registry(
    aggregator: Any,
    pair_verifier: Any,
    deployer: Any,
    members: list[Any],
    public_keys: list[Point],
    unjoined_task: int,
) -> None:
    # Prepare: member 3 joins; each slot's proof must carry (D, own key, neighbour's key,
    # commitment) in the registry's order, the keys being those the task took (each member's
    # first).
    task_id = unjoined_task
    ring, _ = aggregator.neighbors(task_id, members[3])
    index = {m.address: i for i, m in enumerate(members)}
    commitments = [777, 888]
    pair_verifier.setMode(STRICT, sender=deployer)
    signals = REGISTRY["pair_commit"]["publicSignals"]
    for neighbor, commitment in zip(ring, commitments, strict=True):
        values = {
            "task": [_domain(aggregator, task_id)],
            "pk": list(public_keys[3]),
            "neighbor": list(public_keys[index[neighbor]]),
            "commitment": [commitment],
        }
        pair_verifier.allow(_in_registry_order(signals, values), sender=deployer)

    # Execute
    tx = aggregator.joinTask(task_id, commitments, [ZERO_PROOF] * 2, sender=members[3])

    # Assert
    assert tx.events.filter(aggregator.TaskJoined)[0].member == members[3].address
    assert list(aggregator.pairCommitments(task_id, members[3])) == commitments


def test_key_possession_signals_follow_the_registry(
    aggregator: Any, key_registry: Any, key_verifier: Any, deployer: Any, newcomer: Any
) -> None:
    # Prepare: the proof must carry (pk, binding of the caller) in the registry's order; the
    # binding names the aggregator, not the KeyRegistry that checks it.
    x, y = public_key(0x5EED)
    binding = key_binding(chain.chain_id, aggregator.address, newcomer.address)
    values = {"pk": [x, y], "binding": [binding]}
    key_verifier.setMode(STRICT, sender=deployer)
    key_verifier.allow(
        _in_registry_order(REGISTRY["key_possession"]["publicSignals"], values), sender=deployer
    )

    # Execute
    tx = key_registry.registerKey(x, y, ZERO_PROOF, sender=newcomer)

    # Assert
    assert tx.events.filter(key_registry.KeyRegistered)[0].member == newcomer.address
    assert key_registry.keyBinding(newcomer) == binding
    assert key_registry.keyOwner(x, y) == newcomer.address
