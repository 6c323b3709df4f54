"""Fixtures of the circuit suites: compiled variants and a chunk of quantised values."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from circuit_harness import ROOT, CircuitVariant, built_circuit, chunk_values, tools

from zkfed.circuits import TEST_VARIANT, Circuit
from zkfed.proving import SnarkjsProver


def _compiled(name: str) -> CircuitVariant:
    result = tools("compile", name)
    if result.returncode != 0:
        pytest.fail(f"compiling {name} failed:\n{result.stderr}")
    return CircuitVariant(name)


@pytest.fixture(scope="session")
def masked_update() -> CircuitVariant:
    """The small MaskedUpdate variant (W = 2, K = 2), compiled."""
    return _compiled("masked_update_test")


@pytest.fixture(scope="session")
def masked_update_default() -> CircuitVariant:
    """The default MaskedUpdate variant (W = 64, K = 4), compiled."""
    return _compiled("masked_update_default")


@pytest.fixture(scope="session")
def pair_commit() -> CircuitVariant:
    """The PairCommit circuit, compiled."""
    return _compiled("pair_commit")


@pytest.fixture(scope="session")
def key_possession() -> CircuitVariant:
    """The KeyPossession circuit, compiled."""
    return _compiled("key_possession")


@pytest.fixture(scope="session")
def mask_reveal() -> CircuitVariant:
    """The small MaskReveal variant (W = 2, as masked_update_test), compiled."""
    return _compiled("mask_reveal_test")


@pytest.fixture(scope="session")
def mask_reveal_default() -> CircuitVariant:
    """The default MaskReveal variant (W = 64, as masked_update_default), compiled."""
    return _compiled("mask_reveal_default")


@pytest.fixture(scope="session")
def escrow_pad() -> CircuitVariant:
    """The EscrowPad circuit, compiled."""
    return _compiled("escrow_pad")


@pytest.fixture(scope="session")
def seed_mask() -> CircuitVariant:
    """The small SeedMask variant (W = 2, as masked_update_test), compiled."""
    return _compiled("seed_mask_test")


@pytest.fixture(scope="session")
def seed_mask_default() -> CircuitVariant:
    """The default SeedMask variant (W = 64, as masked_update_default), compiled."""
    return _compiled("seed_mask_default")


@pytest.fixture(scope="session")
def q(masked_update: CircuitVariant) -> list[int]:
    """One chunk of the small variant with both extreme values."""
    return chunk_values(masked_update.params, 0xC1C)


@pytest.fixture(scope="session")
def small_circuit() -> Circuit:
    """The small MaskedUpdate variant with its keys, as the client loads it."""
    return built_circuit(TEST_VARIANT)


@pytest.fixture(scope="session")
def small_inputs() -> dict[str, Any]:
    """The registry fixture's inputs for the small variant (tools/fixtures.py)."""
    spec = importlib.util.spec_from_file_location("zkfed_fixtures_tool", ROOT / "tools/fixtures.py")
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    _, (case,) = module.masked_update_case()
    return dict(case)


@pytest.fixture(scope="session")
def snarkjs() -> Iterator[SnarkjsProver]:
    """The reference prover and verifier."""
    with SnarkjsProver() as made:
        yield made
