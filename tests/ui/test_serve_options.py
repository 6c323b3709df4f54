"""`zkfed ui` behind TLS and basic authentication: the login page guards the app; and how
`zkfed ui` refuses what it cannot serve, in one sentence."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from ui_helpers import ROOT, serve_app

LOCAL = ("https://127.0.0.1", "wss://127.0.0.1", "data:", "blob:", "about:")

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
def secure_url(
    certificate: tuple[Path, Path], screenshots: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    cert, key = certificate
    users = tmp_path_factory.mktemp("auth") / "users"
    users.write_text(f"member:{PASSWORD}\n")
    options = ["--ssl-certfile", str(cert), "--ssl-keyfile", str(key)]
    options += ["--basic-auth-file", str(users)]
    with serve_app(options, screenshots / "server-tls.log", scheme="https") as url:
        yield url


def test_login_over_tls(browser: Browser, secure_url: str, screenshots: Path) -> None:
    # Prepare
    context = browser.new_context(ignore_https_errors=True)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    # Execute
    page.goto(secure_url)
    expect(page.get_by_role("heading", name="zkfed")).to_be_visible()
    expect(page.get_by_text("user name and password its operator gave you")).to_be_visible()
    page.screenshot(path=str(screenshots / "login-page.png"))
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
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["user"]["secure"] and cookies["user"]["httpOnly"]
    assert all(c["secure"] and c["httpOnly"] for c in cookies.values()), cookies
    page.get_by_role("link", name="Log out").click()
    expect(page.get_by_text("You are logged out")).to_be_visible()
    assert "user" not in {c["name"] for c in context.cookies()}
    outside = [url for url in requests if not url.startswith(LOCAL)]
    assert not outside, f"the login page asked for resources off this machine: {outside[:3]}"
    context.close()
    log = (screenshots / "server-tls.log").read_text()
    assert log.count("serving https://127.0.0.1:") == 1 and "http://" not in log


def _zkfed_ui(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "zkfed.ui_command", *arguments]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_a_busy_port_is_one_sentence() -> None:
    # Prepare
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        # Execute
        result = _zkfed_ui("--port", str(port))

    # Assert
    assert result.returncode != 0
    assert result.stderr.strip() == (
        f"Error: Port {port} on 127.0.0.1 is already in use; choose another with --port."
    )


def test_the_login_password_is_never_an_argument(tmp_path: Path) -> None:
    # Prepare
    users = tmp_path / "users"
    users.write_text("member\n")

    # Execute
    on_argv = _zkfed_ui("--basic-auth", PASSWORD)
    malformed = _zkfed_ui("--basic-auth-file", str(users))

    # Assert
    assert on_argv.returncode != 0 and "No such option: --basic-auth" in on_argv.stderr
    assert malformed.returncode != 0
    assert "Line 1 of" in malformed.stderr and "is not 'user:password'" in malformed.stderr
    assert "Traceback" not in malformed.stderr


def test_login_users_come_from_a_file_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zkfed.ui_command import _basic_auth

    # Prepare
    users = tmp_path / "users"
    users.write_text("# the clinic's analysts\nana:pass:with:colons\nbo: spaced \n\n")
    monkeypatch.setenv("ZKFED_UI_PASSWORD", PASSWORD)

    # Execute / Assert
    assert _basic_auth(users) == {"ana": "pass:with:colons", "bo": " spaced "}
    assert _basic_auth(None) == PASSWORD
    monkeypatch.delenv("ZKFED_UI_PASSWORD")
    assert _basic_auth(None) is None
