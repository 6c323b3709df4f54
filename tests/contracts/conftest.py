"""Shared fixtures of the contract suites: role accounts and deployed contracts."""

from typing import Any

import pytest


@pytest.fixture(scope="session")
def deployer(accounts: Any) -> Any:
    return accounts[0]


@pytest.fixture(scope="session")
def baby_jubjub(project: Any, deployer: Any) -> Any:
    return deployer.deploy(project.MockBabyJubJub)
