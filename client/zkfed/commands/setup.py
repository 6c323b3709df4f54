"""Setting up a consortium's chain: a development node, the deployment, the dev chain's clock."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import click

from zkfed.chain import LOCAL_CHAIN_IDS, Zkfed, deploy_registry
from zkfed.circuits import DEFAULT_VARIANT, development_keys, load_circuit
from zkfed.commands._session import (
    Settings,
    account_option,
    address_of,
    connect,
    contract_type,
    open_session,
    pass_settings,
    resolve_account,
    say,
    when,
    zkfed_project,
)
from zkfed.config import Deployment
from zkfed.exceptions import ChainError, ConfigurationError, ToolchainError
from zkfed.storage import open_store


@click.command()
@click.option("--port", default=8545, show_default=True, type=click.IntRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
def node(port: int, host: str) -> None:
    """Run a development chain (anvil) until interrupted, with ape's test accounts funded.

    Deploy to it with 'zkfed --network http://127.0.0.1:PORT deploy ...'; every later command
    reads the network from the deployment. Its state lives as long as the node runs.
    """
    anvil = shutil.which("anvil")
    if anvil is None:
        raise ToolchainError("anvil is not on PATH; run tools/dev.sh setup and activate .venv.")
    test = zkfed_project().config.get_config("test")
    command = [
        anvil,
        "--host",
        host,
        "--port",
        str(port),
        "--mnemonic",
        str(test.mnemonic),
        "--accounts",
        str(test.number_of_accounts),
        "--balance",
        "10000",
        "--block-base-fee-per-gas",
        "0",
        "--gas-price",
        "0",
    ]
    say(f"anvil on http://{host}:{port}, {test.number_of_accounts} test accounts; Ctrl-C stops it")
    try:
        completed = subprocess.run(command, check=False)
    except KeyboardInterrupt:
        return
    if completed.returncode not in (0, -2, 130):
        raise ToolchainError(f"anvil stopped with exit code {completed.returncode}.")


@click.command()
@account_option(default="0")
@click.option(
    "--founders",
    required=True,
    help="Comma-separated founding members: test account indices, addresses or ape aliases.",
)
@click.option(
    "--voting-period",
    default=3600,
    show_default=True,
    type=click.IntRange(1),
    help="Seconds a proposal stays open for votes.",
)
@click.option(
    "--variant",
    "variants",
    multiple=True,
    default=(DEFAULT_VARIANT,),
    show_default=True,
    help="MaskedUpdate circuit variant(s) of circuits/circuits.json to deploy verifiers for.",
)
@click.option(
    "--store",
    help="Model storage: a directory (default HOME/store), 'ipfs', or an IPFS RPC address.",
)
@click.option("--force", is_flag=True, help="Replace an existing deployment record.")
@click.option(
    "--rehearsal",
    is_flag=True,
    help="Allow the insecure development keys on a non-local chain (a rehearsal only).",
)
@pass_settings
def deploy(
    settings: Settings,
    account: str,
    founders: str,
    voting_period: int,
    variants: tuple[str, ...],
    store: str | None,
    force: bool,
    rehearsal: bool,
) -> None:
    """Deploy verifiers, governance and the aggregator, and record the deployment."""
    home = settings.home
    if home.has_deployment() and not force:
        existing = home.deployment()
        raise ConfigurationError(
            f"{home.deployment_file} already records aggregator {existing.aggregator} on "
            f"{existing.network}; pass --force to replace the record or --home for another."
        )
    circuits = [load_circuit(name) for name in dict.fromkeys(variants)]
    for circuit in circuits:
        circuit.packing(0)  # refuses anything but a MaskedUpdate variant
    development = development_keys([c.name for c in circuits])
    location = store or str(home.default_store.resolve())
    if not location.startswith(("/", "ipfs", "http://", "https://")):
        location = str(Path(location.removeprefix("file://")).resolve())
    open_store(location)  # a malformed IPFS address fails here, before anything is deployed

    with connect(settings.network) as connection:
        if connection.started_node:
            raise ChainError(
                f"{connection.choice} started a throwaway anvil that stops with this command; "
                "start a node with 'zkfed node' and pass --network http://127.0.0.1:8545."
            )
        if development and connection.chain_id not in LOCAL_CHAIN_IDS and not rehearsal:
            raise ConfigurationError(
                "The circuits' keys are the insecure development keys, with which anyone can "
                f"forge proofs; chain {connection.chain_id} is not a local chain. Run the "
                "ceremony (ape run ceremony) for real keys, or pass --rehearsal to deploy them "
                "for a rehearsal anyway."
            )
        if development and rehearsal:
            say("REHEARSAL: deploying the insecure development keys; anyone can forge proofs.")
        deployer = resolve_account(account, connection)
        founder_addresses = [
            address_of(spec.strip(), connection) for spec in founders.split(",") if spec.strip()
        ]
        if not founder_addresses:
            raise ConfigurationError("Name at least one founding member with --founders.")
        project = zkfed_project()
        say(f"deploying from {deployer.address} on {connection.choice}")
        for name in [c.verifier_contract for c in circuits] + ["VerifierRegistry"]:
            contract_type(project, name)  # one sentence if the verifiers were not generated
        registry = deploy_registry(project, deployer, [c.name for c in circuits])
        say(f"  {'VerifierRegistry':28} {registry.address} ({', '.join(c.name for c in circuits)})")
        zk = Zkfed.deploy(project, deployer, founder_addresses, voting_period, registry.address)
        say(f"  {'ModelGovernance':28} {zk.governance.address}")
        say(f"  {'FederatedAggregator':28} {zk.aggregator.address}")
        from ape import chain

        record = Deployment(
            network=connection.choice,
            chain_id=connection.chain_id,
            aggregator=str(zk.aggregator.address),
            governance=str(zk.governance.address),
            store=location,
            registry=str(registry.address),
            variants=tuple(c.name for c in circuits),
            deployer=str(deployer.address),
            block=int(chain.blocks.height),
        )
    home.save_deployment(record)
    say(
        f"{len(founder_addresses)} founding members; voting period {voting_period} s; "
        f"store {location}; recorded in {home.deployment_file}"
    )


@click.command()
@click.option("--seconds", type=click.IntRange(1), help="Move the clock forward this far.")
@click.option(
    "--task",
    "task_id",
    type=int,
    help="Move the clock just past the task's next deadline (submission, then reveal).",
)
@pass_settings
def advance(settings: Settings, seconds: int | None, task_id: int | None) -> None:
    """Move a development chain's clock forward (anvil only), e.g. past a round's deadline."""
    from ape import chain

    if (seconds is None) == (task_id is None):
        raise click.UsageError("Give exactly one of --seconds and --task.")
    with open_session(settings) as session:
        if not session.connection.is_dev:
            raise ChainError(
                f"Only a development chain's clock can be moved; {session.connection.choice} "
                "is not one."
            )
        now = session.now()
        if task_id is not None:
            session.require_task(task_id)
            round_index = session.zk.current_round(task_id)
            _, deadlines = session.zk.round_schedule(task_id, round_index)
            upcoming = [t for t in deadlines if t > now]
            if not upcoming:
                raise ConfigurationError(
                    f"Round {round_index} of task {task_id} has no deadline ahead of the clock."
                )
            seconds = upcoming[0] - now
        assert seconds is not None
        chain.mine(deltatime=seconds)
        say(f"chain time is now {when(session.now(), session.now())}")
