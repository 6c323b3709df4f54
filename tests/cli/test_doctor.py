"""`zkfed doctor` reports the toolchain and fails with one sentence when a tool is missing."""

import pytest
from click.testing import CliRunner

from zkfed.cli import cli


def test_doctor_reports_every_tool() -> None:
    # Execute
    result = CliRunner().invoke(cli, ["doctor"])

    # Assert
    assert result.exit_code == 0, result.output
    assert "Version: 0.8.28" in result.output
    assert "prover   native (zkfed._groth16: " in result.output
    assert "missing" not in result.output


def test_doctor_names_missing_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    # Prepare: an empty PATH hides every tool.
    monkeypatch.setenv("PATH", "")

    # Execute
    result = CliRunner().invoke(cli, ["doctor"])

    # Assert
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: missing tools: node, snarkjs, anvil, forge, solc;")


def test_doctor_names_the_prover_chosen_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Prepare
    monkeypatch.setenv("ZKFED_PROVER", "snarkjs")

    # Execute
    result = CliRunner().invoke(cli, ["doctor"])

    # Assert
    assert result.exit_code == 0, result.output
    assert "prover   snarkjs\n" in result.output
