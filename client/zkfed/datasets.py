"""Datasets a member trains on: scikit-learn's bundled sets or a user's CSV/NPZ file.

Every loader ends in the same place: a deterministic stratified train/test split, features
scaled with a `FeatureScaling`, labels encoded as ``0 .. n_classes - 1``. `split_non_iid` then
deals the training part out to the members with a Dirichlet label skew, the usual way to simulate
a consortium whose members see different class mixes.

Feature scaling belongs to the task, not to the member. A model only means something for inputs
scaled the way it was trained on; if every member standardised its data with its own mean and
standard deviation, a member holding mostly one class would map its features to a different
coordinate system from its neighbours', and the averaged model would fit none of them (a non-IID
share of wine standardised on its own scores 67 % on the global test set where the task's scaling
gives 92 %). So the proposer fits the scaling once on its reference data (for the bundled sets,
their training split, see `FeatureScaling.fit`), the spec document the members vote on records
it, and every member applies exactly that affine map to its raw data, training and test parts
alike: the role a Keras ``Normalization`` layer adapted once plays inside a model. A federated
statistics round (members' sums and sums of squares aggregated under the same secure
aggregation, before the first training round) would compute it without reference data; it is
not built.

A user's CSV is read in chunks of `CSV_CHUNK_ROWS` rows, each converted to float64 at once, so
memory stays proportional to the cells kept (the label and the selected features), and files over
`MAX_FILE_BYTES` are refused before reading. Messages name file lines as an editor shows them:
the header is line 1.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from zkfed.exceptions import DatasetError

BUNDLED = ("digits", "breast_cancer", "wine")
"""Datasets shipped inside scikit-learn itself: loading them never touches the network."""

MAX_FILE_BYTES = 500 * 10**6
"""Largest user file `load_dataset` reads (500 MB); a consortium member's table, not a data lake."""

CSV_CHUNK_ROWS = 4096
"""Rows of a CSV parsed and converted together; bounds the memory of the text being parsed."""

_MISSING = {"", "nan", "na", "n/a", "null", "none"}
_INFINITE = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}

MIN_ROWS = 10
"""Fewest rows a dataset may have; fewer cannot fill a train and a test part meaningfully."""

