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
import errno
import functools
import json
import logging
import re
import socket
import sys
import urllib.error
import urllib.request
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

PROBE_TIMEOUT = 3.0
"""Seconds a node has to answer the first request before it is called unreachable."""

logger = logging.getLogger(__name__)

_LOCAL_HOSTS = {"127.0.0.1", "localhost", "0.0.0.0", "::1"}
_F = TypeVar("_F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Settings:
    """The group's options, handed to every command."""

    home: Home
    network: str | None
    verbose: bool = False
    """``-v``: ape's log lines and, on failure, the traceback."""


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


def port_in_use(host: str, port: int, *, hint: str = "") -> bool:
    """Whether something already listens on ``host:port`` (probed as a server binds, with
    ``SO_REUSEADDR``), so a command can refuse a busy port in one sentence before it starts.

    Raises
    ------
    ConfigurationError
        If ``host:port`` cannot be listened on for another reason (``hint`` says what to do).
    """
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe_socket:
        probe_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe_socket.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return True
            raise ConfigurationError(
                f"Cannot listen on {host}:{port} ({error.strerror or error})"
                f"{'; ' + hint if hint else ''}."
            ) from None
    return False


# --- output ------------------------------------------------------------------------------------

_OUTPUT = {"verbose": False}


@contextmanager
def ape_output(verbose: bool) -> Iterator[None]:
    """Keep ape's log lines (deployments, confirmations, retries) off the command's output
    while connected (see `connect`), unless ``verbose``; the commands print their own progress.

    Nothing of ape is imported here: commands that never reach a chain never import it.
    """
    _OUTPUT["verbose"] = verbose
    try:
        yield
    finally:
        _OUTPUT["verbose"] = False


def is_verbose() -> bool:
    """Whether the command runs with ``-v`` (ape's logs and tracebacks shown)."""
    return _OUTPUT["verbose"]


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


def describe_error(
    error: BaseException, url: str | None = None, *, advice: bool = True
) -> str | None:
    """One sentence for an error from ape, web3 or the connection (None when it is none of those).

    A contract's custom error is named with its arguments, never left as a hex selector; a
    connection that fails or is lost names the node (``url``, else the one last connected to)
    and, with ``advice``, says that re-running the command is safe (a command that says what
    is safe itself, such as `zkfed submit`, passes ``advice=False``).
    """
    reason = connection_failure(error)
    if reason is not None:
        target = url or _TARGET.get("url") or "the node"
        lost = f"The node at {target} stopped answering ({reason})"
        if not advice:
            return lost + "."
        return (
            f"{lost}; nothing is lost: re-run the command once it is back ('zkfed node' "
            "restarts a development chain)."
        )
    if "ape.exceptions" not in sys.modules or not _is_ape_error(error):
        # Not ape's (and ape is not imported for it): only a custom error left in hex is ours.
        decoded = decode_custom_errors(str(error))
        return _first_line_of(decoded) if decoded != str(error) else None
    from ape.exceptions import ContractLogicError, CustomError

    if isinstance(error, CustomError):
        arguments = ", ".join(f"{k}={_short(v)}" for k, v in error.inputs.items())
        return f"The chain refused the transaction: {error.name}({arguments})."
    if isinstance(error, ContractLogicError):
        reason = decode_custom_errors(_first_line(error).rstrip("."))
        return f"The chain refused the transaction: {reason or 'it reverted'}."
    return decode_custom_errors(_first_line(error)) or f"ape failed: {type(error).__name__}."


def _is_ape_error(error: BaseException) -> bool:
    from ape.exceptions import ApeException

    return isinstance(error, ApeException)


def _short(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def _first_line(error: BaseException) -> str:
    return _first_line_of(str(error))


def _first_line_of(text: str) -> str:
    lines = text.strip().splitlines()
    if not lines:
        return ""
    line = lines[0].rstrip(":")
    return line if line.endswith(".") else line + "."


# --- custom errors -----------------------------------------------------------------------------

_HEX = re.compile(r"0x[0-9a-fA-F]{8}(?:[0-9a-fA-F]{2})*")


def _canonical_type(entry: dict[str, Any]) -> str:
    kind = str(entry["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in entry.get("components", []))
        return f"({inner}){kind[len('tuple') :]}"
    return kind


@functools.cache
def _custom_errors() -> dict[bytes, tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """Every custom error of the compiled contracts: selector → (name, argument names, types).

    Read from ape's build manifest (``.build/__local__.json``); empty before the first compile.
    """
    from eth_utils.crypto import keccak

    manifest = project_root() / ".build" / "__local__.json"
    try:
        document = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    errors: dict[bytes, tuple[str, tuple[str, ...], tuple[str, ...]]] = {}
    for contract in (document.get("contractTypes") or {}).values():
        for entry in contract.get("abi", []):
            if entry.get("type") != "error":
                continue
            inputs = entry.get("inputs", [])
            types = tuple(_canonical_type(i) for i in inputs)
            selector = keccak(text=f"{entry['name']}({','.join(types)})")[:4]
            names = tuple(str(i.get("name") or f"arg{n}") for n, i in enumerate(inputs))
            errors[selector] = (str(entry["name"]), names, types)
    return errors


def decode_custom_error(data: bytes) -> str | None:
    """``Name(arg=value, ...)`` for a custom error's revert data, or None if it is unknown."""
    known = _custom_errors().get(bytes(data[:4]))
    if known is None:
        return None
    name, names, types = known
    try:
        from eth_abi.abi import decode

        values = decode(list(types), bytes(data[4:])) if types else ()
    except Exception:  # truncated data: the name alone still says what happened
        return f"{name}(…)"
    arguments = ", ".join(f"{k}={_short(v)}" for k, v in zip(names, values, strict=True))
    return f"{name}({arguments})"


def decode_custom_errors(text: str) -> str:
    """``text`` with every hex blob that is a known custom error replaced by its name and
    arguments (``custom error 0x99956737…`` → ``AccumulatorOverwritten(...)``)."""

    def replace(match: re.Match[str]) -> str:
        decoded = decode_custom_error(bytes.fromhex(match.group(0)[2:]))
        return decoded if decoded is not None else match.group(0)

    decoded = _HEX.sub(replace, text)
    return decoded.replace("custom error ", "") if decoded != text else text


# --- connection failures -----------------------------------------------------------------------

_TARGET: dict[str, str] = {}
"""The node this process last connected to (``url``), to name it when the connection is lost."""


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        base = getattr(current, "base_err", None)
        pending += [current.__cause__, current.__context__]
        pending += [base] if isinstance(base, BaseException) else []
        pending += [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]


def _connection_types() -> tuple[type[BaseException], ...]:
    """Connection errors of the HTTP stack ape uses, among the modules already imported."""
    found: list[type[BaseException]] = [ConnectionError, TimeoutError, socket.timeout]
    names = {
        "requests.exceptions": ("ConnectionError", "Timeout"),
        "urllib3.exceptions": (
            "NewConnectionError",
            "MaxRetryError",
            "ProtocolError",
            "ReadTimeoutError",
        ),
        "web3.exceptions": ("ProviderConnectionError", "TimeExhausted"),
        "ape.exceptions": ("ProviderNotConnectedError", "RPCTimeoutError"),
    }
    for module_name, attributes in names.items():
        module = sys.modules.get(module_name)
        for attribute in attributes:
            kind = getattr(module, attribute, None) if module is not None else None
            if isinstance(kind, type) and issubclass(kind, BaseException):
                found.append(kind)
    return tuple(found)


def connection_failure(error: BaseException) -> str | None:
    """Why the node could not be reached (``connection refused``, ``timed out``, ...), when
    ``error`` or one of its causes is a failed or lost connection; else None."""
    kinds = _connection_types()
    for cause in _causes(error):
        if not isinstance(cause, kinds):
            continue
        text = str(cause).lower()
        if isinstance(cause, ConnectionRefusedError) or "refused" in text:
            return "connection refused"
        if isinstance(cause, TimeoutError | socket.timeout) or "timed out" in text:
            return "timed out"
        if "timeout" in type(cause).__name__.lower() or "timeout" in text:
            return "timed out"
        if "not connected" in text:
            return "not connected"
        return "connection closed"
    return None


def probe(url: str, timeout: float = PROBE_TIMEOUT) -> int:
    """The chain id of the node at an RPC URL, asked once with a short timeout.

    Raises
    ------
    ChainError
        If nothing answers there in time, or the answer is not a JSON-RPC node's.
    """
    request = urllib.request.Request(
        url,
        data=b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}',
        headers={"Content-Type": "application/json"},
    )
    hint = "Start one with 'zkfed node'" if _local_url(url) else "Check the URL and your network"
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read())
        chain_id = int(answer["result"], 16)
        logger.debug("%s answers as chain %d", url, chain_id)
        return chain_id
    except urllib.error.HTTPError as error:
        why = f"it answered HTTP {error.code} {error.reason}"
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, ConnectionRefusedError) or "refused" in str(reason).lower():
            why = "connection refused"
        elif isinstance(reason, TimeoutError | socket.timeout) or "timed out" in str(reason):
            why = f"timed out after {timeout:g} s"
        else:
            why = str(reason).strip() or type(reason).__name__
    except (ValueError, KeyError, TypeError):
        why = "it answered, but not as an Ethereum JSON-RPC node"
    raise ChainError(
        f"Cannot reach the node at {url} ({why}); is it running? {hint}, or pass the right "
        "--network."
    )


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

    ape's logs (deployments, confirmations, retries) are kept to errors meanwhile, unless the
    command runs with ``-v``: the commands print their own progress.

    Raises
    ------
    ConfigurationError
        If ape knows no such network.
    ChainError
        If the node cannot be reached.
    """
    from ape import networks
    from ape.api.networks import ProviderContextManager
    from ape.exceptions import ApeException, NetworkError
    from ape.logging import LogLevel
    from ape.logging import logger as ape_logger

    with ExitStack() as stack:
        level = LogLevel.INFO if is_verbose() else LogLevel.ERROR
        stack.enter_context(ape_logger.at_level(level))
        active = networks.active_provider
        if (
            active is not None
            and active.is_connected
            and (choice is None or _same_network(choice, active))
        ):
            yield Connection(active, str(active.network_choice), started_node=False)
            return
        wanted = choice or DEFAULT_NETWORK
        _TARGET["url"] = wanted
        if urlsplit(wanted).scheme in ("http", "https"):
            probe(wanted)  # one sentence within seconds, instead of ape's retries
        if _local_url(wanted):
            # An already-running anvil: ape-foundry attaches to it and must never start one.
            provider = _attach_to_anvil(wanted)
            stack.enter_context(ProviderContextManager(provider=provider))
            yield Connection(provider, wanted, started_node=False)
            return
        try:
            context = networks.parse_network_choice(wanted)
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
        _TARGET["url"] = str(getattr(provider, "uri", "") or wanted)
        yield Connection(provider, wanted, started_node=started)


def _attach_to_anvil(url: str) -> Any:
    """ape-foundry's provider for an anvil already listening at ``url`` (never starting one).

    Built directly rather than through ``parse_network_choice``, which first imports every
    provider plugin (ape's in-process test chain among them, about a second) only to pick
    this one.
    """
    from ape import networks
    from ape_foundry.provider import FoundryProvider

    local = networks.get_ecosystem("ethereum").get_network("local")
    settings = {"host": url, "manage_process": False}
    return FoundryProvider(name="foundry", network=local, provider_settings=settings)


def contracts_compiled() -> bool:
    """Whether ape's build manifest of the contracts exists (else the first use compiles)."""
    return (project_root() / ".build" / "__local__.json").is_file()


def zkfed_project() -> Any:
    """The ape project holding zkfed's contracts (compiled on first use, which is said on
    stderr: a first compile takes about a minute)."""
    from ape import Project, project

    if not contracts_compiled():
        click.echo("compiling the contracts (first run, about a minute) …", err=True)
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
        self,
        settings: Settings,
        connection: Connection,
        deployment: Deployment,
        project: Any,
        *,
        check_verifiers: bool = True,
    ) -> None:
        self.settings = settings
        self.home = settings.home
        self.connection = connection
        self.deployment = deployment
        self.project = project
        self.zk = Zkfed.at(project, deployment.aggregator, check=check_verifiers)
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

    @functools.cached_property
    def local_members(self) -> dict[str, str]:
        """The members created on this machine (`zkfed keygen`) whose accounts this network
        knows: name → address, each account resolved once per session."""
        found: dict[str, str] = {}
        for name, spec in self.home.members().items():
            try:
                found[name] = str(self.account(spec).address)
            except ConfigurationError:
                continue  # an account this network does not know
        return found

    def name_of(self, address: str) -> str:
        """The local member name bound to an address, or ``""``."""
        wanted = address.lower()
        return next((n for n, a in self.local_members.items() if a.lower() == wanted), "")

    def warn_without_keys(self, name: str, address: str) -> None:
        """Warn when a consortium member has no unused key: the next SecAgg task leaves it out."""
        zk = self.zk
        if zk.is_member(address) and zk.unused_keys(address) == 0:
            warn(
                f"{name} ({address}) has no unused key registered, so the next SecAgg task "
                f"will leave it out; run 'zkfed register --member {name}'."
            )

    def require_task(self, task_id: int) -> None:
        """Refuse a task id the aggregator does not know."""
        count = self.zk.task_count()
        if not 1 <= task_id <= count:
            known = "no tasks yet" if not count else "task 1" if count == 1 else ""
            known = known or f"tasks 1 to {count}"
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
def open_session(settings: Settings, *, read_only: bool = False) -> Iterator[Session]:
    """Connect to the recorded deployment's network and check that the contracts are there.

    A `read_only` session (a command that only shows the chain's state) skips the check of the
    deployment's verifier code, which only matters to a member who proves or trusts a proof.

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
        yield Session(
            settings, connection, deployment, zkfed_project(), check_verifiers=not read_only
        )
