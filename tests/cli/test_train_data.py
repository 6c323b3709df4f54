"""A member's data, as `zkfed train` reads it: checked before connecting, scaled as the task says.

The first tests need no chain: a malformed file must be refused before `train` even looks for a
deployment. The last one proposes a task whose spec document carries the feature scaling and
trains a raw CSV share through the CLI, as a member who exported its own table would.
"""

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import MEMBERS, refused, run_cli, succeeded
from click.testing import CliRunner

from zkfed.circuits import TEST_VARIANT
from zkfed.commands._session import Settings, open_session
from zkfed.commands.training import example_data
from zkfed.config import Home
from zkfed.datasets import load_dataset, read_dataset, split_non_iid
from zkfed.models import ModelSpec, initial_weights
from zkfed.proposals import propose_model
from zkfed.quantize import fitting_scale_bits
from zkfed.training import TrainConfig, evaluate_weights, train_local

REFUSE_WITHIN = 2.0
"""Seconds within which a malformed dataset must be refused (it used to take 15-19 s)."""


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


_MALFORMED: dict[str, tuple[Callable[[Path], Path], str]] = {
    "non-numeric cell": (
        lambda d: _text(d / "bad.csv", "a,b,label\n1,2,x\n3,oops,y\n"),
        "Column 'b' is not numeric: line 3 of 'bad.csv' holds 'oops'",
    ),
    "ragged line": (
        lambda d: _text(d / "bad.csv", "a,b,label\n1,2,x\n\n3,4\n"),
        "Line 4 of 'bad.csv' has 2 cells but the header names 3 columns",
    ),
    "missing label column": (
        lambda d: _text(d / "bad.csv", "a,b,outcome\n1,2,x\n"),
        "Label column 'label' is not in 'bad.csv'",
    ),
    "missing file": (lambda d: d / "absent.csv", "is neither a file nor a bundled set"),
    "header only": (lambda d: _text(d / "bad.csv", "a,b,label\n"), "has 0 rows; at least 10"),
    "one class": (
        lambda d: _text(d / "bad.csv", "a,label\n" + "1,x\n" * 12),
        "has 1 class; classification needs at least 2",
    ),
    "not UTF-8": (
        lambda d: _bytes(d / "bad.csv", b"a,label\n\xff\xfe,1\n"),
        "is not a readable UTF-8 CSV file",
    ),
    "over 500 MB": (
        lambda d: _sparse(d / "huge.csv", 501 * 10**6),
        "has 501,000,000 bytes, over the limit of 500,000,000",
    ),
}


def _text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", list(_MALFORMED), ids=list(_MALFORMED))
def test_a_malformed_dataset_is_refused_before_connecting(tmp_path: Path, case: str) -> None:
    # Prepare: a home without any deployment, so connecting would fail with another message.
    make, message = _MALFORMED[case]
    source = make(tmp_path)
    empty = tmp_path / "empty-home"

    # Execute
    started = time.perf_counter()
    result = run_cli(empty, "train", "1", "-m", "x", "--dataset", str(source))
    seconds = time.perf_counter() - started

    # Assert
    line = refused(result, message)
    assert "deployment" not in line
    assert seconds < REFUSE_WITHIN, f"refused after {seconds:.1f} s"


def test_example_data_writes_a_raw_member_share_that_train_reads(tmp_path: Path) -> None:
    # Prepare
    out = tmp_path / "share.csv"
    wine = load_dataset("wine", seed=0)
    share = split_non_iid(wine.y_train, 5, seed=0)[3]

    # Execute
    result = CliRunner().invoke(
        example_data, ["--dataset", "wine", "--part", "4/5", "--out", str(out)]
    )
    again = CliRunner().invoke(example_data, ["--dataset", "wine", "--out", str(out)])

    # Assert: the header, the raw (unscaled) values and the class names of that share.
    assert result.exit_code == 0, result.output
    assert f"wrote {len(share)} samples of wine (member 4 of 5" in result.output
    assert out.read_text().splitlines()[0] == ",".join(f"x{j}" for j in range(13)) + ",label"
    raw = read_dataset(out)
    expected = wine.scaling.invert(wine.x_train[share])
    np.testing.assert_allclose(raw.x, expected, rtol=1e-9)
    assert raw.x[:, 12].min() > 100  # proline, in mg/l: raw, not standardised
    assert list(raw.labels) == [wine.class_names[c] for c in wine.y_train[share]]
    # (Invoked outside the `zkfed` group, the refusal is the exception the group would print.)
    assert again.exit_code != 0 and "already exists; pass --force" in str(again.exception)


def test_a_raw_non_iid_share_trains_with_the_tasks_scaling(
    home: Path, tmp_path: Path, password_file: Path
) -> None:
    # Prepare: task 2, proposed with the feature scaling of wine's training split (the
    # proposer's reference data), voted through; member 4's non-IID share exported raw.
    wine = load_dataset("wine", seed=0)
    spec = ModelSpec("logreg", wine.n_features, wine.n_classes, seed=0)
    with open_session(Settings(home=Home(home), network=None)) as session:
        found = session.zk.variant(TEST_VARIANT)
        variant = found.with_scale(fitting_scale_bits(found.packing.value_bits, 5.0))
        proposal = propose_model(
            session.zk,
            session.store,
            session.member_account("alice"),
            spec,
            TrainConfig(),
            variant,
            rounds=2,
            clip_norm=5.0,
            submission_period=3600,
            reveal_period=3600,
            classes=wine.class_names,
            scaling=wine.scaling,
        )
    for name in MEMBERS[:3]:
        succeeded(run_cli(home, "vote", str(proposal), "--for", "--member", name))
    succeeded(run_cli(home, "execute", str(proposal), "--member", "alice"))
    share = tmp_path / "clinic-4.csv"
    succeeded(CliRunner().invoke(example_data, ["--part", "4/5", "--out", str(share)]))

    # Execute
    out = succeeded(run_cli(home, "train", "2", "-m", "dave", "--dataset", str(share)))

    # Assert: the update, applied to the global model, scores well on wine's global test set;
    # the same share standardised with its own statistics (what train used to do) does not.
    saved = next((home / "updates").glob("*/task-2-round-1.json"))
    update = Home(home).load_update(saved.parent.name, 2, 1)
    start = initial_weights(spec)
    task_scaled = evaluate_weights(spec, start + update.delta, wine.x_test, wine.y_test)
    member = load_dataset(share, seed=0)  # standardised on its own
    own = train_local(spec, start, member.x_train, member.y_train, TrainConfig(), seed=0)
    own_scaled = evaluate_weights(spec, start + own.delta, wine.x_test, wine.y_test)
    assert "feature scaling" not in out and "standard deviations" not in out
    # Measured: 91.7 % with the task's scaling, 72.2 % with the share's own statistics.
    assert task_scaled.accuracy >= 0.85, task_scaled
    assert task_scaled.accuracy - own_scaled.accuracy >= 0.15, (task_scaled, own_scaled)
