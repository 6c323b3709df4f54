"""Dataset loading, validation and the non-IID split."""

from pathlib import Path

import numpy as np
import pytest

from zkfed.datasets import (
    BUNDLED,
    MIN_ROWS,
    Dataset,
    _stratified_split,
    label_histogram,
    load_dataset,
    split_non_iid,
)
from zkfed.exceptions import DatasetError, ZkfedError


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    lines = [",".join(header)] + [",".join(str(cell) for cell in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def _good_rows(n: int = 40) -> list[list[object]]:
    rng = np.random.default_rng(1)
    return [[f"{rng.normal():.4f}", f"{rng.normal():.4f}", ("cat", "dog")[i % 2]] for i in range(n)]


@pytest.mark.parametrize(
    ("name", "n_features", "n_classes", "n_rows"),
    [("digits", 64, 10, 1797), ("breast_cancer", 30, 2, 569), ("wine", 13, 3, 178)],
)
def test_bundled_datasets_load_split_and_standardise(
    name: str, n_features: int, n_classes: int, n_rows: int
) -> None:
    # Execute
    data = load_dataset(name)

    # Assert
    assert name in BUNDLED
    assert (data.n_features, data.n_classes, data.name) == (n_features, n_classes, name)
    assert data.x_train.shape[0] + data.x_test.shape[0] == n_rows
    assert data.x_train.shape[1] == data.x_test.shape[1] == n_features
    assert set(np.unique(data.y_test)) == set(range(n_classes))
    assert np.allclose(data.x_train.mean(axis=0), 0.0, atol=1e-9)
    spread = data.x_train.std(axis=0)
    assert np.allclose(spread[spread > 0], 1.0)
    assert len(data.class_names) == n_classes


def test_standardisation_uses_training_statistics_only(tmp_path: Path) -> None:
    # Prepare: the same file twice, except that the rows the split holds out are huge.
    rows = _good_rows(40)
    _, test_index = _stratified_split(np.array([0, 1] * 20), 0.25, 3)
    wild = [list(row) for row in rows]
    for i in test_index:
        wild[i][0] = "1e6"
    header = ["a", "b", "label"]

    # Execute
    data = load_dataset(_write_csv(tmp_path / "d.csv", header, rows), test_fraction=0.25, seed=3)
    changed = load_dataset(_write_csv(tmp_path / "w.csv", header, wild), test_fraction=0.25, seed=3)

    # Assert: changing only test rows leaves the standardised training part untouched.
    assert np.array_equal(data.x_train, changed.x_train)
    assert changed.x_test[:, 0].min() > 1e3
    assert np.allclose(data.x_train.mean(axis=0), 0.0)


def test_split_is_deterministic_and_stratified() -> None:
    # Execute
    first = load_dataset("wine", seed=7)
    again = load_dataset("wine", seed=7)
    other = load_dataset("wine", seed=8)

    # Assert
    assert np.array_equal(first.x_train, again.x_train)
    assert np.array_equal(first.y_test, again.y_test)
    assert not np.array_equal(first.x_train, other.x_train)
    train_share = np.bincount(first.y_train) / first.y_train.size
    test_share = np.bincount(first.y_test) / first.y_test.size
    assert np.allclose(train_share, test_share, atol=0.05)


def test_dataset_arrays_are_read_only(digits: Dataset) -> None:
    # Execute / Assert
    with pytest.raises(ValueError, match="read-only"):
        digits.x_train[0, 0] = 1.0


def test_csv_with_string_labels_and_chosen_features(tmp_path: Path) -> None:
    # Prepare
    rows = [[*row[:2], f"{i}", row[2]] for i, row in enumerate(_good_rows(40))]
    path = _write_csv(tmp_path / "pets.csv", ["a", "b", "id", "species"], rows)

    # Execute
    data = load_dataset(path, label="species", features=["a", "b"])

    # Assert
    assert (data.n_features, data.n_classes, data.name) == (2, 2, "pets")
    assert data.class_names == ("cat", "dog")
    assert data.x_train.shape[0] + data.x_test.shape[0] == 40


def test_npz_with_a_feature_matrix_and_label_array(tmp_path: Path) -> None:
    # Prepare
    rng = np.random.default_rng(0)
    path = tmp_path / "blobs.npz"
    np.savez(path, x=rng.normal(size=(30, 5)), y=np.arange(30) % 3)

    # Execute
    data = load_dataset(path, label="y")
    only_x = load_dataset(path, label="y", features=["x"])

    # Assert
    assert (data.n_features, data.n_classes, data.name) == (5, 3, "blobs")
    assert np.array_equal(data.x_train, only_x.x_train)


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _write_npz(path: Path, **arrays: np.ndarray) -> Path:
    np.savez(path, **arrays)  # type: ignore[arg-type]
    return path


_INVALID = {
    "missing file": (lambda d: d / "absent.csv", {}, "neither a file nor a bundled set"),
    "size limit": (
        lambda d: _write_csv(d / "big.csv", ["a", "label"], [[i, i % 2] for i in range(50)]),
        {"max_bytes": 100},
        "over the limit of 100",
    ),
    "non-numeric column": (
        lambda d: _write_csv(
            d / "t.csv", ["a", "label"], [[i, i % 2] for i in range(19)] + [["x", 1]]
        ),
        {},
        "Column 'a' is not numeric: line 21 of 't.csv' holds 'x'",
    ),
    "missing label column": (
        lambda d: _write_csv(d / "t.csv", ["a", "b"], [[i, i % 2] for i in range(20)]),
        {},
        "Label column 'label' is not in 't.csv'",
    ),
    "NaN": (
        lambda d: _write_csv(
            d / "t.csv", ["a", "label"], [[i, i % 2] for i in range(19)] + [["nan", 1]]
        ),
        {},
        "Column 'a' has a missing value \\(NaN\\) on line 21 of 't.csv'",
    ),
    "empty cell": (
        lambda d: _write_csv(
            d / "t.csv", ["a", "label"], [[i, i % 2] for i in range(19)] + [["", 1]]
        ),
        {},
        "missing value",
    ),
    "fewer than 2 classes": (
        lambda d: _write_csv(d / "t.csv", ["a", "label"], [[i, 1] for i in range(20)]),
        {},
        "has 1 class; classification needs at least 2",
    ),
    "too few rows": (
        lambda d: _write_csv(
            d / "t.csv", ["a", "label"], [[i, i % 2] for i in range(MIN_ROWS - 1)]
        ),
        {},
        f"has {MIN_ROWS - 1} rows; at least {MIN_ROWS} are needed",
    ),
    "unsupported format": (
        lambda d: _write_csv(d / "t.txt", ["a", "label"], [[1, 0]]),
        {},
        "is not a .csv or .npz file",
    ),
    "ragged row": (
        lambda d: _write_csv(d / "t.csv", ["a", "label"], [[1, 0], [2, 1, 3]]),
        {},
        "Line 3 of 't.csv' has 3 cells but the header names 2 columns",
    ),
    "unknown feature": (
        lambda d: _write_csv(d / "t.csv", ["a", "label"], [[i, i % 2] for i in range(20)]),
        {"features": ["zz"]},
        "Feature column 'zz' is not in 't.csv'",
    ),
    "label as feature": (
        lambda d: _write_csv(d / "t.csv", ["a", "label"], [[i, i % 2] for i in range(20)]),
        {"features": ["a", "label"]},
        "cannot be both the label and a feature",
    ),
    "no features": (
        lambda d: _write_csv(d / "t.csv", ["label"], [[i % 2] for i in range(20)]),
        {},
        "has no feature columns",
    ),
    "missing label value": (
        lambda d: _write_csv(
            d / "t.csv", ["a", "label"], [[i, i % 2] for i in range(19)] + [[1, ""]]
        ),
        {},
        "label column has a missing value on line 21 of 't.csv'",
    ),
    "NPZ not an archive": (
        lambda d: _write_bytes(d / "t.npz", b"not a zip archive"),
        {},
        "is not a valid NPZ archive",
    ),
    "NPZ object array": (
        lambda d: _write_npz(d / "t.npz", x=np.array([{}, 1], dtype=object), label=np.arange(2)),
        {},
        "holds Python objects",
    ),
    "NPZ lengths differ": (
        lambda d: _write_npz(d / "t.npz", x=np.zeros(20), label=np.zeros(21)),
        {},
        "differ in length",
    ),
    "NPZ non-numeric feature": (
        lambda d: _write_npz(d / "t.npz", x=np.array(["a"] * 20), label=np.arange(20) % 2),
        {},
        "Column 'x' is not numeric",
    ),
    "test fraction": (lambda d: "digits", {"test_fraction": 1.5}, "strictly between 0 and 1"),
}


@pytest.mark.parametrize("case", list(_INVALID), ids=list(_INVALID))
def test_invalid_datasets_fail_with_one_clear_sentence(tmp_path: Path, case: str) -> None:
    # Prepare
    make, options, message = _INVALID[case]
    source = make(tmp_path)

    # Execute
    with pytest.raises(DatasetError, match=message) as caught:
        load_dataset(source, **options)

    # Assert
    text = str(caught.value)
    assert isinstance(caught.value, ZkfedError)
    assert isinstance(caught.value, ValueError)
    assert "\n" not in text
    assert text.endswith(".")


@pytest.mark.parametrize(("n_members", "alpha"), [(8, 0.5), (8, 0.1), (16, 0.05), (3, 100.0)])
def test_non_iid_split_covers_every_sample_exactly_once(
    digits: Dataset, n_members: int, alpha: float
) -> None:
    # Execute
    parts = split_non_iid(digits.y_train, n_members, alpha=alpha, seed=4, min_samples=10)

    # Assert
    assert len(parts) == n_members
    merged = np.concatenate(parts)
    assert np.array_equal(np.sort(merged), np.arange(digits.y_train.size))
    assert min(part.size for part in parts) >= 10


def test_non_iid_split_is_deterministic_and_skewed(digits: Dataset) -> None:
    # Execute
    first = split_non_iid(digits.y_train, 8, alpha=0.1, seed=11)
    again = split_non_iid(digits.y_train, 8, alpha=0.1, seed=11)
    other = split_non_iid(digits.y_train, 8, alpha=0.1, seed=12)
    iid = split_non_iid(digits.y_train, 8, alpha=1000.0, seed=11)

    # Assert
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))
    skewed = label_histogram(digits.y_train, first, digits.n_classes)
    balanced = label_histogram(digits.y_train, iid, digits.n_classes)
    share = lambda h: h.max(axis=1) / h.sum(axis=1)  # noqa: E731
    assert share(skewed).mean() > 2 * share(balanced).mean()


@pytest.mark.parametrize(
    ("n_members", "options", "message"),
    [
        (0, {}, "at least one member"),
        (4, {"alpha": 0.0}, "alpha must be positive"),
        (4, {"min_samples": 30}, "cannot give 4 members 30 samples each"),
    ],
)
def test_non_iid_split_rejects_impossible_requests(
    n_members: int, options: dict[str, float], message: str
) -> None:
    # Prepare
    labels = np.arange(100) % 5

    # Execute / Assert
    with pytest.raises(DatasetError, match=message):
        split_non_iid(labels, n_members, **options)  # type: ignore[arg-type]
