"""What a command costs before it does anything: no ape for local work, local inputs refused
before connecting, and `zkfed status` quick against a running node."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import ROOT, deploy_dev, running_node, zkfed_process

# Runs the CLI in a fresh interpreter and reports whether it imported ape.
_APE_IMPORTED = """
import sys
from zkfed.cli import cli
try:
    cli(sys.argv[1:], prog_name="zkfed")
except SystemExit:
    pass
print("ape imported" if "ape" in sys.modules else "no ape", file=sys.stderr)
"""


# Runs the CLI in a fresh interpreter and reports whether it imported py-evm.
_MODULES = """
import sys
from zkfed.cli import cli
try:
    cli(sys.argv[1:], prog_name="zkfed")
except SystemExit:
    pass
print("py-evm imported" if "eth.chains" in sys.modules else "py-evm not imported", file=sys.stderr)
"""


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A node URL that accepts connections and never answers: connecting would hang."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        yield f"http://127.0.0.1:{silent.getsockname()[1]}"


@pytest.mark.parametrize(
    "args",
    [("--help",), ("status", "--help"), ("doctor",), ("verify-round", "1", "0")],
    ids=["help", "command-help", "doctor", "bad-round"],
)
def test_local_work_does_not_import_ape(tmp_path: Path, args: tuple[str, ...]) -> None:
    # Execute
    result = subprocess.run(
        [sys.executable, "-c", _APE_IMPORTED, "--home", str(tmp_path), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # Assert
    assert result.stderr.strip().splitlines()[-1] == "no ape", result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("deploy", "--founders", "1", "--variant", "nope"), "unknown circuit variant 'nope'"),
        (("advance",), "Give exactly one of --seconds and --task."),
        (("status", "0"), "Invalid value for '[TASK]': 0 is not in the range x>=1."),
        (("verify-round", "0", "1"), "Invalid value for 'TASK': 0 is not in the range x>=1."),
    ],
    ids=["deploy-variant", "advance-options", "status-task", "verify-task"],
)
def test_local_inputs_are_refused_before_connecting(
    tmp_path: Path, silent_url: str, args: tuple[str, ...], message: str
) -> None:
    # Execute
    started = time.monotonic()
    result = zkfed_process(tmp_path, "--network", silent_url, *args, timeout=60)
    elapsed = time.monotonic() - started

    # Assert: refused for the input, without waiting on the silent node.
    assert result.returncode in (1, 2)
    assert message in result.stderr
    assert "Cannot reach" not in result.stderr
    assert elapsed < 2.5, elapsed


def test_status_is_quick_against_a_running_node(tmp_path: Path) -> None:
    # Prepare: a deployment on a running node, and one status to warm the disk cache.
    home = tmp_path / ".zkfed"
    with running_node(home) as node:
        aggregator = deploy_dev(home, node.url)
        zkfed_process(home, "status")

        # Execute
        runs = []
        for _ in range(3):
            started = time.monotonic()
            result = zkfed_process(home, "status")
            runs.append(time.monotonic() - started)
        load = os.getloadavg()[0]
        modules = subprocess.run(
            [sys.executable, "-c", _MODULES, "--home", str(home), "status"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    # Assert
    assert result.returncode == 0, result.stderr
    assert f"aggregator  {aggregator}" in result.stdout
    # Attaching to the running anvil skips ape's in-process test chain (py-evm, about a second).
    assert modules.stderr.strip().splitlines()[-1] == "py-evm not imported", modules.stderr
    # The best of three, when the shared machine has a core to spare for it.
    if load < (os.cpu_count() or 1):
        assert min(runs) < 2.0, runs
