"""The attack suite's consortium: fresh deployments with the generated verifiers on anvil.

Every test here plays a member who breaks the rules (circuits/SECURITY.md names the adversary)
against real contracts and real Groth16 proofs, and asserts that the attack fails. Each was
first written against protocol v1 and seen succeeding there; the closing notes of the issues
record those runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from adversarial_helpers import N_MEMBERS, SECRET_KEYS, VOTING_PERIOD, Consortium

from zkfed.babyjubjub import public_key
from zkfed.chain import Zkfed, deploy_registry
from zkfed.circuits import TEST_VARIANT, load_circuit
from zkfed.proving import Prover, open_prover
from zkfed.storage import LocalStore


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/adversarial" in str(item.fspath):
            item.add_marker(pytest.mark.adversarial)
            item.add_marker(pytest.mark.anvil_only)


@pytest.fixture(scope="session")
def prover() -> Iterator[Prover]:
    for name in (TEST_VARIANT, "mask_reveal_test", "pair_commit", "key_possession"):
        if not load_circuit(name).ready():
            pytest.skip(f"circuit {name} is not built; run tools/dev.sh setup")
    with closing(open_prover()) as p:
        yield p


@pytest.fixture
def deploy(
    project: Any, accounts: Any, prover: Prover, tmp_path: Path
) -> Callable[..., Consortium]:
    """Deploys a fresh consortium on one circuit variant (the test variant unless named); by
    default every member registers its own key."""

    def make(register: bool = True, variant: str = TEST_VARIANT) -> Consortium:
        deployer, *members = accounts[: N_MEMBERS + 1]
        registry = deploy_registry(project, deployer, [variant])
        zk = Zkfed.deploy(project, deployer, members, VOTING_PERIOD, registry.address)
        chosen = zk.variant(variant).with_scale(8 if variant == TEST_VARIANT else 4)
        consortium = Consortium(zk, list(members), chosen, LocalStore(tmp_path / "store"), prover)
        if register:
            for i in range(N_MEMBERS):
                consortium.register_next(i)
        return consortium

    return make


@pytest.fixture(scope="session")
def public_keys() -> list[tuple[int, int]]:
    return [public_key(sk) for sk in SECRET_KEYS]
