"""What the zkfed web app does, free of Panel, so it is tested without a browser.

Two layers:

* `Consortium` — one per server process: the chain connection (ape), the content store, the
  circuits and the prover, a feed of the contracts' events, and, in the embedded mode, a demo
  consortium it deployed itself whose other members it simulates.
* `MemberSession` — one per browser session: the page's member (account and keyring of
  BabyJubJub masking keys), its local dataset, its votes, and the rounds it trains in.

Masking keys are one-time: each SecAgg task takes one unused registered key of every member and
leaves out a member with none. Connecting registers the keyring's keys not yet on-chain and tops
the member's unused keys up to `SPARE_KEYS`; a round uses the secret of the key its task took.

Everything here blocks (chain calls, training, proving); the page calls it from worker threads
and shows the progress callbacks' reports.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from zkfed.babyjubjub import Point, generate_secret_key, public_key
from zkfed.chain import RoundStatus, Variant, Zkfed
from zkfed.circuits import DEFAULT_VARIANT, Circuit, load_circuit, project_root
from zkfed.config import Home, check_name
from zkfed.datasets import (
    BUNDLED,
    Dataset,
    FeatureScaling,
    load_dataset,
    member_csv,
    rescale,
    split_non_iid,
)
from zkfed.exceptions import (
    ChainError,
    ConfigurationError,
    CorruptContentError,
    DatasetError,
    KeystoreError,
    ZkfedError,
)
from zkfed.keystore import add_key, load_public_keys, load_secret_key
from zkfed.models import ModelSpec
from zkfed.proposals import DEFAULT_CLIP_NORM, DEV_PERIOD, propose_model
from zkfed.protocol import (
    finalize,
    recover_escrowed,
    register_key,
    reveal_for_dropouts,
    round_model,
    store_model,
    submit_update,
    top_up_masking_keys,
    verify_round,
)
from zkfed.storage import ContentStore, LocalStore, open_store
from zkfed.training import Metrics, TrainConfig, evaluate_weights, member_seed, train_local

MAX_UPLOAD_BYTES = 50 * 2**20
"""Largest dataset the page accepts (the browser sends it over the page's websocket)."""

DEMO_PASSWORD = "zkfed-demo"
"""Keystore password of the embedded demo member; the page shows it, it protects nothing."""

EMBEDDED_NETWORK = "ethereum:local:foundry"
VOTING_PERIOD = SUBMISSION_PERIOD = REVEAL_PERIOD = DEV_PERIOD
CLIP_NORM = DEFAULT_CLIP_NORM
DEMO_SCRYPT_N = 2**14  # the demo keystore opens in a blink; real keystores keep the default

SPARE_KEYS = 2
"""Unused keys `MemberSession.connect` keeps registered for the page's member: each SecAgg task
created takes one."""

DEMO_KEYS = 2
"""Keys each simulated member registers up front: one per demo proposal, so that both can
become tasks (with three members the page's vote carries either)."""

Report = Callable[[str, float, str], None]
"""progress(stage, fraction in [0, 1], message) of a long job."""


def _quiet(stage: str, fraction: float, message: str) -> None:
    del stage, fraction, message


# --- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """Where the app's consortium lives; every field has an environment variable.

    Attributes
    ----------
    network : str
        ape network choice (``ethereum:sepolia:node``) or an RPC URL (``ZKFED_UI_NETWORK``).
    aggregator : str
        Address of a deployed `FederatedAggregator` (``ZKFED_UI_AGGREGATOR``); empty: the
        embedded mode deploys a demo consortium on the local network and simulates its members.
    storage : str
        Content store, as `zkfed.storage.open_store` reads it (``ZKFED_UI_STORAGE``): empty for
        the embedded store, ``ipfs`` or a node's multiaddr/URL for an IPFS node.
    variant : str
        Circuit variant of the embedded consortium's proposals (``ZKFED_UI_VARIANT``).
    members : int
        Members of the embedded consortium, the page's member included (``ZKFED_UI_MEMBERS``).
    dataset : str
        Bundled dataset the embedded consortium trains on (``ZKFED_UI_DATASET``).
    account : str
        ape account alias of the page's member (``ZKFED_UI_ACCOUNT``; configured mode).
    keystore : str
        zkfed keystore file of the page's member (``ZKFED_UI_KEYSTORE``; configured mode): an
        explicit override of the keystore of a member of `home`.
    home : str
        The command line's home (``ZKFED_UI_HOME``; empty: ``$ZKFED_HOME`` or ``.zkfed``, as
        `zkfed` reads it): its members (``zkfed keygen``) are the page's accounts, each with
        its keystore ``HOME/keys/NAME.json``.
    member : str
        Offer only this member of `home` (``ZKFED_UI_MEMBER``).
    poll_seconds : float
        How often the chain is asked for new events (``ZKFED_UI_POLL_SECONDS``).
    """

    network: str = EMBEDDED_NETWORK
    aggregator: str = ""
    storage: str = ""
    variant: str = DEFAULT_VARIANT
    members: int = 5
    dataset: str = "wine"
    account: str = ""
    keystore: str = ""
    home: str = ""
    member: str = ""
    poll_seconds: float = 1.0

    _ENV: ClassVar[dict[str, str]] = {
        "network": "ZKFED_UI_NETWORK",
        "aggregator": "ZKFED_UI_AGGREGATOR",
        "storage": "ZKFED_UI_STORAGE",
        "variant": "ZKFED_UI_VARIANT",
        "members": "ZKFED_UI_MEMBERS",
        "dataset": "ZKFED_UI_DATASET",
        "account": "ZKFED_UI_ACCOUNT",
        "keystore": "ZKFED_UI_KEYSTORE",
        "home": "ZKFED_UI_HOME",
        "member": "ZKFED_UI_MEMBER",
        "poll_seconds": "ZKFED_UI_POLL_SECONDS",
    }

    @property
    def embedded(self) -> bool:
        """Whether the app deploys and simulates its own demo consortium."""
        return not self.aggregator

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``ZKFED_UI_*`` variables; unset ones keep their defaults."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, variable in cls._ENV.items():
            if env.get(variable, "") == "":
                continue
            text = env[variable]
            try:
                values[name] = (
                    int(text)
                    if name == "members"
                    else float(text)
                    if name == "poll_seconds"
                    else text
                )
            except ValueError:
                raise ConfigurationError(f"{variable} must be a number, not {text!r}.") from None
        return cls(**values).checked()

    def to_env(self) -> dict[str, str]:
        """The environment variables that reproduce these settings."""
        return {variable: str(getattr(self, name)) for name, variable in self._ENV.items()}

    def checked(self) -> Settings:
        """These settings, or one sentence on what is wrong with them."""
        if self.embedded and not self.network.startswith("ethereum:local"):
            raise ConfigurationError(
                "the embedded demo consortium runs only on a local network; set "
                "ZKFED_UI_AGGREGATOR (--aggregator) to use a deployment on another network."
            )
        if self.embedded and self.dataset not in BUNDLED:
            raise ConfigurationError(
                f"the demo dataset must be one of {', '.join(BUNDLED)}, not {self.dataset!r}."
            )
        if not 3 <= self.members <= 16:
            raise ConfigurationError(
                f"the demo consortium needs 3 to 16 members, not {self.members}."
            )
        if self.poll_seconds <= 0:
            raise ConfigurationError("the event poll interval must be a positive number.")
        if self.member:
            check_name(self.member)
        return self

    @property
    def cli_home(self) -> Home:
        """The command line's home these settings name (``$ZKFED_HOME`` or ``.zkfed`` when
        unset)."""
        return Home(self.home or None)


# --- events and the round status they imply ---------------------------------------------------


@dataclass(frozen=True)
class ChainEvent:
    """One decoded contract event."""

    block: int
    name: str
    args: dict[str, Any]
    transaction: str = ""


class EventFeed:
    """Every event of the deployment's two contracts, polled from the chain by a thread.

    Readers take `events` (append-only) and watch `version`, which changes whenever new
    events or a new block arrive, so a page refreshes only when something happened.
    """

    def __init__(self, contracts: Sequence[Any], poll_seconds: float = 1.0) -> None:
        self._contracts = list(contracts)
        self._poll_seconds = poll_seconds
        self._next_block = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.events: list[ChainEvent] = []
        self.version = 0
        self.chain_time = 0
        self.error = ""

    def poll_once(self) -> int:
        """Fetch events up to the head; returns how many were new."""
        from ape import chain
        from ape.types import LogFilter

        with self._lock:
            head = chain.blocks.head
            timestamp = int(head.timestamp)
            height = int(head.number or 0)
            fresh: list[ChainEvent] = []
            if height >= self._next_block:
                log_filter = LogFilter(
                    addresses=[c.address for c in self._contracts],
                    events=[abi for c in self._contracts for abi in c.contract_type.events],
                    start_block=self._next_block,
                    stop_block=height,
                )
                for log in chain.provider.get_contract_logs(log_filter):
                    fresh.append(
                        ChainEvent(
                            int(log.block_number),
                            str(log.event_name),
                            dict(log.event_arguments),
                            str(log.transaction_hash),
                        )
                    )
                self._next_block = height + 1
            if fresh or timestamp != self.chain_time:
                self.events.extend(fresh)
                self.chain_time = timestamp
                self.version += 1
            return len(fresh)

    def start(self) -> None:
        """Poll in a daemon thread until `stop`."""
        self._thread = threading.Thread(target=self._run, name="zkfed-events", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
                self.error = ""
            except Exception as error:  # a node hiccup must not end the feed
                self.error = f"the chain did not answer: {str(error).splitlines()[0]}"
            self._stop.wait(self._poll_seconds)


@dataclass(frozen=True)
class MemberRow:
    """One member's part in a round."""

    index: int
    address: str
    label: str
    chunks: int
    reveals: int
    dropped: bool


