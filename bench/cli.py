"""Wall time of a member's everyday commands, through the installed `zkfed` entry point.

    python bench/cli.py --out reports/bench-cli.json [--repeat 5]

Runs inside the project's environment (`. .venv/bin/activate`), from any directory. It sets up
its own development chain and consortium through the CLI alone, as a new member would: `zkfed
node` in the background (its state in a temporary home), `deploy` (test variant), `keygen` and
`register` for five members, a proposal voted and executed as task 1, round 1 trained, submitted
by every member and finalised, and one submission to round 2 (so round 1's accumulators are
reused and `verify-round 1 1` must read the sealed events).

Then each measured command runs `--repeat` times in a fresh process (what a member pays per
command: interpreter start, imports, connection, work):

- `--help`: the entry point alone;
- `status`: the deployment overview against the running node;
- `train-bad-csv`: `zkfed train 1 -m alice --dataset bad.csv` with a malformed CSV, which must
  be refused (exit 1) before any connection is made;
- `verify-round-old`: `zkfed verify-round 1 1` once round 2 has a submission (must print MATCH).

Prints a table and writes JSON keyed by command: ``{"status": {"median_s": ..., "runs": [...],
"exit_code": 0, "last_line": "..."}, ..., "machine": {"loadavg_before": ..., ...}}``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ZKFED = shutil.which("zkfed") or str(Path(sys.executable).with_name("zkfed"))
MEMBERS = ("alice", "bob", "carol", "dave", "erin")
PASSWORD = "bench password"
VARIANT = "masked_update_test"
BAD_CSV = "a,b,label\n" + "1,2,x\n3,oops,y\n" * 6


def loadavg() -> list[float]:
    """1, 5 and 15 minute load averages."""
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def zkfed(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """`zkfed --home HOME ARGS...`; with ``check`` a failure stops the bench with its output."""
    result = subprocess.run(
        [ZKFED, "--home", str(home), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if check and result.returncode != 0:
        raise SystemExit(f"zkfed {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_node(home: Path) -> Iterator[str]:
    """`zkfed node` in the background until the block ends; its RPC URL."""
    port = _free_port()
    process = subprocess.Popen(
        [ZKFED, "--home", str(home), "node", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    try:
        line = process.stdout.readline()
        if not line:
            raise SystemExit(f"zkfed node did not start: {process.communicate()[1]}")
        print(line.rstrip(), flush=True)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def set_up(home: Path, url: str, password_file: Path) -> None:
    """The consortium and its rounds (see the module's docstring), through the CLI."""
    pw = ("--password-file", str(password_file))
    zkfed(home, "--network", url, "deploy", "--founders", "1,2,3,4,5", "--variant", VARIANT)
    for index, name in enumerate(MEMBERS, start=1):
        zkfed(home, "keygen", "--name", name, "--account", str(index), "--scrypt-n", "1024", *pw)
        zkfed(home, "register", "--member", name, *pw)
    propose = ("propose", "--member", "alice", "--dataset", "wine", "--variant", VARIANT)
    zkfed(home, *propose, "--rounds", "2")
    for name in MEMBERS[:3]:
        zkfed(home, "vote", "1", "--for", "--member", name)
    zkfed(home, "execute", "1", "--member", "alice")
    for index, name in enumerate(MEMBERS, start=1):
        part = ("--member-part", f"{index}/5")
        zkfed(home, "train", "1", "-m", name, "--dataset", "wine", *part)
        zkfed(home, "submit", "1", "-m", name, *pw)
    zkfed(home, "advance", "--task", "1")
    zkfed(home, "finalize", "1", "-m", "alice")
    zkfed(home, "train", "1", "-m", "alice", "--dataset", "wine")
    zkfed(home, "submit", "1", "-m", "alice", *pw)


def measure(home: Path, args: Sequence[str], repeat: int) -> dict[str, Any]:
    """Wall times of ``repeat`` runs of one command, its exit code and last output line."""
    runs = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = zkfed(home, *args, check=False)
        runs.append(round(time.perf_counter() - started, 3))
    assert result is not None
    lines = (result.stdout + result.stderr).strip().splitlines()
    return {
        "command": "zkfed " + " ".join(args),
        "median_s": round(statistics.median(runs), 3),
        "runs": runs,
        "exit_code": result.returncode,
        "last_line": lines[-1] if lines else "",
    }


def table(report: dict[str, Any]) -> str:
    """The report as a text table, one line per command."""
    rows = [f"{'command':18} {'median s':>9} {'min s':>7} {'max s':>7} exit  last line"]
    for name, entry in report.items():
        if name == "machine":
            continue
        runs = entry["runs"]
        rows.append(
            f"{name:18} {entry['median_s']:9.2f} {min(runs):7.2f} {max(runs):7.2f} "
            f"{entry['exit_code']:4}  {entry['last_line'][:60]}"
        )
    return "\n".join(rows)


def bench(repeat: int) -> dict[str, Any]:
    """Set up, then measure every command (see the module's docstring)."""
    report: dict[str, Any] = {}
    machine: dict[str, Any] = {"loadavg_before": loadavg()}
    with TemporaryDirectory() as tmp:
        home = Path(tmp) / ".zkfed"
        password_file = Path(tmp) / "password"
        password_file.write_text(PASSWORD + "\n")
        bad_csv = Path(tmp) / "bad.csv"
        bad_csv.write_text(BAD_CSV)
        with running_node(home) as url:
            started = time.perf_counter()
            set_up(home, url, password_file)
            machine["setup_s"] = round(time.perf_counter() - started, 1)
            print(f"consortium and rounds set up in {machine['setup_s']} s", flush=True)
            commands = {
                "--help": ["--help"],
                "status": ["status"],
                "train-bad-csv": ["train", "1", "-m", "alice", "--dataset", str(bad_csv)],
                "verify-round-old": ["verify-round", "1", "1"],
            }
            for name, args in commands.items():
                report[name] = measure(home, args, repeat)
    machine["loadavg_after"] = loadavg()
    report["machine"] = machine
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON report to write.")
    parser.add_argument("--repeat", type=int, default=5, help="Runs per command.")
    args = parser.parse_args()
    report = bench(args.repeat)
    print(table(report))
    loads = report["machine"]
    print(f"load average before {loads['loadavg_before']}, after {loads['loadavg_after']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
