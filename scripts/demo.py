"""End-to-end demo of zkfed on the embedded defaults (anvil started by ape).

Until the federated round exists, it proves the toolchain end to end: compile, start the embedded
chain, deploy the key-check contract, call it, print the result.
"""

from typing import Any

import click
from ape import accounts, project
from ape.cli import ConnectedProviderCommand, network_option

# circomlib's BabyJubJub Base8, the generator of the prime-order subgroup.
BASE8 = (
    5299619240641551281634865583518297030282874472190772894086521144482721001553,
    16950150798460657717958625567821834550301663161624707787222815936182638968203,
)


@click.command(cls=ConnectedProviderCommand)
@network_option()
def cli(network: Any) -> None:
    """Deploy zkfed's key-check contract on the connected chain and call it."""
    deployer = accounts.test_accounts[0]
    contract = deployer.deploy(project.MockBabyJubJub)
    click.echo(f"network: {network.name}  contract: {contract.address}")
    valid = contract.isValidPublicKey(*BASE8)
    click.echo(f"isValidPublicKey(Base8) = {valid}")
    if not valid:
        raise click.ClickException("the deployed contract rejected a valid BabyJubJub key.")
