"""A real IPFS node for the storage tests: js-ipfs from tools/ipfs, one per test session."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "tools" / "ipfs" / "daemon.sh"
JS_IPFS = ROOT / "tools" / "ipfs" / "node_modules" / "ipfs" / "src" / "cli.js"
START_TIMEOUT = 90.0
_API_LINE = re.compile(r"HTTP API listening on (/ip4/127\.0\.0\.1/tcp/\d+)/http")


def _stop(process: subprocess.Popen[str]) -> None:
    # The launcher execs node in a session of its own, so its pid names exactly our daemon.
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def ipfs_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start an offline js-ipfs daemon on a free loopback port; yield its RPC API multiaddr."""
    if not JS_IPFS.is_file():
        message = "js-ipfs is not installed: run `tools/dev.sh setup --test`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    work = tmp_path_factory.mktemp("ipfs")
    process = subprocess.Popen(
        ["bash", str(LAUNCHER), str(work)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    log: list[str] = []

    def pump() -> None:
        # Drains the pipe for the whole session so the daemon never blocks on a full buffer.
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, name="ipfs-daemon-log", daemon=True).start()
    try:
        api = None
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(
                    f"the IPFS daemon did not start within {START_TIMEOUT:g} s:\n{''.join(log)}"
                )
            if line is None:
                pytest.fail(f"the IPFS daemon exited ({process.wait()}):\n{''.join(log)}")
            log.append(line)
            if match := _API_LINE.search(line):
                api = match.group(1)
            if "Daemon is ready" in line:
                break
        assert api is not None, "".join(log)
        yield api
    finally:
        _stop(process)
