"""The attack suite's consortium: fresh deployments with the generated verifiers on anvil.

Every test here plays a member who breaks the rules (circuits/SECURITY.md names the adversary)
against real contracts and real Groth16 proofs, and asserts that the attack fails. Each was
first written against protocol v1 and seen succeeding there; the closing notes of the issues
record those runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from zkfed.babyjubjub import public_key
from zkfed.chain import TaskSpec, Variant, Zkfed, deploy_variant
from zkfed.circuits import TEST_VARIANT, load_circuit
from zkfed.proving import Prover, open_prover
from zkfed.quantize import squared_norm_bound
from zkfed.secagg import SecaggTask
from zkfed.storage import LocalStore

N_MEMBERS = 6
PERIOD = 3600
VOTING_PERIOD = 3 * 24 * 3600
CLIP_NORM = 0.5
# Fixed BabyJubJub secret keys of the six members (tests only).
SECRET_KEYS = tuple(0xA77AC4 + 104_729 * i for i in range(N_MEMBERS))


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


@dataclass
class Consortium:
    """One deployment: six members, their keys, the test variant's verifiers, a store."""

    zk: Zkfed
    members: list[Any]
    variant: Variant
    store: LocalStore

    def open_task(self, n_params: int, initial: Any = None, rounds: int = 3) -> SecaggTask:
        """A SecAgg task over every member with keys, through a governance vote."""
        from zkfed.protocol import store_model

        packing = self.variant.packing
        weights = np.zeros(n_params) if initial is None else initial
        cid, digest = store_model(self.store, weights)
        spec = TaskSpec(
            variant=self.variant,
            param_count=n_params,
            bound=squared_norm_bound(CLIP_NORM, packing),
            rounds=rounds,
            submission_period=PERIOD,
            reveal_period=PERIOD,
            model_cid=cid,
            model_hash=digest,
        )
        proposal = self.zk.propose_task(self.members[0], spec, "spec", b"\x22" * 32, b"\x33" * 32)
        for member in self.members[: N_MEMBERS // 2 + 1]:
            self.zk.vote(member, proposal, True)
        return self.zk.secagg_task(self.zk.execute(self.members[0], proposal))


@pytest.fixture
def deploy(
    project: Any, accounts: Any, prover: Prover, tmp_path: Path
) -> Callable[..., Consortium]:
    """Deploys a fresh consortium; by default every member registers its own key."""

    def make(register: bool = True) -> Consortium:
        from zkfed.protocol import register_key

        deployer, *members = accounts[: N_MEMBERS + 1]
        zk = Zkfed.deploy(project, deployer, members, VOTING_PERIOD)
        circuit = load_circuit(TEST_VARIANT)
        variant = deploy_variant(project, deployer, circuit, scale_bits=8)
        if register:
            for member, sk in zip(members, SECRET_KEYS, strict=True):
                register_key(zk, prover, member, sk)
        return Consortium(zk, list(members), variant, LocalStore(tmp_path / "store"))

    return make


@pytest.fixture(scope="session")
def public_keys() -> list[tuple[int, int]]:
    return [public_key(sk) for sk in SECRET_KEYS]
