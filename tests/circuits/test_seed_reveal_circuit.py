"""Witness-level tests of SeedReveal."""

from __future__ import annotations

from typing import Any

import pytest
from circuit_harness import CircuitVariant, P, public_key, seed_reveal_input


@pytest.fixture(scope="module")
def valid() -> dict[str, Any]:
    return seed_reveal_input(sk=0xA11CE, neighbor_sk=0xB0B)


def test_valid_reveal_gives_a_witness_with_public_signals_in_order(
    seed_reveal: CircuitVariant, valid: dict[str, Any]
) -> None:
    # Execute
    (result,) = seed_reveal.witnesses([valid])

    # Assert
    assert result["ok"], result.get("error")
    assert [int(v) for v in result["public"]] == seed_reveal.public_vector(valid)


def test_seed_is_symmetric_in_the_pair(seed_reveal: CircuitVariant) -> None:
    # Prepare: ECDH(sk_a, pk_b) = ECDH(sk_b, pk_a), so both members reveal the same seed.
    a = seed_reveal_input(sk=0xA11CE, neighbor_sk=0xB0B)
    b = seed_reveal_input(sk=0xB0B, neighbor_sk=0xA11CE)

    # Execute / Assert
    assert a["seed"] == b["seed"]
    assert [r["ok"] for r in seed_reveal.witnesses([a, b])] == [True, True]


@pytest.mark.parametrize(
    "tamper",
    [
        {"seed": "plus_one"},
        {"pk": "other"},
        {"neighbor": "other"},
        {"chunk": "plus_one"},
        {"task": "plus_one"},
        {"round": "plus_one"},
    ],
    ids=["seed", "pk", "neighbor", "chunk", "task", "round"],
)
def test_rejects_tampered_reveal(
    seed_reveal: CircuitVariant, valid: dict[str, Any], tamper: dict[str, str]
) -> None:
    # Prepare
    ((name, how),) = tamper.items()
    value = (valid[name] + 1) % P if how == "plus_one" else list(public_key(0xC0FFEE))
    inputs = {**valid, name: value}

    # Execute / Assert
    assert [r["ok"] for r in seed_reveal.witnesses([inputs])] == [False]
