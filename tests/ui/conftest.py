"""Fixtures of the web app's suites: the app served in a subprocess, Debian's Chromium.

The app runs as `zkfed ui` would run it (``python -m zkfed.ui_command``) on a free port, with
its own anvil and demo consortium, so the browser tests see exactly what a user sees and the
chain of the ape test session is left alone. Chromium is Debian's (`tools/setup.sh --test`
installs it); Playwright never downloads a browser here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ui_helpers import ROOT, serve_app

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


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """pytest-playwright: Debian's Chromium, never a downloaded browser."""
    if not CHROMIUM.is_file():
        message = f"{CHROMIUM} is missing; 'tools/dev.sh setup --test' installs Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {"executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where the tests write a screenshot of each view (reports/ is git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="module")
def app_url(screenshots: Path) -> Iterator[str]:
    """The app as a member starts it with no configuration; its log is reports/ui/server.log."""
    with serve_app([], screenshots / "server.log") as url:
        yield url
