"""bench/cli.py: one command measured and tabulated, and (slow) the bench end to end."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("zkfed_bench_cli", ROOT / "bench" / "cli.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_command_is_measured_and_tabulated(tmp_path: Path) -> None:
    # Prepare
    bench = _bench()

    # Execute
    entry = bench.measure(tmp_path, ["--help"], 2)
    text = bench.table({"--help": entry, "machine": {}})

    # Assert
    assert entry["exit_code"] == 0 and len(entry["runs"]) == 2
    assert min(entry["runs"]) <= entry["median_s"] <= max(entry["runs"])
    assert entry["last_line"].split()[0] == "vote"  # the last command --help lists
    assert text.splitlines()[1].startswith("--help ")


@pytest.mark.slow
def test_cli_bench_writes_the_report(tmp_path: Path) -> None:
    # Prepare
    out = tmp_path / "cli.json"

    # Execute
    subprocess.run(
        [sys.executable, "bench/cli.py", "--out", str(out), "--repeat", "1"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=1800,
    )

    # Assert
    report = json.loads(out.read_text())
    assert set(report) == {"--help", "status", "train-bad-csv", "verify-round-old", "machine"}
    assert report["status"]["exit_code"] == 0
    assert report["verify-round-old"]["last_line"] == "MATCH"
    assert report["train-bad-csv"]["exit_code"] == 1
    assert report["train-bad-csv"]["last_line"].startswith("Error: ")
    assert all(entry["median_s"] > 0 for name, entry in report.items() if name != "machine")
