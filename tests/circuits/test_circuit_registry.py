"""circuits.json against circuits/README.md, the compiled circuits and the committed keys."""

from __future__ import annotations

import hashlib
import json

import pytest
from circuit_harness import REGISTRY, ROOT, CircuitVariant

README_ORDER = {
    "MaskedUpdate": ["task", "round", "chunk", "pk", "neighbors", "signs", "bound", "y"],
    "SeedReveal": ["task", "round", "chunk", "pk", "neighbor", "seed"],
}
VARIANTS = sorted(REGISTRY["variants"])


@pytest.mark.parametrize("name", VARIANTS)
def test_public_signal_names_follow_the_readme(name: str) -> None:
    # Prepare
    variant = CircuitVariant(name)

    # Assert
    assert variant.public_names == README_ORDER[variant.spec["template"]]


@pytest.mark.parametrize("name", VARIANTS)
def test_public_signal_lengths_follow_the_parameters(name: str) -> None:
    # Prepare
    variant = CircuitVariant(name)
    params = variant.params
    expected = {"task": 1, "round": 1, "chunk": 1, "pk": 2, "signs": 1, "bound": 1, "seed": 1}
    expected |= {"neighbor": 2, "neighbors": 2 * params.get("K", 0), "y": params.get("W", 0)}

    # Assert
    for signal in variant.spec["publicSignals"]:
        assert signal["length"] == expected[signal["name"]], signal


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


@pytest.mark.parametrize("name", ["masked_update_test", "seed_reveal"])
def test_compiled_circuit_matches_the_registry(name: str, request: pytest.FixtureRequest) -> None:
    # Prepare: the fixtures compile (tools/circuits.py also checks the .sym public order).
    fixture = {"masked_update_test": "masked_update", "seed_reveal": "seed_reveal"}[name]
    variant: CircuitVariant = request.getfixturevalue(fixture)
    derived = variant.spec["derived"]

    # Execute
    r1cs = variant.r1cs.read_bytes()

    # Assert: the committed keys were made from exactly this constraint system.
    assert hashlib.sha256(r1cs).hexdigest() == derived["r1csSha256"]
