"""`zkfed ui`: serve the web app (ui/app.py) of a zkfed checkout.

The app lives in the checkout's ``ui/`` folder, next to the circuits it proves with, so the
command finds it through the same project root as the circuit registry.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from zkfed.circuits import DEFAULT_VARIANT, project_root
from zkfed.exceptions import ConfigurationError, ZkfedError


@click.command("ui")
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
@click.option("--account", default="", help="ape account alias of the page's member.")
@click.option(
    "--keystore",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="zkfed keystore of the page's member (default .zkfed/keystore.json).",
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
    "--basic-auth",
    default=None,
    help="A password, or a JSON file of user: password pairs, asked for by a login page.",
)
@click.option("--cookie-secret", default=None, help="Secret signing the login cookie.")
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
    account: str,
    keystore: Path | None,
    variant: str,
    members: int,
    dataset: str,
    address: str,
    port: int,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
    basic_auth: str | None,
    cookie_secret: str | None,
    allow_websocket_origin: tuple[str, ...],
    show: bool,
) -> None:
    """Serve the web app: data upload, model vote, training and live round progress."""
    if bool(ssl_certfile) != bool(ssl_keyfile):
        raise click.BadParameter("TLS needs both --ssl-certfile and --ssl-keyfile.")
    root = project_root()
    if not (root / "ui" / "app.py").is_file():
        raise ConfigurationError(f"{root} has no ui/app.py; run zkfed ui from a zkfed checkout.")
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
            variant=variant,
            members=members,
            dataset=dataset,
        ).checked()
    except ZkfedError as error:
        raise click.BadParameter(str(error)) from error
    scheme = "https" if ssl_certfile else "http"
    click.echo(f"zkfed ui: serving {scheme}://{address}:{port}/ (Ctrl+C stops)")
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
    )


if __name__ == "__main__":
    ui()
