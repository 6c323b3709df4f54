"""Local training, evaluation, and the two baselines the demo compares the protocol against.

A member trains from the round's global weights and reports Δ = w_local - w_global (DESIGN.md §3
step 2). Training is deterministic under a seed: the weights come from the spec, the batch order
from a seeded ``torch.Generator``, and torch runs on a fixed number of threads, because the
summation order of a multi-threaded kernel may change the last bits of a result.

The baselines answer "what did privacy cost?": `fedavg_baseline` runs the same rounds with the
same split, model and local epochs but no clipping, quantisation or masking, and averages updates
UNWEIGHTED over the members, as the secure protocol does (it only learns the sum and the
contributor count, never how many samples each member holds). `centralized_baseline` trains the
same model on the pooled training data for the same number of passes over every sample.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from zkfed.datasets import Dataset
from zkfed.exceptions import ModelSpecError
from zkfed.models import DTYPE, ModelSpec, build_model, get_flat, set_flat

OPTIMIZERS = ("sgd", "adam")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of local training; part of the model proposal members vote on.

    Attributes
    ----------
    epochs : int
        Passes over the local data per round.
    batch_size : int
        Samples per optimiser step; the last batch of an epoch may be smaller.
    lr : float
        Learning rate.
    optimizer : str
        ``"sgd"`` or ``"adam"``; its state starts fresh every round.
    momentum : float
        SGD momentum (ignored by Adam).
    weight_decay : float
        L2 penalty added by the optimiser.
    num_threads : int
        Torch intra-op threads while training; fixed so results do not depend on the machine.
    """

    epochs: int = 3
    batch_size: int = 16
    lr: float = 0.03
    optimizer: str = "sgd"
    momentum: float = 0.9
    weight_decay: float = 1e-4
    num_threads: int = 1

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ModelSpecError(
                f"Optimizer '{self.optimizer}' is unknown; use one of {OPTIMIZERS}."
            )
        if self.epochs < 1 or self.batch_size < 1 or self.num_threads < 1:
            raise ModelSpecError("Epochs, batch size and thread count must each be at least 1.")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ModelSpecError(f"The learning rate must be positive and finite, not {self.lr}.")
        if not (0 <= self.momentum < 1 and 0 <= self.weight_decay < math.inf):
            raise ModelSpecError("Momentum must lie in [0, 1) and weight decay must be >= 0.")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping of every field."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Inverse of `to_dict`, rejecting unknown fields."""
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise ModelSpecError(f"Training configuration has unknown fields: {unknown}.")
        return cls(**data)


@dataclass(frozen=True, eq=False)
class LocalUpdate:
    """What local training hands to the protocol.

    Attributes
    ----------
    delta : ndarray of float64
        w_local - w_global, flat, in `get_flat` order.
    train_loss : float
        Mean cross-entropy over the samples of the last local epoch.
    n_samples : int
        Local training samples (stays with the member; the protocol does not use it).
    """

    delta: FloatArray
    train_loss: float
    n_samples: int


@dataclass(frozen=True)
class Metrics:
    """Accuracy in [0, 1] and mean cross-entropy loss on some labelled data."""

    accuracy: float
    loss: float


@dataclass(frozen=True, eq=False)
class BaselineResult:
    """Final weights of a baseline run, their test metrics, and test metrics after every round."""

    weights: FloatArray
    metrics: Metrics
    history: tuple[Metrics, ...]


def member_seed(seed: int, round_index: int, member: int) -> int:
    """Training seed of one member in one round, derived from a task seed.

    Both the protocol run and `fedavg_baseline` use it, so their local updates coincide before
    clipping and quantisation.
    """
    state = np.random.SeedSequence([seed, round_index, member]).generate_state(2, np.uint32)
    return int(state[0]) << 32 | int(state[1])


