"""What a member reads: the commands' own lines only; ape's log and tracebacks with ``-v``."""

from pathlib import Path

from cli_helpers import Zkfed, refused, running_node, zkfed_process
from click.testing import CliRunner

from zkfed.cli import cli


def test_deploy_prints_its_own_lines_only_and_ape_logs_with_verbose(tmp_path: Path) -> None:
    # Prepare
    quiet_home, verbose_home = tmp_path / "quiet", tmp_path / "verbose"
    deploy = ("deploy", "--founders", "1,2,3", "--variant", "masked_update_test")

    # Execute
    with running_node(tmp_path / "node") as node:
        quiet = zkfed_process(quiet_home, "--network", node.url, *deploy)
        verbose = zkfed_process(verbose_home, "-v", "--network", node.url, *deploy)

    # Assert
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    lines = quiet.stdout.splitlines()
    assert lines[0].startswith("deploying from 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266 on ")
    assert [line.split()[0] for line in lines[1:4]] == [
        "VerifierRegistry",
        "ModelGovernance",
        "FederatedAggregator",
    ]
    assert lines[4].startswith("3 founding members; voting period 3600 s;")
    assert len(lines) == 5
    assert verbose.returncode == 0, verbose.stderr
    assert "deployed to" in verbose.stdout + verbose.stderr  # ape's own lines


def test_a_failure_is_one_sentence_and_its_traceback_with_verbose(tmp_path: Path) -> None:
    # Execute
    quiet = zkfed_process(tmp_path, "status", timeout=60)
    verbose = zkfed_process(tmp_path, "-v", "status", timeout=60)

    # Assert
    sentence = f"Error: There is no deployment in {tmp_path}; run 'zkfed deploy' or pass --home."
    assert quiet.returncode == verbose.returncode == 1
    assert quiet.stderr == sentence + "\n"
    assert verbose.stderr.startswith("Traceback (most recent call last):")
    assert verbose.stderr.endswith(sentence + "\n")


def test_a_single_task_is_named_as_one(zkfed: Zkfed) -> None:
    # Execute
    result = zkfed("status", "9")

    # Assert
    refused(result, "Task 9 does not exist on this deployment (it has task 1).")


def test_numbers_are_checked_before_connecting(tmp_path: Path) -> None:
    # Execute: no deployment and no node; the number is refused first.
    result = zkfed_process(tmp_path, "verify-round", "1", "0", timeout=60)

    # Assert
    assert result.returncode == 2
    assert "Invalid value for 'ROUND': 0 is not in the range x>=1." in result.stderr


def test_every_command_summary_is_whole_at_80_columns() -> None:
    # Execute
    result = CliRunner().invoke(cli, ["--help"], terminal_width=80)

    # Assert: click cuts a summary that does not fit with "..."
    assert result.exit_code == 0
    commands = result.output.split("Commands:")[1].strip().splitlines()
    assert len(commands) == len(cli.commands)
    assert not [line for line in commands if line.rstrip().endswith("...")]
