"""Running the `zkfed` CLI in-process and checking how it ended (shared by the CLI suites)."""

import json
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from zkfed.cli import cli

MEMBERS = ("alice", "bob", "carol", "dave", "erin")
PASSWORD = "correct horse battery staple"
TASK = 1
Zkfed = Callable[..., Result]


def run_cli(home: Path, *args: str, input: str | None = None) -> Result:
    """`zkfed --home HOME ARGS...` in-process."""
    return CliRunner().invoke(cli, ["--home", str(home), *args], input=input)


def succeeded(result: Result) -> str:
    """The output of a command that must have succeeded."""
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def refused(result: Result, *fragments: str) -> str:
    """The one-sentence refusal of a command that must have failed cleanly."""
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("Error: "), result.output
    for fragment in fragments:
        assert fragment in line, line
    return line


def deployment(home: Path) -> dict[str, Any]:
    """The deployment document the CLI wrote."""
    document: dict[str, Any] = json.loads((home / "deployment.json").read_text())
    return document


# --- the real entry point, as a subprocess (a new user's shell) -------------------------------

ROOT = Path(__file__).resolve().parents[2]
ZKFED = str(Path(sys.executable).with_name("zkfed"))


def free_port() -> int:
    """A TCP port nothing listens on (at the time of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def zkfed_process(
    home: Path, *args: str, timeout: float = 300, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`zkfed --home HOME ARGS...` through the installed entry point, from the repository root."""
    return subprocess.run(
        [ZKFED, "--home", str(home), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
        check=False,
    )


@dataclass
class NodeProcess:
    """A `zkfed node` running in the background."""

    process: subprocess.Popen[str]
    url: str
    first_line: str

    def stop(self) -> tuple[int, str]:
        """Stop it as Ctrl-C does: its exit code and everything else it printed."""
        self.process.send_signal(signal.SIGINT)
        out, _ = self.process.communicate(timeout=60)
        return self.process.returncode, out


@contextmanager
def running_node(home: Path, *args: str, port: int | None = None) -> Iterator[NodeProcess]:
    """`zkfed --home HOME node --port PORT ARGS...` in the background, until the block ends.

    Waits for its first line (the node listens then); stopped with SIGINT, as Ctrl-C does.
    """
    port = port or free_port()
    process = subprocess.Popen(
        [ZKFED, "--home", str(home), "node", "--port", str(port), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    try:
        first = process.stdout.readline()
        assert first, process.stderr.read() if process.stderr else "no output"
        yield NodeProcess(process, f"http://127.0.0.1:{port}", first.rstrip("\n"))
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def deploy_dev(home: Path, url: str) -> str:
    """Deploy to a running node through the entry point (founders: test accounts 1 to 3); the
    aggregator's address."""
    result = zkfed_process(
        home, "--network", url, "deploy", "--founders", "1,2,3", "--variant", "masked_update_test"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return str(deployment(home)["aggregator"])
