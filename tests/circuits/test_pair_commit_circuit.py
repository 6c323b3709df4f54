"""Witness-level tests of PairCommit: a member's joining commitment to one pair secret."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from circuit_harness import (
    CHUNK,
    IDENTITY,
    ROOT,
    ROUND,
    SKS,
    SUBGROUP_ORDER,
    TASK,
    CircuitVariant,
    P,
    canonical,
    chunk_values,
    client_task,
    commitment,
    pair_commit_inputs,
    public_key,
)

from zkfed.secagg import SecaggTask, chunk_inputs, join_inputs

# A 5-member task on K = 2: member 0's slots are members 1 and 4.
N = 5


@pytest.fixture(scope="module")
def task(masked_update: CircuitVariant) -> SecaggTask:
    return client_task(masked_update, SKS[:N])


@pytest.fixture(scope="module")
def valid(task: SecaggTask) -> dict[str, Any]:
    """Member 0's commitment for its slot-0 neighbour (member 1), as the client builds it."""
    (commitment, inputs), _ = join_inputs(task, 0, SKS[0])
    assert inputs["commitment"] == commitment
    return dict(inputs)


def test_honest_commitment_satisfies_every_constraint(
    pair_commit: CircuitVariant, valid: dict[str, Any], tmp_path: Path
) -> None:
    # Prepare
    wtns = tmp_path / "valid.wtns"

    # Execute
    (result,) = pair_commit.witnesses([valid], [wtns])
    check = subprocess.run(
        ["node_modules/.bin/snarkjs", "wtns", "check", str(pair_commit.r1cs), str(wtns)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    # Assert
    assert result["ok"], result.get("error")
    assert [int(v) for v in result["public"]] == pair_commit.public_vector(valid)
    assert set(valid) == {*pair_commit.public_names, *pair_commit.private_names}
    assert check.returncode == 0 and "WITNESS IS CORRECT" in check.stdout, check.stdout


@pytest.mark.parametrize(
    ("fixture", "n", "i"),
    [
        ("masked_update", 5, 0),
        ("masked_update_default", 3, 2),
        ("masked_update_default", 4, 1),
        ("masked_update_default", 6, 5),
    ],
)
def test_client_joins_with_the_reference_commitments_of_its_active_slots(
    fixture: str, n: int, i: int, request: pytest.FixtureRequest
) -> None:
    # Prepare
    variant: CircuitVariant = request.getfixturevalue(fixture)
    task = client_task(variant, SKS[:n])
    active = [j for j in task.slots(i) if j is not None]

    # Execute
    joined = join_inputs(task, i, SKS[i])
    chunk = chunk_inputs(task, ROUND, CHUNK, i, SKS[i], chunk_values(variant.params, n)).inputs

    # Assert: one proof per active slot, in slot order, and the per-chunk proof opens exactly
    # these commitments (0 in an inactive slot).
    reference = pair_commit_inputs([(SKS[i], SKS[j]) for j in active])
    assert [canonical(inputs) for _, inputs in joined] == [canonical(r) for r in reference]
    assert chunk["commitments"] == [
        0 if j is None else joined[active.index(j)][0] for j in task.slots(i)
    ]


def test_both_members_of_a_pair_commit_to_the_same_value(
    pair_commit: CircuitVariant, task: SecaggTask
) -> None:
    # Prepare: member 1's slot 1 is member 0 (offset -1).
    assert task.slots(1)[1] == 0
    (_, mine), _ = join_inputs(task, 0, SKS[0])
    _, (_, theirs) = join_inputs(task, 1, SKS[1])

    # Execute
    results = pair_commit.witnesses([mine, theirs])

    # Assert
    assert [r["ok"] for r in results] == [True, True]
    assert mine["commitment"] == theirs["commitment"]
    assert (mine["pk"], mine["neighbor"]) == (theirs["neighbor"], theirs["pk"])


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("sk", SKS[2]),
        ("pk", "other"),
        ("neighbor", "other"),
        ("neighbor", "self"),
        ("task", TASK + 1),
        ("commitment", "plus_one"),
    ],
    ids=["sk", "pk", "neighbor", "neighbor-is-self", "task", "commitment"],
)
def test_rejects_tampered_commitment(
    pair_commit: CircuitVariant, valid: dict[str, Any], name: str, value: Any
) -> None:
    # Prepare
    if value == "other":
        value = list(public_key(0xC0FFEE))
    elif value == "self":
        value = list(valid["pk"])
    elif value == "plus_one":
        value = (valid[name] + 1) % P
    inputs = {**valid, name: value}

    # Execute / Assert
    assert pair_commit.accepts(inputs) == [False]


def test_secret_key_plus_subgroup_order_proves_the_same_statement(
    pair_commit: CircuitVariant, valid: dict[str, Any]
) -> None:
    # Documented in circuits/lib/keys.circom: sk + l < 2^251 passes, with the same pk and the
    # same pair secret (l·pk_j = O), hence the same public signals.
    # Prepare
    assert valid["sk"] + SUBGROUP_ORDER < 1 << 251
    inputs = {**valid, "sk": valid["sk"] + SUBGROUP_ORDER}

    # Execute
    (result,) = pair_commit.witnesses([inputs])

    # Assert
    assert result["ok"], result.get("error")
    assert [int(v) for v in result["public"]] == pair_commit.public_vector(valid)


def test_rejects_secret_key_of_more_than_251_bits(
    pair_commit: CircuitVariant, valid: dict[str, Any]
) -> None:
    # Prepare: sk + 2^251 no longer fits the key's bit decomposition (and is another scalar).
    inputs = {**valid, "sk": valid["sk"] + (1 << 251)}

    # Execute / Assert
    assert pair_commit.accepts(inputs) == [False]


def test_rejects_zero_secret_key(pair_commit: CircuitVariant, valid: dict[str, Any]) -> None:
    # Prepare: sk = 0 with the identity as "public key", and the commitment it would give
    # (0·pk_j = O, so the secret is O.x = 0).
    inputs = {**valid, "sk": 0, "pk": list(IDENTITY), "commitment": commitment(0, TASK)}

    # Execute / Assert
    assert pair_commit.accepts(inputs) == [False]
