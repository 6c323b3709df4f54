"""Serving the web app for the browser suites (shared by conftest.py and test_serve_options.py).

A module of its own name, not conftest: test directories each have a ``conftest`` module, so
``from conftest import …`` finds another suite's when several suites run together.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER_START_SECONDS = 180


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serve_app(
    arguments: list[str],
    log_path: Path,
    scheme: str = "http",
    environ: dict[str, str] | None = None,
) -> Iterator[str]:
    """Run `zkfed ui` (the embedded defaults, small variant, four members) until the block ends."""
    port = _free_port()
    env = {**os.environ, "ZKFED_UI_POLL_SECONDS": "0.5", **(environ or {})}
    command = [sys.executable, "-m", "zkfed.ui_command", "--port", str(port)]
    command += ["--variant", "masked_update_test", "--members", "4", *arguments]
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"{scheme}://127.0.0.1:{port}/"
    insecure = ssl.create_default_context()
    insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE  # our own test cert
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if server.poll() is not None:
                pytest.fail(f"the app exited with {server.returncode}:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=5, context=insecure) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the app did not answer on {url}:\n{log_path.read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        _stop(server)


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server's process group (the server and the anvil it started)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)  # anything it left behind in its group
