"""Local training, evaluation and the FedAvg / centralized baselines on bundled digits."""

import numpy as np
import pytest

from zkfed.datasets import Dataset, split_non_iid
from zkfed.exceptions import ModelSpecError
from zkfed.models import ModelSpec, build_model, initial_weights
from zkfed.training import (
    TrainConfig,
    centralized_baseline,
    evaluate,
    evaluate_weights,
    fedavg_baseline,
    member_seed,
    train_local,
)

LOGREG = ModelSpec("logreg", 64, 10)
MLP = ModelSpec("mlp", 64, 10, (64,))


@pytest.mark.parametrize("spec", [LOGREG, MLP], ids=["logreg", "mlp"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_same_seed_gives_identical_delta(digits: Dataset, spec: ModelSpec, optimizer: str) -> None:
    # Prepare
    config = TrainConfig(epochs=2, optimizer=optimizer, lr=0.01)
    start = initial_weights(spec)
    x, y = digits.x_train[:300], digits.y_train[:300]

    # Execute
    first = train_local(spec, start, x, y, config, seed=7)
    again = train_local(spec, start, x, y, config, seed=7)
    other = train_local(spec, start, x, y, config, seed=8)

    # Assert
    assert first.delta.shape == (spec.parameter_count,)
    assert np.array_equal(first.delta, again.delta)
    assert first.train_loss == again.train_loss
    assert not np.array_equal(first.delta, other.delta)
    assert first.n_samples == 300


def test_training_lowers_the_loss(digits: Dataset) -> None:
    # Prepare
    start = initial_weights(LOGREG)
    before = evaluate_weights(LOGREG, start, digits.x_test, digits.y_test)

    # Execute
    update = train_local(LOGREG, start, digits.x_train, digits.y_train, TrainConfig(), seed=0)
    after = evaluate_weights(LOGREG, start + update.delta, digits.x_test, digits.y_test)

    # Assert
    assert after.loss < before.loss
    assert after.accuracy > 0.9
    assert 0.0 <= before.accuracy <= 1.0


def test_fedavg_averages_member_updates_unweighted(digits: Dataset) -> None:
    # Prepare: two members with very different sizes, so a weighted mean would differ.
    spec = ModelSpec("logreg", 64, 10)
    parts = [np.arange(0, 40), np.arange(40, 400)]
    config = TrainConfig(epochs=1)
    start = initial_weights(spec)
    deltas = [
        train_local(
            spec, start, digits.x_train[p], digits.y_train[p], config, seed=member_seed(5, 0, i)
        ).delta
        for i, p in enumerate(parts)
    ]

    # Execute
    result = fedavg_baseline(spec, digits, parts, config, rounds=1, seed=5)

    # Assert
    assert np.array_equal(result.weights, start + (deltas[0] + deltas[1]) / 2)
    assert len(result.history) == 1


@pytest.mark.parametrize(("spec", "floor"), [(LOGREG, 0.93), (MLP, 0.93)], ids=["logreg", "mlp"])
def test_fedavg_on_non_iid_digits_is_close_to_centralized(
    digits: Dataset, spec: ModelSpec, floor: float
) -> None:
    # Prepare
    parts = split_non_iid(digits.y_train, 8, alpha=0.5, seed=0)
    config = TrainConfig()

    # Execute
    central = centralized_baseline(spec, digits, config, rounds=5)
    fedavg = fedavg_baseline(spec, digits, parts, config, rounds=5)

    # Assert
    assert central.metrics.accuracy > floor
    assert fedavg.metrics.accuracy > central.metrics.accuracy - 0.05
    assert len(fedavg.history) == len(central.history) == 5


def test_member_seeds_differ_across_members_and_rounds() -> None:
    # Execute
    seeds = {member_seed(0, r, m) for r in range(10) for m in range(16)}

    # Assert
    assert len(seeds) == 160
    assert member_seed(0, 1, 2) == member_seed(0, 1, 2)


def test_train_local_rejects_data_that_does_not_fit(digits: Dataset) -> None:
    # Prepare
    start = initial_weights(LOGREG)

    # Execute / Assert
    with pytest.raises(ModelSpecError, match=r"expects \(n, 64\)"):
        train_local(LOGREG, start, digits.x_train[:, :10], digits.y_train, TrainConfig(), seed=0)
    with pytest.raises(ModelSpecError, match="zero samples"):
        train_local(LOGREG, start, digits.x_train[:0], digits.y_train[:0], TrainConfig(), seed=0)
    with pytest.raises(ModelSpecError, match=r"0 \.\. 9"):
        train_local(LOGREG, start, digits.x_train, digits.y_train + 5, TrainConfig(), seed=0)
    with pytest.raises(ModelSpecError, match="needs"):
        train_local(LOGREG, start[:-1], digits.x_train, digits.y_train, TrainConfig(), seed=0)


def test_evaluate_rejects_mismatched_shapes(digits: Dataset) -> None:
    # Execute / Assert
    with pytest.raises(ModelSpecError, match="do not match"):
        evaluate(build_model(LOGREG), digits.x_test, digits.y_test[:-1])


def test_train_config_round_trip_and_validation() -> None:
    # Prepare
    config = TrainConfig(epochs=2, optimizer="adam", lr=0.001)

    # Execute / Assert
    assert TrainConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ModelSpecError, match="Optimizer 'rmsprop' is unknown"):
        TrainConfig(optimizer="rmsprop")
    with pytest.raises(ModelSpecError, match="learning rate"):
        TrainConfig(lr=0.0)
    with pytest.raises(ModelSpecError, match="unknown fields"):
        TrainConfig.from_dict({"epochs": 1, "warmup": 3})
