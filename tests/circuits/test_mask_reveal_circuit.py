"""MaskReveal: a member reveals the W mask words it shares with a dropped neighbour for one chunk.

The words must be exactly those its chunk proof added, PRG(Poseidon4(secret, task, round,
chunk), w), for the secret the pair committed to when it joined; the seed itself stays private.
`task` is the task's domain, a full field element the contract computes, so the suites use a
large one (p - 5) beside the small context of the other suites.
"""

from __future__ import annotations

import copy
import subprocess
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
    P,
    Proven,
    canonical,
    chunk_values,
    client_task,
    honest_statements,
    mask_reveal_input,
    mask_reveal_inputs,
    masked_update_inputs,
    packed_words,
    pair_reference,
    prove,
    py_ecc_verifies,
    ring_slots,
    set_up,
    snarkjs_verifies,
)

from zkfed.secagg import mask_reveal_inputs as client_mask_reveal

# A task domain near the top of the field, as keccak-derived domains are.
DOMAIN = P - 5
TASKS = [TASK, DOMAIN]

# Compile every circuit the module uses before its first test: ape's test isolation snapshots
# per scope and warns (and rebases) when a session fixture first appears after a test has run.
pytestmark = pytest.mark.usefixtures("mask_reveal", "mask_reveal_default", "masked_update")


@pytest.fixture(scope="module")
def secret() -> int:
    """The pair secret of members 0 and 1."""
    return pair_reference(SKS[0], SKS[1])["secret"]


@pytest.fixture(scope="module")
def valid(mask_reveal: CircuitVariant, secret: int) -> dict[str, Any]:
    """The reveal of the pair's two mask words under the large task domain."""
    return mask_reveal_input(secret, mask_reveal.params["W"], DOMAIN)


# --- witness ------------------------------------------------------------------------------------


