"""Setting up a consortium's chain: a development node, the deployment, the dev chain's clock."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
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
    port_in_use,
    probe,
    resolve_account,
    say,
    when,
    zkfed_project,
)
from zkfed.config import Deployment
from zkfed.exceptions import ChainError, ConfigurationError, ToolchainError
from zkfed.storage import open_store

STATE_INTERVAL = 5
"""Seconds between two saves of a development chain's state (at most this much is lost when the
node is killed rather than stopped)."""


def _log_tail(log: Path) -> str:
    """The last meaningful line anvil wrote (why it stopped)."""
    try:
        lines = [line.strip() for line in log.read_text(errors="replace").splitlines()]
    except OSError:
        return ""
    return next((line for line in reversed(lines) if line), "")


def _wait_until_listening(process: subprocess.Popen[bytes], url: str, log: Path) -> int:
    """The chain id once anvil answers at ``url``; one sentence if it stops or never answers."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ToolchainError(
                f"anvil stopped at start with exit code {process.returncode}: "
                f"{_log_tail(log).rstrip('.') or 'no output'} (see {log})."
            )
        try:
            return probe(url, timeout=0.5)
        except ChainError:
            time.sleep(0.1)
    process.terminate()
    raise ToolchainError(f"anvil did not answer at {url} within a minute (see {log}).")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop anvil as Ctrl-C does, so that it saves its state, and wait for it."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@click.command()
@click.option("--port", default=8545, show_default=True, type=click.IntRange(1, 65535))
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File the chain is loaded from and saved to.  [default: HOME/anvil-state.json]",
)
@click.option(
    "--fresh",
    is_flag=True,
    help="Start from an empty chain, ignoring the saved state (which the new chain replaces).",
)
@pass_settings
def node(settings: Settings, port: int, host: str, state_file: Path | None, fresh: bool) -> None:
    """Run a development chain (anvil) until interrupted, with ape's test accounts funded.

    Deploy to it with 'zkfed --network http://127.0.0.1:PORT deploy ...'; every later command
    reads the network from the deployment. The chain is saved to HOME/anvil-state.json every
    few seconds and when the node stops, and loaded again at the next start (unless --fresh),
    so contracts and rounds outlive a restart. anvil's own log goes to HOME/anvil.log.
    """
    anvil = shutil.which("anvil")
    if anvil is None:
        raise ToolchainError("anvil is not on PATH; run tools/dev.sh setup and activate .venv.")
    home = settings.home.path
    state = (state_file or home / "anvil-state.json").resolve()
    log = (home / "anvil.log").resolve()
    if port_in_use(host, port, hint="pass an interface of this machine with --host"):
        raise ConfigurationError(
            f"Port {port} on {host} is already in use (another node?); stop it, or pass "
            f"another one with --port (and the same URL to --network)."
        )
    load = state.is_file() and not fresh
    state.parent.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    test = zkfed_project().config.get_config("test")
    command = [anvil, "--host", host, "--port", str(port), "--mnemonic", str(test.mnemonic)]
    command += ["--accounts", str(test.number_of_accounts), "--balance", "10000"]
    command += ["--block-base-fee-per-gas", "0", "--gas-price", "0"]
    command += ["--dump-state", str(state), "--state-interval", str(STATE_INTERVAL)]
    command += ["--load-state", str(state)] if load else []
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"
    # ape's own SIGINT handler exits at once; anvil must be stopped first, to save the chain.
    previous = {kind: signal.signal(kind, _raise_interrupt) for kind in _STOP_SIGNALS}
    with log.open("ab") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            chain_id = _wait_until_listening(process, url, log)
            origin = "loaded" if load else "new"
            say(
                f"anvil listening on {url} (chain id {chain_id}), state {state} ({origin}), "
                f"log {log}; Ctrl-C stops it"
            )
            process.wait()
        except KeyboardInterrupt:
            pass
        finally:
            _stop(process)
            for kind, handler in previous.items():
                signal.signal(kind, handler)
    if process.returncode not in (0, -2, 130, -15, 143):
        raise ToolchainError(
            f"anvil stopped with exit code {process.returncode}: "
            f"{_log_tail(log).rstrip('.') or 'no output'} (see {log})."
        )


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
    type=click.IntRange(1),
    help="Move the clock just past the task's next deadline (submission, then reveal).",
)
@pass_settings
def advance(settings: Settings, seconds: int | None, task_id: int | None) -> None:
    """Move a development chain's clock forward (anvil only), e.g. past a round's deadline."""
    if (seconds is None) == (task_id is None):
        raise click.UsageError("Give exactly one of --seconds and --task.")
    from ape import chain

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
