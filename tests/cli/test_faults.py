"""Faults a member meets: a node that is not there or goes away, a contract's custom error, an
earlier round verified once a later one has submissions. Each is one sentence, never a trace."""

import socket
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from cli_helpers import (
    MEMBERS,
    TASK,
    Zkfed,
    deploy_dev,
    free_port,
    running_node,
    succeeded,
    zkfed_process,
)
from eth_abi.abi import encode

from zkfed.commands._session import connect, describe_error


def test_an_earlier_round_verifies_once_a_later_round_has_submissions(
    zkfed: Zkfed, pw: Sequence[str]
) -> None:
    # Prepare: round 1 finalised, then a submission to round 2 (which reuses the accumulators).
    for index, name in enumerate(MEMBERS, start=1):
        part = ("--member-part", f"{index}/5")
        succeeded(zkfed("train", str(TASK), "-m", name, "--dataset", "wine", *part))
        succeeded(zkfed("submit", str(TASK), "-m", name, *pw))
    succeeded(zkfed("advance", "--task", str(TASK)))
    succeeded(zkfed("finalize", str(TASK), "-m", "alice"))
    succeeded(zkfed("train", str(TASK), "-m", "alice", "--dataset", "wine"))
    succeeded(zkfed("submit", str(TASK), "-m", "alice", *pw))

    # Execute
    result = zkfed("verify-round", str(TASK), "1")

    # Assert
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "MATCH"


def test_a_custom_error_is_named_with_its_arguments() -> None:
    # Prepare: the revert ape cannot decode when the error is declared in another contract
    # than the one called (the issue saw "custom error 0x99956737").
    from ape.exceptions import ContractLogicError

    data = bytes.fromhex("99956737") + encode(["uint256"] * 4, [1, 1, 0, 2])
    error = ContractLogicError(revert_message="0x" + data.hex())

    # Execute
    message = describe_error(error)

    # Assert
    assert message == (
        "The chain refused the transaction: "
        "AccumulatorOverwritten(taskId=1, round=1, chunk=0, laterRound=2)."
    )


def test_a_refused_port_is_one_sentence_at_once(tmp_path: Path) -> None:
    # Prepare
    url = f"http://127.0.0.1:{free_port()}"

    # Execute
    started = time.monotonic()
    result = zkfed_process(tmp_path, "--network", url, "deploy", "--founders", "1", timeout=60)
    elapsed = time.monotonic() - started

    # Assert
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: Cannot reach the node at {url} (connection refused); is it running? Start one "
        "with 'zkfed node', or pass the right --network.\n"
    )
    assert elapsed < 5, elapsed


def test_a_silent_node_is_one_sentence_within_seconds(tmp_path: Path) -> None:
    # Prepare: a port that accepts connections and never answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"

        # Execute
        started = time.monotonic()
        result = zkfed_process(tmp_path, "--network", url, "deploy", "--founders", "1")
        elapsed = time.monotonic() - started

    # Assert
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: Cannot reach the node at {url} (timed out after 3 s); is it running? Start one "
        "with 'zkfed node', or pass the right --network.\n"
    )
    assert elapsed < 10, elapsed


def test_an_unroutable_network_is_one_sentence_within_seconds(tmp_path: Path) -> None:
    # Prepare: a private address with no node (dropped, or answered by a gateway).
    url = "http://10.255.255.1:8545"

    # Execute
    started = time.monotonic()
    result = zkfed_process(tmp_path, "--network", url, "deploy", "--founders", "1", timeout=120)
    elapsed = time.monotonic() - started

    # Assert
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Error: Cannot reach the node at {url} (")
    assert lines[0].endswith(
        "is it running? Check the URL and your network, or pass the right --network."
    )
    assert elapsed < 10, elapsed


def test_a_stopped_node_is_named_by_the_next_command(tmp_path: Path) -> None:
    # Prepare: a deployment whose node then stops.
    home = tmp_path / ".zkfed"
    with running_node(home) as node:
        deploy_dev(home, node.url)
        node.stop()

    # Execute
    result = zkfed_process(home, "status", timeout=60)

    # Assert
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: Cannot reach the node at {node.url} (connection refused); is it running? "
        "Start one with 'zkfed node', or pass the right --network.\n"
    )


def test_a_node_lost_mid_command_is_one_sentence(tmp_path: Path) -> None:
    # Prepare: connected to a node, which then stops.
    with running_node(tmp_path) as node, connect(node.url) as connection:
        node.stop()

        # Execute
        with pytest.raises(Exception) as raised:
            connection.provider.get_balance("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")

    # Assert
    assert describe_error(raised.value) == (
        f"The node at {node.url} stopped answering (connection refused); nothing is lost: "
        "re-run the command once it is back ('zkfed node' restarts a development chain)."
    )
