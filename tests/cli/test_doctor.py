"""`zkfed doctor` reports the toolchain, circuits, contracts and browser, then a verdict: "ready",
or one sentence naming what is missing (exit code 1)."""

import json

import pytest
from click.testing import CliRunner

from zkfed.circuits import project_root
from zkfed.cli import cli


def test_doctor_reports_every_tool() -> None:
    # Execute
    result = CliRunner().invoke(cli, ["doctor"])

    # Assert
    assert result.exit_code == 0, result.output
    assert "Version: 0.8.28" in result.output
    assert "prover    native (zkfed._groth16: " in result.output
    assert "missing" not in result.output


def test_doctor_checks_circuits_contracts_and_browser_then_says_ready() -> None:
    # Prepare
    registry = json.loads((project_root() / "circuits" / "circuits.json").read_text())
    total = len(registry["variants"])

    # Execute
    result = CliRunner().invoke(cli, ["doctor"])

    # Assert
    lines = result.output.splitlines()
    assert result.exit_code == 0, result.output
    assert lines[5].startswith("circom2   0.2.")
    assert f"circuits  {total} of {total} built" in lines
    contracts = next(line for line in lines if line.startswith("contracts "))
    assert "contract types in" in contracts or "not compiled yet" in contracts
    assert next(line for line in lines if line.startswith("chromium  ")).startswith(
        "chromium  Chromium "
    )
    assert lines[-1] == "ready"


def test_doctor_names_missing_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    # Prepare: an empty PATH hides every tool.
    monkeypatch.setenv("PATH", "")

    # Execute
    result = CliRunner().invoke(cli, ["doctor"])

    # Assert
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: not ready: missing tools: node, snarkjs, anvil, forge, solc;")


def test_doctor_names_the_prover_chosen_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Prepare
    monkeypatch.setenv("ZKFED_PROVER", "snarkjs")

    # Execute
    result = CliRunner().invoke(cli, ["doctor"])

    # Assert
    assert result.exit_code == 0, result.output
    assert "prover    snarkjs\n" in result.output