DEFAULT_TEST_FRACTION = 0.2
DEFAULT_ALPHA = 0.5
DEFAULT_MIN_SAMPLES = 10

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class FeatureScaling:
    """The affine map ``(x - offset) / scale`` a task applies to every raw feature vector.

    Fixed by the proposer and recorded in the task's spec document, so every member maps its
    raw features to the same coordinates (see the module docstring). Empty `offset` and `scale`
    mean "none": features are used as they are.

    Attributes
    ----------
    offset : tuple of float
        Subtracted from each feature (the reference mean).
    scale : tuple of float
        Each centred feature is divided by it (the reference standard deviation; 1 for a
        feature that is constant in the reference data, which is then only centred).
    """

    offset: tuple[float, ...] = ()
    scale: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if len(self.offset) != len(self.scale):
            raise DatasetError(
                f"A feature scaling needs one offset and one scale per feature, not "
                f"{len(self.offset)} offsets and {len(self.scale)} scales."
            )
        if not all(math.isfinite(v) for v in self.offset):
            raise DatasetError("A feature scaling's offsets must be finite numbers.")
        if not all(math.isfinite(v) and v > 0 for v in self.scale):
            raise DatasetError("A feature scaling's scales must be finite and positive.")

    @classmethod
    def none(cls) -> FeatureScaling:
        """The identity: raw features are used as they are."""
        return cls()

    @classmethod
    def fit(cls, x: NDArray[np.floating[Any]]) -> FeatureScaling:
        """Standardisation fitted on reference data: per-feature mean and standard deviation.

        A feature constant in `x` (blank border pixels of digits) gets scale 1, so it is centred
        but never divided by zero.
        """
        values = np.asarray(x, dtype=np.float64)
        if values.ndim != 2 or values.shape[0] == 0:
            raise DatasetError("A feature scaling is fitted on a non-empty 2-D feature matrix.")
        mean = values.mean(axis=0)
        std = values.std(axis=0)
        std[~(std > 0.0)] = 1.0
        return cls(tuple(float(v) for v in mean), tuple(float(v) for v in std))

    @property
    def is_none(self) -> bool:
        """Whether this is the identity."""
        return not self.offset

    @property
    def n_features(self) -> int | None:
        """Features it scales, or None for the identity (which fits any width)."""
        return None if self.is_none else len(self.offset)

    def apply(self, x: NDArray[np.floating[Any]]) -> FloatArray:
        """Scale raw features, shape (n, n_features)."""
        values = np.asarray(x, dtype=np.float64)
        if self.is_none:
            return values.copy()
        self._check_width(values)
        scaled: FloatArray = (values - np.asarray(self.offset)) / np.asarray(self.scale)
        return scaled

    def apply_in_place(self, x: FloatArray) -> None:
        """`apply` on a float64 array the caller owns, without a copy."""
        if self.is_none:
            return
        self._check_width(x)
        x -= np.asarray(self.offset)
        x /= np.asarray(self.scale)

    def invert(self, x: NDArray[np.floating[Any]]) -> FloatArray:
        """Raw features back from scaled ones (up to rounding)."""
        values = np.asarray(x, dtype=np.float64)
        if self.is_none:
            return values.copy()
        self._check_width(values)
        raw: FloatArray = values * np.asarray(self.scale) + np.asarray(self.offset)
        return raw

    def to_json(self) -> dict[str, list[float]] | str:
        """``{"feature_mean": [...], "feature_std": [...]}``, or ``"none"``."""
        if self.is_none:
            return "none"
        return {"feature_mean": list(self.offset), "feature_std": list(self.scale)}

    @classmethod
    def from_json(cls, value: object) -> FeatureScaling:
        """Inverse of `to_json`.

        Raises
        ------
        DatasetError
            If `value` is neither ``"none"`` nor a mapping of two equally long number lists.
        """
        if value == "none":
            return cls.none()
        if not isinstance(value, dict) or set(value) != {"feature_mean", "feature_std"}:
            raise DatasetError(
                "A feature scaling is 'none' or has exactly 'feature_mean' and 'feature_std'."
            )
        try:
            offset = tuple(float(v) for v in value["feature_mean"])
            scale = tuple(float(v) for v in value["feature_std"])
        except (TypeError, ValueError):
            raise DatasetError("A feature scaling's entries must be lists of numbers.") from None
        if not offset:
            raise DatasetError("A feature scaling names no features; write 'none' instead.")
        return cls(offset, scale)

    def describe(self) -> str:
        """One line for a member reading a proposal."""
        if self.is_none:
            return "feature scaling: none (raw features are used as they are)"
        return (
            f"feature scaling: standardised with the proposer's reference statistics "
            f"({len(self.offset)} means and standard deviations, recorded in the spec)"
        )

    def _check_width(self, values: FloatArray) -> None:
        if values.ndim != 2 or values.shape[1] != len(self.offset):
            width = values.shape[1] if values.ndim == 2 else values.shape
            raise DatasetError(
                f"The feature scaling is for {len(self.offset)} features, the data has {width}."
            )


@dataclass(frozen=True, eq=False)
class RawData:
    """A dataset as read, before its split and scaling: what `read_dataset` checks early.

    Attributes
    ----------
    x : ndarray of float64, shape (n, n_features)
        Raw feature values, all finite.
    labels : ndarray, shape (n,)
        Raw labels (numbers or strings), none missing.
    name : str
        The bundled set's name or the file's stem.
    class_names : tuple of str
        Label names of a bundled set (indexed by its integer labels); empty for user files.
    """

    x: FloatArray
    labels: NDArray[np.generic]
    name: str
    class_names: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class Dataset:
    """A standardised, split dataset; arrays are read-only so the instance stays frozen.

    Attributes
    ----------
    x_train, x_test : ndarray of float64, shape (n, n_features)
        Features after `scaling` (by default fitted on the raw training part).
    y_train, y_test : ndarray of int64, shape (n,)
        Class indices in ``0 .. n_classes - 1``.
    n_features, n_classes : int
        Width of the feature matrix and number of distinct classes.
    name : str
        ``"digits"``, ``"breast_cancer"``, ``"wine"`` or the user file's stem.
    class_names : tuple of str
        Original label of each class index, in index order.
    scaling : FeatureScaling
        The map applied to the raw features; ``scaling.invert(x_train)`` gives them back.
    """

    x_train: FloatArray
    y_train: IntArray
    x_test: FloatArray
    y_test: IntArray
    n_features: int
    n_classes: int
    name: str
    class_names: tuple[str, ...] = ()
    scaling: FeatureScaling = field(default_factory=FeatureScaling)


