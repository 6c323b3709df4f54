"""Running the `zkfed` CLI in-process and checking how it ended (shared by the CLI suites)."""

import json
from collections.abc import Callable
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
