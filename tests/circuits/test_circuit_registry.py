"""circuits.json against the circuits' design, the compiled circuits and the committed keys."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from circuit_harness import REGISTRY, ROOT, CircuitVariant

from zkfed.circuits import (
    DEFAULT_VARIANT,
    ESCROW_PAD,
    TEST_VARIANT,
    load_circuit,
    mask_reveal_circuit,
    seed_mask_circuit,
)

# Inputs of each template in declaration order: public (snarkjs order), then private.
DESIGN = {
    "MaskedUpdate": (
        ["task", "round", "chunk", "commitments", "slots", "bound", "y", "escrow"],
        ["secrets", "q", "shares"],
    ),
    "PairCommit": (["task", "pk", "neighbor", "commitment"], ["sk"]),
    "KeyPossession": (["pk", "binding"], ["sk"]),
    "MaskReveal": (["task", "round", "chunk", "commitment", "mask"], ["secret"]),
    "EscrowPad": (["task", "round", "chunk", "commitment", "tag", "pad"], ["secret"]),
    "SeedMask": (["seed", "mask"], []),
}
VARIANTS = sorted(REGISTRY["variants"])
COMPILED = {
    "masked_update_test": "masked_update",
    "masked_update_default": "masked_update_default",
    "pair_commit": "pair_commit",
    "key_possession": "key_possession",
    "mask_reveal_test": "mask_reveal",
    "mask_reveal_default": "mask_reveal_default",
    "escrow_pad": "escrow_pad",
    "seed_mask_test": "seed_mask",
    "seed_mask_default": "seed_mask_default",
}


def _lengths(params: dict[str, int]) -> dict[str, int]:
    k, w, lanes = params.get("K", 0), params.get("W", 0), params.get("L", 0)
    scalars = [
        "task",
        "round",
        "chunk",
        "commitment",
        "slots",
        "bound",
        "seed",
        "secret",
        "sk",
        "binding",
        "tag",
        "pad",
    ]
    return {name: 1 for name in scalars} | {
        "pk": 2,
        "neighbor": 2,
        "commitments": k,
        "y": w,
        "mask": w,
        "secrets": k,
        "q": w * lanes,
        "escrow": k * (k - 1),
        "shares": k * (k - 1),
    }


def _expand(signals: list[dict[str, Any]]) -> list[str]:
    names = []
    for signal in signals:
        name, shape = signal["name"], signal["shape"]
        names += [f"{name}[{i}]" for i in range(shape[0])] if shape else [name]
    return names


def test_registry_holds_the_nine_variants() -> None:
    assert sorted(COMPILED) == VARIANTS
    assert {v["template"] for v in REGISTRY["variants"].values()} == set(DESIGN)


@pytest.mark.parametrize("name", VARIANTS)
def test_signal_names_follow_the_design(name: str) -> None:
    # Prepare
    variant = CircuitVariant(name)
    public, private = DESIGN[variant.spec["template"]]

    # Assert
    assert variant.public_names == public
    assert variant.private_names == private


@pytest.mark.parametrize("name", VARIANTS)
def test_signal_lengths_follow_the_parameters(name: str) -> None:
    # Prepare
    variant = CircuitVariant(name)
    expected = _lengths(variant.params)

    # Assert
    for signal in variant.spec["publicSignals"] + variant.spec["privateInputs"]:
        assert signal["length"] == expected[signal["name"]], signal
        assert [signal["length"]] == (signal["shape"] or [1]), signal


def test_variant_parameters_follow_the_design() -> None:
    # Prepare
    variants = REGISTRY["variants"]

    # Assert: the default chunk holds 1,344 parameters behind 85 public signals (73 and the
    # K·(K - 1) = 12 escrow entries).
    assert variants["masked_update_default"]["parameters"] == {
        "W": 64,
        "L": 21,
        "B": 12,
        "R": 8,
        "K": 4,
    }
    assert variants["masked_update_test"]["parameters"] == {
        "W": 2,
        "L": 15,
        "B": 16,
        "R": 12,
        "K": 2,
    }
    default = CircuitVariant("masked_update_default")
    assert default.params["W"] * default.params["L"] == 1344
    assert default.public_count == 85
    for params in (v["parameters"] for v in variants.values() if "K" in v["parameters"]):
        assert params["R"] <= params["B"] and params["L"] * params["B"] <= 252
        assert params["K"] >= 2 and params["K"] % 2 == 0


@pytest.mark.parametrize("name", VARIANTS)
def test_derived_facts_are_consistent(name: str) -> None:
    # Prepare
    derived = CircuitVariant(name).spec["derived"]

    # Assert: snarkjs needs a domain larger than constraints + public signals.
    total = derived["constraints"] + derived["publicSignalCount"]
    assert 2 ** (derived["ptauPower"] - 1) <= total < 2 ** derived["ptauPower"]
    assert derived["publicSignalCount"] == CircuitVariant(name).public_count


def test_default_variant_fits_two_to_the_fifteen() -> None:
    assert REGISTRY["variants"]["masked_update_default"]["derived"]["ptauPower"] <= 15


def test_mask_reveal_test_is_small_enough_for_a_quick_ceremony() -> None:
    # The ceremony suite runs on mask_reveal_test: without the ECDH it is a few Poseidons.
    assert REGISTRY["variants"]["mask_reveal_test"]["derived"]["constraints"] < 1500


@pytest.mark.parametrize(
    "name",
    [
        "key_possession",
        "mask_reveal_test",
        "mask_reveal_default",
        "escrow_pad",
        "seed_mask_test",
        "seed_mask_default",
    ],
)
def test_reveal_and_registration_circuits_fit_the_committed_ptau(name: str) -> None:
    # So a fresh clone sets them up, and `check` rebuilds them, without a ceremony.
    assert REGISTRY["variants"][name]["derived"]["ptauPower"] <= REGISTRY["committedPtauPower"]


@pytest.mark.parametrize("name", [DEFAULT_VARIANT, TEST_VARIANT])
def test_each_masked_update_variant_has_one_mask_reveal_of_its_width(name: str) -> None:
    # Prepare
    words = CircuitVariant(name).params["W"]
    reveals = [n for n, v in REGISTRY["variants"].items() if v["template"] == "MaskReveal"]

    # Execute
    found = mask_reveal_circuit(words, ROOT)

    # Assert: a reveal carries exactly the W words a chunk proof added, and no other variant
    # has that W, so the client's choice by W is unambiguous.
    assert found.parameters == {"W": words}
    assert [n for n in reveals if CircuitVariant(n).params["W"] == words] == [found.name]


@pytest.mark.parametrize("name", [DEFAULT_VARIANT, TEST_VARIANT])
def test_each_masked_update_variant_has_one_seed_mask_of_its_width(name: str) -> None:
    # Prepare
    words = CircuitVariant(name).params["W"]
    masks = [n for n, v in REGISTRY["variants"].items() if v["template"] == "SeedMask"]

    # Execute
    found = seed_mask_circuit(words, ROOT)

    # Assert: a recovered seed's mask is the W words a chunk proof added, one variant per W.
    assert found.parameters == {"W": words}
    assert [n for n in masks if CircuitVariant(n).params["W"] == words] == [found.name]


def test_escrow_pad_is_one_variant_for_every_masked_update_variant() -> None:
    # Prepare
    pads = [n for n, v in REGISTRY["variants"].items() if v["template"] == "EscrowPad"]

    # Execute
    found = load_circuit(ESCROW_PAD, ROOT)

    # Assert
    assert pads == [found.name] == [ESCROW_PAD]
    assert found.verifier_contract == "EscrowPadVerifier"


@pytest.mark.parametrize("name", VARIANTS)
def test_committed_keys_are_labelled_insecure(name: str) -> None:
    # Prepare
    variant = CircuitVariant(name)
    vkey = json.loads(variant.vkey.read_text())
    verifier = (ROOT / variant.spec["derived"]["artifacts"]["verifier"]).read_text()

    # Assert
    assert "INSECURE" in vkey["zkfed"]["setup"]
    assert vkey["nPublic"] == variant.public_count
    assert "INSECURE DEVELOPMENT SETUP" in verifier.split("pragma solidity")[0]
    assert f"contract {variant.spec['verifier']} {{" in verifier


@pytest.mark.parametrize("name", VARIANTS)
def test_compiled_circuit_matches_the_registry(name: str, request: pytest.FixtureRequest) -> None:
    # Prepare: the fixtures compile (tools/circuits.py also checks the .sym public order).
    variant: CircuitVariant = request.getfixturevalue(COMPILED[name])
    derived = variant.spec["derived"]
    inputs = _expand(variant.spec["publicSignals"]) + _expand(variant.spec["privateInputs"])

    # Execute
    r1cs = variant.r1cs.read_bytes()
    labels = {}
    for line in variant.build.joinpath(f"{name}.sym").read_text().splitlines():
        label, _wire, _component, signal = line.split(",", 3)
        labels[int(label)] = signal

    # Assert: the committed keys were made from exactly this constraint system, whose first
    # signals are the registry's inputs, public then private, in order.
    assert hashlib.sha256(r1cs).hexdigest() == derived["r1csSha256"]
    assert [labels[i] for i in range(1, len(inputs) + 1)] == [f"main.{n}" for n in inputs]
