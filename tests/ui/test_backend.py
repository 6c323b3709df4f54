"""The web app's session logic without a browser: settings, uploads, event-derived round status,
and a member's session against a deployment attached as a configured one."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ui.backend import (
    DEMO_KEYS,
    DEMO_PASSWORD,
    MAX_UPLOAD_BYTES,
    SPARE_KEYS,
    ChainEvent,
    Consortium,
    MemberSession,
    Settings,
    dataset_csv,
    describe_deadline,
    fit_to_task,
    inspect_upload,
    load_upload,
    round_view,
)
from zkfed.datasets import FeatureScaling, load_dataset, split_non_iid
from zkfed.exceptions import ChainError, ConfigurationError, DatasetError, KeystoreError
from zkfed.keystore import add_key, forget_key, load_public_keys
from zkfed.models import ModelSpec, initial_weights
from zkfed.training import TrainConfig, evaluate_weights, train_local

MEMBERS = [
    "0xAa00000000000000000000000000000000000001",
    "0xBb00000000000000000000000000000000000002",
    "0xCc00000000000000000000000000000000000003",
]


def _csv(rows: int = 30, classes: tuple[str, ...] = ("a", "b", "c")) -> bytes:
    rng = np.random.default_rng(0)
    lines = ["f1,f2,label"]
    for i in range(rows):
        lines.append(f"{rng.normal():.4f},{rng.normal():.4f},{classes[i % len(classes)]}")
    return ("\n".join(lines) + "\n").encode()


def _npz(**arrays: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.savez(out, **arrays)  # type: ignore[arg-type]
    return out.getvalue()


# --- settings ---------------------------------------------------------------------------------


def test_settings_default_to_the_embedded_demo() -> None:
    # Execute
    settings = Settings.from_env({})

    # Assert
    assert settings.embedded
    assert settings.network == "ethereum:local:foundry"
    assert Settings.from_env(settings.to_env()) == settings


def test_settings_read_the_environment() -> None:
    # Execute
    settings = Settings.from_env(
        {
            "ZKFED_UI_NETWORK": "https://rpc.example/v1",
            "ZKFED_UI_AGGREGATOR": "0x" + "12" * 20,
            "ZKFED_UI_STORAGE": "/ip4/127.0.0.1/tcp/5001",
            "ZKFED_UI_MEMBERS": "7",
        }
    )

    # Assert
    assert not settings.embedded
    assert settings.storage == "/ip4/127.0.0.1/tcp/5001"
    assert settings.members == 7


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"ZKFED_UI_MEMBERS": "many"}, "ZKFED_UI_MEMBERS must be a number"),
        ({"ZKFED_UI_MEMBERS": "2"}, "3 to 16 members"),
        ({"ZKFED_UI_NETWORK": "ethereum:sepolia:node"}, "runs only on a local network"),
        ({"ZKFED_UI_DATASET": "mnist"}, "demo dataset must be one of"),
    ],
)
def test_settings_refuse_with_one_sentence(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env(environ)


# --- uploads ----------------------------------------------------------------------------------


def test_inspect_csv_guesses_label_and_features() -> None:
    # Execute
    columns = inspect_upload("clinic.csv", _csv())

    # Assert
    assert columns.columns == ("f1", "f2", "label")
    assert columns.label == "label"
    assert columns.features == ("f1", "f2")


def test_inspect_npz_offers_1d_arrays_as_labels() -> None:
    # Prepare
    data = _npz(x=np.zeros((12, 3)), y=np.arange(12) % 2)

    # Execute
    columns = inspect_upload("lab.npz", data)

    # Assert
    assert columns.columns == ("x", "y")
    assert (columns.label, columns.features) == ("y", ("x",))


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("notes.txt", b"hello", "is not a .csv or .npz file"),
        ("empty.csv", b"", "is empty"),
        ("latin.csv", "a,b\n\xe9,1\n".encode("latin-1"), "not a readable UTF-8 CSV"),
        ("broken.npz", b"PK not really", "not a valid NPZ archive"),
        ("huge.csv", b"x" * (MAX_UPLOAD_BYTES + 1), "over the limit"),
    ],
)
def test_inspect_refuses_with_one_sentence(filename: str, data: bytes, message: str) -> None:
    with pytest.raises(DatasetError, match=message) as error:
        inspect_upload(filename, data)
    assert str(error.value).count(". ") == 0  # one sentence


def test_load_upload_validates_with_the_dataset_loader() -> None:
    # Execute
    dataset = load_upload("clinic.csv", _csv(), "label", ["f1", "f2"])

    # Assert
    assert dataset.n_features == 2
    assert dataset.class_names == ("a", "b", "c")
    assert dataset.name == "clinic"


def _with_row(row: str) -> bytes:
    lines = _csv().decode().splitlines()
    lines[3] = row
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize(
    ("data", "label", "message"),
    [
        (_with_row("NaN,0.5,a"), "label", "Column 'f1' has a missing value"),
        (_with_row("0.1,abc,a"), "label", "Column 'f2' is not numeric"),
        (_csv(), "outcome", "Label column 'outcome' is not in"),
        (_csv(rows=5), "label", "at least 10 are needed"),
    ],
    ids=["nan", "text", "no-label", "too-few-rows"],
)
def test_load_upload_refuses_bad_tables(data: bytes, label: str, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        load_upload("clinic.csv", data, label)


def test_fit_to_task_renumbers_labels_to_the_task_classes() -> None:
    # Prepare: this member holds no sample of class "a"
    dataset = load_upload("clinic.csv", _csv(classes=("b", "c")), "label")
    spec = ModelSpec("logreg", 2, 3)

    # Execute
    fitted = fit_to_task(dataset, spec, ("a", "b", "c"))

    # Assert
    assert set(np.unique(fitted.y_train)) == {1, 2}
    assert fitted.class_names == ("a", "b", "c")


def test_fit_to_task_refuses_a_mismatch() -> None:
    dataset = load_upload("clinic.csv", _csv(), "label")
    with pytest.raises(DatasetError, match="takes 3 features; the selected columns give 2"):
        fit_to_task(dataset, ModelSpec("logreg", 3, 3), ("a", "b", "c"))
    with pytest.raises(DatasetError, match="Label 'c' is not one of the task's classes"):
        fit_to_task(dataset, ModelSpec("logreg", 2, 2), ("a", "b"))


# --- round status from events -----------------------------------------------------------------


def _event(name: str, **args: object) -> ChainEvent:
    return ChainEvent(1, name, {"taskId": 1, "round": 1, **args})


def test_round_view_follows_the_events() -> None:
    # Prepare
    events = [
        _event("RoundOpened", submissionDeadline=1000, revealDeadline=2000),
        _event("ChunkSubmitted", member=MEMBERS[0], chunk=0),
        _event("ChunkSubmitted", member=MEMBERS[0].lower(), chunk=1),
        _event("ChunkSubmitted", member=MEMBERS[1], chunk=0),
        ChainEvent(1, "ChunkSubmitted", {"taskId": 2, "round": 1, "member": MEMBERS[2]}),
    ]
    labels = {MEMBERS[0].lower(): "you"}

    # Execute
    during = round_view(events, 1, 1, MEMBERS, labels, 2, chain_time=900)
    after = round_view(events, 1, 1, MEMBERS, labels, 2, chain_time=1001)
    reveals = [*events, _event("MaskRevealed", revealer=MEMBERS[0], chunk=0, dropped=MEMBERS[2])]
    finalized = round_view(
        [
            *reveals,
            _event("RoundFinalized", modelCid="", modelHash=b""),
            _event("ModelPublished", modelCid="bafy-new", modelHash=b""),
            _event("ModelPublished", modelCid="bafy-later", modelHash=b""),
        ],
        1, 1, MEMBERS, labels, 2, chain_time=1500,
    )  # fmt: skip

    # Assert
    assert during.status == "open"
    assert [m.chunks for m in during.members] == [2, 1, 0]
    assert during.submitted == 1 and during.dropouts == []
    assert after.status == "recovery"
    assert after.dropouts == ["member 1", "member 2"]
    assert after.members[0].label == "you"
    assert finalized.status == "finalized"
    assert finalized.model_cid == "bafy-new"
    assert finalized.reveals == 1


def test_describe_deadline() -> None:
    assert describe_deadline(1060, 1000) == "in 60 s"
    assert describe_deadline(1000, 4600) == "60 min ago"
    assert describe_deadline(100_000, 0) == "in 27 h 46 min"


# --- a member's session on a chain ------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Consortium]:
    """The embedded demo consortium, deployed on the test session's chain."""
    store = tmp_path_factory.mktemp("store")
    consortium = Consortium(
        Settings(variant="masked_update_test", members=4, storage=str(store), poll_seconds=0.2)
    )
    consortium.connect()
    consortium.bootstrap()
    yield consortium
    consortium.close()


