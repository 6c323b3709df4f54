"""Deploy zkfed to any ape network (a testnet, an L2, or the local chain) and record it.

    ape run deploy --network ethereum:sepolia:node --account ALIAS --founders 0xA,0xB,0xC

Deploys the verifiers of a `MaskedUpdate` variant of the circuit registry (with its `MaskReveal`,
`PairCommit` and `KeyPossession` verifiers) and the `VerifierRegistry` that fixes them, then
`ModelGovernance` and `FederatedAggregator`, and writes the deployment record the `zkfed` CLI and
the web app read (`.zkfed/deployment.json`, or `--home`). The committed keys come from the
INSECURE development setup: on a chain other than a local node the script refuses them unless
`--rehearsal` is given; deploy the output of `ape run ceremony` for anything real.
"""

from pathlib import Path
from typing import Any

import click
from ape import chain, project
from ape.cli import ConnectedProviderCommand, account_option, network_option

from zkfed.chain import LOCAL_CHAIN_IDS, Zkfed, deploy_registry
from zkfed.circuits import DEFAULT_VARIANT, development_keys, load_circuit
from zkfed.config import Deployment, Home
from zkfed.proposals import DEV_PERIOD


@click.command(cls=ConnectedProviderCommand)
@network_option()
@account_option()
@click.option("--founders", required=True, help="Comma-separated founding member addresses.")
@click.option("--voting-period", default=DEV_PERIOD, show_default=True, type=click.IntRange(1))
@click.option("--variant", default=DEFAULT_VARIANT, show_default=True)
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option(
    "--rehearsal",
    is_flag=True,
    help="Allow the insecure development keys on a non-local chain (a rehearsal only).",
)
def cli(
    network: Any,
    account: Any,
    founders: str,
    voting_period: int,
    variant: str,
    home: Path | None,
    rehearsal: bool,
) -> None:
    """Deploy the verifiers, their registry, governance and the aggregator, and record them."""
    members = [f.strip() for f in founders.split(",") if f.strip()]
    if not members:
        raise click.BadArgumentUsage("name at least one founding member with --founders.")
    for member in members:
        if not (member.startswith("0x") and len(member) == 42):
            raise click.BadArgumentUsage(f"{member!r} is not an address (0x and 40 hex digits).")
    load_circuit(variant).packing(0)  # refuses anything but a MaskedUpdate variant
    development = development_keys([variant])
    if development and int(chain.chain_id) not in LOCAL_CHAIN_IDS and not rehearsal:
        raise click.BadArgumentUsage(
            "the circuits' keys are the insecure development keys (anyone can forge proofs) "
            f"and chain {chain.chain_id} is not a local node: run `ape run ceremony` for real "
            "keys, or pass --rehearsal for a rehearsal."
        )
    if development:
        click.echo("WARNING: insecure development keys; anyone can forge proofs with them.")
    registry = deploy_registry(project, account, [variant])
    zk = Zkfed.deploy(project, account, members, voting_period, str(registry.address))
    record = Deployment(
        network=network.choice,
        chain_id=int(chain.chain_id),
        aggregator=str(zk.aggregator.address),
        governance=str(zk.governance.address),
        store=str(Home(home).default_store.resolve()),
        registry=str(registry.address),
        variants=(variant,),
        deployer=str(account.address),
        block=int(chain.blocks.height),
    )
    Home(home).save_deployment(record)
    click.echo(f"FederatedAggregator {zk.aggregator.address} on {network.choice}")
    click.echo(f"ModelGovernance     {zk.governance.address}; {len(members)} founding members")
    click.echo(f"recorded in {Home(home).deployment_file}")
