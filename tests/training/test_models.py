"""Model specs, deterministic initial weights and the flat weight vector."""

import json

import numpy as np
import pytest
import torch

from zkfed.exceptions import ModelSpecError
from zkfed.models import (
    ModelSpec,
    build_model,
    get_flat,
    initial_weights,
    parameter_count,
    set_flat,
    weights_from_bytes,
    weights_to_bytes,
)

SPECS = [ModelSpec("logreg", 64, 10), ModelSpec("mlp", 64, 10, (32, 16), seed=3)]


@pytest.mark.parametrize("spec", SPECS, ids=["logreg", "mlp"])
def test_flat_vector_round_trips_exactly(spec: ModelSpec) -> None:
    # Prepare
    model = build_model(spec)
    vector = np.random.default_rng(0).normal(size=spec.parameter_count)

    # Execute
    set_flat(model, vector)
    restored = get_flat(model)

    # Assert
    assert restored.dtype == np.float64
    assert np.array_equal(restored, vector)
    assert parameter_count(model) == spec.parameter_count == vector.size


def test_parameter_counts() -> None:
    # Execute / Assert
    assert ModelSpec("logreg", 64, 10).parameter_count == 64 * 10 + 10
    assert ModelSpec("mlp", 64, 10, (32,)).parameter_count == 64 * 32 + 32 + 32 * 10 + 10


def test_initial_weights_depend_only_on_the_seed() -> None:
    # Prepare
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)

    # Execute
    first = initial_weights(ModelSpec("mlp", 8, 3, (4,), seed=5))
    again = initial_weights(ModelSpec("mlp", 8, 3, (4,), seed=5))
    other = initial_weights(ModelSpec("mlp", 8, 3, (4,), seed=6))
    after = torch.rand(1)

    # Assert
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)
    assert torch.equal(before, after), "building a model must not consume the global RNG"


def test_set_flat_rejects_wrong_length_and_non_finite_values() -> None:
    # Prepare
    model = build_model(ModelSpec("logreg", 4, 2))

    # Execute / Assert
    with pytest.raises(ModelSpecError, match=r"shape \(9,\); the model needs \(10,\)"):
        set_flat(model, np.zeros(9))
    with pytest.raises(ModelSpecError, match="NaN or infinite"):
        set_flat(model, np.full(10, np.nan))


def test_spec_json_round_trip_and_canonical_hash() -> None:
    # Prepare
    spec = ModelSpec("mlp", 64, 10, (32,), seed=1)

    # Execute
    data = spec.to_json()
    restored = ModelSpec.from_json(data)
    reordered = json.dumps(json.loads(data), indent=2).encode()

    # Assert
    assert restored == spec
    assert ModelSpec.from_json(reordered).digest() == spec.digest()
    assert data == (
        b'{"format":"zkfed.model-spec/1","hidden":[32],"kind":"mlp","n_classes":10,'
        b'"n_features":64,"seed":1}'
    )
    assert spec.hexdigest() == "9a1b379ae6835e548ca3b68aff76ae53d246c8e6c2853e2145147aa626e78fd1"
    assert spec.digest() != ModelSpec("mlp", 64, 10, (32,), seed=2).digest()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "cnn", "n_features": 4, "n_classes": 2}, "kind 'cnn' is unknown"),
        ({"kind": "logreg", "n_features": 0, "n_classes": 2}, "at least one feature"),
        ({"kind": "logreg", "n_features": 4, "n_classes": 1}, "at least 2 classes"),
        ({"kind": "logreg", "n_features": 4, "n_classes": 2, "hidden": (3,)}, "no hidden layers"),
        ({"kind": "mlp", "n_features": 4, "n_classes": 2}, "needs at least one hidden"),
        ({"kind": "mlp", "n_features": 4, "n_classes": 2, "hidden": (0,)}, "positive integers"),
        ({"kind": "logreg", "n_features": 4, "n_classes": 2, "seed": -1}, "non-negative"),
    ],
)
def test_invalid_specs_are_rejected(fields: dict[str, object], message: str) -> None:
    # Execute / Assert
    with pytest.raises(ModelSpecError, match=message):
        ModelSpec(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"format":"other/9"}', "format 'other/9'"),
        (
            b'{"format":"zkfed.model-spec/1","kind":"logreg","n_features":4,"n_classes":2,'
            b'"hidden":[],"seed":0,"extra":1}',
            "unknown: \\['extra'\\]",
        ),
    ],
)
def test_malformed_spec_json_is_rejected(data: bytes, message: str) -> None:
    # Execute / Assert
    with pytest.raises(ModelSpecError, match=message):
        ModelSpec.from_json(data)


def test_weight_bytes_round_trip_and_checks() -> None:
    # Prepare
    spec = ModelSpec("logreg", 4, 2)
    weights = initial_weights(spec)

    # Execute
    data = weights_to_bytes(weights)

    # Assert
    assert len(data) == 8 * spec.parameter_count
    assert np.array_equal(weights_from_bytes(data, spec), weights)
    with pytest.raises(ModelSpecError, match="whole number"):
        weights_from_bytes(data[:-1])
    with pytest.raises(ModelSpecError, match="needs 10"):
        weights_from_bytes(data[:-8], spec)
