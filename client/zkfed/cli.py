"""The `zkfed` command line: one sub-command per step of a member's lifecycle.

::

    zkfed node                                   # a development chain (anvil) in the foreground
    zkfed --network http://127.0.0.1:8545 deploy --founders 1,2,3,4,5
    zkfed keygen --name alice --account 1        # a keyring of BabyJubJub keys, bound to an account
    zkfed register --member alice                # 2 unused keys on-chain (a SecAgg task takes one)
    zkfed propose --member alice --model logreg --dataset wine --rounds 3
    zkfed vote 1 --for --member alice
    zkfed execute 1 --member alice               # opens the task
    zkfed join 1 --member alice                  # commit pair secrets (submit does it if needed)
    zkfed train 1 --member alice --dataset data.csv
    zkfed submit 1 --member alice                # mask, prove and submit every chunk
    zkfed reveal 1 --member alice                # after the deadline, for dropped neighbours
    zkfed finalize 1 --member alice
    zkfed verify-round 1 1                       # MATCH, or the first difference (exit 1)
    zkfed status 1
    zkfed forget-keys --member alice             # delete the secrets of ended tasks' keys

The chain commands read the network and contract addresses from ``HOME/deployment.json``
(``.zkfed`` unless ``--home``). Every refusal is one sentence on stderr and exit code 1.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from zkfed import __version__
from zkfed.commands import governance, inspect, members, rounds, setup, training
from zkfed.commands._session import Settings, describe_error
from zkfed.config import Home
from zkfed.exceptions import ZkfedError
from zkfed.ui_command import ui

# Tools the client drives, with the argument that makes each print its version.
_TOOLCHAIN = {
    "node": "--version",
    "snarkjs": None,
    "anvil": "--version",
    "forge": "--version",
    "solc": "--version",
}


class ZkfedGroup(click.Group):
    """A group whose commands fail with one sentence instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ZkfedError as error:
            raise click.ClickException(str(error)) from error
        except click.exceptions.Exit:
            raise
        except Exception as error:
            # ape's own errors (a revert, an unknown account, a failed connection) are one line.
            message = describe_error(error) if "ape" in sys.modules else None
            if message is None and isinstance(error, OSError):
                # A node that stops answering mid-command, or a home directory we cannot write.
                message = f"{type(error).__name__}: {str(error).splitlines()[0]}."
            if message is None:
                raise
            raise click.ClickException(message) from error


@click.group(cls=ZkfedGroup)
@click.version_option(__version__, prog_name="zkfed")
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="ZKFED_HOME",
    help="State directory (deployment, keys, updates, store).  [default: .zkfed]",
)
@click.option(
    "--network",
    envvar="ZKFED_NETWORK",
    help="ape network choice or RPC URL  [default: the deployment's, else ethereum:local:foundry]",
)
@click.pass_context
def cli(ctx: click.Context, home: Path | None, network: str | None) -> None:
    """Privacy-preserving federated learning run by an Ethereum contract."""
    ctx.obj = Settings(Home(home), network)


def _prover_summary() -> str:
    """The client's prover, and for the native one its cores and arithmetic."""
    from zkfed.proving import default_prover
    from zkfed.proving_native import available, default_threads, load_native

    name = default_prover()
    if name != "native":
        if available():
            return name
        return f"{name} (zkfed's native prover is not built: run tools/dev.sh setup)"
    arithmetic = "mulx/adcx/adox" if load_native().use_adx() else "portable C"
    return f"native (zkfed._groth16: {default_threads()} cores, {arithmetic} field arithmetic)"


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
    click.echo(f"{'prover':8} {_prover_summary()}")
    if missing:
        raise ZkfedError(
            f"missing tools: {', '.join(missing)}; run tools/dev.sh setup and activate .venv."
        )


for _command in (
    setup.node,
    setup.deploy,
    setup.advance,
    members.keygen,
    members.register,
    members.join,
    members.forget_keys,
    governance.propose,
    governance.vote,
    governance.execute,
    training.train,
    rounds.submit,
    rounds.reveal,
    rounds.finalize_command,
    inspect.verify_round_command,
    inspect.status,
    ui,
):
    cli.add_command(_command)


def main() -> None:
    """Run the CLI (errors become one sentence and exit code 1, see `ZkfedGroup`)."""
    cli(prog_name="zkfed")
