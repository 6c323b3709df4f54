"""The build is reproducible: `check` regenerates keys and verifiers byte for byte (slow)."""

from __future__ import annotations

import pytest
from circuit_harness import tools

pytestmark = pytest.mark.slow


def test_check_regenerates_the_committed_artifacts_byte_for_byte() -> None:
    # Execute: compile, setup and export from scratch in a temporary folder, then compare.
    result = tools("check")

    # Assert
    assert result.returncode == 0, result.stderr[-3000:]
