"""Datasets a member trains on: scikit-learn's bundled sets or a user's CSV/NPZ file.

Every loader ends in the same place: a deterministic stratified train/test split, features
standardised with statistics of the training part only (the test part never leaks into them),
labels encoded as ``0 .. n_classes - 1``. `split_non_iid` then deals the training part out to
the members with a Dirichlet label skew, the usual way to simulate a consortium whose members see
different class mixes.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from zkfed.exceptions import DatasetError

BUNDLED = ("digits", "breast_cancer", "wine")
"""Datasets shipped inside scikit-learn itself: loading them never touches the network."""

MAX_FILE_BYTES = 100 * 2**20
"""Largest user file `load_dataset` reads; a consortium member's table, not a data lake."""

MIN_ROWS = 10
"""Fewest rows a dataset may have; fewer cannot fill a train and a test part meaningfully."""

DEFAULT_TEST_FRACTION = 0.2
DEFAULT_ALPHA = 0.5
DEFAULT_MIN_SAMPLES = 10

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Dataset:
    """A standardised, split dataset; arrays are read-only so the instance stays frozen.

    Attributes
    ----------
    x_train, x_test : ndarray of float64, shape (n, n_features)
        Features standardised with the mean and standard deviation of ``x_train``.
    y_train, y_test : ndarray of int64, shape (n,)
        Class indices in ``0 .. n_classes - 1``.
    n_features, n_classes : int
        Width of the feature matrix and number of distinct classes.
    name : str
        ``"digits"``, ``"breast_cancer"``, ``"wine"`` or the user file's stem.
    class_names : tuple of str
        Original label of each class index, in index order.
    """

    x_train: FloatArray
    y_train: IntArray
    x_test: FloatArray
    y_test: IntArray
    n_features: int
    n_classes: int
    name: str
    class_names: tuple[str, ...] = ()


def load_dataset(
    source: str | Path,
    *,
    label: str = "label",
    features: Sequence[str] | None = None,
    test_fraction: float = DEFAULT_TEST_FRACTION,
    seed: int = 0,
    max_bytes: int = MAX_FILE_BYTES,
) -> Dataset:
    """Load a bundled dataset by name or a user CSV/NPZ file, split and standardise it.

    Parameters
    ----------
    source : str or Path
        One of `BUNDLED`, or the path of a ``.csv`` or ``.npz`` file.
    label : str
        Name of the label column (user files only). Labels may be numbers or strings.
    features : sequence of str, optional
        Feature columns to use (user files only); all columns but the label when omitted. In an
        NPZ file, the name of a 2-D array selects all of its columns ``name[0]``, ``name[1]``, ...
    test_fraction : float
        Share of every class held out for testing, in (0, 1).
    seed : int
        Seed of the train/test split.
    max_bytes : int
        Largest file accepted.

    Returns
    -------
    Dataset

    Raises
    ------
    DatasetError
        With one sentence naming the problem: missing file, too large, unsupported format,
        non-numeric or missing values, missing label column, fewer than 2 classes, too few rows.
    """
    if not 0.0 < test_fraction < 1.0:
        raise DatasetError(
            f"The test fraction must lie strictly between 0 and 1, not {test_fraction}."
        )
    raw_labels: NDArray[np.generic]
    if str(source) in BUNDLED:
        name = str(source)
        x, raw_labels, names = _load_bundled(name)
    else:
        path = Path(source)
        x, raw_labels = _load_file(path, label=label, features=features, max_bytes=max_bytes)
        name, names = path.stem, None
    dataset = _prepare(x, raw_labels, name=name, test_fraction=test_fraction, seed=seed)
    if names is not None:
        dataset = replace(dataset, class_names=names)
    return dataset


