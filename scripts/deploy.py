"""Deploy zkfed to any ape network (a testnet, an L2, or the local chain) and record it.

    ape run deploy --network ethereum:sepolia:node --account ALIAS --founders 0xA,0xB,0xC

Deploys the `SeedReveal` verifier and the default `MaskedUpdate` verifier generated from the
circuit registry, then `ModelGovernance` and `FederatedAggregator`, and writes the deployment
record the `zkfed` CLI and the web app read (`.zkfed/deployment.json`, or `--home`).
The committed verifiers come from the INSECURE development setup: deploy the output of
`ape run ceremony` for anything beyond a rehearsal.
"""

from pathlib import Path
from typing import Any

import click
from ape import chain, project
from ape.cli import ConnectedProviderCommand, account_option, network_option

from zkfed.chain import Zkfed, deploy_variant
from zkfed.circuits import DEFAULT_VARIANT, load_circuit
from zkfed.config import Deployment, Home, VariantAddresses
from zkfed.proposals import DEV_PERIOD


@click.command(cls=ConnectedProviderCommand)
@network_option()
@account_option()
@click.option("--founders", required=True, help="Comma-separated founding member addresses.")
@click.option("--voting-period", default=DEV_PERIOD, show_default=True, type=click.IntRange(1))
@click.option("--variant", default=DEFAULT_VARIANT, show_default=True)
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=None)
def cli(
    network: Any,
    account: Any,
    founders: str,
    voting_period: int,
    variant: str,
    home: Path | None,
) -> None:
    """Deploy the verifiers, governance and the aggregator, and record the deployment."""
    members = [f.strip() for f in founders.split(",") if f.strip()]
    if not members:
        raise click.BadArgumentUsage("name at least one founding member with --founders.")
    for member in members:
        if not (member.startswith("0x") and len(member) == 42):
            raise click.BadArgumentUsage(f"{member!r} is not an address (0x and 40 hex digits).")
    circuit = load_circuit(variant)
    deployed = deploy_variant(project, account, circuit)
    zk = Zkfed.deploy(project, account, members, voting_period)
    record = Deployment(
        network=network.choice,
        chain_id=int(chain.chain_id),
        aggregator=str(zk.aggregator.address),
        governance=str(zk.governance.address),
        store=str(Home(home).default_store.resolve()),
        variants={
            variant: VariantAddresses(
                deployed.verifier, deployed.reveal_verifier, deployed.pair_verifier
            )
        },
        deployer=str(account.address),
        block=int(chain.blocks.height),
    )
    Home(home).save_deployment(record)
    click.echo(f"FederatedAggregator {zk.aggregator.address} on {network.choice}")
    click.echo(f"ModelGovernance     {zk.governance.address}; {len(members)} founding members")
    click.echo(f"recorded in {Home(home).deployment_file}")