@dataclass(frozen=True)
class RoundView:
    """A round as its events tell it."""

    task_id: int
    round: int
    status: str
    submission_deadline: int
    reveal_deadline: int
    chain_time: int
    n_chunks: int
    members: tuple[MemberRow, ...]
    reveals: int
    model_cid: str

    @property
    def dropouts(self) -> list[str]:
        """Labels of members that missed a chunk after the submission deadline."""
        return [m.label for m in self.members if m.dropped]

    @property
    def submitted(self) -> int:
        """Members that submitted every chunk."""
        return sum(m.chunks == self.n_chunks for m in self.members)


def _terms(task: Any, variants: Sequence[Variant], development: bool) -> str:
    """A proposal's rounds, threshold and registered circuit, as the page shows them."""
    terms = f"{int(task.rounds)} rounds, at least {int(task.minContributors)} contributors"
    if int(task.mode) == 0:
        v = variants[int(task.variant)]
        p = v.packing
        terms += (
            f" · circuit {v.name}: {p.words} words x {p.lanes} lanes of {p.lane_bits} bits, "
            f"{p.value_bits}-bit values, scale 2^{int(task.scaleBits)}, {v.neighbors} "
            f"neighbours; bound sum(q^2) <= {int(task.bound)} per chunk"
        )
        if development:
            terms += " · insecure development keys"
    return terms


def _same(a: Any, b: Any) -> bool:
    return str(a).lower() == str(b).lower()


def round_view(
    events: Iterable[ChainEvent],
    task_id: int,
    round_index: int,
    members: Sequence[str],
    labels: Mapping[str, str],
    n_chunks: int,
    chain_time: int,
) -> RoundView:
    """Summarise a round from the contracts' events (no chain call).

    A member has dropped out when the submission deadline has passed and it did not submit
    every chunk; the masks removed for the dropped are the recovery. The round's model is
    where it was first published (members check it against the chain before they use it).
    """
    deadline = reveal_deadline = 0
    status = "not open"
    chunks = dict.fromkeys(range(len(members)), 0)
    reveals = dict.fromkeys(range(len(members)), 0)
    cid = ""
    index = {address.lower(): i for i, address in enumerate(members)}
    for event in events:
        args = event.args
        if int(args.get("taskId", -1)) != task_id or int(args.get("round", -1)) != round_index:
            continue
        if event.name == "RoundOpened":
            deadline = int(args["submissionDeadline"])
            reveal_deadline = int(args["revealDeadline"])
            status = "open"
        elif event.name == "ChunkSubmitted":
            member = index.get(str(args["member"]).lower())
            if member is not None:
                chunks[member] += 1
        elif event.name == "MaskRevealed":
            member = index.get(str(args["revealer"]).lower())
            if member is not None:
                reveals[member] += 1
        elif event.name == "RoundFinalized":
            status = "finalized"
        elif event.name == "ModelPublished":
            cid = cid or str(args["modelCid"])
        elif event.name == "RoundAborted":
            status = "aborted"
    closed = status in ("finalized", "aborted") or (status == "open" and chain_time > deadline)
    if status == "open" and closed:
        status = "recovery"
    rows = tuple(
        MemberRow(
            i,
            address,
            labels.get(address.lower(), f"member {i}"),
            chunks[i],
            reveals[i],
            closed and chunks[i] < n_chunks,
        )
        for i, address in enumerate(members)
    )
    return RoundView(
        task_id,
        round_index,
        status,
        deadline,
        reveal_deadline,
        chain_time,
        n_chunks,
        rows,
        sum(reveals.values()),
        cid,
    )


def describe_deadline(deadline: int, now: int) -> str:
    """'in 59 min' / '3 s ago', relative to the chain's clock."""
    delta = deadline - now
    amount = abs(delta)
    text = (
        f"{amount} s"
        if amount < 120
        else f"{amount // 60} min"
        if amount < 7200
        else f"{amount // 3600} h {amount % 3600 // 60} min"
    )
    return f"in {text}" if delta >= 0 else f"{text} ago"


# --- the member's dataset ---------------------------------------------------------------------


