"""The `zkfed` command line: one sub-command per step of a member's lifecycle."""

import shutil
import subprocess
import sys

import click

from zkfed import __version__
from zkfed.exceptions import ZkfedError

# Tools the client drives, with the argument that makes each print its version.
_TOOLCHAIN = {
    "node": "--version",
    "snarkjs": None,
    "anvil": "--version",
    "forge": "--version",
    "solc": "--version",
}


@click.group()
@click.version_option(__version__, prog_name="zkfed")
def cli() -> None:
    """Privacy-preserving federated learning run by an Ethereum contract."""


@cli.command()
def doctor() -> None:
    """Check that the project's toolchain is installed and runs."""
    missing = []
    for tool, version_flag in _TOOLCHAIN.items():
        path = shutil.which(tool)
        if path is None:
            missing.append(tool)
            click.echo(f"{tool:8} missing")
            continue
        detail = path
        if version_flag:
            result = subprocess.run(
                [path, version_flag], capture_output=True, text=True, timeout=60, check=False
            )
            lines = result.stdout.strip().splitlines() or [path]
            detail = next((line for line in lines if "Version" in line), lines[0])
        click.echo(f"{tool:8} {detail}")
    if missing:
        raise ZkfedError(
            f"missing tools: {', '.join(missing)}; run tools/dev.sh setup and activate .venv."
        )


def main() -> None:
    """Run the CLI, turning every `ZkfedError` into one sentence and exit code 1."""
    try:
        cli(standalone_mode=True)
    except ZkfedError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
