"""tools/setup.sh, the idempotent set-up: a second run is quiet and quick.

These tests run the script on the checkout's own environment, which the test run needs set up
already; with nothing to install it only re-checks stamps, links and the circuit builds.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _setup(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    completed = subprocess.run(
        ["bash", str(ROOT / "tools" / "setup.sh"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    return completed, time.monotonic() - started


@pytest.mark.parametrize(
    ("args", "ready"),
    [((), "[setup] ready: "), (("--test",), "[setup] ready for the tests: ")],
    ids=["user", "tests"],
)
def test_a_second_run_prints_one_line_in_seconds(args: tuple[str, ...], ready: str) -> None:
    # Prepare: the environment is set up (the tests run in it); one run settles what is left.
    _setup(*args)

    # Execute
    completed, seconds = _setup(*args)

    # Assert: no "up to date" line per circuit, no installer output, only the ready line.
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    lines = completed.stdout.splitlines()
    assert len(lines) == 1, completed.stdout
    assert lines[0].startswith(ready), lines[0]
    assert seconds < 30, f"a second set-up took {seconds:.1f} s"


def test_an_unknown_option_is_refused_with_the_usage() -> None:
    # Execute
    completed, _ = _setup("--everything")

    # Assert
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.strip() == "usage: tools/setup.sh [--test]"