def split_non_iid(
    labels: IntArray,
    n_members: int,
    *,
    alpha: float = DEFAULT_ALPHA,
    seed: int = 0,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> list[IntArray]:
    """Deal sample indices out to members with a Dirichlet label skew.

    For each class in turn, member shares are drawn from Dirichlet(alpha, ..., alpha); members
    already holding their fair share ``n / n_members`` get no more of later classes (Hsu et al.,
    2019; NIID-Bench), which keeps sizes from drifting apart. Members left under `min_samples`
    are then topped up, one sample at a time, from whoever holds most. Small alpha means strong
    skew; alpha -> infinity approaches an IID split.

    Parameters
    ----------
    labels : ndarray of int, shape (n,)
        Class index of every training sample.
    n_members : int
        Number of members, at least 1.
    alpha : float
        Dirichlet concentration, > 0.
    seed : int
        Seed of every random draw; the same inputs always give the same split.
    min_samples : int
        Fewest samples any member ends up with.

    Returns
    -------
    list of ndarray of int64
        One sorted index array per member; together they cover every sample exactly once.

    Raises
    ------
    DatasetError
        If the arguments are out of range or ``n_members * min_samples`` exceeds the samples.
    """
    labels = np.asarray(labels)
    n = int(labels.shape[0])
    if n_members < 1:
        raise DatasetError(f"A split needs at least one member, not {n_members}.")
    if not alpha > 0.0:
        raise DatasetError(f"The Dirichlet alpha must be positive, not {alpha}.")
    if min_samples < 0:
        raise DatasetError(f"The minimum samples per member cannot be negative ({min_samples}).")
    if n_members * min_samples > n:
        raise DatasetError(
            f"{n} training samples cannot give {n_members} members {min_samples} samples each."
        )
    rng = np.random.default_rng(seed)
    buckets: list[list[int]] = [[] for _ in range(n_members)]
    fair_share = n / n_members
    for cls in np.unique(labels):
        indices = np.flatnonzero(labels == cls)
        rng.shuffle(indices)
        shares = rng.dirichlet(np.full(n_members, alpha))
        sizes = np.array([len(bucket) for bucket in buckets])
        shares = shares * (sizes < fair_share)
        total = shares.sum()
        shares = shares / total if total > 0 else np.full(n_members, 1.0 / n_members)
        cuts = (np.cumsum(shares)[:-1] * len(indices)).astype(np.int64)
        for bucket, part in zip(buckets, np.split(indices, cuts), strict=True):
            bucket.extend(int(i) for i in part)
    _top_up(buckets, min_samples, rng)
    return [np.sort(np.array(bucket, dtype=np.int64)) for bucket in buckets]


def label_histogram(labels: IntArray, parts: Sequence[IntArray], n_classes: int) -> IntArray:
    """Count each class per member, shape (n_members, n_classes): how skewed a split is."""
    return np.array(
        [np.bincount(labels[part], minlength=n_classes) for part in parts], dtype=np.int64
    )


def _top_up(buckets: list[list[int]], min_samples: int, rng: np.random.Generator) -> None:
    while True:
        sizes = [len(bucket) for bucket in buckets]
        poorest = int(np.argmin(sizes))
        if sizes[poorest] >= min_samples:
            return
        richest = int(np.argmax(sizes))
        donor = buckets[richest]
        buckets[poorest].append(donor.pop(int(rng.integers(len(donor)))))


def _load_bundled(name: str) -> tuple[FloatArray, IntArray, tuple[str, ...]]:
    # Imported here: scikit-learn costs ~1 s to import and only this path needs it.
    from sklearn import datasets as sk  # type: ignore[import-untyped]

    loaders = {
        "digits": sk.load_digits,
        "breast_cancer": sk.load_breast_cancer,
        "wine": sk.load_wine,
    }
    bunch = loaders[name]()
    names = tuple(str(target) for target in bunch.target_names)
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, np.int64), names


