"""`zkfed ui`: serve the web app (ui/app.py) of a zkfed checkout.

The app lives in the checkout's ``ui/`` folder, next to the circuits it proves with, so the
command finds it through the same project root as the circuit registry. Its members are the
command line's (``--home``, ``--member``: the names ``zkfed keygen`` made, with their keystores).
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

import click

from zkfed.circuits import DEFAULT_VARIANT, project_root
from zkfed.commands._session import is_verbose, port_in_use
from zkfed.exceptions import ConfigurationError, ZkfedError


class _OneSentence(click.Command):
    """A command that fails with one sentence, also when run alone (``python -m``)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ZkfedError as error:
            raise click.ClickException(str(error)) from error


@click.command("ui", cls=_OneSentence)
@click.option(
    "--network",
    default="ethereum:local:foundry",
    show_default=True,
    help="ape network choice or RPC URL; the default starts anvil.",
)
@click.option(
    "--aggregator",
    default="",
    help="FederatedAggregator address; without it a demo consortium is deployed and simulated.",
)
@click.option(
    "--storage",
    default="",
    help="'ipfs', an IPFS node's multiaddr or URL, or a directory; default: the embedded store.",
)
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The command line's home, whose members the page offers [default: $ZKFED_HOME or .zkfed].",
)
@click.option("--member", default="", help="Offer only this member of the home (zkfed keygen).")
@click.option(
    "--account", default="", help="An ape account alias to offer as well (explicit override)."
)
@click.option(
    "--keystore",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Keystore of the page's member (explicit override of HOME/keys/NAME.json).",
)
@click.option(
    "--variant", default=DEFAULT_VARIANT, show_default=True, help="Demo: circuit variant."
)
@click.option(
    "--members", default=5, show_default=True, type=click.IntRange(3, 16), help="Demo: members."
)
@click.option("--dataset", default="wine", show_default=True, help="Demo: bundled dataset.")
@click.option("--address", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5006, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--ssl-certfile", type=click.Path(exists=True, dir_okay=False), help="TLS certificate (PEM)."
)
@click.option(
    "--ssl-keyfile", type=click.Path(exists=True, dir_okay=False), help="TLS private key (PEM)."
)
@click.option(
    "--basic-auth-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="File of 'user:password' lines asked for by a login page (or set ZKFED_UI_PASSWORD: "
    "one password, any user name).",
)
@click.option(
    "--cookie-secret-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="File holding the secret that signs the login cookie (or ZKFED_UI_COOKIE_SECRET; "
    "default: a random one per process).",
)
@click.option(
    "--allow-websocket-origin",
    multiple=True,
    help="Host:port the page may be loaded from (default: the listening address).",
)
@click.option("--show/--no-show", default=False, help="Open a browser tab.")
def ui(
    network: str,
    aggregator: str,
    storage: str,
    home: Path | None,
    member: str,
    account: str,
    keystore: Path | None,
    variant: str,
    members: int,
    dataset: str,
    address: str,
    port: int,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
    basic_auth_file: Path | None,
    cookie_secret_file: Path | None,
    allow_websocket_origin: tuple[str, ...],
    show: bool,
) -> None:
    """Serve the web app: data upload, model vote, training and live round progress."""
    if bool(ssl_certfile) != bool(ssl_keyfile):
        raise click.BadParameter("TLS needs both --ssl-certfile and --ssl-keyfile.")
    root = project_root()
    if not (root / "ui" / "app.py").is_file():
        raise ConfigurationError(f"{root} has no ui/app.py; run zkfed ui from a zkfed checkout.")
    parent = click.get_current_context().find_root().obj  # `zkfed --home DIR ui`
    if home is None and parent is not None and hasattr(parent, "home"):
        home = Path(parent.home.path)
    basic_auth = _basic_auth(basic_auth_file)
    cookie_secret = _secret(cookie_secret_file, "ZKFED_UI_COOKIE_SECRET")
    if port and port_in_use(address, port):
        raise ConfigurationError(
            f"Port {port} on {address} is already in use; choose another with --port."
        )
    sys.path.insert(0, str(root))
    backend = importlib.import_module("ui.backend")
    app = importlib.import_module("ui.app")
    try:
        settings = backend.Settings(
            network=network,
            aggregator=aggregator,
            storage=storage,
            account=account,
            keystore=str(keystore or ""),
            home=str(home or ""),
            member=member,
            variant=variant,
            members=members,
            dataset=dataset,
        ).checked()
    except ZkfedError as error:
        raise click.BadParameter(str(error)) from error
    if not is_verbose():  # ape's line per transaction would fill the server's terminal
        from ape.logging import LogLevel, logger

        logger.set_level(LogLevel.WARNING)
    app.serve(
        settings,
        address=address,
        port=port,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        basic_auth=basic_auth,
        cookie_secret=cookie_secret,
        allow_websocket_origin=list(allow_websocket_origin) or None,
        show=show,
        announce=lambda url: click.echo(f"zkfed ui: serving {url} (Ctrl+C stops)"),
    )


def _basic_auth(path: Path | None) -> dict[str, str] | str | None:
    """The login's users from ``--basic-auth-file`` (``user:password`` lines), else the one
    password of ``ZKFED_UI_PASSWORD``; never from the command line, where `ps` shows it."""
    if path is None:
        return os.environ.get("ZKFED_UI_PASSWORD") or None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"The file {path} cannot be read ({error}).") from None
    users: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        user, colon, password = line.partition(":")
        if not colon or not user.strip() or not password:
            raise ConfigurationError(
                f"Line {number} of {path} is not 'user:password' (a name, a colon, a password)."
            )
        users[user.strip()] = password
    if not users:
        raise ConfigurationError(f"The file {path} names no 'user:password' line.")
    return users


def _secret(path: Path | None, variable: str) -> str | None:
    """A secret from a file (one trailing newline dropped) or an environment variable."""
    if path is None:
        return os.environ.get(variable) or None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"The file {path} cannot be read ({error}).") from None
    return text.removesuffix("\n") or None


if __name__ == "__main__":
    ui()
