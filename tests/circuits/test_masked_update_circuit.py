"""Witness-level tests of MaskedUpdate, mostly on the small registry variant (W = 2, K = 2).

A valid input must give a witness; every violated statement must make the compiled wasm refuse
to compute one. Inactive slots only occur with K or fewer members, so the tests of a real task
with inactive slots run the default variant (K = 4) with 3 and 4 members. A task escrows its
seeds only with three or more active slots, which K = 2 never has, so the escrow's tests run the
default variant with 4 to 6 members, and one real proof of an escrowed chunk closes the module.
"""

from __future__ import annotations

import copy
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from circuit_harness import (
    CHUNK,
    ROOT,
    ROUND,
    SKS,
    TASK,
    CircuitVariant,
    Opening,
    P,
    Proven,
    Statement,
    canonical,
    chunk_values,
    client_task,
    coefficients,
    escrow_index,
    escrow_references,
    honest_statements,
    masked_update_inputs,
    packed_words,
    pair_reference,
    prove,
    py_ecc_verifies,
    reference,
    ring_slots,
    set_up,
    slots_word,
    snarkjs_verifies,
)

from zkfed import masking
from zkfed.secagg import SecaggTask, chunk_inputs, escrow_pad_inputs, share_of

# The member under test: index 1 of 4, so slot 0 is member 2 (sign +1) and slot 1 member 0
# (sign -1), both active: slots = 0b11_01.
N, ME = 4, 1

# Compile every circuit the module uses before its first test: ape's test isolation snapshots
# per scope and warns (and rebases) when a session fixture first appears after a test has run.
pytestmark = pytest.mark.usefixtures("masked_update", "masked_update_default")


@pytest.fixture(scope="module")
def task(masked_update: CircuitVariant) -> SecaggTask:
    return client_task(masked_update, SKS[:N])


@pytest.fixture(scope="module")
def valid(task: SecaggTask, q: list[int]) -> dict[str, Any]:
    """The client's input for member ME."""
    return chunk_inputs(task, ROUND, CHUNK, ME, SKS[ME], q).inputs


@pytest.fixture(scope="module")
def statement(masked_update: CircuitVariant, task: SecaggTask, q: list[int]) -> Statement:
    """The reference model's statement of member ME (the same input as `valid`)."""
    return honest_statements(masked_update, SKS[:N], {ME: q}, bound=task.bound)[ME]


def _shifted(inputs: dict[str, Any], name: str, index: int | None, delta: int) -> dict[str, Any]:
    tampered = copy.deepcopy(inputs)
    if index is None:
        tampered[name] = (tampered[name] + delta) % P
    else:
        tampered[name][index] = (tampered[name][index] + delta) % P
    return tampered


# --- valid inputs ---------------------------------------------------------------------------


