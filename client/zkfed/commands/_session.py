"""What every chain-facing command shares: the connection, the deployment, accounts, passwords.

The CLI runs outside ``ape run``, so it connects with ape's Python API. When a provider is
already connected in this process (``ape test``, a notebook, a script under ``ape run``) and the
requested network is the same, the command uses it instead of opening a second connection.

A local RPC URL (``http://127.0.0.1:8545``) is taken as an anvil node that is already running:
ape-foundry connects to it and never starts or stops it, so time travel and test accounts work
and the chain outlives the command. ``ethereum:local:foundry`` on its own makes ape start a
throwaway anvil that stops when the command ends; `zkfed deploy` refuses to deploy there.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click

from zkfed.chain import Zkfed
from zkfed.circuits import Circuit, load_circuit, project_root
from zkfed.config import Deployment, Home
from zkfed.exceptions import ChainError, ConfigurationError, KeystoreError
from zkfed.storage import ContentStore, open_store

DEFAULT_NETWORK = "ethereum:local:foundry"
"""ape's embedded default: anvil started (and stopped) by ape-foundry."""

_LOCAL_HOSTS = {"127.0.0.1", "localhost", "0.0.0.0", "::1"}
_F = TypeVar("_F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Settings:
    """The group's options, handed to every command."""

    home: Home
    network: str | None


pass_settings = click.make_pass_decorator(Settings)


# --- options shared by commands ----------------------------------------------------------------


def member_option(required: bool = False) -> Callable[[_F], _F]:
    """``--member NAME``: a member created by `zkfed keygen` (its account and its keystore)."""
    return click.option(
        "--member",
        "-m",
        required=required,
        help="Member name given to 'zkfed keygen' (its account and BabyJubJub key).",
    )


def account_option(default: str | None = None) -> Callable[[_F], _F]:
    """``--account ACCOUNT``: a test account index (local chains), an address or an ape alias."""
    return click.option(
        "--account",
        "-a",
        default=default,
        show_default=default is not None,
        help="Test account index (local chains), address, or ape account alias.",
    )


def password_file_option() -> Callable[[_F], _F]:
    """``--password-file FILE``: read the keystore password instead of prompting."""
    return click.option(
        "--password-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="File holding the keystore password (otherwise it is prompted for).",
    )


def read_password(password_file: Path | None, *, confirm: bool = False) -> str:
    """The keystore password, from a file (one trailing newline dropped) or a hidden prompt."""
    if password_file is None:
        password: str = click.prompt(
            "Keystore password", hide_input=True, confirmation_prompt=confirm
        )
        return password
    try:
        text = password_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise KeystoreError(
            f"The password file {password_file} cannot be read ({error})."
        ) from None
    password = text[:-1] if text.endswith("\n") else text
    if not password:
        raise KeystoreError(f"The password file {password_file} is empty.")
    return password


# --- output ------------------------------------------------------------------------------------


def say(message: str) -> None:
    """One line of output."""
    click.echo(message)


def warn(message: str) -> None:
    """One line of warning, on stderr."""
    click.echo(f"warning: {message}", err=True)


def plural(count: int, noun: str) -> str:
    """``1 key``, ``2 keys``, ``0 keys``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def key_label(pk: tuple[int, int]) -> str:
    """A public key, short enough for a line of output (its x coordinate's leading digits)."""
    return f"key {str(pk[0])[:12]}…"


def lazy_password(password_file: Path | None) -> Callable[[], str]:
    """The keystore password, read (or prompted for) when first needed, then remembered."""
    return functools.cache(functools.partial(read_password, password_file))


def when(timestamp: int, now: int) -> str:
    """A chain time for people: UTC, and how far it is from the chain's clock."""
    moment = datetime.datetime.fromtimestamp(timestamp, datetime.UTC)
    delta = timestamp - now
    span = _span(abs(delta))
    relative = f"in {span}" if delta > 0 else "now" if delta == 0 else f"{span} ago"
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC ({relative})"


def _span(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} s"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else ""]
    parts.append(f"{minutes} min" if minutes and not days else "")
    return " ".join(p for p in parts if p)


def describe_error(error: BaseException) -> str | None:
    """One sentence for an error ape raised (None when it is not ape's)."""
    from ape.exceptions import ApeException, ContractLogicError, CustomError

    if not isinstance(error, ApeException):
        return None
    if isinstance(error, CustomError):
        arguments = ", ".join(f"{k}={_short(v)}" for k, v in error.inputs.items())
        return f"The chain refused the transaction: {error.name}({arguments})."
    if isinstance(error, ContractLogicError):
        return f"The chain refused the transaction: {_first_line(error) or 'it reverted'}."
    return _first_line(error) or f"ape failed: {type(error).__name__}."


def _short(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    if not lines:
        return ""
    line = lines[0].rstrip(":")
    return line if line.endswith(".") else line + "."


# --- connecting --------------------------------------------------------------------------------


def _local_url(choice: str) -> bool:
    parts = urlsplit(choice)
    return parts.scheme in ("http", "https") and (parts.hostname or "") in _LOCAL_HOSTS


def _same_network(choice: str, provider: Any) -> bool:
    if choice == provider.network_choice:
        return True
    if _local_url(choice):
        uri = str(getattr(provider, "uri", "") or "")
        return urlsplit(uri).port == urlsplit(choice).port and _local_url(uri)
    return False


@dataclass(frozen=True)
class Connection:
    """A connected provider and how it was reached."""

    provider: Any
    choice: str
    started_node: bool
    """True when ape started a node for this command alone (it stops when the command ends)."""

    @property
    def chain_id(self) -> int:
        """The connected chain's id."""
        return int(self.provider.chain_id)

    @property
    def is_dev(self) -> bool:
        """A development chain: test accounts and time travel are available."""
        return bool(self.provider.network.is_dev) or self.chain_id in (31337, 1337)


@contextmanager
def connect(choice: str | None) -> Iterator[Connection]:
    """Connect to a network choice, or use the provider this process already has.

    ape's progress logs (deployments, confirmations) are kept below warnings meanwhile: the
    commands print their own progress.

    Raises
    ------
    ConfigurationError
        If ape knows no such network.
    ChainError
        If the node cannot be reached.
    """
    from ape import networks
    from ape.exceptions import ApeException, NetworkError
    from ape.logging import LogLevel, logger

    with ExitStack() as stack:
        stack.enter_context(logger.at_level(LogLevel.WARNING))
        active = networks.active_provider
        if (
            active is not None
            and active.is_connected
            and (choice is None or _same_network(choice, active))
        ):
            yield Connection(active, str(active.network_choice), started_node=False)
            return
        wanted = choice or DEFAULT_NETWORK
        name, settings = wanted, None
        if _local_url(wanted):
            # An already-running anvil: ape-foundry attaches to it and must never start one.
            name, settings = "ethereum:local:foundry", {"host": wanted, "manage_process": False}
        try:
            context = networks.parse_network_choice(name, provider_settings=settings)
        except (NetworkError, ValueError) as error:
            lines = str(error).splitlines()
            reason = lines[0].removesuffix("Options:").strip().rstrip(".") if lines else ""
            options = [line.strip() for line in lines[1:] if line.strip()]
            shown = ", ".join(options[:12]) + (", ..." if len(options) > 12 else "")
            raise ConfigurationError(
                f"Unknown network {wanted!r}: {reason or type(error).__name__}"
                f"{f' (choose from {shown})' if options else ''}; use an ape network choice "
                "or an RPC URL."
            ) from None
        try:
            provider = stack.enter_context(context)
        except ApeException as error:
            hint = "; start one with 'zkfed node'" if _local_url(wanted) else ""
            raise ChainError(
                f"Cannot connect to {wanted}: {_first_line(error).rstrip('.')}{hint}."
            ) from None
        started = getattr(provider, "process", None) is not None
        yield Connection(provider, wanted, started_node=started)


def zkfed_project() -> Any:
    """The ape project holding zkfed's contracts (compiled on first use)."""
    from ape import Project, project

    root = project_root()
    if Path(project.path).resolve() == root.resolve():
        return project
    return Project(root)


def contract_type(project: Any, name: str) -> Any:
    """A contract container of the project, with a clear error when the project lacks it."""
    try:
        return getattr(project, name)
    except AttributeError:
        raise ConfigurationError(
            f"The project has no contract {name}; build the circuits and their verifiers "
            "(tools/dev.sh setup)."
        ) from None


# --- accounts ----------------------------------------------------------------------------------


def resolve_account(spec: str, connection: Connection) -> Any:
    """An ape account from a test account index, an address or an ape account alias.

    Raises
    ------
    ConfigurationError
        If no such account is available on this network.
    """
    from ape import accounts

    test_accounts = accounts.test_accounts
    if spec.isdigit():
        index = int(spec)
        if not connection.is_dev:
            raise ConfigurationError(
                f"Test account {index} exists only on a development chain; on "
                f"{connection.choice} use an ape account alias."
            )
        if index >= len(test_accounts):
            raise ConfigurationError(
                f"There are {len(test_accounts)} test accounts (0 to {len(test_accounts) - 1}), "
                f"so {index} is not one."
            )
        return test_accounts[index]
    if spec.lower().startswith("0x"):
        if connection.is_dev:
            for account in test_accounts:
                if account.address.lower() == spec.lower():
                    return account
        for account in accounts:
            if account.address.lower() == spec.lower():
                return account
        raise ConfigurationError(
            f"No account with address {spec} can sign here: it is neither a test account nor "
            "an ape account ('ape accounts list')."
        )
    try:
        return accounts.load(spec)
    except (KeyError, ValueError):
        raise ConfigurationError(
            f"There is no ape account named {spec!r}; create or import one with "
            "'ape accounts generate' or 'ape accounts import'."
        ) from None


def address_of(spec: str, connection: Connection) -> str:
    """An address from an account spec, without needing to sign (founders, lookups)."""
    if spec.lower().startswith("0x") and len(spec) == 42:
        return spec
    return str(resolve_account(spec, connection).address)


# --- a session on a deployment -----------------------------------------------------------------


class Session:
    """A connected deployment: the contracts, the store, accounts and the chain's clock."""

    def __init__(
        self, settings: Settings, connection: Connection, deployment: Deployment, project: Any
    ) -> None:
        self.settings = settings
        self.home = settings.home
        self.connection = connection
        self.deployment = deployment
        self.project = project
        self.zk = Zkfed.at(project, deployment.aggregator)
        self.store: ContentStore = open_store(deployment.store)

    def now(self) -> int:
        """The timestamp of the chain's latest block."""
        from ape import chain

        return int(chain.blocks.head.timestamp)

    def account(self, spec: str) -> Any:
        """An ape account (see `resolve_account`)."""
        return resolve_account(spec, self.connection)

    def signer(self, member: str | None, account: str | None) -> Any:
        """The account a command signs with: ``--account``, else the member's bound account."""
        if account is not None:
            return self.account(account)
        if member is not None:
            return self.account(self.home.member_account(member))
        raise ConfigurationError("Name who signs with --member NAME or --account ACCOUNT.")

    def member_account(self, member: str) -> Any:
        """A member's account (bound by `zkfed keygen`)."""
        return self.account(self.home.member_account(member))

    def name_of(self, address: str) -> str:
        """The local member name bound to an address, or ``""``."""
        for name, spec in self.home.members().items():
            try:
                if str(self.account(spec).address).lower() == address.lower():
                    return name
            except ConfigurationError:
                continue
        return ""

    def warn_without_keys(self, name: str, address: str) -> None:
        """Warn when a consortium member has no unused key: the next SecAgg task leaves it out."""
        zk = self.zk
        if bool(zk.governance.isMember(address)) and zk.unused_keys(address) == 0:
            warn(
                f"{name} ({address}) has no unused key registered, so the next SecAgg task "
                f"will leave it out; run 'zkfed register --member {name}'."
            )

    def require_task(self, task_id: int) -> None:
        """Refuse a task id the aggregator does not know."""
        count = int(self.zk.aggregator.taskCount())
        if not 1 <= task_id <= count:
            known = f"tasks 1 to {count}" if count else "no tasks yet"
            raise ConfigurationError(
                f"Task {task_id} does not exist on this deployment (it has {known})."
            )

    def round_of(self, task_id: int, round_index: int | None) -> int:
        """A round of an existing task: the one given (if it has started) or the current one."""
        self.require_task(task_id)
        current = self.zk.current_round(task_id)
        if round_index is None:
            return current
        if not 1 <= round_index <= current:
            raise ConfigurationError(
                f"Task {task_id} has no round {round_index} yet (the current round is {current})."
            )
        return round_index

    def circuit_for_task(self, task_id: int) -> Circuit:
        """The `MaskedUpdate` variant whose verifier a task uses."""
        variant = self.zk.task_variant(task_id)
        self.zk.check_keys(variant)
        return load_circuit(variant.name)


@contextmanager
def open_session(settings: Settings) -> Iterator[Session]:
    """Connect to the recorded deployment's network and check that the contracts are there.

    Raises
    ------
    ConfigurationError
        If there is no deployment here.
    ChainError
        If the connected chain is not the deployment's, or the aggregator is not on it.
    """
    deployment = settings.home.deployment()
    with connect(settings.network or deployment.network) as connection:
        if connection.chain_id != deployment.chain_id:
            raise ChainError(
                f"The deployment in {settings.home.path} is on chain {deployment.chain_id}, but "
                f"{connection.choice} is chain {connection.chain_id}; pass "
                f"--network {deployment.network}."
            )
        code = connection.provider.get_code(deployment.aggregator)
        if connection.started_node:
            raise ChainError(
                f"{connection.choice} started a fresh anvil for this command alone, which knows "
                f"nothing of the deployment; pass the running node's URL with --network."
            )
        if not code or not bytes(code):
            raise ChainError(
                f"There is no zkfed aggregator at {deployment.aggregator} on "
                f"{connection.choice}; a local node forgets its contracts when it stops, so "
                "deploy again or pass the right --network."
            )
        yield Session(settings, connection, deployment, zkfed_project())
