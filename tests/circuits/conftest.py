"""Fixtures of the circuit suites: compiled variants and valid inputs."""

from __future__ import annotations

import random

import pytest
from circuit_harness import CircuitVariant, Member, tools


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
def seed_reveal() -> CircuitVariant:
    """The SeedReveal circuit, compiled."""
    return _compiled("seed_reveal")


@pytest.fixture(scope="session")
def member(masked_update: CircuitVariant) -> Member:
    """A member with both extreme values of q in its chunk, one + and one - neighbour."""
    params = masked_update.params
    rng = random.Random(0xC1C)
    half = 1 << (params["R"] - 1)
    q = [rng.randrange(-half, half) for _ in range(params["W"] * params["L"])]
    q[0], q[1] = -half, half - 1
    return Member(sk=0x1F2E3D4C5B6A7988, neighbor_sks=[0xBEEF01, 0xBEEF02], signs=0b01, q=q)