def test_valid_input_satisfies_every_constraint(
    masked_update: CircuitVariant, valid: dict[str, Any], tmp_path: Path
) -> None:
    # Prepare
    wtns = tmp_path / "valid.wtns"
    assert valid["slots"] == 0b1101

    # Execute
    (result,) = masked_update.witnesses([valid], [wtns])
    check = subprocess.run(
        ["node_modules/.bin/snarkjs", "wtns", "check", str(masked_update.r1cs), str(wtns)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    # Assert
    assert result["ok"], result.get("error")
    assert check.returncode == 0 and "WITNESS IS CORRECT" in check.stdout, check.stdout


def test_public_signals_follow_the_registry_order(
    masked_update: CircuitVariant, valid: dict[str, Any]
) -> None:
    # Execute
    (result,) = masked_update.witnesses([valid])

    # Assert
    assert [int(v) for v in result["public"]] == masked_update.public_vector(valid)
    assert set(valid) == {*masked_update.public_names, *masked_update.private_names}


@pytest.mark.parametrize(
    ("fixture", "n", "i"),
    [
        ("masked_update", 3, 2),
        ("masked_update", 4, 1),
        ("masked_update", 8, 5),
        ("masked_update_default", 3, 0),
        ("masked_update_default", 4, 3),
        ("masked_update_default", 6, 2),
    ],
)
def test_client_inputs_equal_the_reference_model(
    fixture: str, n: int, i: int, request: pytest.FixtureRequest
) -> None:
    # Prepare
    variant: CircuitVariant = request.getfixturevalue(fixture)
    q = chunk_values(variant.params, 100 * n + i)
    task = client_task(variant, SKS[:n])

    # Execute
    client = chunk_inputs(task, ROUND, CHUNK, i, SKS[i], q)
    (reference,) = masked_update_inputs(
        variant, [honest_statements(variant, SKS[:n], {i: q}, bound=task.bound)[i]]
    )

    # Assert
    assert canonical(client.inputs) == canonical(reference)
    assert client.words == client.inputs["y"]


@pytest.mark.parametrize("k", [2, 4, 6])
def test_client_neighbour_slots_follow_the_design(k: int) -> None:
    # Prepare: the design's examples; n ≤ K leaves inactive slots, n = K + 1 none.
    assert masking.ring_slots(3, 4, 0) == [1, 2, None, None]
    assert masking.ring_slots(4, 4, 0) == [1, 3, 2, None]
    assert masking.ring_slots(5, 4, 0) == [1, 4, 2, 3]
    assert masking.slots_word(0, [1, 2, None, None]) == 0b0011_0011

    for n in range(3, 14):
        slots = {i: masking.ring_slots(n, k, i) for i in range(n)}
        for i in range(n):
            # Execute / Assert: the client agrees with the reference model ...
            assert slots[i] == ring_slots(n, k, i)
            assert masking.slots_word(i, slots[i]) == slots_word(i, slots[i])
            active = [j for j in slots[i] if j is not None]
            # ... and the graph is symmetric, with min(K, n - 1) distinct neighbours in the
            # first slots (the contract counts the active slots, not their positions).
            assert len(set(active)) == len(active) == min(k, n - 1)
            assert [j is not None for j in slots[i]] == [s < min(k, n - 1) for s in range(k)]
            assert all(i in slots[j] for j in active)


def test_every_slots_word_proves_with_its_own_coefficients(
    masked_update: CircuitVariant, statement: Statement
) -> None:
    # Prepare: all 2^(2K + 1) words, with their own escrow (bit 2K: each active seed shared with
    # the other active slot, which the contract never asks of K = 2, but the circuit proves it);
    # an inactive slot carries an unrelated commitment. An escrowed seed without another active
    # slot to hold it cannot be shared, so those words have no proof (the contract escrows only
    # with three or more active slots).
    k = masked_update.params["K"]
    secrets = [o.secret for o in statement.openings]

    def opened(word: int) -> list[Opening]:
        return [
            Opening(secret, c, None if c else 1000 + j)
            for j, (secret, c) in enumerate(zip(secrets, coefficients(word, k), strict=True))
        ]

    words = range(1 << (2 * k + 1))
    statements = [replace(statement, slots=w, openings=opened(w)) for w in words]

    # Execute
    inputs = masked_update_inputs(masked_update, statements)
    accepted = masked_update.accepts(*inputs)

    # Assert
    active = [bin(w >> k & ((1 << k) - 1)).count("1") for w in words]
    assert accepted == [not (w >> (2 * k) and a == 1) for w, a in zip(words, active, strict=True)]
    assert any(any(i["escrow"]) for i in inputs)


@pytest.mark.parametrize(
    ("fixture", "n"),
    [
        ("masked_update", 3),
        ("masked_update", 4),
        ("masked_update", 5),
        ("masked_update_default", 3),
        ("masked_update_default", 4),
        ("masked_update_default", 5),
    ],
)
def test_masks_of_all_members_cancel_in_the_sum(
    fixture: str, n: int, request: pytest.FixtureRequest
) -> None:
    # Prepare: every member's chunk as the client builds it; with n ≤ K some slots are
    # inactive (the active ones make the complete graph), with n > K none is.
    variant: CircuitVariant = request.getfixturevalue(fixture)
    params = variant.params
    task = client_task(variant, SKS[:n])
    qs = [chunk_values(params, 10 * n + i) for i in range(n)]
    chunks = [chunk_inputs(task, ROUND, CHUNK, i, SKS[i], qs[i]) for i in range(n)]
    inactive = sum(j is None for i in range(n) for j in task.slots(i))
    assert (inactive > 0) == (n <= params["K"])

    # Execute
    accepted = variant.accepts(*(c.inputs for c in chunks))

    # Assert
    assert accepted == [True] * n
    words = [packed_words(q, params) for q in qs]
    assert all(c.words != w for c, w in zip(chunks, words, strict=True))  # each y is masked
    for w in range(params["W"]):
        assert sum(c.words[w] for c in chunks) % P == sum(m[w] for m in words) % P


# --- quantised values and the norm ----------------------------------------------------------


@pytest.mark.parametrize("value", ["max_plus_one", "min_minus_one"])
def test_rejects_out_of_range_q(
    masked_update: CircuitVariant, statement: Statement, value: str
) -> None:
    # Prepare: y is recomputed for the bad q, so only the range check can fail.
    half = 1 << (masked_update.params["R"] - 1)
    q = list(statement.q)
    q[5] = half if value == "max_plus_one" else -half - 1
    control = replace(statement, bound=2**63)

    # Execute
    inputs = masked_update_inputs(masked_update, [control, replace(control, q=q)])

    # Assert
    assert masked_update.accepts(*inputs) == [True, False]


def test_norm_must_be_within_a_64_bit_bound(
    masked_update: CircuitVariant, valid: dict[str, Any]
) -> None:
    # Prepare
    norm = sum(v * v for v in valid["q"])
    bounds = [norm, norm - 1, 2**64 - 1, 2**64, P - 1]

    # Execute
    accepted = masked_update.accepts(*({**valid, "bound": b} for b in bounds))

    # Assert
    assert accepted == [True, False, True, False, False]


# --- the masked words and their context -------------------------------------------------------


@pytest.mark.parametrize("delta", [1, -1, P // 2])
def test_rejects_a_wrong_masked_word(
    masked_update: CircuitVariant, valid: dict[str, Any], delta: int
) -> None:
    # Prepare
    tampered = [_shifted(valid, "y", w, delta) for w in range(masked_update.params["W"])]

    # Execute / Assert
    assert masked_update.accepts(*tampered) == [False] * len(tampered)


def test_rejects_words_of_another_chunk_round_or_task(
    masked_update: CircuitVariant, task: SecaggTask, valid: dict[str, Any], q: list[int]
) -> None:
    # Prepare: seeds bind task, round and chunk (and the commitments bind the task).
    other_chunk = chunk_inputs(task, ROUND, CHUNK + 1, ME, SKS[ME], q).inputs
    cases = [
        other_chunk,  # control: a valid input of chunk + 1
        {**valid, "y": other_chunk["y"]},
        {**valid, "chunk": CHUNK + 1},
        {**valid, "round": ROUND + 1},
        {**valid, "task": TASK + 1},
    ]

    # Execute / Assert
    assert masked_update.accepts(*cases) == [True, False, False, False, False]


# --- pair secrets and their commitments ---------------------------------------------------------


@pytest.mark.parametrize("slot", [0, 1])
def test_active_slot_secret_must_open_its_commitment(
    masked_update: CircuitVariant, statement: Statement, valid: dict[str, Any], slot: int
) -> None:
    # Prepare: the secret member ME shares with member 3, who is not its neighbour.
    other = pair_reference(SKS[ME], SKS[3])["secret"]
    honest = statement.openings[slot]
    wrong = list(statement.openings)
    wrong[slot] = Opening(other, honest.coefficient, honest.commitment)
    consistent = list(statement.openings)
    consistent[slot] = Opening(other, honest.coefficient)  # its own commitment
    inputs = masked_update_inputs(
        masked_update,
        [
            replace(statement, openings=consistent),  # control: y and commitment agree
            replace(statement, openings=wrong),  # y matches the other secret only
        ],
    )
    secret_swapped = copy.deepcopy(valid)
    secret_swapped["secrets"][slot] = other  # y and commitment of the honest secret

    # Execute
    accepted = masked_update.accepts(
        *inputs, secret_swapped, _shifted(valid, "commitments", slot, 1)
    )

    # Assert
    assert accepted == [True, False, False, False]


@pytest.mark.parametrize(
    "bit", [0, 1, 2, 3], ids=["sign-slot0", "sign-slot1", "active-slot0", "active-slot1"]
)
def test_rejects_a_flipped_slots_bit(
    masked_update: CircuitVariant, valid: dict[str, Any], bit: int
) -> None:
    # Prepare: both slots are active, so a flipped sign negates a mask and a cleared active
    # bit drops one.
    inputs = {**valid, "slots": valid["slots"] ^ (1 << bit)}

    # Execute / Assert
    assert masked_update.accepts(inputs) == [False]


@pytest.mark.parametrize("extra", [1 << 5, 1 << 6, 1 << 100, P - (1 << 5)])
def test_rejects_a_slots_word_of_more_than_2k_plus_1_bits(
    masked_update: CircuitVariant, valid: dict[str, Any], extra: int
) -> None:
    # Prepare: slots + 2^(2K + 1)·m keeps the low 2K + 1 bits (P - 2^5 is "slots - 32").
    assert extra % P >= 1 << (2 * masked_update.params["K"] + 1)
    inputs = {**valid, "slots": (valid["slots"] + extra) % P}

    # Execute / Assert
    assert masked_update.accepts(inputs) == [False]


# --- inactive slots ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def one_slot_active(statement: Statement) -> Statement:
    """Member ME with slot 1 inactive: slots = active₀ + sign₀ = 0b01_01, no mask for slot 1."""
    first = statement.openings[0]
    return replace(statement, slots=0b0101, openings=[first, Opening(0, 0, 0)])


@pytest.mark.parametrize(
    ("secret", "commitment"),
    [(0, 0), (123, 456), (None, 789), (P - 1, P - 1)],
    ids=["zeros", "arbitrary", "honest-secret", "p-1"],
)
def test_inactive_slot_secret_and_commitment_are_free(
    masked_update: CircuitVariant,
    statement: Statement,
    one_slot_active: Statement,
    secret: int | None,
    commitment: int,
) -> None:
    # Prepare: `None` puts the real pair secret of slot 1 with an unrelated commitment.
    value = statement.openings[1].secret if secret is None else secret
    free = replace(
        one_slot_active, openings=[one_slot_active.openings[0], Opening(value, 0, commitment)]
    )

    # Execute / Assert
    assert masked_update.accepts(*masked_update_inputs(masked_update, [free])) == [True]


@pytest.mark.parametrize("coefficient", [1, -1])
def test_inactive_slot_mask_must_not_be_added(
    masked_update: CircuitVariant, one_slot_active: Statement, coefficient: int
) -> None:
    # Prepare: y carries slot 1's mask although the slot is inactive.
    opening = replace(one_slot_active.openings[1], coefficient=coefficient)
    masked = replace(one_slot_active, openings=[one_slot_active.openings[0], opening])

    # Execute
    inputs = masked_update_inputs(masked_update, [one_slot_active, masked])

    # Assert
    assert masked_update.accepts(*inputs) == [True, False]


def test_inactive_slots_of_a_three_member_task(masked_update_default: CircuitVariant) -> None:
    # Prepare: member 0 of 3 on K = 4: slots [1, 2, -, -], slots = 0b0011_0011.
    params = masked_update_default.params
    k = params["K"]
    q = chunk_values(params, 3)
    task = client_task(masked_update_default, SKS[:3])
    valid: dict[str, Any] = dict(chunk_inputs(task, ROUND, CHUNK, 0, SKS[0], q).inputs)
    assert task.slots(0) == [1, 2, None, None] and valid["slots"] == 0b0011_0011
    (statement,) = honest_statements(
        masked_update_default, SKS[:3], {0: q}, bound=task.bound
    ).values()
    free = copy.deepcopy(valid)
    free["secrets"][2:] = [5, 6]
    free["commitments"][2:] = [7, 8]
    with_mask = replace(
        statement,
        openings=[*statement.openings[:2], Opening(0, 1, 0), statement.openings[3]],
    )
    activated = valid["slots"] | 1 << (k + 2)
    other_pair = pair_reference(SKS[0], SKS[1])  # any secret, to open slot 2's commitment
    opening = Opening(other_pair["secret"], -1)
    cases = [
        valid,
        free,  # inactive secrets and commitments are free
        *masked_update_inputs(
            masked_update_default,
            [
                with_mask,  # slot 2's mask (of its secret 0) added although inactive
                # slot 2 activated with an opened commitment but no mask
                replace(
                    statement,
                    slots=activated,
                    openings=[
                        *statement.openings[:2],
                        replace(opening, coefficient=0),
                        statement.openings[3],
                    ],
                ),
                # ... and with its mask: the circuit accepts a third pair; the contract fixes
                # the public slots word, so no member can add one
                replace(
                    statement,
                    slots=activated,
                    openings=[*statement.openings[:2], opening, statement.openings[3]],
                ),
            ],
        ),
        {**valid, "slots": activated},  # activated, commitment 0 that secret 0 does not open
    ]

    # Execute / Assert
    assert masked_update_default.accepts(*cases) == [True, True, False, False, True, False]


# --- seed escrow --------------------------------------------------------------------------------

# The escrowing member: index 2 of 5 on K = 4, every slot active (slots 3, 1, 4, 0).
EN, EME = 5, 2


def _holders_of(e: int, k: int) -> list[int]:
    """The entries of the seed entry e shares (K - 1 consecutive entries)."""
    first = e // (k - 1) * (k - 1)
    return list(range(first, first + k - 1))


@pytest.fixture(scope="module")
def escrowed_task(masked_update_default: CircuitVariant) -> SecaggTask:
    return client_task(masked_update_default, SKS[:EN])


@pytest.fixture(scope="module")
def escrowed_q(masked_update_default: CircuitVariant) -> list[int]:
    return chunk_values(masked_update_default.params, 0xE5C)


@pytest.fixture(scope="module")
def escrowed(escrowed_task: SecaggTask, escrowed_q: list[int]) -> dict[str, Any]:
    """The client's input for member EME, whose four seeds are escrowed."""
    return dict(chunk_inputs(escrowed_task, ROUND, CHUNK, EME, SKS[EME], escrowed_q).inputs)


@pytest.fixture(scope="module")
def escrowed_statement(
    masked_update_default: CircuitVariant, escrowed_task: SecaggTask, escrowed_q: list[int]
) -> Statement:
    """The reference model's statement of member EME (the same input as `escrowed`)."""
    statements = honest_statements(
        masked_update_default, SKS[:EN], {EME: escrowed_q}, bound=escrowed_task.bound
    )
    return statements[EME]


@pytest.mark.parametrize(
    ("fixture", "n", "on"),
    [
        ("masked_update", 3, False),
        ("masked_update", 8, False),
        ("masked_update_default", 3, False),
        ("masked_update_default", 4, True),
        ("masked_update_default", 5, True),
        ("masked_update_default", 7, True),
    ],
)
def test_escrow_is_on_with_three_or_more_active_slots(
    fixture: str, n: int, on: bool, request: pytest.FixtureRequest
) -> None:
    # Prepare: every member's chunk; active slots are min(K, n - 1).
    variant: CircuitVariant = request.getfixturevalue(fixture)
    k = variant.params["K"]
    task = client_task(variant, SKS[:n])
    chunks = [
        chunk_inputs(task, ROUND, CHUNK, i, SKS[i], chunk_values(variant.params, i))
        for i in range(n)
    ]
    active = min(k, n - 1)

    # Execute
    results = variant.witnesses([c.inputs for c in chunks])

    # Assert: the escrow is the last public signals, K·(K - 1) of them, and a chunk posts one
    # non-zero entry per (active seed, other active holder) exactly when the escrow is on.
    assert task.escrows is on
    for chunk, result in zip(chunks, results, strict=True):
        assert result["ok"], result.get("error")
        assert chunk.inputs["slots"] >> (2 * k) == int(on)
        assert [int(v) for v in result["public"]][-k * (k - 1) :] == chunk.escrow
        assert chunk.inputs["escrow"] == chunk.escrow
        assert sum(1 for x in chunk.escrow if x) == (active * (active - 1) if on else 0)


def test_escrowed_chunk_satisfies_every_constraint(
    masked_update_default: CircuitVariant, escrowed: dict[str, Any], tmp_path: Path
) -> None:
    # Prepare
    wtns = tmp_path / "escrowed.wtns"
    assert escrowed["slots"] == 0b1_1111_0101  # escrow; four active slots; +, -, +, -

    # Execute
    (result,) = masked_update_default.witnesses([escrowed], [wtns])
    check = subprocess.run(
        ["node_modules/.bin/snarkjs", "wtns", "check", str(masked_update_default.r1cs), str(wtns)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    # Assert
    assert result["ok"], result.get("error")
    assert [int(v) for v in result["public"]] == masked_update_default.public_vector(escrowed)
    assert check.returncode == 0 and "WITNESS IS CORRECT" in check.stdout, check.stdout


def test_client_escrow_equals_the_reference_and_opens_to_the_seeds(
    escrowed_task: SecaggTask, escrowed: dict[str, Any], escrowed_statement: Statement
) -> None:
    # Prepare
    k = escrowed_task.neighbors
    slots = escrowed_task.slots(EME)
    (reference,) = escrow_references(k, [escrowed_statement])

    # Execute: each holder opens its pad with its own key, as for `revealShare`.
    opened = {}
    for j, dropped in enumerate(slots):
        for h, holder in enumerate(slots):
            if h != j:
                assert dropped is not None and holder is not None
                pad, inputs = escrow_pad_inputs(
                    escrowed_task, ROUND, CHUNK, SKS[holder], holder, EME, dropped
                )
                opened[escrow_index(k, j, h)] = (pad, inputs["tag"])

    # Assert: the client's entries and shares are the reference's, each holder's pad is the
    # reference pad of its entry, and the opened shares of each seed sum to it.
    assert escrowed["escrow"] == reference.escrow and escrowed["shares"] == reference.shares
    assert {e: pad for e, (pad, _) in opened.items()} == dict(enumerate(reference.pads))
    assert {e: tag for e, (_, tag) in opened.items()} == dict(enumerate(reference.tags))
    for j in range(k):
        entries = [escrow_index(k, j, h) for h in range(k) if h != j]
        shares = [share_of(escrowed["escrow"][e], opened[e][0]) for e in entries]
        assert shares == [reference.shares[e] for e in entries]
        assert sum(shares) % P == reference.seeds[j]


@pytest.mark.parametrize("entry", [0, 4, 8, 11])
def test_rejects_a_share_that_breaks_the_sum_or_its_entry(
    masked_update_default: CircuitVariant, escrowed: dict[str, Any], entry: int
) -> None:
    # Prepare: a share moved by 1 alone, with its entry, or with its entry and the opposite move
    # at another holder of the same seed (another sharing of it: the circuit lets the member
    # choose, so that one proves).
    k = masked_update_default.params["K"]
    other = next(e for e in _holders_of(entry, k) if e != entry)
    share_only = _shifted(escrowed, "shares", entry, 1)
    with_entry = _shifted(share_only, "escrow", entry, 1)
    entry_only = _shifted(escrowed, "escrow", entry, 1)
    moved = _shifted(_shifted(with_entry, "shares", other, -1), "escrow", other, -1)

    # Execute
    accepted = masked_update_default.accepts(escrowed, share_only, with_entry, entry_only, moved)

    # Assert
    assert accepted == [True, False, False, False, True]


@pytest.mark.parametrize("entry", [1, 6, 10])
def test_rejects_an_entry_under_another_pad(
    masked_update_default: CircuitVariant,
    escrowed: dict[str, Any],
    escrowed_statement: Statement,
    entry: int,
) -> None:
    # Prepare: the entry's share under the pad of the other direction of the pair (sign bit
    # flipped), of another entry's tag, of the seed's own secret instead of the holder's, and
    # of the next round.
    k = masked_update_default.params["K"]
    (ref,) = escrow_references(k, [escrowed_statement])
    e_count = k * (k - 1)
    j, h = divmod(entry, k - 1)
    h += 1 if h >= j else 0
    secrets = [o.secret for o in escrowed_statement.openings]
    tag = ref.tags[entry]
    context = [TASK, ROUND, CHUNK]
    wrong = [
        [secrets[h], *context, (tag - 1 + e_count) % (2 * e_count) + 1],
        [secrets[h], *context, ref.tags[(entry + 1) % e_count]],
        [secrets[j], *context, tag],
        [secrets[h], TASK, ROUND + 1, CHUNK, tag],
    ]
    pads = [int(p) for p in reference([{"op": "poseidon", "inputs": x} for x in wrong])]
    honest = [secrets[h], *context, tag]
    (honest_pad,) = [int(p) for p in reference([{"op": "poseidon", "inputs": honest}])]
    cases = []
    for pad in pads:
        tampered = copy.deepcopy(escrowed)
        tampered["escrow"][entry] = (ref.shares[entry] + pad) % P
        cases.append(tampered)

    # Execute
    accepted = masked_update_default.accepts(escrowed, *cases)

    # Assert
    assert (
        honest_pad == ref.pads[entry]
        and (escrowed["escrow"][entry] - honest_pad) % P == (escrowed["shares"][entry])
    )
    assert accepted == [True] + [False] * len(cases)


@pytest.mark.parametrize(
    ("fixture", "n", "i"),
    [("masked_update", 4, 1), ("masked_update_default", 3, 0), ("masked_update_default", 4, 1)],
    ids=["K2-off", "K4-off", "K4-on-with-an-inactive-slot"],
)
def test_an_entry_that_is_not_on_must_be_zero_and_its_share_is_free(
    fixture: str, n: int, i: int, request: pytest.FixtureRequest
) -> None:
    # Prepare: entries not on are those of a task that does not escrow, and, with 4 members on
    # K = 4, those of the inactive slot 3 as seed or holder.
    variant: CircuitVariant = request.getfixturevalue(fixture)
    k = variant.params["K"]
    task = client_task(variant, SKS[:n])
    inputs = dict(
        chunk_inputs(task, ROUND, CHUNK, i, SKS[i], chunk_values(variant.params, n)).inputs
    )
    escrow = list(inputs["escrow"])
    off = [e for e, x in enumerate(escrow) if x == 0]
    active = min(k, n - 1)
    free = {
        **inputs,
        "shares": [s if escrow[e] else 1000 + e for e, s in enumerate(inputs["shares"])],
    }
    posted = [_shifted(inputs, "escrow", e, 1) for e in off]

    # Execute
    accepted = variant.accepts(inputs, free, *posted)

    # Assert
    assert len(off) == (k * (k - 1) - active * (active - 1) if task.escrows else k * (k - 1))
    assert accepted == [True, True] + [False] * len(off)


def test_the_escrow_bit_decides_whether_seeds_are_escrowed(
    masked_update_default: CircuitVariant, escrowed: dict[str, Any], escrowed_statement: Statement
) -> None:
    # Prepare
    k = masked_update_default.params["K"]
    (ref,) = escrow_references(k, [escrowed_statement])
    bit = 1 << (2 * k)
    zeros = [0] * (k * (k - 1))
    cleared = {**escrowed, "slots": escrowed["slots"] ^ bit}
    cases = [
        cleared,  # entries posted although the bit is off
        {**escrowed, "escrow": zeros},  # the bit is on and nothing is escrowed
        {**escrowed, "escrow": ref.pads, "shares": zeros},  # pads of shares that sum to 0
        # Off with no entries proves: the contract, not the member, supplies `slots`.
        {**cleared, "escrow": zeros},
    ]

    # Execute / Assert
    assert masked_update_default.accepts(*cases) == [False, False, False, True]


# --- Groth16: an escrowed chunk ---------------------------------------------------------------


@pytest.fixture(scope="module")
def proven_escrow(
    masked_update_default: CircuitVariant,
    escrowed: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Proven:
    """One snarkjs proof of member EME's escrowed chunk on the default variant."""
    set_up(masked_update_default)
    return prove(masked_update_default, escrowed, tmp_path_factory.mktemp("escrowed"))


def test_escrowed_chunk_proof_verifies_for_its_escrow_only(proven_escrow: Proven) -> None:
    # Prepare
    variant, public = proven_escrow.variant, proven_escrow.public_signals
    k = variant.params["K"]
    tampered = []
    for position in (-k * (k - 1), -1):
        changed = list(public)
        changed[position] = (changed[position] + 1) % P
        tampered.append(changed)

    # Execute / Assert: escrow is last, and no entry can be changed after proving.
    assert public == variant.public_vector(proven_escrow.inputs)
    assert public[-k * (k - 1) :] == proven_escrow.inputs["escrow"]
    assert snarkjs_verifies(variant, public, proven_escrow.proof)
    assert py_ecc_verifies(variant, public, proven_escrow.proof)
    for changed in tampered:
        assert not snarkjs_verifies(variant, changed, proven_escrow.proof)
        assert not py_ecc_verifies(variant, changed, proven_escrow.proof)
