"""Session fixtures of the crypto suites."""

from __future__ import annotations

import pytest
from reference_vectors import Cases, build_requests, run_reference


@pytest.fixture(scope="session")
def circomlibjs() -> Cases:
    """Every reference request of the crypto suites with circomlibjs' answer, by group."""
    try:
        return run_reference(build_requests())
    except RuntimeError as error:
        pytest.fail(str(error))