def _load_file(
    path: Path, *, label: str, features: Sequence[str] | None, max_bytes: int
) -> tuple[FloatArray, NDArray[np.generic]]:
    if not path.is_file():
        raise DatasetError(
            f"Dataset '{path}' is neither a file nor a bundled set ({', '.join(BUNDLED)})."
        )
    size = path.stat().st_size
    if size > max_bytes:
        raise DatasetError(f"File '{path}' has {size:,} bytes, over the limit of {max_bytes:,}.")
    if size == 0:
        raise DatasetError(f"File '{path}' is empty.")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        columns = _read_csv(path)
    elif suffix == ".npz":
        columns = _read_npz(path)
    else:
        raise DatasetError(f"File '{path}' is not a .csv or .npz file.")
    if label not in columns:
        raise DatasetError(
            f"Label column '{label}' is not in '{path.name}' (columns: {_names(columns)})."
        )
    feature_names = _select_features(columns, label=label, features=features, path=path)
    x = np.column_stack([_numeric(columns[name], name) for name in feature_names])
    return x, columns[label]


def _read_csv(path: Path) -> dict[str, NDArray[np.generic]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            rows = list(reader)
    except (UnicodeDecodeError, csv.Error) as error:
        raise DatasetError(f"File '{path}' is not a readable UTF-8 CSV file ({error}).") from None
    if not header:
        raise DatasetError(f"File '{path}' has no header row naming its columns.")
    header = [name.strip() for name in header]
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise DatasetError(f"File '{path}' names column '{duplicates[0]}' more than once.")
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    for number, row in enumerate(rows, start=1):
        if len(row) != len(header):
            raise DatasetError(
                f"Row {number} of '{path.name}' has {len(row)} cells but the header names "
                f"{len(header)} columns."
            )
    return {
        name: np.array([row[j].strip() for row in rows], dtype=np.str_)
        for j, name in enumerate(header)
    }


def _read_npz(path: Path) -> dict[str, NDArray[np.generic]]:
    columns: dict[str, NDArray[np.generic]] = {}
    if not zipfile.is_zipfile(path):
        raise DatasetError(f"File '{path}' is not a valid NPZ archive.")
    try:
        with np.load(path, allow_pickle=False) as archive:
            for key in archive.files:
                try:
                    array = archive[key]
                except ValueError:
                    raise DatasetError(
                        f"Array '{key}' in '{path.name}' holds Python objects; only numeric or "
                        "string arrays are accepted."
                    ) from None
                if array.ndim == 1:
                    columns[key] = array
                elif array.ndim == 2:
                    columns.update({f"{key}[{j}]": array[:, j] for j in range(array.shape[1])})
                else:
                    raise DatasetError(
                        f"Array '{key}' in '{path.name}' has {array.ndim} dimensions; columns "
                        "must be 1-D or 2-D arrays."
                    )
    except (zipfile.BadZipFile, OSError, EOFError):
        raise DatasetError(f"File '{path}' is not a valid NPZ archive.") from None
    names = list(columns)
    for name in names[1:]:
        if columns[name].shape[0] != columns[names[0]].shape[0]:
            raise DatasetError(
                f"Arrays in '{path.name}' differ in length: '{names[0]}' has "
                f"{columns[names[0]].shape[0]} rows, '{name}' has {columns[name].shape[0]}."
            )
    return columns


def _select_features(
    columns: dict[str, NDArray[np.generic]],
    *,
    label: str,
    features: Sequence[str] | None,
    path: Path,
) -> list[str]:
    if features is None:
        selected = [name for name in columns if name != label]
    else:
        selected = []
        for wanted in features:
            matches = [name for name in columns if name == wanted or name.startswith(f"{wanted}[")]
            if not matches:
                raise DatasetError(
                    f"Feature column '{wanted}' is not in '{path.name}' "
                    f"(columns: {_names(columns)})."
                )
            if label in matches:
                raise DatasetError(f"Column '{label}' cannot be both the label and a feature.")
            selected.extend(matches)
    if not selected:
        raise DatasetError(
            f"File '{path.name}' has no feature columns besides the label '{label}'."
        )
    return selected


def _numeric(column: NDArray[np.generic], name: str) -> FloatArray:
    if column.dtype.kind in "biuf":
        values = column.astype(np.float64)
    elif column.dtype.kind in "US":
        values = np.empty(column.shape[0], dtype=np.float64)
        for row, cell in enumerate(column.astype(np.str_), start=1):
            if cell == "" or cell.lower() in {"nan", "na", "null"}:
                values[row - 1] = np.nan
                continue
            try:
                values[row - 1] = float(cell)
            except ValueError:
                raise DatasetError(
                    f"Column '{name}' is not numeric: row {row} holds '{cell}'."
                ) from None
    else:
        raise DatasetError(f"Column '{name}' is not numeric (dtype {column.dtype}).")
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        what = "a missing value (NaN)" if np.isnan(values[row - 1]) else "an infinite value"
        raise DatasetError(f"Column '{name}' has {what} in row {row}.")
    return values


def _names(columns: dict[str, NDArray[np.generic]], limit: int = 8) -> str:
    names = list(columns)
    shown = ", ".join(names[:limit])
    return shown + (f", ... {len(names) - limit} more" if len(names) > limit else "")


def _encode_labels(raw: NDArray[np.generic]) -> tuple[IntArray, tuple[str, ...]]:
    if raw.dtype.kind in "US":
        text = np.char.strip(raw.astype(np.str_))
        if (text == "").any():
            row = int(np.flatnonzero(text == "")[0]) + 1
            raise DatasetError(f"The label column has a missing value in row {row}.")
        try:
            numbers = text.astype(np.float64)
        except ValueError:
            classes, codes = np.unique(text, return_inverse=True)
            return codes.astype(np.int64), tuple(str(c) for c in classes)
        raw = numbers
    if raw.dtype.kind not in "biuf":
        raise DatasetError(f"The label column has unsupported dtype {raw.dtype}.")
    if raw.dtype.kind == "f" and not np.isfinite(raw).all():
        row = int(np.flatnonzero(~np.isfinite(raw))[0]) + 1
        raise DatasetError(f"The label column has a missing or infinite value in row {row}.")
    classes, codes = np.unique(raw, return_inverse=True)
    names = tuple(str(int(c)) if float(c).is_integer() else str(c) for c in classes)
    return codes.astype(np.int64), names


def _stratified_split(
    labels: IntArray, test_fraction: float, seed: int
) -> tuple[IntArray, IntArray]:
    rng = np.random.default_rng(seed)
    train: list[IntArray] = []
    test: list[IntArray] = []
    for cls in np.unique(labels):
        indices = np.flatnonzero(labels == cls)
        rng.shuffle(indices)
        # Every class keeps at least one training sample; singletons go to training only.
        n_test = min(round(len(indices) * test_fraction), len(indices) - 1)
        test.append(indices[:n_test])
        train.append(indices[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def _prepare(
    x: FloatArray, raw_labels: NDArray[np.generic], *, name: str, test_fraction: float, seed: int
) -> Dataset:
    n_rows = x.shape[0]
    if n_rows < MIN_ROWS:
        raise DatasetError(f"Dataset '{name}' has {n_rows} rows; at least {MIN_ROWS} are needed.")
    labels, class_names = _encode_labels(raw_labels)
    if len(class_names) < 2:
        raise DatasetError(
            f"Dataset '{name}' has {len(class_names)} class; classification needs at least 2."
        )
    train, test = _stratified_split(labels, test_fraction, seed)
    if test.size == 0:
        raise DatasetError(
            f"Dataset '{name}' is too small for a test part with test fraction {test_fraction}."
        )
    mean = x[train].mean(axis=0)
    std = x[train].std(axis=0)
    # Constant features (digits has blank border pixels) are centred but not scaled.
    std[std == 0.0] = 1.0
    x_train = (x[train] - mean) / std
    x_test = (x[test] - mean) / std
    arrays = (x_train, labels[train], x_test, labels[test])
    for array in arrays:
        array.setflags(write=False)
    return Dataset(
        x_train=arrays[0],
        y_train=arrays[1],
        x_test=arrays[2],
        y_test=arrays[3],
        n_features=int(x.shape[1]),
        n_classes=len(class_names),
        name=name,
        class_names=class_names,
    )
