"""`zkfed node`: one line instead of anvil's log, a chain that outlives a restart, a busy port."""

import socket
from pathlib import Path

from cli_helpers import deploy_dev, free_port, running_node, zkfed_process


def test_the_node_prints_one_line_and_logs_to_the_home(tmp_path: Path) -> None:
    # Prepare
    home = tmp_path / ".zkfed"

    # Execute
    with running_node(home) as node:
        code, rest = node.stop()

    # Assert
    state, log = home / "anvil-state.json", home / "anvil.log"
    assert node.first_line == (
        f"anvil listening on {node.url} (chain id 31337), state {state} (new), log {log}; "
        "Ctrl-C stops it"
    )
    assert code == 0 and rest == ""
    assert "Listening on" in log.read_text()
    assert state.is_file()  # saved when the node stopped


def test_a_restarted_node_keeps_the_deployment_unless_fresh(tmp_path: Path) -> None:
    # Prepare: a deployment on a node that then stops.
    home = tmp_path / ".zkfed"
    port = free_port()
    with running_node(home, port=port) as node:
        aggregator = deploy_dev(home, node.url)
        node.stop()

    # Execute
    with running_node(home, port=port) as node:
        reloaded = node.first_line
        kept = zkfed_process(home, "status")
    with running_node(home, "--fresh", port=port) as node:
        fresh = zkfed_process(home, "status")

    # Assert
    assert "(loaded)" in reloaded
    assert kept.returncode == 0, kept.stderr
    assert f"aggregator  {aggregator}" in kept.stdout
    assert fresh.returncode == 1
    assert fresh.stderr.startswith(f"Error: There is no zkfed aggregator at {aggregator}")


def test_a_busy_port_is_one_sentence(tmp_path: Path) -> None:
    # Prepare: something listens on the port.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        # Execute
        result = zkfed_process(tmp_path, "node", "--port", str(port), timeout=60)

    # Assert
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: Port {port} on 127.0.0.1 is already in use (another node?); stop it, or pass "
        "another one with --port (and the same URL to --network).\n"
    )
