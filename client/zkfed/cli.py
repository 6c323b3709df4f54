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
(``.zkfed`` unless ``--home``). Every refusal is one sentence on stderr and exit code 1;
``zkfed -v COMMAND`` also shows ape's log lines and, on a failure, the traceback.

ape is imported only by the commands that reach a chain, and only once their local inputs
(files, passwords read from files, numbers) have been checked.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import traceback
from pathlib import Path
from typing import Any

import click

from zkfed import __version__
from zkfed.circuits import load_circuit, project_root
from zkfed.commands import governance, inspect, members, rounds, setup, training
from zkfed.commands._session import Settings, ape_output, decode_custom_errors, describe_error
from zkfed.config import Home
from zkfed.exceptions import ConfigurationError, ZkfedError
from zkfed.ui_command import ui

# Tools the client drives, with the argument that makes each print its version.
_TOOLCHAIN = {
    "node": "--version",
    "snarkjs": None,
    "anvil": "--version",
    "forge": "--version",
    "solc": "--version",
}


CHROMIUM = Path("/usr/bin/chromium")
"""The browser the web app's tests drive (tests/ui)."""


class ZkfedGroup(click.Group):
    """A group whose commands fail with one sentence instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ZkfedError as error:
            _show_trace(ctx, error)
            raise click.ClickException(decode_custom_errors(str(error))) from error
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as error:
            # ape's own errors (a revert, an unknown account), a node that is gone or stops
            # answering mid-command, a contract's custom error: one sentence each.
            message = describe_error(error, _node_url(ctx))
            if message is None and isinstance(error, OSError):
                # A home directory we cannot write, a file that vanished.
                message = f"{type(error).__name__}: {str(error).splitlines()[0]}."
            if message is None:
                raise
            _show_trace(ctx, error)
            raise click.ClickException(message) from error


def _show_trace(ctx: click.Context, error: BaseException) -> None:
    """With ``-v``, the traceback of a failure before its one sentence."""
    settings = ctx.obj
    if isinstance(settings, Settings) and settings.verbose:
        click.echo("".join(traceback.format_exception(error)).rstrip(), err=True)


def _node_url(ctx: click.Context) -> str | None:
    """The node a command talked to: ``--network``, else the deployment's."""
    settings = ctx.obj
    if not isinstance(settings, Settings):
        return None
    if settings.network:
        return settings.network
    try:
        return settings.home.deployment().network if settings.home.has_deployment() else None
    except ZkfedError:
        return None


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
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Show ape's log lines and, when a command fails, the traceback.",
)
@click.pass_context
def cli(ctx: click.Context, home: Path | None, network: str | None, verbose: bool) -> None:
    """Privacy-preserving federated learning run by an Ethereum contract."""
    ctx.obj = Settings(Home(home), network, verbose)
    ctx.with_resource(ape_output(verbose))


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


def _circom2() -> str | None:
    """circom2's version, from the project's node_modules (None when it is not installed)."""
    package = project_root() / "node_modules" / "circom2" / "package.json"
    try:
        return f"{json.loads(package.read_text())['version']} ({package.parent})"
    except (OSError, ValueError, KeyError):
        return None


def _unbuilt_circuits() -> tuple[int, list[str]]:
    """How many circuits the registry has, and those whose wasm or zkey is missing."""
    registry = json.loads((project_root() / "circuits" / "circuits.json").read_text())
    names = list(registry["variants"])
    return len(names), [name for name in names if not load_circuit(name).ready()]


def _compiled_contracts() -> str | None:
    """ape's build manifest of the contracts, summarised (None before the first compile)."""
    manifest = project_root() / ".build" / "__local__.json"
    try:
        types = json.loads(manifest.read_text()).get("contractTypes") or {}
    except (OSError, ValueError):
        return None
    return f"{len(types)} contract types in {manifest}" if types else None


def _chromium() -> str | None:
    if not CHROMIUM.is_file():
        return None
    result = subprocess.run(
        [str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    lines = result.stdout.strip().splitlines()
    return lines[0] if lines else str(CHROMIUM)


@cli.command(short_help="Check the toolchain, circuits and contracts.")
def doctor() -> None:
    """Check the toolchain, the built circuits and the compiled contracts; end with a verdict.

    Exit code 1 ("not ready: ...") when something a member's commands need is missing.
    """
    missing = []
    for tool, version_flag in _TOOLCHAIN.items():
        path = shutil.which(tool)
        if path is None:
            missing.append(tool)
            click.echo(f"{tool:9} missing")
            continue
        detail = path
        if version_flag:
            result = subprocess.run(
                [path, version_flag], capture_output=True, text=True, timeout=60, check=False
            )
            lines = result.stdout.strip().splitlines() or [path]
            detail = next((line for line in lines if "Version" in line), lines[0])
        click.echo(f"{tool:9} {detail}")
    circom2 = _circom2()
    if circom2 is None:
        missing.append("circom2")
    click.echo(f"{'circom2':9} {circom2 or 'missing'}")
    click.echo(f"{'prover':9} {_prover_summary()}")
    total, unbuilt = _unbuilt_circuits()
    built = f"{total - len(unbuilt)} of {total} built"
    click.echo(f"{'circuits':9} {built}{'; not built: ' + ', '.join(unbuilt) if unbuilt else ''}")
    contracts = _compiled_contracts()
    first = "not compiled yet (the first deploy compiles them, about a minute)"
    click.echo(f"{'contracts':9} {contracts or first}")
    browser = _chromium()
    click.echo(f"{'chromium':9} {browser or f'missing at {CHROMIUM} (the browser tests skip)'}")
    problems = []
    if missing:
        problems.append(f"missing tools: {', '.join(missing)}")
    if unbuilt:
        problems.append(f"{len(unbuilt)} of {total} circuits not built")
    if problems:
        raise ConfigurationError(
            f"not ready: {'; '.join(problems)}; run tools/dev.sh setup and activate .venv."
        )
    click.echo("ready")


# One line each in `zkfed --help`, whole at 80 columns (the docstrings' first sentences are longer).
_SUMMARIES = {
    "advance": "Move a development chain's clock past a deadline.",
    "deploy": "Deploy the contracts and write the deployment record.",
    "example-data": "Write a member's share of a bundled dataset as CSV.",
    "finalize": "Seal a round's sums, derive and publish its model.",
    "forget-keys": "Delete the masking secrets of ended tasks.",
    "join": "Commit to a task's pair secrets (once per task).",
    "keygen": "Create a member's keyring, bound to an account.",
    "node": "Run a development chain (anvil) that keeps its state.",
    "register": "Register unused masking keys on-chain.",
    "reveal": "Remove the masks of neighbours that dropped out.",
    "status": "The deployment, or a task's rounds and chunks.",
    "submit": "Mask, prove and submit the saved update.",
    "train": "Train on local data and save the update.",
    "ui": "Serve the web app.",
    "verify-round": "Re-derive a round from chain and store alone.",
}

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
    governance.propose_member,
    training.example_data,
    training.train,
    rounds.submit,
    rounds.reveal,
    rounds.finalize_command,
    inspect.verify_round_command,
    inspect.status,
    ui,
):
    if _command.name in _SUMMARIES:
        _command.short_help = _SUMMARIES[_command.name]
    cli.add_command(_command)


def main() -> None:
    """Run the CLI (errors become one sentence and exit code 1, see `ZkfedGroup`)."""
    cli(prog_name="zkfed")