@dataclass(frozen=True)
class UploadColumns:
    """The columns a file offers, and the page's first guess of label and features."""

    columns: tuple[str, ...]
    label: str
    features: tuple[str, ...]


def inspect_upload(filename: str, data: bytes) -> UploadColumns:
    """Read only the column names of an uploaded CSV or NPZ file.

    Raises
    ------
    DatasetError
        One sentence: too large, empty, wrong format, unreadable.
    """
    _check_upload(filename, data)
    if filename.lower().endswith(".csv"):
        try:
            first = data.decode("utf-8-sig").splitlines()[:1]
        except UnicodeDecodeError:
            raise DatasetError(f"File '{filename}' is not a readable UTF-8 CSV file.") from None
        header = next(csv.reader(first), [])
        columns = tuple(name.strip() for name in header)
        if not columns or not any(columns):
            raise DatasetError(f"File '{filename}' has no header row naming its columns.")
        labels = columns
    else:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                shapes = {key: archive[key].ndim for key in archive.files}
        except (ValueError, OSError, EOFError, zipfile.BadZipFile):
            raise DatasetError(f"File '{filename}' is not a valid NPZ archive.") from None
        columns = tuple(shapes)
        labels = tuple(key for key, ndim in shapes.items() if ndim == 1)
        if not labels:
            raise DatasetError(f"File '{filename}' has no 1-D array to serve as the label.")
    label = "label" if "label" in labels else labels[-1]
    return UploadColumns(columns, label, tuple(c for c in columns if c != label))


def _check_upload(filename: str, data: bytes) -> None:
    if not filename.lower().endswith((".csv", ".npz")):
        raise DatasetError(f"File '{filename}' is not a .csv or .npz file.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise DatasetError(
            f"File '{filename}' has {len(data):,} bytes, over the limit of {MAX_UPLOAD_BYTES:,}."
        )
    if not data:
        raise DatasetError(f"File '{filename}' is empty.")


def load_upload(
    filename: str, data: bytes, label: str, features: Sequence[str] | None = None
) -> Dataset:
    """Validate and load an uploaded dataset with `zkfed.datasets.load_dataset`.

    The bytes go to a private temporary file on this machine, read once and deleted: they are
    never sent anywhere.
    """
    _check_upload(filename, data)
    suffix = Path(filename).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="zkfed-upload-") as folder:
        path = Path(folder) / f"{Path(filename).stem or 'dataset'}{suffix}"
        path.write_bytes(data)
        return load_dataset(
            path, label=label, features=list(features) if features else None, seed=0
        )


def fit_to_task(
    dataset: Dataset,
    spec: ModelSpec,
    classes: Sequence[str],
    scaling: FeatureScaling | None = None,
) -> Dataset:
    """The dataset with its labels renumbered to the task's classes and its features under the
    task's scaling (every member scales alike, see `zkfed.datasets`; a task whose spec records
    no scaling keeps the dataset's own).

    Raises
    ------
    DatasetError
        When the feature count differs from the model's or a label is not one of its classes.
    """
    if dataset.n_features != spec.n_features:
        raise DatasetError(
            f"The task's model takes {spec.n_features} features; the selected columns give "
            f"{dataset.n_features}."
        )
    names = list(classes) or [str(i) for i in range(spec.n_classes)]
    unknown = [name for name in dataset.class_names if name not in names]
    if unknown:
        raise DatasetError(
            f"Label '{unknown[0]}' is not one of the task's classes ({', '.join(names)})."
        )
    mapping = np.array([names.index(name) for name in dataset.class_names], dtype=np.int64)
    if scaling is not None:
        dataset = rescale(dataset, scaling)
    return replace(
        dataset,
        y_train=mapping[dataset.y_train],
        y_test=mapping[dataset.y_test],
        n_classes=len(names),
        class_names=tuple(names),
    )


def dataset_csv(dataset: Dataset, part: np.ndarray[Any, Any] | None = None) -> bytes:
    """A dataset's training rows as a member's raw CSV with a ``label`` column (the demo's
    sample file): the values as measured, which the task's scaling then scales."""
    return member_csv(dataset, part).encode()


# --- proposals, tasks, history ----------------------------------------------------------------

PROPOSAL_STATES = ("none", "active", "succeeded", "defeated", "executed")


@dataclass(frozen=True)
class ProposalView:
    """A proposal with its spec document, tally and this member's vote."""

    proposal_id: int
    title: str
    spec: dict[str, Any]
    spec_cid: str
    parameters: int
    for_votes: int
    against_votes: int
    electorate: int
    state: str
    voted: bool
    task_id: int
    terms: str = ""
    """Rounds, threshold and the registered circuit (packing, clipping bound) voted on."""
    kind: str = "task"
    """``task`` (a model), ``add`` or ``remove`` (a membership proposal)."""
    account: str = ""
    """The account a membership proposal adds or removes."""

    @property
    def majority(self) -> int:
        """Votes needed to carry the proposal."""
        return self.electorate // 2 + 1


@dataclass(frozen=True)
class TaskView:
    """A task the page's member may train in."""

    task_id: int
    title: str
    spec: ModelSpec
    config: TrainConfig
    classes: tuple[str, ...]
    members: tuple[str, ...]
    n_chunks: int
    rounds: int
    current_round: int
    is_member: bool
    scaling: FeatureScaling | None = None
    """The feature scaling the task's spec records (None for a spec without one)."""


@dataclass(frozen=True)
class HistoryRow:
    """One finalized round as the page's member sees it."""

    round: int
    accuracy: float
    loss: float
    gas: int
    prove_seconds: float
    model_cid: str
    verified: str


@dataclass
class RoundReport:
    """What one `run_round` did."""

    round: int
    gas: int = 0
    prove_seconds: float = 0.0
    model_cid: str = ""
    verdict: str = ""
    dropped: list[str] = field(default_factory=list)


@dataclass
class RunningRound:
    """A round a member's session is running, as every session of the member sees it.

    Attributes
    ----------
    task_id : int
        The task whose round runs.
    owner : int
        Identity of the session that started it (`id` of its `MemberSession`).
    stage, fraction, message : str, float, str
        Its latest progress report.
    """

    task_id: int
    owner: int
    stage: str = ""
    fraction: float = 0.0
    message: str = ""


# --- the process-wide consortium --------------------------------------------------------------


@dataclass
class SimulatedMember:
    """A member of the embedded demo consortium that the backend plays: its account, its
    registered masking keys (secret by public key) and its share of the demo data."""

    account: Any
    keys: dict[Point, int]
    part: np.ndarray[Any, Any]

    def secret_for(self, zk: Zkfed, task_id: int) -> int:
        """The secret of the masking key a SecAgg task took of this member."""
        pk = zk.masking_key(task_id, self.account)
        if pk is None or pk not in self.keys:
            raise ChainError(
                f"task {task_id} took no masking key of simulated member {self.account.address}."
            )
        return self.keys[pk]