@pytest.fixture(scope="module")
def configured(demo: Consortium) -> Iterator[Consortium]:
    """The same deployment attached to as a configured one (aggregator address, store, keystore)."""
    assert demo.zk is not None and demo.demo_keystore is not None
    consortium = Consortium(
        Settings(
            network="ethereum:local:foundry",
            aggregator=str(demo.zk.aggregator.address),
            storage=demo.settings.storage,
            keystore=str(demo.demo_keystore),
            variant="masked_update_test",
            poll_seconds=0.2,
        )
    )
    consortium.connect()
    consortium.bootstrap()
    yield consortium
    consortium.close()


def test_member_session_on_a_configured_deployment(configured: Consortium) -> None:
    # Prepare
    session = MemberSession(configured)
    with pytest.raises(KeystoreError):
        session.connect("test:1", "not the password")
    session.connect("test:1", DEMO_PASSWORD)
    zk, me = configured.require_ready(), session.account.address
    unused = zk.unused_keys(me)
    wine = load_dataset("wine", seed=0)
    share = split_non_iid(wine.y_train, 4, seed=0)[0]
    session.use_upload("clinic.csv", dataset_csv(wine, share), "label", None)
    reports: list[tuple[str, float, str]] = []

    # Execute
    proposals = {p.proposal_id: p for p in session.proposals()}
    session.vote(1, True)
    task_id = session.execute(1)
    assert configured.feed is not None
    configured.feed.poll_once()
    report = session.run_round(task_id, lambda *step: reports.append(step))
    configured.feed.poll_once()
    view = session.round_view(task_id)

    # Assert
    assert proposals[1].title == "Logistic regression on wine"
    assert (proposals[1].for_votes, proposals[1].majority) == (2, 3)
    assert "20 rounds, at least 3 contributors" in proposals[1].terms
    assert "circuit masked_update_test: 2 words x 15 lanes of 16 bits" in proposals[1].terms
    assert "insecure development keys" in proposals[1].terms
    assert [t.task_id for t in session.tasks()] == [task_id]
    # Connecting topped the member up; the task took one key, whose secret the keyring holds.
    assert unused >= SPARE_KEYS and zk.unused_keys(me) == unused - 1
    assert zk.masking_key(task_id, me) in session.public_keys()
    assert report.round == 1 and report.gas > 0 and report.prove_seconds > 0
    stages = [stage for stage, _, _ in reports]
    # The member's first submission to the task joins it first (its pair commitments).
    assert stages[:3] == ["train", "quantise", "join"]
    assert [stage for stage in stages if stage != "join"][:3] == ["train", "quantise", "prove"]
    assert "submit" in stages and stages[-1] == "submitted"
    fractions = [fraction for _, fraction, _ in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert view.status == "open" and view.submitted == 1
    assert view.members[0].chunks == view.n_chunks
    with pytest.raises(ChainError, match="you already submitted to round 1"):
        session.run_round(task_id)


def test_embedded_keystore_is_the_demo_one(demo: Consortium) -> None:
    assert demo.demo_keystore is not None
    assert Path(demo.demo_keystore).is_file()
    assert MemberSession(demo).account_choices()


def test_connect_registers_the_keyrings_keys_and_tops_the_member_up(
    configured: Consortium,
) -> None:
    # Prepare: a key added to the keyring elsewhere, not registered.
    path = Path(configured.settings.keystore)
    extra = add_key(path, DEMO_PASSWORD)
    session = MemberSession(configured)
    reports: list[tuple[str, float, str]] = []

    # Execute
    session.connect("test:1", DEMO_PASSWORD, progress=lambda *step: reports.append(step))

    # Assert
    zk, me = configured.require_ready(), str(session.account.address)
    keys = load_public_keys(path)
    assert extra in keys
    assert all(str(zk.key_owner(pk)).lower() == me.lower() for pk in keys)
    assert zk.unused_keys(me) >= SPARE_KEYS
    assert reports and all(stage == "keys" for stage, _, _ in reports)
    assert reports[-1][2].startswith("registering masking key ")


def test_a_task_key_missing_from_the_keyring_is_refused(configured: Consortium) -> None:
    # Prepare: a task takes one of the member's keys, whose secret the keyring then loses.
    path = Path(configured.settings.keystore)
    saved = path.read_text()
    session = MemberSession(configured)
    session.connect("test:1", DEMO_PASSWORD)
    session.vote(1, True)
    task_id = session.execute(1)
    zk = configured.require_ready()
    forget_key(path, zk.masking_key(task_id, session.account))
    assert configured.feed is not None
    configured.feed.poll_once()

    # Execute / Assert
    try:
        with pytest.raises(
            KeystoreError,
            match=f"this keystore holds no secret for the key task {task_id} assigned to this",
        ):
            session.run_round(task_id)
    finally:
        path.write_text(saved)


def test_simulated_members_register_a_key_per_demo_proposal(demo: Consortium) -> None:
    # Assert
    zk = demo.require_ready()
    assert demo.simulated
    for sim in demo.simulated:
        assert len(sim.keys) == DEMO_KEYS
        assert zk.unused_keys(sim.account) == DEMO_KEYS
        assert {str(zk.key_owner(pk)) for pk in sim.keys} == {str(sim.account.address)}


# --- the command line's members -----------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home made by the real command line: `zkfed keygen --name alice --account 1`."""
    home = tmp_path_factory.mktemp("home") / ".zkfed"
    password = home.parent / "password"
    password.write_text(DEMO_PASSWORD + "\n")
    zkfed = Path(sys.executable).with_name("zkfed")
    command = [str(zkfed), "--home", str(home), "keygen", "--name", "alice", "--account", "1"]
    subprocess.run(
        [*command, "--password-file", str(password)], check=True, capture_output=True, timeout=120
    )
    return home


def _attached(demo: Consortium, **settings: str) -> Consortium:
    assert demo.zk is not None
    consortium = Consortium(
        Settings(
            network="ethereum:local:foundry",
            aggregator=str(demo.zk.aggregator.address),
            storage=demo.settings.storage,
            variant="masked_update_test",
            poll_seconds=0.2,
            **settings,
        )
    )
    consortium.connect()
    consortium.bootstrap()
    return consortium


def test_the_page_offers_the_command_lines_members(demo: Consortium, cli_home: Path) -> None:
    # Prepare
    consortium = _attached(demo, home=str(cli_home), member="alice")
    session = MemberSession(consortium)

    # Execute
    choices = session.account_choices()
    session.connect("member:alice", DEMO_PASSWORD)

    # Assert: alice is the CLI's, with its account and its keystore; the keys the page
    # registered went into that keystore
    try:
        assert list(choices.values()) == ["member:alice"]
        assert str(session.account.address) == str(demo.page_account.address)  # account 1
        assert session.keystore_path() == cli_home / "keys" / "alice.json"
        zk, me = consortium.require_ready(), str(session.account.address)
        keys = load_public_keys(cli_home / "keys" / "alice.json")
        assert keys  # registered on connecting, by alice's account
        assert all(str(zk.key_owner(pk)).lower() == me.lower() for pk in keys)
    finally:
        consortium.close()


def test_an_unknown_member_is_one_sentence(demo: Consortium, cli_home: Path) -> None:
    # Prepare
    consortium = _attached(demo, home=str(cli_home), member="bob")

    # Execute / Assert
    try:
        with pytest.raises(ConfigurationError, match="has no member named 'bob'"):
            MemberSession(consortium).account_choices()
    finally:
        consortium.close()


# --- membership proposals -------------------------------------------------------------------------


def test_a_member_is_proposed_voted_in_and_added(demo: Consortium) -> None:
    # Prepare
    from ape import accounts

    session = MemberSession(demo)
    session.connect("test:1", DEMO_PASSWORD)
    newcomer = str(accounts.test_accounts[9].address)
    zk = demo.require_ready()

    # Execute
    with pytest.raises(ConfigurationError, match="'0x12' is not an address"):
        session.propose_member("0x12")
    proposal_id = session.propose_member(newcomer)
    proposed = {p.proposal_id: p for p in session.proposals()}[proposal_id]
    for sim in demo.simulated[:2]:
        zk.vote(sim.account, proposal_id, True)
    if not proposed.voted:
        session.vote(proposal_id, True)
    task_id = session.execute(proposal_id)
    executed = {p.proposal_id: p for p in session.proposals()}[proposal_id]

    # Assert
    assert (proposed.kind, proposed.account.lower()) == ("add", newcomer.lower())
    assert proposed.title == f"Add member {newcomer}" and proposed.state == "active"
    assert task_id == 0 and executed.state == "executed"
    assert zk.is_member(newcomer)
    with pytest.raises(ConfigurationError, match="is a member already"):
        session.propose_member(newcomer)


def test_the_sample_file_trains_under_the_tasks_scaling(demo: Consortium) -> None:
    """#14.2: the page's own sample file is a member's raw share; scaled with the statistics of
    that share alone it trained to a useless model, scaled as the task says it matches the
    consortium's data exactly and trains as well as the demo share does."""
    # Prepare: the sample file, and the first demo proposal's spec (what a task records)
    zk = demo.require_ready()
    recorded = zk.governance.taskProposal(1)
    document = demo.spec_document(str(recorded.specCid), recorded.specHash)
    spec = ModelSpec.from_dict(document["model"])
    classes = tuple(document["classes"])
    scaling = FeatureScaling.from_json(document["feature_scaling"])
    uploaded = load_upload("sample.csv", MemberSession(demo).sample_csv(), "label")
    assert demo.demo_data is not None
    share = split_non_iid(demo.demo_data.y_train, demo.settings.members, seed=0)[0]

    # Execute
    own = fit_to_task(uploaded, spec, classes)
    tasks = fit_to_task(uploaded, spec, classes, scaling)

    # Assert: under the task's scaling the member's rows are the consortium's rows
    rows = np.concatenate([tasks.x_train, tasks.x_test])
    expected = demo.demo_data.x_train[share]
    assert np.allclose(np.sort(rows, axis=0), np.sort(expected, axis=0), atol=1e-6)
    assert not np.allclose(
        np.sort(np.concatenate([own.x_train, own.x_test]), axis=0),
        np.sort(expected, axis=0),
        atol=1e-3,
    )
    weights = initial_weights(spec)
    accuracy = {}
    for name, data in (("own", own), ("task", tasks)):
        update = train_local(spec, weights, data.x_train, data.y_train, TrainConfig(), seed=0)
        accuracy[name] = evaluate_weights(
            spec, weights + update.delta, demo.demo_data.x_test, demo.demo_data.y_test
        ).accuracy
    assert accuracy["task"] >= 0.9
    assert accuracy["task"] > accuracy["own"]