def load_dataset(
    source: str | Path,
    *,
    label: str = "label",
    features: Sequence[str] | None = None,
    test_fraction: float = DEFAULT_TEST_FRACTION,
    seed: int = 0,
    max_bytes: int = MAX_FILE_BYTES,
    scaling: FeatureScaling | None = None,
) -> Dataset:
    """Load a bundled dataset by name or a user CSV/NPZ file, split and scale it.

    `read_dataset` followed by `prepare_dataset`.

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
    scaling : FeatureScaling, optional
        The task's feature scaling, applied to training and test parts alike. When omitted, a
        standardisation is fitted on this data's training part: right for a proposer's
        reference data (bundled sets then scale as every member of their task does), wrong for
        a member's own share.

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
    raw = read_dataset(source, label=label, features=features, max_bytes=max_bytes)
    return prepare_dataset(raw, scaling=scaling, test_fraction=test_fraction, seed=seed)


def read_dataset(
    source: str | Path,
    *,
    label: str = "label",
    features: Sequence[str] | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> RawData:
    """Read and check a bundled dataset or a user CSV/NPZ file, without splitting or scaling.

    Everything that can be checked without the task is checked here: the file exists and is
    not over `max_bytes`, parses, has the label column and the features, every feature cell is
    a finite number and no label is missing. A CSV is read in chunks (module docstring).

    Parameters
    ----------
    source, label, features, max_bytes
        As for `load_dataset`.

    Returns
    -------
    RawData

    Raises
    ------
    DatasetError
        With one sentence naming the problem and, for a CSV, its file line (header = line 1).
    """
    if str(source) in BUNDLED:
        name = str(source)
        x, labels, names = _load_bundled(name)
        return RawData(x=x, labels=labels, name=name, class_names=names)
    path = Path(source)
    x, raw_labels = _load_file(path, label=label, features=features, max_bytes=max_bytes)
    raw = RawData(x=x, labels=raw_labels, name=path.stem)
    _check_size(raw)
    return raw


def _check_size(raw: RawData) -> None:
    """Enough rows for a train and a test part, and at least two classes."""
    n_rows = raw.x.shape[0]
    if n_rows < MIN_ROWS:
        raise DatasetError(
            f"Dataset '{raw.name}' has {n_rows} rows; at least {MIN_ROWS} are needed."
        )
    n_classes = len(np.unique(raw.labels))
    if n_classes < 2:
        raise DatasetError(
            f"Dataset '{raw.name}' has {n_classes} class; classification needs at least 2."
        )


def prepare_dataset(
    raw: RawData,
    *,
    scaling: FeatureScaling | None = None,
    test_fraction: float = DEFAULT_TEST_FRACTION,
    seed: int = 0,
) -> Dataset:
    """Encode the labels, split stratified into train and test, and scale the features.

    Parameters
    ----------
    raw : RawData
        From `read_dataset`.
    scaling : FeatureScaling, optional
        The task's scaling; fitted on the training part when omitted (see `load_dataset`).
    test_fraction, seed
        As for `load_dataset`.

    Raises
    ------
    DatasetError
        Too few rows, fewer than 2 classes, no room for a test part, or a scaling for another
        number of features.
    """
    if not 0.0 < test_fraction < 1.0:
        raise DatasetError(
            f"The test fraction must lie strictly between 0 and 1, not {test_fraction}."
        )
    name, x = raw.name, raw.x
    _check_size(raw)
    labels, class_names = _encode_labels(raw.labels)
    if raw.class_names:
        class_names = tuple(raw.class_names[int(c)] for c in np.unique(raw.labels))
    if len(class_names) < 2:  # "1" and "1.0" are one class
        raise DatasetError(
            f"Dataset '{name}' has {len(class_names)} class; classification needs at least 2."
        )
    train, test = _stratified_split(labels, test_fraction, seed)
    if test.size == 0:
        raise DatasetError(
            f"Dataset '{name}' is too small for a test part with test fraction {test_fraction}."
        )
    if scaling is not None and scaling.n_features not in (None, x.shape[1]):
        raise DatasetError(
            f"Dataset '{name}' has {x.shape[1]} features; its feature scaling is for "
            f"{scaling.n_features}."
        )
    # Fancy indexing copies, so the parts are scaled in place: memory stays ~2x the raw data.
    x_train, x_test = x[train], x[test]
    if scaling is None:
        scaling = FeatureScaling.fit(x_train)
    for part in (x_train, x_test):
        scaling.apply_in_place(part)
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
        scaling=scaling,
    )


def rescale(dataset: Dataset, scaling: FeatureScaling) -> Dataset:
    """The same dataset with its features under another scaling (a task's, say).

    Raises
    ------
    DatasetError
        If `scaling` is for another number of features.
    """
    if scaling == dataset.scaling:
        return dataset
    if scaling.n_features not in (None, dataset.n_features):
        raise DatasetError(
            f"Dataset '{dataset.name}' has {dataset.n_features} features; the task's feature "
            f"scaling is for {scaling.n_features}."
        )
    x_train = scaling.apply(dataset.scaling.invert(dataset.x_train))
    x_test = scaling.apply(dataset.scaling.invert(dataset.x_test))
    for array in (x_train, x_test):
        array.setflags(write=False)
    return replace(dataset, x_train=x_train, x_test=x_test, scaling=scaling)


def member_csv(dataset: Dataset, rows: Iterable[int] | None = None) -> str:
    """Training rows of a dataset as a member's raw CSV, the format `zkfed train` reads.

    A header ``x0,x1,...,label``, then one line per sample: its raw (unscaled) features and its
    class name. ``zkfed train TASK --dataset FILE`` (label column ``label``) reads it back.

    Parameters
    ----------
    dataset : Dataset
        Its ``scaling`` is inverted, so the file holds the values as measured.
    rows : iterable of int, optional
        Indices into ``dataset.x_train`` (a member's share); all of them by default.
    """
    chosen = np.arange(len(dataset.y_train)) if rows is None else np.fromiter(rows, np.int64)
    values = dataset.scaling.invert(dataset.x_train[chosen])
    names = dataset.class_names or tuple(str(i) for i in range(dataset.n_classes))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f"x{j}" for j in range(dataset.n_features)] + ["label"])
    for features, cls in zip(values, dataset.y_train[chosen], strict=True):
        writer.writerow([f"{v:.10g}" for v in features] + [names[int(cls)]])
    return out.getvalue()


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
    try:
        size = path.stat().st_size
        with path.open("rb"):
            pass
    except OSError as error:
        raise DatasetError(f"File '{path}' cannot be read ({error.strerror}).") from None
    if size > max_bytes:
        raise DatasetError(f"File '{path}' has {size:,} bytes, over the limit of {max_bytes:,}.")
    if size == 0:
        raise DatasetError(f"File '{path}' is empty.")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, label=label, features=features)
    if suffix != ".npz":
        raise DatasetError(f"File '{path}' is not a .csv or .npz file.")
    columns = _read_npz(path)
    if label not in columns:
        raise DatasetError(
            f"Label column '{label}' is not in '{path.name}' (columns: {_names(list(columns))})."
        )
    feature_names = _select_features(list(columns), label=label, features=features, path=path)
    x = np.column_stack([_numeric(columns[name], name) for name in feature_names])
    labels = columns[label]
    _check_labels(labels, lambda i: f"entry {i} (0-based) of array '{label}' in '{path.name}'")
    return x, labels


def _read_csv(
    path: Path, *, label: str, features: Sequence[str] | None
) -> tuple[FloatArray, NDArray[np.generic]]:
    blocks: list[FloatArray] = []
    label_blocks: list[NDArray[np.str_]] = []
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if not header or not any(name.strip() for name in header):
                raise DatasetError(f"File '{path}' has no header row naming its columns.")
            header = [name.strip() for name in header]
            duplicates = sorted({name for name in header if header.count(name) > 1})
            if duplicates:
                raise DatasetError(f"File '{path}' names column '{duplicates[0]}' more than once.")
            if label not in header:
                raise DatasetError(
                    f"Label column '{label}' is not in '{path.name}' (columns: {_names(header)})."
                )
            selected = _select_features(header, label=label, features=features, path=path)
            chunk = _CsvChunk(path.name, header, [header.index(n) for n in selected], label)
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise DatasetError(
                        f"Line {reader.line_num} of '{path.name}' has {len(row)} cells but the "
                        f"header names {len(header)} columns."
                    )
                chunk.add(row, reader.line_num)
                if len(chunk) == CSV_CHUNK_ROWS:
                    x, labels = chunk.flush()
                    blocks.append(x)
                    label_blocks.append(labels)
            if len(chunk):
                x, labels = chunk.flush()
                blocks.append(x)
                label_blocks.append(labels)
    except (UnicodeDecodeError, csv.Error) as error:
        raise DatasetError(f"File '{path}' is not a readable UTF-8 CSV file ({error}).") from None
    except OSError as error:
        raise DatasetError(f"File '{path}' cannot be read ({error.strerror}).") from None
    if not blocks:
        return np.empty((0, len(selected))), np.empty(0, dtype=np.str_)
    x = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
    del blocks
    return x, np.concatenate(label_blocks)


class _CsvChunk:
    """Up to `CSV_CHUNK_ROWS` rows of text, converted to numbers together."""

    def __init__(self, file: str, header: list[str], columns: list[int], label: str) -> None:
        self.file, self.header, self.columns = file, header, columns
        self.label_column = header.index(label)
        self.cells: list[list[str]] = []
        self.labels: list[str] = []
        self.lines: list[int] = []

    def __len__(self) -> int:
        return len(self.lines)

    def add(self, row: list[str], line: int) -> None:
        self.cells.append([row[j] for j in self.columns])
        self.labels.append(row[self.label_column].strip())
        self.lines.append(line)

    def flush(self) -> tuple[FloatArray, NDArray[np.str_]]:
        try:
            x = np.array(self.cells, dtype=np.float64)
        except ValueError:
            self._raise_first_bad_cell()
            raise  # unreachable: the scan finds the cell numpy rejected
        bad = ~np.isfinite(x)
        if bad.any():
            row, col = (int(i) for i in np.argwhere(bad)[0])
            what = "a missing value (NaN)" if np.isnan(x[row, col]) else "an infinite value"
            raise DatasetError(
                f"Column '{self.header[self.columns[col]]}' has {what} on line "
                f"{self.lines[row]} of '{self.file}'."
            )
        lines = self.lines
        _check_labels(
            np.array(self.labels, dtype=np.str_), lambda i: f"line {lines[i]} of '{self.file}'"
        )
        labels = np.array(self.labels, dtype=np.str_)
        self.cells, self.labels, self.lines = [], [], []
        return x, labels

    def _raise_first_bad_cell(self) -> None:
        for row, cells in enumerate(self.cells):
            for col, cell in enumerate(cells):
                try:
                    float(cell)
                except ValueError:
                    name, line = self.header[self.columns[col]], self.lines[row]
                    if cell.strip().lower() in _MISSING:
                        raise DatasetError(
                            f"Column '{name}' has a missing value on line {line} of '{self.file}'."
                        ) from None
                    raise DatasetError(
                        f"Column '{name}' is not numeric: line {line} of '{self.file}' holds "
                        f"{cell.strip()!r}."
                    ) from None


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
    columns: list[str],
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
    """An NPZ column as float64 (CSV cells are converted by `_CsvChunk`)."""
    if column.dtype.kind in "biuf":
        values = column.astype(np.float64)
    elif column.dtype.kind in "US":
        values = np.empty(column.shape[0], dtype=np.float64)
        for row, cell in enumerate(column.astype(np.str_)):
            if cell.strip().lower() in _MISSING:
                values[row] = np.nan
                continue
            try:
                values[row] = float(cell)
            except ValueError:
                raise DatasetError(
                    f"Column '{name}' is not numeric: entry {row} (0-based) holds '{cell}'."
                ) from None
    else:
        raise DatasetError(f"Column '{name}' is not numeric (dtype {column.dtype}).")
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        what = "a missing value (NaN)" if np.isnan(values[row]) else "an infinite value"
        raise DatasetError(f"Column '{name}' has {what} at entry {row} (0-based).")
    return values


def _names(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... {len(names) - limit} more" if len(names) > limit else "")


def _check_labels(raw: NDArray[np.generic], where: Callable[[int], str]) -> None:
    """Refuse a missing or non-finite label; `where(i)` names the place of row `i`."""
    if raw.dtype.kind in "US":
        text = np.char.lower(np.char.strip(raw.astype(np.str_)))
        for values, what in ((_MISSING, "a missing"), (_INFINITE, "an infinite")):
            found = np.flatnonzero(np.isin(text, list(values)))
            if found.size:
                raise DatasetError(f"The label column has {what} value on {where(int(found[0]))}.")
    elif raw.dtype.kind == "f" and not np.isfinite(raw).all():
        row = int(np.flatnonzero(~np.isfinite(raw))[0])
        raise DatasetError(f"The label column has a missing or infinite value on {where(row)}.")
    elif raw.dtype.kind not in "biuf":
        raise DatasetError(f"The label column has unsupported dtype {raw.dtype}.")


def _encode_labels(raw: NDArray[np.generic]) -> tuple[IntArray, tuple[str, ...]]:
    """Class indices and names; `_check_labels` has refused missing labels already."""
    if raw.dtype.kind in "US":
        text = np.char.strip(raw.astype(np.str_))
        try:
            numbers = text.astype(np.float64)
        except ValueError:
            classes, codes = np.unique(text, return_inverse=True)
            return codes.astype(np.int64), tuple(str(c) for c in classes)
        raw = numbers
    if raw.dtype.kind not in "biuf" or not np.isfinite(raw.astype(np.float64)).all():
        raise DatasetError("The label column holds missing, infinite or unsupported values.")
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
