"""End-to-end demo of zkfed on the embedded defaults (anvil started by ape + the embedded store).

See `zkfed.demo` for what it does; this file only parses the options.
"""

from pathlib import Path
from typing import Any

import click
from ape.cli import ConnectedProviderCommand, network_option

from zkfed.chain import Mode
from zkfed.datasets import BUNDLED, load_dataset
from zkfed.demo import run_demo
from zkfed.exceptions import ZkfedError


@click.command(cls=ConnectedProviderCommand)
@network_option()
@click.option("--members", default=8, show_default=True, type=click.IntRange(4, 16))
@click.option("--rounds", default=6, show_default=True, type=click.IntRange(1, 50))
@click.option(
    "--dataset",
    default="digits",
    show_default=True,
    help=f"One of {', '.join(BUNDLED)}, or a CSV/NPZ file with a label column.",
)
@click.option("--label", default="label", show_default=True, help="Label column of a CSV/NPZ.")
@click.option("--mode", type=click.Choice(["secagg", "ckks"]), default="secagg", show_default=True)
@click.option(
    "--model",
    "preferred",
    type=click.Choice(["logreg", "mlp"]),
    default="logreg",
    show_default=True,
    help="The proposal most members vote for.",
)
@click.option(
    "--dropout-round",
    default=2,
    show_default=True,
    type=int,
    help="Round in which the last member drops out after the others submit (0: none).",
)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("reports/demo.json"),
    show_default=True,
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("reports/demo.png"),
    show_default=True,
)
@click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".zkfed/store"),
    show_default=True,
)
@click.option(
    "--prover",
    type=click.Choice(["native", "snarkjs", "groth16py"]),
    default=None,
    help="Groth16 backend: native (zkfed's C prover; the default where it is built), snarkjs "
    "(the reference) or groth16py (optional extra).",
)
def cli(
    network: Any,
    members: int,
    rounds: int,
    dataset: str,
    label: str,
    mode: str,
    preferred: str,
    dropout_round: int,
    seed: int,
    report: Path,
    plot: Path,
    store_dir: Path,
    prover: str | None,
) -> None:
    """Run zkfed end to end on the embedded defaults and report accuracy, gas and proof times."""
    from ape.logging import LogLevel, logger

    if logger.level == LogLevel.INFO:  # ape's default: a line per transaction would drown the
        logger.set_level(LogLevel.WARNING)  # demo's own; `ape run demo -v DEBUG` shows them
    if not 0 <= dropout_round <= rounds:
        raise click.BadArgumentUsage(
            f"--dropout-round must lie in 0..{rounds}, not {dropout_round}."
        )
    if network.name not in ("local",):
        raise click.BadArgumentUsage(
            "the demo moves the chain's clock, so it runs only on a local network."
        )
    try:
        data = load_dataset(
            dataset if dataset in BUNDLED else Path(dataset), label=label, seed=seed
        )
    except ZkfedError as error:
        raise click.BadArgumentUsage(str(error)) from error
    try:
        run_demo(
            members,
            rounds,
            data,
            Mode.CKKS if mode == "ckks" else Mode.SECAGG,
            preferred,
            dropout_round,
            seed,
            report,
            plot,
            store_dir,
            prover,
        )
    except ZkfedError as error:
        raise click.ClickException(str(error)) from error