@pytest.mark.parametrize("task", TASKS, ids=["small-task", "large-task"])
@pytest.mark.parametrize("fixture", ["mask_reveal", "mask_reveal_default"])
def test_valid_reveal_satisfies_every_constraint_with_public_signals_in_order(
    fixture: str, task: int, secret: int, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # Prepare
    variant: CircuitVariant = request.getfixturevalue(fixture)
    inputs = mask_reveal_input(secret, variant.params["W"], task)
    wtns = tmp_path / "valid.wtns"

    # Execute
    (result,) = variant.witnesses([inputs], [wtns])
    check = subprocess.run(
        ["node_modules/.bin/snarkjs", "wtns", "check", str(variant.r1cs), str(wtns)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    # Assert: task, round, chunk, commitment, mask[0..W-1].
    expected = [task, ROUND, CHUNK, inputs["commitment"], *inputs["mask"]]
    assert result["ok"], result.get("error")
    assert [int(v) for v in result["public"]] == variant.public_vector(inputs) == expected
    assert set(inputs) == {*variant.public_names, *variant.private_names}
    assert check.returncode == 0 and "WITNESS IS CORRECT" in check.stdout, check.stdout


@pytest.mark.parametrize("task", TASKS, ids=["small-task", "large-task"])
def test_client_reveal_equals_the_reference_model(secret: int, task: int) -> None:
    # Prepare: member 0 of a 4-member task on the default variant (W = 64, four PRG blocks)
    # reveals the words it shares with member 1.
    variant = CircuitVariant("masked_update_default")
    client = client_task(variant, SKS[:4], domain=task)

    # Execute
    masks, inputs = client_mask_reveal(client, ROUND + 2, CHUNK + 5, SKS[0], 1)

    # Assert
    reference = mask_reveal_input(secret, variant.params["W"], task, ROUND + 2, CHUNK + 5)
    assert canonical(inputs) == canonical(reference)
    assert masks == reference["mask"]
    assert reference["commitment"] == pair_reference(SKS[0], SKS[1], task)["commitment"]


def test_both_members_of_a_pair_reveal_the_same_statement(mask_reveal: CircuitVariant) -> None:
    # Prepare: ECDH(sk_a, pk_b) = ECDH(sk_b, pk_a), so both open the same secret and words.
    client = client_task(CircuitVariant("masked_update_test"), SKS[:4], domain=DOMAIN)
    _, a = client_mask_reveal(client, ROUND, CHUNK, SKS[0], 1)
    _, b = client_mask_reveal(client, ROUND, CHUNK, SKS[1], 0)

    # Execute / Assert
    assert canonical(a) == canonical(b)
    assert mask_reveal.accepts(a, b) == [True, True]


@pytest.mark.parametrize(
    ("name", "index"),
    [
        ("task", None),
        ("round", None),
        ("chunk", None),
        ("commitment", None),
        ("mask", 0),
        ("mask", 1),
        ("secret", None),
    ],
    ids=["task", "round", "chunk", "commitment", "mask-0", "mask-1", "secret"],
)
@pytest.mark.parametrize("delta", [1, -1])
def test_rejects_tampered_reveal(
    mask_reveal: CircuitVariant,
    valid: dict[str, Any],
    name: str,
    index: int | None,
    delta: int,
) -> None:
    # Prepare: task p - 5 + 1 and p - 5 - 1 stay field elements; -1 of round 3 is 2.
    inputs = copy.deepcopy(valid)
    if index is None:
        inputs[name] = (inputs[name] + delta) % P
    else:
        inputs[name][index] = (inputs[name][index] + delta) % P

    # Execute / Assert
    assert mask_reveal.accepts(inputs) == [False]


@pytest.mark.parametrize("index", [0, 15, 16, 47, 63])
def test_default_variant_rejects_any_wrong_mask_word(
    mask_reveal_default: CircuitVariant, secret: int, index: int
) -> None:
    # Prepare: words of the first and last of the four PRG blocks, and at a block boundary.
    inputs = mask_reveal_input(secret, mask_reveal_default.params["W"], DOMAIN)
    inputs["mask"][index] = (inputs["mask"][index] + 1) % P

    # Execute / Assert
    assert mask_reveal_default.accepts(inputs) == [False]


@pytest.mark.parametrize(
    ("task", "round_index", "chunk"),
    [(DOMAIN, ROUND + 1, CHUNK), (DOMAIN, ROUND, CHUNK + 1), (TASK, ROUND, CHUNK)],
    ids=["next-round", "next-chunk", "other-task"],
)
def test_rejects_masks_of_another_context_under_this_one(
    mask_reveal: CircuitVariant,
    valid: dict[str, Any],
    secret: int,
    task: int,
    round_index: int,
    chunk: int,
) -> None:
    # Prepare: the pair's honest words of another round, chunk or task prove that context; with
    # this context (and this context's commitment) they do not.
    other = mask_reveal_input(secret, mask_reveal.params["W"], task, round_index, chunk)
    stale = {**valid, "mask": other["mask"]}

    # Execute / Assert
    assert mask_reveal.accepts(other, stale) == [True, False]


def test_rejects_the_masks_of_another_pair_under_this_commitment(
    mask_reveal: CircuitVariant, valid: dict[str, Any]
) -> None:
    # Prepare: members 0 and 2 share another secret: its own commitment and words prove; its
    # words and secret under the commitment of the pair (0, 1) do not.
    other_secret = pair_reference(SKS[0], SKS[2])["secret"]
    consistent = mask_reveal_input(other_secret, mask_reveal.params["W"], DOMAIN)
    swapped = {**consistent, "commitment": valid["commitment"]}
    mask_only = {**valid, "mask": consistent["mask"]}

    # Execute / Assert
    assert mask_reveal.accepts(consistent, swapped, mask_only) == [True, False, False]


def test_revealed_masks_remove_the_masks_of_a_dropped_member(
    masked_update: CircuitVariant, mask_reveal: CircuitVariant
) -> None:
    """A dropped member's masks cancel from the accumulator with the revealed words alone.

    Member 3 of a 4-member task (K = 2) drops out; 0, 1 and 2 submit their chunks. The dropped
    member's ring neighbours 0 and 2 each reveal the words of the pair they share with it; the
    contract subtracts each word with the sign the contributor's chunk gave it (+1 when the
    contributor's index is the smaller) and is left with the exact sum of the packed words.
    """
    # Prepare
    params = masked_update.params
    members, dropped = SKS[:4], 3
    contributors = [0, 1, 2]
    qs = {i: chunk_values(params, 100 + i) for i in contributors}
    statements = honest_statements(masked_update, members, qs, task=DOMAIN)
    chunks = masked_update_inputs(masked_update, [statements[i] for i in contributors])
    neighbours = [i for i in contributors if (i + 1) % 4 == dropped or (i - 1) % 4 == dropped]
    assert neighbours == [0, 2]
    secrets = [pair_reference(members[i], members[dropped], DOMAIN)["secret"] for i in neighbours]
    reveals = mask_reveal_inputs(secrets, params["W"], DOMAIN)

    # Execute
    accumulator = [sum(c["y"][w] for c in chunks) % P for w in range(params["W"])]
    for i, reveal in zip(neighbours, reveals, strict=True):
        sign = 1 if i < dropped else -1
        accumulator = [(a - sign * m) % P for a, m in zip(accumulator, reveal["mask"], strict=True)]

    # Assert
    assert masked_update.accepts(*chunks) == [True] * len(contributors)
    assert mask_reveal.accepts(*reveals) == [True] * len(neighbours)
    # Each reveal opens the commitment the contributor's chunk opened for the dropped member.
    slots = {i: ring_slots(len(members), params["K"], i).index(dropped) for i in neighbours}
    assert [r["commitment"] for r in reveals] == [
        chunks[i]["commitments"][slots[i]] for i in neighbours
    ]
    assert accumulator == [
        sum(packed_words(qs[i], params)[w] for i in contributors) % P for w in range(params["W"])
    ]


# --- Groth16 ------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["mask_reveal", "mask_reveal_default"])
def proven(
    request: pytest.FixtureRequest, secret: int, tmp_path_factory: pytest.TempPathFactory
) -> Proven:
    """One snarkjs proof per variant of the pair's reveal under the large task domain."""
    variant: CircuitVariant = request.getfixturevalue(request.param)
    set_up(variant)
    inputs = mask_reveal_input(secret, variant.params["W"], DOMAIN)
    return prove(variant, inputs, tmp_path_factory.mktemp(variant.name))


def test_proof_verifies_in_snarkjs_and_py_ecc(proven: Proven) -> None:
    # Prepare
    variant = proven.variant
    public = proven.public_signals

    # Execute
    by_snarkjs = snarkjs_verifies(variant, public, proven.proof)
    by_py_ecc = py_ecc_verifies(variant, public, proven.proof)

    # Assert
    assert public == variant.public_vector(proven.inputs)
    assert public[:4] == [DOMAIN, ROUND, CHUNK, proven.inputs["commitment"]]
    assert by_snarkjs and by_py_ecc


@pytest.mark.parametrize(
    "position", [0, 1, 2, 3, -1], ids=["task", "round", "chunk", "commitment", "last-mask-word"]
)
def test_proof_does_not_verify_for_other_public_signals(proven: Proven, position: int) -> None:
    # Prepare
    public = proven.public_signals
    public[position] = (public[position] + 1) % P

    # Execute / Assert
    assert not snarkjs_verifies(proven.variant, public, proven.proof)
    assert not py_ecc_verifies(proven.variant, public, proven.proof)