def train_local(
    spec: ModelSpec,
    global_weights: NDArray[np.floating[Any]],
    x: NDArray[np.floating[Any]],
    y: NDArray[np.integer[Any]],
    config: TrainConfig,
    *,
    seed: int,
) -> LocalUpdate:
    """Train from the global weights on local data and return Δ = w_local - w_global.

    Parameters
    ----------
    spec : ModelSpec
        The task's model.
    global_weights : ndarray
        Flat weights of the round's global model.
    x, y : ndarray
        Local features, shape (n, spec.n_features), and class indices, shape (n,).
    config : TrainConfig
        Local hyper-parameters.
    seed : int
        Seed of the batch order (see `member_seed`); equal inputs give an identical Δ.

    Returns
    -------
    LocalUpdate

    Raises
    ------
    ModelSpecError
        If the data does not fit the spec or the weights do not fit the model.
    """
    features, labels = _tensors(spec, x, y)
    if labels.shape[0] == 0:
        raise ModelSpecError("A member cannot train on zero samples.")
    start = np.asarray(global_weights, dtype=np.float64)
    model = build_model(spec)
    set_flat(model, start)
    generator = torch.Generator().manual_seed(seed)
    with _torch_threads(config.num_threads):
        optimizer = _optimizer(model, config)
        loss = 0.0
        for _ in range(config.epochs):
            loss = _epoch(model, optimizer, features, labels, config.batch_size, generator)
    return LocalUpdate(delta=get_flat(model) - start, train_loss=loss, n_samples=labels.shape[0])


def evaluate(
    model: nn.Module, x: NDArray[np.floating[Any]], y: NDArray[np.integer[Any]]
) -> Metrics:
    """Accuracy and mean cross-entropy of a model on labelled data.

    Raises
    ------
    ModelSpecError
        If the data is empty or its shapes do not agree.
    """
    features = torch.as_tensor(np.array(x, dtype=np.float64), dtype=DTYPE)
    labels = torch.as_tensor(np.array(y, dtype=np.int64))
    if features.ndim != 2 or labels.ndim != 1 or features.shape[0] != labels.shape[0]:
        raise ModelSpecError(
            f"Features {tuple(features.shape)} and labels {tuple(labels.shape)} do not match."
        )
    if labels.shape[0] == 0:
        raise ModelSpecError("Cannot evaluate on zero samples.")
    model.eval()
    with torch.no_grad():
        logits = model(features)
        loss = nn.functional.cross_entropy(logits, labels).item()
        accuracy = (logits.argmax(dim=1) == labels).double().mean().item()
    return Metrics(accuracy=accuracy, loss=loss)


def evaluate_weights(
    spec: ModelSpec,
    weights: NDArray[np.floating[Any]],
    x: NDArray[np.floating[Any]],
    y: NDArray[np.integer[Any]],
) -> Metrics:
    """`evaluate` for a flat weight vector, e.g. a global model fetched from IPFS."""
    model = build_model(spec)
    set_flat(model, weights)
    return evaluate(model, x, y)


def fedavg_baseline(
    spec: ModelSpec,
    dataset: Dataset,
    parts: Sequence[IntArray],
    config: TrainConfig,
    *,
    rounds: int,
    seed: int = 0,
    initial: NDArray[np.floating[Any]] | None = None,
) -> BaselineResult:
    """Plain FedAvg: every member trains every round, the global model moves by the mean Δ.

    The mean is unweighted, as in the secure protocol. Member ``i`` in round ``r`` trains with
    ``member_seed(seed, r, i)``.

    Parameters
    ----------
    spec, config : ModelSpec, TrainConfig
        The model and local hyper-parameters of the task.
    dataset : Dataset
        Training data (split by `parts`) and the test data every round is scored on.
    parts : sequence of ndarray
        Indices into ``dataset.x_train`` held by each member, e.g. from `split_non_iid`.
    rounds : int
        Number of rounds.
    seed : int
        Task seed for `member_seed`.
    initial : ndarray, optional
        Round-0 weights; ``initial_weights(spec)`` by default.

    Returns
    -------
    BaselineResult
    """
    if rounds < 1 or not parts:
        raise ModelSpecError("FedAvg needs at least one round and one member.")
    weights = _start(spec, initial)
    history = []
    for round_index in range(rounds):
        deltas = [
            train_local(
                spec,
                weights,
                dataset.x_train[part],
                dataset.y_train[part],
                config,
                seed=member_seed(seed, round_index, member),
            ).delta
            for member, part in enumerate(parts)
        ]
        weights = weights + np.mean(deltas, axis=0)
        history.append(evaluate_weights(spec, weights, dataset.x_test, dataset.y_test))
    return BaselineResult(weights=weights, metrics=history[-1], history=tuple(history))