class Consortium:
    """The deployment the app works with, shared by every browser session of the process.

    `connect` must run on the main thread (ape starts anvil with a parent-death signal and
    installs signal handlers); `bootstrap` deploys or attaches and may run anywhere.
    """

    def __init__(self, settings: Settings, root: Path | None = None) -> None:
        self.settings = settings.checked()
        self.root = root or project_root()
        self.state = "starting"
        self.message = "connecting to the chain"
        self.lock = threading.RLock()
        self.labels: dict[str, str] = {}
        self.proof_seconds: dict[tuple[int, int], float] = {}
        self.simulated: list[SimulatedMember] = []
        self.demo_data: Dataset | None = None
        self.demo_keystore: Path | None = None
        self.page_account: Any = None
        self.zk: Zkfed | None = None
        self.store: ContentStore | None = None
        self.feed: EventFeed | None = None
        self.circuit: Circuit | None = None
        self._context: Any = None
        self._prover: Any = None
        self._workdir = Path(tempfile.mkdtemp(prefix="zkfed-ui-"))
        self._project: Any = None
        self._running: dict[str, RunningRound] = {}
        self._running_lock = threading.Lock()

    # --- life cycle ----------------------------------------------------------------------------

    def connect(self) -> None:
        """Connect ape to the network unless a provider is already connected (as under tests)."""
        from ape import networks

        provider = networks.active_provider
        if provider is not None and provider.is_connected:
            return
        self._context = networks.parse_network_choice(self.settings.network)
        self._context.__enter__()

    def bootstrap(self, progress: Report = _quiet) -> None:
        """Deploy the demo consortium (embedded) or attach to the configured deployment."""
        try:
            from ape import Project

            self._project = Project(self.root)
            self.store = (
                LocalStore(self.root / ".zkfed" / "store")
                if not self.settings.storage
                else open_store(self.settings.storage)
            )
            self.circuit = load_circuit(self.settings.variant, self.root)
            if self.settings.embedded:
                self._deploy_demo(progress)
            else:
                self.message = "attaching to the deployment"
                self.zk = Zkfed.at(self._project, self.settings.aggregator)
            assert self.zk is not None
            self.feed = EventFeed(
                [self.zk.aggregator, self.zk.governance], self.settings.poll_seconds
            )
            self.feed.poll_once()
            self.feed.start()
            self.state, self.message = "ready", "ready"
        except Exception as error:
            self.state = "failed"
            self.message = sentence(error)
            raise

    def close(self) -> None:
        """Stop the feed and the prover and leave the network."""
        if self.feed is not None:
            self.feed.stop()
        if self._prover is not None:
            self._prover.close()
        if self._context is not None:
            self._context.__exit__(None, None, None)
            self._context = None

    @property
    def prover(self) -> Any:
        """The process's prover (`default_prover()`), started on first use (hold `lock` while
        proving)."""
        if self._prover is None:
            from zkfed.proving import open_prover

            self._prover = open_prover()
        return self._prover

    def require_ready(self) -> Zkfed:
        """The deployment, or one sentence on why it is not there yet."""
        if self.state != "ready" or self.zk is None:
            raise ChainError(f"the consortium is not ready yet ({self.message}).")
        return self.zk

    # --- the embedded demo consortium ----------------------------------------------------------

    def _deploy_demo(self, progress: Report) -> None:
        from ape import accounts

        assert self.circuit is not None and self.store
        settings, project = self.settings, self._project
        if settings.members < 3:
            raise ConfigurationError(
                f"a consortium needs at least 3 members, not {settings.members}."
            )
        deployer, *people = accounts.test_accounts[: settings.members + 1]
        self.message = "deploying the demo consortium"
        progress("deploy", 0.1, self.message)
        self.zk = Zkfed.deploy(project, deployer, people, VOTING_PERIOD)
        variant = self.zk.variant(self.circuit.name).with_scale(self.circuit.packing().scale_bits)
        self.message = "registering the members' keys"
        progress("keys", 0.4, self.message)
        # The page's member starts with one registered key; connecting tops it up.
        self.demo_keystore = self._workdir / "member-1.keystore.json"
        page_pk = add_key(self.demo_keystore, DEMO_PASSWORD, scrypt_n=DEMO_SCRYPT_N)
        register_key(
            self.zk,
            self.prover,
            people[0],
            load_secret_key(self.demo_keystore, DEMO_PASSWORD, page_pk),
        )
        self.labels[str(people[0].address).lower()] = "you (test account 1)"
        data = load_dataset(settings.dataset, seed=0)
        parts = split_non_iid(data.y_train, settings.members, seed=0)
        self.demo_data, self.page_account = data, people[0]
        for i, person in enumerate(people[1:], start=1):
            label = f"member {i + 1} (simulated)"
            progress("keys", 0.4 + 0.3 * i / len(people), f"registering {label}'s keys")
            keys = {}
            for _ in range(DEMO_KEYS):
                sk = generate_secret_key()
                register_key(self.zk, self.prover, person, sk)
                keys[public_key(sk)] = sk
            self.labels[str(person.address).lower()] = label
            self.simulated.append(SimulatedMember(person, keys, parts[i]))
        self.message = "proposing two models"
        progress("proposals", 0.7, self.message)
        specs = {
            "logreg": ModelSpec("logreg", data.n_features, data.n_classes, seed=0),
            "mlp": ModelSpec("mlp", data.n_features, data.n_classes, (8,), seed=0),
        }
        proposer = self.simulated[0].account
        ids = {
            kind: self._propose(proposer, kind, spec, variant, data) for kind, spec in specs.items()
        }
        # The page's vote decides: the logistic regression is one vote short of a majority,
        # the MLP is opposed by every other simulated member.
        majority = settings.members // 2 + 1
        for i, sim in enumerate(self.simulated):
            if i < majority - 1:
                self.zk.vote(sim.account, ids["logreg"], True)
            self.zk.vote(sim.account, ids["mlp"], i == 0)
        progress("ready", 1.0, "demo consortium deployed")

    def _propose(
        self, proposer: Any, kind: str, spec: ModelSpec, variant: Variant, data: Dataset
    ) -> int:
        assert self.zk is not None and self.store is not None
        title = (
            "Logistic regression"
            if kind == "logreg"
            else f"MLP, hidden layer of {spec.hidden[0]} units"
        )
        return propose_model(
            self.zk,
            self.store,
            proposer,
            spec,
            TrainConfig(),
            variant,
            rounds=20,
            clip_norm=CLIP_NORM,
            submission_period=SUBMISSION_PERIOD,
            reveal_period=REVEAL_PERIOD,
            classes=data.class_names,
            scaling=data.scaling,
            title=f"{title} on {data.name}",
        )

    # --- reading -------------------------------------------------------------------------------

    def label(self, address: str) -> str:
        """How the page names a member."""
        return self.labels.get(str(address).lower(), f"{address[:8]}…{address[-4:]}")

    def spec_document(self, spec_cid: str, spec_hash: bytes) -> dict[str, Any]:
        """A proposal's spec document from the store, checked against its on-chain hash."""
        assert self.store is not None
        data = self.store.get(spec_cid)
        if hashlib.sha256(data).digest() != bytes(spec_hash):
            raise CorruptContentError(f"the spec {spec_cid} does not match its on-chain hash.")
        document: dict[str, Any] = json.loads(data)
        return document

    def events(self) -> list[ChainEvent]:
        """Every event seen so far."""
        return list(self.feed.events) if self.feed else []

    # --- one round at a time per member --------------------------------------------------------

    def running_round(self, address: str) -> RunningRound | None:
        """The round a member's session is running, if any (every session of the process)."""
        return self._running.get(address.lower())

    def claim_round(self, address: str, task_id: int, owner: int) -> RunningRound:
        """Record that a session of a member starts a round.

        Raises
        ------
        ChainError
            When a session of the member already runs one: a second would queue a whole round.
        """
        with self._running_lock:
            running = self._running.get(address.lower())
            if running is not None:
                where = "in this tab" if running.owner == owner else "in another tab"
                raise ChainError(
                    f"A round is already running for you (started {where}); wait for it to finish."
                )
            claimed = RunningRound(task_id, owner)
            self._running[address.lower()] = claimed
            return claimed

    def release_round(self, address: str, claimed: RunningRound) -> None:
        """Forget a member's round once its session's job has ended."""
        with self._running_lock:
            if self._running.get(address.lower()) is claimed:
                del self._running[address.lower()]


