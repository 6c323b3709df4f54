"""Fixtures of the web app's suites: the app served in a subprocess, Debian's Chromium.

The app runs as `zkfed ui` would run it (``python -m zkfed.ui_command``) on a free port, with
its own anvil and demo consortium, so the browser tests see exactly what a user sees and the
chain of the ape test session is left alone. Chromium is Debian's (tools/setup.sh installs it);
Playwright never downloads a browser here.
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
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the app's package (ui/) lives in the checkout, not in zkfed
    sys.path.insert(0, str(ROOT))

CHROMIUM = Path(os.environ.get("ZKFED_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",  # the network is closed: no update or safe-browsing calls
    "--disable-component-update",
]
SCREENSHOTS = ROOT / "reports" / "ui"
SERVER_START_SECONDS = 180


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """pytest-playwright: Debian's Chromium, never a downloaded browser."""
    if not CHROMIUM.is_file():
        message = f"{CHROMIUM} is missing; tools/setup.sh installs Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {"executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where the tests write a screenshot of each view (reports/ is git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@contextlib.contextmanager
def serve_app(arguments: list[str], log_path: Path, scheme: str = "http") -> Iterator[str]:
    """Run `zkfed ui` (the embedded defaults, small variant, four members) until the block ends."""
    port = _free_port()
    env = {**os.environ, "ZKFED_UI_POLL_SECONDS": "0.5"}
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


@pytest.fixture(scope="module")
def app_url(screenshots: Path) -> Iterator[str]:
    """The app as a member starts it with no configuration; its log is reports/ui/server.log."""
    with serve_app([], screenshots / "server.log") as url:
        yield url


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
