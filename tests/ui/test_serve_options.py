"""`zkfed ui` behind TLS and basic authentication: the login page guards the app."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from ui_helpers import serve_app

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def secure_url(certificate: tuple[Path, Path], screenshots: Path) -> Iterator[str]:
    cert, key = certificate
    options = ["--ssl-certfile", str(cert), "--ssl-keyfile", str(key), "--basic-auth", PASSWORD]
    with serve_app(options, screenshots / "server-tls.log", scheme="https") as url:
        yield url


def test_login_over_tls(browser: Browser, secure_url: str, screenshots: Path) -> None:
    # Prepare
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()

    # Execute
    page.goto(secure_url)
    page.locator("input[name=username]").fill("member")
    page.locator("input[name=password]").fill("not it")
    page.locator("input[name=password]").press("Enter")
    expect(page.locator("input[name=password]")).to_be_visible(timeout=30_000)
    page.locator("input[name=username]").fill("member")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")

    # Assert
    expect(page.get_by_role("heading", name="Connection")).to_be_visible(timeout=60_000)
    assert page.url.startswith("https://127.0.0.1:")
    page.screenshot(path=str(screenshots / "login-tls.png"))
    context.close()