# --- one browser session ----------------------------------------------------------------------


class MemberSession:
    """The page's member: who it is, its data, its votes and its rounds."""

    def __init__(self, consortium: Consortium) -> None:
        self.consortium = consortium
        self.account: Any = None
        self._password: str | None = None
        self._secrets: dict[Point, int] = {}  # the masking keys of tasks trained in, by public key
        self.dataset: Dataset | None = None
        self._metrics: dict[str, Metrics] = {}
        self._gas: dict[str, int] = {}
        self._verdicts: dict[tuple[int, int], str] = {}
        self._task_cache: dict[int, TaskView] = {}
        self._account_key = ""

    # --- connecting ----------------------------------------------------------------------------

    def account_choices(self) -> dict[str, str]:
        """Label -> account key for the page's account selector.

        The embedded demo offers its test account. A configured deployment offers the members
        of the command line's home (``zkfed keygen --name NAME``: ``member:NAME``), then the
        ape account aliases (``alias:ALIAS``); `Settings.member` and `Settings.account` narrow
        the choice to one.
        """
        consortium = self.consortium
        settings = consortium.settings
        if settings.embedded:
            if consortium.page_account is None:
                return {}
            return {f"test account 1 ({consortium.page_account.address})": "test:1"}
        from ape import accounts

        choices = {
            f"{name} (zkfed member, account {account})": f"member:{name}"
            for name, account in sorted(settings.cli_home.members().items())
            if not settings.member or name == settings.member
        }
        if settings.member and not choices:
            raise ConfigurationError(
                f"{settings.cli_home.path} has no member named {settings.member!r}; create it "
                f"with 'zkfed --home {settings.cli_home.path} keygen --name {settings.member} "
                "--account ACCOUNT'."
            )
        if settings.account or not settings.member:
            choices.update(
                {
                    f"{a.alias} ({a.address})": f"alias:{a.alias}"
                    for a in accounts
                    if not settings.account or a.alias == settings.account
                }
            )
        return choices

    def keystore_path(self, account_key: str = "") -> Path:
        """Where the member's keyring (its BabyJubJub masking keys) is kept.

        ``--keystore`` overrides; otherwise a member of the command line's home has its
        ``HOME/keys/NAME.json``, an ape alias the keystore of the member of the same name.
        """
        consortium = self.consortium
        settings = consortium.settings
        if settings.embedded and consortium.demo_keystore is not None:
            return consortium.demo_keystore
        if settings.keystore:
            return Path(settings.keystore)
        key = account_key or self._account_key
        name = key.split(":", 1)[1] if ":" in key else settings.member
        if not name:
            raise ConfigurationError("choose an account first.")
        return settings.cli_home.keystore(name)

    def connect(
        self, account_key: str, password: str, passphrase: str = "", progress: Report = _quiet
    ) -> str:
        """Unlock the member's account and keyring, and make sure the member has keys on-chain.

        The keyring's keys not registered yet are registered, then fresh keys are added and
        registered until the member has `SPARE_KEYS` unused keys, so that the next tasks
        include it.

        Raises
        ------
        KeystoreError
            If the password is wrong, or a keyring key is registered by another account.
        ConfigurationError
            If the account is not a member of the consortium.
        """
        zk = self.consortium.require_ready()
        account = self._account_for(account_key, passphrase)
        path = self.keystore_path(account_key)
        if not path.is_file() and account_key.startswith("member:"):
            raise KeystoreError(f"The keystore {path} of this member is missing.")
        keys = load_public_keys(path)
        if keys:
            load_secret_key(path, password, keys[0])  # one sentence if the password is wrong
        need = self._needs_keys(zk, account, keys)
        lock = self.consortium.lock  # registering proves and transacts: one job at a time
        if need == "now":
            with lock:
                self._ensure_keys(zk, account, path, password, progress)
        elif need == "spare" and lock.acquire(blocking=False):
            try:
                self._ensure_keys(zk, account, path, password, progress)
            finally:
                lock.release()
        elif need == "spare":
            # A round runs (another tab) and the member has a key for the next task: topping
            # up waits for the next connection rather than for the round.
            progress("keys", 1.0, "spare keys are registered at the next connection")
        self.account, self._password, self._secrets = account, password, {}
        self._account_key = account_key
        return f"connected as {self.consortium.label(str(account.address))}"

    def _account_for(self, account_key: str, passphrase: str) -> Any:
        """The ape account an account key of `account_choices` names, unlocked."""
        from ape import accounts

        kind, _, value = account_key.partition(":")
        if kind == "test":
            return accounts.test_accounts[int(value)]
        if kind == "member":
            spec = self.consortium.settings.cli_home.member_account(value)
            if spec.isdigit():
                if not self.consortium.settings.network.startswith("ethereum:local"):
                    raise ConfigurationError(
                        f"member {value} is bound to test account {spec}, which exists only on "
                        "a local development chain."
                    )
                return accounts.test_accounts[int(spec)]
            if spec.lower().startswith("0x"):
                for account in [*accounts.test_accounts, *accounts]:
                    if str(account.address).lower() == spec.lower():
                        return self._unlocked(account, passphrase)
                raise ConfigurationError(f"No account with address {spec} can sign here.")
            kind, value = "alias", spec
        if kind == "alias":
            try:
                account = accounts.load(value)
            except (KeyError, ValueError):
                raise ConfigurationError(f"There is no ape account named {value!r}.") from None
            return self._unlocked(account, passphrase)
        raise ConfigurationError("choose an account first.")

    @staticmethod
    def _unlocked(account: Any, passphrase: str) -> Any:
        if not hasattr(account, "set_autosign"):
            return account  # a test account signs without a passphrase
        try:
            account.set_autosign(True, passphrase=passphrase)
        except Exception:
            raise KeystoreError("the account's passphrase is wrong.") from None
        return account

    def _needs_keys(self, zk: Zkfed, account: Any, keys: Sequence[Point]) -> str:
        """What connecting must register: ``"now"`` (a keyring key not on-chain, or no unused
        key left), ``"spare"`` (fewer than `SPARE_KEYS` unused keys), or nothing (``""``)."""
        address = str(account.address)
        unused = zk.unused_keys(address)
        if unused == 0 or any(zk.key_owner(pk) is None for pk in keys):
            return "now"
        return "spare" if unused < SPARE_KEYS else ""

    def _ensure_keys(
        self,
        zk: Zkfed,
        account: Any,
        path: Path,
        password: str,
        progress: Report,
    ) -> None:
        def report(stage: str, done: int, total: int) -> None:
            if done < total:
                progress(stage, done / total, f"registering masking key {done + 1}/{total}")

        top_up_masking_keys(
            zk,
            lambda: nullcontext(self.consortium.prover),
            account,
            path,
            lambda: password,
            SPARE_KEYS,
            report,
        )

    def _task_secret(self, zk: Zkfed, task_id: int) -> int:
        """The secret of the masking key a SecAgg task took of this member, from its keyring."""
        pk = zk.masking_key(task_id, self.account)
        if pk is None:
            raise ConfigurationError(f"task {task_id} took no key of this account.")
        if pk not in self._secrets:
            path = self.keystore_path()
            if pk not in load_public_keys(path) or self._password is None:
                raise KeystoreError(
                    f"this keystore holds no secret for the key task {task_id} assigned to this "
                    "account (keys must be registered before a task is created)."
                )
            self._secrets[pk] = load_secret_key(path, self._password, pk)
        return self._secrets[pk]

    @property
    def connected(self) -> bool:
        """Whether `connect` succeeded."""
        return self.account is not None

    def running_round(self) -> RunningRound | None:
        """The round a session of this member runs (this one or another tab), if any."""
        if self.account is None:
            return None
        return self.consortium.running_round(str(self.account.address))

    def started_elsewhere(self, running: RunningRound | None) -> bool:
        """Whether a running round belongs to another session of the member."""
        return running is not None and running.owner != id(self)

    def public_keys(self) -> list[Point]:
        """The keys of the member's keyring (no password needed)."""
        return load_public_keys(self.keystore_path())

    # --- data ----------------------------------------------------------------------------------

    def use_upload(
        self, filename: str, data: bytes, label: str, features: Sequence[str] | None
    ) -> Dataset:
        """Validate an uploaded dataset and keep it for training."""
        self.dataset = load_upload(filename, data, label, features)
        self._metrics.clear()
        return self.dataset

    def sample_csv(self) -> bytes:
        """The page member's share of the demo data as a CSV file (embedded mode)."""
        consortium = self.consortium
        if consortium.demo_data is None:
            raise DatasetError("sample data exists only in the embedded demo.")
        parts = split_non_iid(consortium.demo_data.y_train, consortium.settings.members, seed=0)
        return dataset_csv(consortium.demo_data, parts[0])

    def training_data(self, task: TaskView) -> Dataset:
        """The member's data fitted to a task (the upload, else the demo share)."""
        if self.dataset is not None:
            return fit_to_task(self.dataset, task.spec, task.classes, task.scaling)
        consortium = self.consortium
        if consortium.demo_data is None:
            raise DatasetError("upload a dataset in the Member view before training.")
        return consortium.demo_data

    def _train_rows(self, dataset: Dataset) -> tuple[Any, Any]:
        if self.dataset is None and self.consortium.demo_data is dataset:
            part = split_non_iid(dataset.y_train, self.consortium.settings.members, seed=0)[0]
            return dataset.x_train[part], dataset.y_train[part]
        return dataset.x_train, dataset.y_train

    # --- governance ----------------------------------------------------------------------------

    def proposals(self) -> list[ProposalView]:
        """Every proposal (models and members), newest first."""
        zk = self.consortium.require_ready()
        governance = zk.governance
        variants = zk.variants()
        development = zk.development_keys()
        views = []
        for pid in range(int(governance.proposalCount()), 0, -1):
            info = governance.proposal(pid)
            if int(info.kind) != 0:
                views.append(self._membership_view(pid, info))
                continue
            proposal = governance.taskProposal(pid)
            try:
                spec = self.consortium.spec_document(str(proposal.specCid), proposal.specHash)
            except ZkfedError as error:
                spec = {"title": f"unreadable spec: {error}"}
            voted = self.account is not None and bool(
                governance.hasVoted(pid, self.account.address)
            )
            views.append(
                ProposalView(
                    pid,
                    str(spec.get("title", f"proposal {pid}")),
                    spec,
                    str(proposal.specCid),
                    int(proposal.task.paramCount),
                    int(info.forVotes),
                    int(info.againstVotes),
                    int(info.electorate),
                    PROPOSAL_STATES[int(governance.state(pid))],
                    voted,
                    int(info.taskId),
                    _terms(proposal.task, variants, development),
                )
            )
        return views

    def _membership_view(self, pid: int, info: Any) -> ProposalView:
        governance = self.consortium.require_ready().governance
        add = int(info.kind) == 1
        account = str(info.account)
        voted = self.account is not None and bool(governance.hasVoted(pid, self.account.address))
        return ProposalView(
            pid,
            f"{'Add' if add else 'Remove'} member {account}",
            {},
            "",
            0,
            int(info.forVotes),
            int(info.againstVotes),
            int(info.electorate),
            PROPOSAL_STATES[int(governance.state(pid))],
            voted,
            0,
            kind="add" if add else "remove",
            account=account,
        )

    def propose_member(self, address: str, add: bool = True) -> int:
        """Propose to add (or remove) a member by address; returns the proposal id.

        Raises
        ------
        ConfigurationError
            One sentence: not an address, already a member, not a member, the last member.
        """
        zk = self._member_chain()
        text = address.strip()
        digits = text[2:] if text.lower().startswith("0x") else ""
        if len(digits) != 40 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise ConfigurationError(f"'{text}' is not an address (0x and 40 hex digits).")
        with self.consortium.lock:
            return zk.propose_membership(self.account, text, add)

    def vote(self, proposal_id: int, support: bool) -> str:
        """Cast the member's vote."""
        zk = self._member_chain()
        with self.consortium.lock:
            zk.vote(self.account, proposal_id, support)
        return f"voted {'for' if support else 'against'} proposal {proposal_id}"

    def execute(self, proposal_id: int) -> int:
        """Execute a proposal that carried; returns the task it opened (0 for a membership
        proposal, which adds or removes its member)."""
        zk = self._member_chain()
        with self.consortium.lock:
            return zk.execute(self.account, proposal_id)

    def _member_chain(self) -> Zkfed:
        zk = self.consortium.require_ready()
        if self.account is None:
            raise ConfigurationError("connect an account first (left-hand panel).")
        return zk

    # --- tasks and rounds ----------------------------------------------------------------------

    def tasks(self) -> list[TaskView]:
        """Tasks opened by executed proposals, newest first."""
        zk = self.consortium.require_ready()
        views = []
        for event in self.consortium.events():
            if event.name != "ProposalExecuted":
                continue
            task_id = int(event.args["taskId"])
            if task_id not in self._task_cache:
                self._task_cache[task_id] = self._task_view(zk, int(event.args["proposalId"]))
            cached = self._task_cache[task_id]
            me = str(self.account.address).lower() if self.account is not None else ""
            views.append(
                replace(
                    cached,
                    current_round=zk.current_round(task_id),
                    is_member=me in {m.lower() for m in cached.members},
                )
            )
        return views[::-1]

    def _task_view(self, zk: Zkfed, proposal_id: int) -> TaskView:
        proposal = zk.governance.taskProposal(proposal_id)
        task_id = int(zk.governance.proposal(proposal_id).taskId)
        document = self.consortium.spec_document(str(proposal.specCid), proposal.specHash)
        spec = ModelSpec.from_dict(document["model"])
        members = tuple(zk.task_members(task_id))
        me = str(self.account.address).lower() if self.account is not None else ""
        config = zk.aggregator.taskConfig(task_id)
        return TaskView(
            task_id,
            str(document.get("title", f"task {task_id}")),
            spec,
            TrainConfig.from_dict(document["training"]),
            tuple(str(c) for c in document.get("classes", ())),
            members,
            zk.secagg_task(task_id).n_chunks,
            int(config.rounds),
            zk.current_round(task_id),
            me in {m.lower() for m in members},
            FeatureScaling.from_json(document["feature_scaling"])
            if "feature_scaling" in document
            else None,
        )

    def task(self, task_id: int) -> TaskView:
        """One task by id."""
        for view in self.tasks():
            if view.task_id == task_id:
                return view
        raise ConfigurationError(f"task {task_id} does not exist on this deployment.")

    def round_view(self, task_id: int, round_index: int | None = None) -> RoundView:
        """The status of a task's round (the current one by default), from events."""
        task = self.task(task_id)
        feed = self.consortium.feed
        return round_view(
            self.consortium.events(),
            task_id,
            task.current_round if round_index is None else round_index,
            task.members,
            self.consortium.labels,
            task.n_chunks,
            feed.chain_time if feed else 0,
        )

    def run_round(
        self, task_id: int, progress: Report = _quiet, simulate_dropout: bool = False
    ) -> RoundReport:
        """Train, quantise, prove and submit this member's update for the current round.

        In the embedded mode the simulated members then submit theirs (one of them stays away
        when `simulate_dropout`), the chain's clock is moved past the deadline, the seeds of
        dropped members are revealed and the round is finalized and verified.
        """
        zk = self._member_chain()
        address = str(self.account.address)
        claimed = self.consortium.claim_round(address, task_id, id(self))

        def report(stage: str, fraction: float, message: str) -> None:
            claimed.stage, claimed.fraction, claimed.message = stage, fraction, message
            progress(stage, fraction, message)

        try:
            return self._run_round(zk, task_id, report, simulate_dropout)
        finally:
            self.consortium.release_round(address, claimed)

    def _run_round(
        self, zk: Zkfed, task_id: int, progress: Report, simulate_dropout: bool
    ) -> RoundReport:
        consortium = self.consortium
        task = self.task(task_id)
        if not task.is_member:
            raise ConfigurationError(f"this account is not a member of task {task_id}.")
        sk = self._task_secret(zk, task_id)
        data = self.training_data(task)
        with consortium.lock:
            round_index = zk.current_round(task_id)
            state = zk.round_state(task_id, round_index)
            if state.status != RoundStatus.OPEN:
                raise ChainError(
                    f"round {round_index} of task {task_id} is {state.status.name.lower()}, "
                    "not open for submissions."
                )
            mine = zk.member_index(task_id, self.account)
            if zk.contributors(task_id, round_index, 0) & {mine}:
                raise ChainError(f"you already submitted to round {round_index}.")
            report = RoundReport(round_index)
            simulated = consortium.simulated if consortium.settings.embedded else []
            steps = 2 + 2 * task.n_chunks
            total = steps * (1 + len(simulated)) + (3 if simulated else 0)
            x, y = self._train_rows(data)
            done = self._submit(
                zk, task, round_index, self.account, sk, x, y, "you",
                member_seed(task_id, round_index, mine), report, progress, 0, total,
            )  # fmt: skip
            if not simulated:
                progress("submitted", 1.0, "submitted; the round closes at its deadline")
                consortium.proof_seconds[(task_id, round_index)] = report.prove_seconds
                return report
            dropout = simulated[-1] if simulate_dropout else None
            for sim in simulated:
                who = consortium.label(str(sim.account.address))
                if sim is dropout:
                    report.dropped.append(who)
                    progress("dropout", done / total, f"{who} drops out of this round")
                    done += steps
                    continue
                assert consortium.demo_data is not None
                index = zk.member_index(task_id, sim.account)
                done = self._submit(
                    zk, task, round_index, sim.account, sim.secret_for(zk, task_id),
                    consortium.demo_data.x_train[sim.part],
                    consortium.demo_data.y_train[sim.part], who,
                    member_seed(task_id, round_index, index), report, progress, done, total,
                )  # fmt: skip
            self._close_round(zk, task, round_index, report, progress, done, total)
            consortium.proof_seconds[(task_id, round_index)] = report.prove_seconds
            return report

    def _submit(
        self,
        zk: Zkfed,
        task: TaskView,
        round_index: int,
        account: Any,
        sk: int,
        x: Any,
        y: Any,
        who: str,
        seed: int,
        report: RoundReport,
        progress: Report,
        done: int,
        total: int,
    ) -> int:
        consortium = self.consortium
        assert consortium.store is not None and consortium.circuit is not None
        progress("train", done / total, f"{who}: training on {len(y)} local samples")
        secagg = zk.secagg_task(task.task_id)
        weights = round_model(zk, consortium.store, secagg, round_index)
        update = train_local(task.spec, weights, x, y, task.config, seed=seed)
        done += 1
        progress("quantise", done / total, f"{who}: clipping, quantising and masking")
        start = done + 1

        def chunk_progress(stage: str, index: int, chunks: int) -> None:
            if index >= chunks:
                return
            if stage == "join":  # once per task, before the first chunk
                message = (
                    f"{who}: joining the task, proving pair commitment {index + 1} of {chunks}"
                )
                progress(stage, start / total, message)
                return
            step = start + 2 * index + (stage == "submit")
            verb = "proving" if stage == "prove" else "submitting"
            progress(stage, step / total, f"{who}: {verb} chunk {index} ({index + 1} of {chunks})")

        sub = submit_update(
            zk,
            consortium.prover,
            consortium.circuit,
            account,
            sk,
            secagg,
            round_index,
            update.delta,
            np.random.default_rng(seed),
            chunk_progress,
        )
        report.gas += sub.gas
        report.prove_seconds += sub.prove_seconds
        done = start + 2 * secagg.n_chunks - 1
        progress(
            "submit",
            done / total,
            f"{who}: submitted {sub.chunks} chunks ({sub.prove_seconds:.1f} s of proving)",
        )
        return done

    def _close_round(
        self,
        zk: Zkfed,
        task: TaskView,
        round_index: int,
        report: RoundReport,
        progress: Report,
        done: int,
        total: int,
    ) -> None:
        """Embedded mode: the deadline passes, contributors reveal, the page's member finalizes."""
        from ape import chain

        consortium = self.consortium
        assert consortium.store is not None
        state = zk.round_state(task.task_id, round_index)
        now = int(chain.blocks.head.timestamp)
        chain.mine(deltatime=max(state.submission_deadline - now, 0) + 1)
        done += 1
        progress("recovery", done / total, "deadline passed (the embedded chain's clock moved)")
        secagg = zk.secagg_task(task.task_id)
        parties = [(self.account, self._task_secret(zk, task.task_id), "you")] + [
            (s.account, s.secret_for(zk, task.task_id), consortium.label(str(s.account.address)))
            for s in consortium.simulated
            if consortium.label(str(s.account.address)) not in report.dropped
        ]
        for account, sk, who in parties:
            rev = reveal_for_dropouts(zk, consortium.prover, account, sk, secagg, round_index)
            report.gas += rev.gas
            report.prove_seconds += rev.prove_seconds
            if rev.chunks:
                progress("recovery", done / total, f"{who}: removed {rev.chunks} masks")
        done += 1
        progress("finalize", done / total, "sealing the exact aggregate on-chain")
        result, gas = finalize(zk, consortium.store, self.account, secagg, round_index)
        report.gas += gas
        report.model_cid = result.cid
        verdict = str(verify_round(zk, consortium.store, task.task_id, round_index))
        report.verdict = verdict
        self._verdicts[(task.task_id, round_index)] = verdict
        progress("done", 1.0, f"round {round_index} finalized: {result.cid}; verify: {verdict}")

    def reveal(self, task_id: int, progress: Report = _quiet) -> str:
        """After the deadline: remove the masks shared with dropped neighbours; after the reveal
        deadline, open this member's escrowed shares of masks others left (configured)."""
        from ape import chain

        zk = self._member_chain()
        consortium = self.consortium
        sk = self._task_secret(zk, task_id)
        with consortium.lock:
            round_index = zk.current_round(task_id)
            state = zk.round_state(task_id, round_index)
            if int(chain.blocks.head.timestamp) >= state.reveal_deadline:
                rec = recover_escrowed(
                    zk,
                    consortium.prover,
                    self.account,
                    sk,
                    zk.secagg_task(task_id),
                    round_index,
                    lambda stage, i, n: progress(stage, i / max(n, 1), f"{stage} {i + 1}/{n}"),
                )
                return f"opened or removed {rec.chunks} escrow items for round {round_index}"
            rev = reveal_for_dropouts(
                zk,
                consortium.prover,
                self.account,
                sk,
                zk.secagg_task(task_id),
                round_index,
                lambda stage, i, n: progress(stage, i / max(n, 1), f"removing mask {i + 1}/{n}"),
            )
        return f"removed {rev.chunks} masks for round {round_index}"

    def finalize(self, task_id: int, progress: Report = _quiet) -> str:
        """After the deadline: seal the exact aggregate and publish the new model (anyone may)."""
        zk = self._member_chain()
        consortium = self.consortium
        assert consortium.store is not None
        with consortium.lock:
            round_index = zk.current_round(task_id)
            progress("finalize", 0.5, "sealing the exact aggregate on-chain")
            result, _ = finalize(
                zk, consortium.store, self.account, zk.secagg_task(task_id), round_index
            )
        return f"round {round_index} finalized: {result.cid}"

    # --- history -------------------------------------------------------------------------------

    def history(self, task_id: int) -> list[HistoryRow]:
        """Every finalized round of a task: metrics on this member's test data, gas, proofs."""
        zk = self.consortium.require_ready()
        consortium = self.consortium
        assert consortium.store is not None
        task = self.task(task_id)
        try:
            data = self.training_data(task)
        except DatasetError:
            data = None
        events = consortium.events()
        secagg = zk.secagg_task(task_id)
        rows = []
        for event in events:
            if event.name != "RoundFinalized" or int(event.args["taskId"]) != task_id:
                continue
            r = int(event.args["round"])
            # The round's model is derived from the chain; its CID is where it was published.
            weights = round_model(zk, consortium.store, secagg, r + 1)
            cid, _ = store_model(consortium.store, weights)
            if data is not None and cid not in self._metrics:
                self._metrics[cid] = evaluate_weights(task.spec, weights, data.x_test, data.y_test)
            metrics = self._metrics.get(cid, Metrics(float("nan"), float("nan")))
            if (task_id, r) not in self._verdicts:
                self._verdicts[(task_id, r)] = str(verify_round(zk, consortium.store, task_id, r))
            rows.append(
                HistoryRow(
                    r,
                    metrics.accuracy,
                    metrics.loss,
                    self._round_gas(events, task_id, r),
                    consortium.proof_seconds.get((task_id, r), float("nan")),
                    cid,
                    self._verdicts[(task_id, r)],
                )
            )
        return rows

    def _round_gas(self, events: Sequence[ChainEvent], task_id: int, round_index: int) -> int:
        from ape import chain

        total = 0
        seen = set()
        for event in events:
            args = event.args
            if int(args.get("taskId", -1)) != task_id or int(args.get("round", -1)) != round_index:
                continue
            if event.name not in (
                "ChunkSubmitted",
                "MaskRevealed",
                "ChunkAggregated",
                "RoundFinalized",
                "ModelPublished",
            ):
                continue
            if event.transaction in seen:
                continue
            seen.add(event.transaction)
            if event.transaction not in self._gas:
                receipt = chain.provider.get_receipt(event.transaction)
                self._gas[event.transaction] = int(receipt.gas_used)
            total += self._gas[event.transaction]
        return total


def sentence(error: BaseException) -> str:
    """One line for the page: a ZkfedError's own sentence, else the error's first line."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text if isinstance(error, ZkfedError) else f"{type(error).__name__}: {text}"


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def short(cid: str, keep: int = 10) -> str:
    """A CID or address shortened for a table cell."""
    return cid if len(cid) <= 2 * keep + 1 else f"{cid[:keep]}…{cid[-keep:]}"


__all__ = [
    "DEMO_PASSWORD",
    "MAX_UPLOAD_BYTES",
    "ChainEvent",
    "Consortium",
    "EventFeed",
    "HistoryRow",
    "MemberSession",
    "ProposalView",
    "RoundReport",
    "RoundView",
    "Settings",
    "TaskView",
    "UploadColumns",
    "describe_deadline",
    "fit_to_task",
    "inspect_upload",
    "load_upload",
    "round_view",
    "sentence",
    "short",
]