def centralized_baseline(
    spec: ModelSpec,
    dataset: Dataset,
    config: TrainConfig,
    *,
    rounds: int,
    seed: int = 0,
    initial: NDArray[np.floating[Any]] | None = None,
) -> BaselineResult:
    """Train the same model on the pooled training data for ``rounds * config.epochs`` epochs.

    Every sample is seen as often as in a federated run of `rounds` rounds; the optimiser state
    carries across rounds, as it would for one party training alone. ``history`` holds the test
    metrics after each block of ``config.epochs`` epochs.
    """
    if rounds < 1:
        raise ModelSpecError("Centralized training needs at least one round.")
    features, labels = _tensors(spec, dataset.x_train, dataset.y_train)
    model = build_model(spec)
    set_flat(model, _start(spec, initial))
    generator = torch.Generator().manual_seed(seed)
    history = []
    with _torch_threads(config.num_threads):
        optimizer = _optimizer(model, config)
        for _ in range(rounds):
            for _ in range(config.epochs):
                _epoch(model, optimizer, features, labels, config.batch_size, generator)
            history.append(evaluate(model, dataset.x_test, dataset.y_test))
    return BaselineResult(weights=get_flat(model), metrics=history[-1], history=tuple(history))


def _start(spec: ModelSpec, initial: NDArray[np.floating[Any]] | None) -> FloatArray:
    if initial is None:
        return get_flat(build_model(spec))
    return np.array(initial, dtype=np.float64)


def _tensors(
    spec: ModelSpec, x: NDArray[np.floating[Any]], y: NDArray[np.integer[Any]]
) -> tuple[torch.Tensor, torch.Tensor]:
    features = np.asarray(x, dtype=np.float64)
    labels = np.asarray(y)
    if features.ndim != 2 or features.shape[1] != spec.n_features:
        raise ModelSpecError(
            f"The data has shape {features.shape}; the model expects (n, {spec.n_features})."
        )
    if labels.shape != (features.shape[0],) or labels.dtype.kind not in "iu":
        raise ModelSpecError(f"Labels must be {features.shape[0]} integers, one per sample.")
    if labels.size and (labels.min() < 0 or labels.max() >= spec.n_classes):
        raise ModelSpecError(f"Labels must lie in 0 .. {spec.n_classes - 1}.")
    if not np.isfinite(features).all():
        raise ModelSpecError("The features hold NaN or infinite values.")
    return torch.from_numpy(features.copy()), torch.from_numpy(labels.astype(np.int64))


def _optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(
        model.parameters(),
        lr=config.lr,
        momentum=config.momentum,
        weight_decay=config.weight_decay,
    )


def _epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    features: torch.Tensor,
    labels: torch.Tensor,
    batch_size: int,
    generator: torch.Generator,
) -> float:
    """One pass in a seeded random order; returns the mean loss over its samples."""
    model.train()
    order = torch.randperm(labels.shape[0], generator=generator)
    total = 0.0
    for start in range(0, labels.shape[0], batch_size):
        batch = order[start : start + batch_size]
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(features[batch]), labels[batch])
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        total += loss.item() * batch.shape[0]
    return total / labels.shape[0]


@contextmanager
def _torch_threads(count: int) -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
