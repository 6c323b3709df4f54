"""Fixtures of the circuit suites: compiled variants and a chunk of quantised values."""

from __future__ import annotations

import pytest
from circuit_harness import CircuitVariant, chunk_values, tools


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
def seed_reveal() -> CircuitVariant:
    """The SeedReveal circuit, compiled."""
    return _compiled("seed_reveal")


@pytest.fixture(scope="session")
def pair_commit() -> CircuitVariant:
    """The PairCommit circuit, compiled."""
    return _compiled("pair_commit")


@pytest.fixture(scope="session")
def q(masked_update: CircuitVariant) -> list[int]:
    """One chunk of the small variant with both extreme values."""
    return chunk_values(masked_update.params, 0xC1C)
