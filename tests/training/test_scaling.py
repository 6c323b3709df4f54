"""The task's feature scaling: fitted once, recorded in the spec document, applied by members."""

import json
from pathlib import Path

import numpy as np
import pytest

from zkfed.datasets import (
    CSV_CHUNK_ROWS,
    FeatureScaling,
    _stratified_split,
    load_dataset,
    member_csv,
    read_dataset,
    rescale,
    split_non_iid,
)
from zkfed.exceptions import DatasetError, ModelSpecError
from zkfed.models import ModelSpec, initial_weights
from zkfed.proposals import parse_spec_document, spec_document
from zkfed.training import TrainConfig, evaluate_weights, train_local


def test_a_constant_feature_is_centred_but_not_divided_by_zero() -> None:
    # Prepare
    x = np.array([[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]])

    # Execute
    scaling = FeatureScaling.fit(x)
    scaled = scaling.apply(x)

    # Assert
    assert scaling.offset == (3.0, 5.0)
    assert scaling.scale[1] == 1.0
    np.testing.assert_allclose(scaled[:, 1], 0.0)
    np.testing.assert_allclose(scaling.invert(scaled), x)


def test_bundled_data_scales_exactly_as_before_with_its_training_split() -> None:
    # Prepare: what load_dataset did before scaling became the task's.
    from sklearn.datasets import load_digits  # type: ignore[import-untyped]

    bunch = load_digits()
    train, _ = _stratified_split(np.asarray(bunch.target, np.int64), 0.2, 0)
    mean, std = bunch.data[train].mean(axis=0), bunch.data[train].std(axis=0)
    std[std == 0.0] = 1.0

    # Execute
    data = load_dataset("digits", seed=0)

    # Assert: the demo's numbers do not move.
    np.testing.assert_array_equal(np.array(data.scaling.offset), mean)
    np.testing.assert_array_equal(np.array(data.scaling.scale), std)
    np.testing.assert_array_equal(data.x_train, (bunch.data[train] - mean) / std)


def test_a_non_iid_share_needs_the_tasks_scaling_not_its_own() -> None:
    # Prepare: member 4 of 5 of wine, as raw values in a CSV it exported itself.
    wine = load_dataset("wine", seed=0)
    share = split_non_iid(wine.y_train, 5, seed=0)[3]
    spec = ModelSpec("logreg", wine.n_features, wine.n_classes, seed=0)
    start = initial_weights(spec)
    x_raw = wine.scaling.invert(wine.x_train[share])
    x_own = FeatureScaling.fit(x_raw).apply(x_raw)
    x_task = wine.scaling.apply(x_raw)
    y = wine.y_train[share]

    # Execute
    own = train_local(spec, start, x_own, y, TrainConfig(), seed=0)
    task = train_local(spec, start, x_task, y, TrainConfig(), seed=0)

    # Assert: scored on the global test set, which is under the task's scaling.
    own_accuracy = evaluate_weights(spec, start + own.delta, wine.x_test, wine.y_test).accuracy
    task_accuracy = evaluate_weights(spec, start + task.delta, wine.x_test, wine.y_test).accuracy
    assert task_accuracy >= 0.9
    assert task_accuracy - own_accuracy >= 0.2


def test_the_spec_document_records_the_scaling_and_reads_it_back() -> None:
    # Prepare
    wine = load_dataset("wine", seed=0)
    spec = ModelSpec("logreg", wine.n_features, wine.n_classes, seed=0)
    args = (spec, TrainConfig(), 5.0, "bafkcid", b"\x01" * 32, wine.class_names, "t")

    # Execute
    scaled = spec_document(*args, scaling=wine.scaling)
    raw = spec_document(*args, scaling=FeatureScaling.none())
    legacy = spec_document(*args)

    # Assert
    assert json.loads(scaled)["feature_scaling"]["feature_mean"] == list(wine.scaling.offset)
    assert parse_spec_document(scaled).scaling == wine.scaling
    assert json.loads(raw)["feature_scaling"] == "none"
    assert parse_spec_document(raw).scaling == FeatureScaling.none()
    assert parse_spec_document(legacy).scaling is None
    with pytest.raises(ModelSpecError, match="is for 2 features; the model takes 13"):
        spec_document(*args, scaling=FeatureScaling((0.0, 0.0), (1.0, 1.0)))


@pytest.mark.parametrize(
    "value",
    [
        {"feature_mean": [0.0]},
        {"feature_mean": [0.0], "feature_std": [0.0]},
        {"feature_mean": ["a"], "feature_std": [1.0]},
        {"feature_mean": [0.0, 1.0], "feature_std": [1.0]},
        "standard",
    ],
)
def test_a_malformed_scaling_makes_the_spec_document_malformed(value: object) -> None:
    # Prepare
    spec = ModelSpec("logreg", 1, 2, seed=0)
    document = json.loads(spec_document(spec, TrainConfig(), 5.0, "cid", b"\x00" * 32))
    document["feature_scaling"] = value

    # Execute / Assert
    with pytest.raises(ModelSpecError, match="spec document of proposal 7 is malformed"):
        parse_spec_document(json.dumps(document).encode(), 7)


def test_member_csv_holds_raw_values_that_read_back_under_the_same_scaling(
    tmp_path: Path,
) -> None:
    # Prepare
    wine = load_dataset("wine", seed=0)
    share = split_non_iid(wine.y_train, 4, seed=0)[0]
    path = tmp_path / "share.csv"

    # Execute
    path.write_text(member_csv(wine, share))
    back = load_dataset(path, scaling=wine.scaling, seed=0)

    # Assert: every row read back is one of the share's rows under the task's scaling.
    rows = {tuple(np.round(r, 6)) for r in wine.x_train[share]}
    assert all(tuple(np.round(r, 6)) in rows for r in back.x_train)
    assert back.scaling == wine.scaling and set(back.class_names) <= set(wine.class_names)


def test_rescale_moves_a_dataset_to_the_tasks_scaling() -> None:
    # Prepare
    wine = load_dataset("wine", seed=0)
    other = FeatureScaling(tuple(0.0 for _ in range(13)), tuple(2.0 for _ in range(13)))

    # Execute
    moved = rescale(wine, other)

    # Assert
    np.testing.assert_allclose(moved.x_test, other.apply(wine.scaling.invert(wine.x_test)))
    assert moved.scaling == other
    with pytest.raises(DatasetError, match="has 13 features; the task's feature scaling is for 1"):
        rescale(wine, FeatureScaling((0.0,), (1.0,)))


def test_a_long_csv_is_read_in_chunks_and_errors_name_the_file_line(tmp_path: Path) -> None:
    # Prepare: two chunks and a bit, a blank line and a quoted cell spanning two lines.
    n = 2 * CSV_CHUNK_ROWS + 10
    lines = ["a,b,label", '1,2,"first\nclass"', ""] + [f"{i},{i % 7},c{i % 3}" for i in range(n)]
    good = tmp_path / "good.csv"
    good.write_text("\n".join(lines) + "\n")
    bad_line = len(lines) - 3  # 1-based line number of the fourth line from the end
    lines[bad_line - 1] = "7,,c1"
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")

    # Execute
    raw = read_dataset(good)
    with pytest.raises(DatasetError) as caught:
        read_dataset(bad)

    # Assert
    assert raw.x.shape == (n + 1, 2) and raw.labels[0] == "first\nclass"
    assert str(caught.value) == (
        f"Column 'b' has a missing value on line {bad_line + 1} of 'bad.csv'."
    )
