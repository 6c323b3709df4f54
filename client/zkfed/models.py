"""Models built from a JSON spec that members vote on, and their weights as one flat vector.

The protocol never sees a ``torch.nn.Module``: it clips, quantises, masks and averages a flat
float64 vector. `get_flat` and `set_flat` are the only bridge between the two, and they walk
``model.parameters()`` in registration order, so a spec fixes the layout of the vector.

Models compute in float64. They are small (hundreds to tens of thousands of parameters), and
float64 makes ``set_flat(get_flat(m))`` and the round-trip through IPFS exact, so a global model
recomputed by ``verify-round`` is bit-for-bit the one members trained from.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from zkfed.exceptions import ModelSpecError

KINDS = ("logreg", "mlp")
"""Model kinds a spec may name: multinomial logistic regression and a ReLU MLP."""

SPEC_FORMAT = "zkfed.model-spec/1"
"""Tag written into every serialised spec, so a future layout cannot be misread as this one."""

DTYPE = torch.float64

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ModelSpec:
    """Architecture of a model; with the seed it fixes the initial weights exactly.

    Attributes
    ----------
    kind : str
        ``"logreg"`` (one linear layer, softmax in the loss) or ``"mlp"``.
    n_features : int
        Input width.
    n_classes : int
        Number of output classes, at least 2.
    hidden : tuple of int
        Hidden layer widths; empty for ``"logreg"``, at least one for ``"mlp"``.
    seed : int
        Seed of the initial weights.
    """

    kind: str
    n_features: int
    n_classes: int
    hidden: tuple[int, ...] = field(default=())
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(self.hidden))
        if self.kind not in KINDS:
            raise ModelSpecError(f"Model kind '{self.kind}' is unknown; use one of {KINDS}.")
        if not _is_int(self.n_features) or self.n_features < 1:
            raise ModelSpecError(f"A model needs at least one feature, not {self.n_features!r}.")
        if not _is_int(self.n_classes) or self.n_classes < 2:
            raise ModelSpecError(f"A classifier needs at least 2 classes, not {self.n_classes!r}.")
        if not all(_is_int(width) and width >= 1 for width in self.hidden):
            raise ModelSpecError(f"Hidden layer widths must be positive integers: {self.hidden}.")
        if self.kind == "logreg" and self.hidden:
            raise ModelSpecError("A logistic regression has no hidden layers; use kind 'mlp'.")
        if self.kind == "mlp" and not self.hidden:
            raise ModelSpecError("An MLP needs at least one hidden layer width.")
        if not _is_int(self.seed) or self.seed < 0:
            raise ModelSpecError(f"The seed must be a non-negative integer, not {self.seed!r}.")

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """Widths from input to output, e.g. ``(64, 32, 10)``."""
        return (self.n_features, *self.hidden, self.n_classes)

    @property
    def parameter_count(self) -> int:
        """Length of the flat weight vector: weights plus biases of every layer."""
        sizes = self.layer_sizes
        return sum((n_in + 1) * n_out for n_in, n_out in pairwise(sizes))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping, tagged with `SPEC_FORMAT`."""
        data = asdict(self)
        data["hidden"] = list(self.hidden)
        return {"format": SPEC_FORMAT, **data}

    def to_json(self) -> bytes:
        """Canonical JSON bytes (sorted keys, no whitespace): equal specs give equal bytes."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":")).encode()

    def digest(self) -> bytes:
        """SHA-256 of `to_json`: the 32 bytes a proposal records on-chain."""
        return hashlib.sha256(self.to_json()).digest()

    def hexdigest(self) -> str:
        """`digest` as lower-case hex."""
        return self.digest().hex()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        """Rebuild a spec from `to_dict` output, rejecting unknown formats and fields."""
        if not isinstance(data, dict):
            raise ModelSpecError("A model spec must be a JSON object.")
        fields = dict(data)
        tag = fields.pop("format", None)
        if tag != SPEC_FORMAT:
            raise ModelSpecError(f"Model spec format {tag!r} is not {SPEC_FORMAT!r}.")
        expected = {"kind", "n_features", "n_classes", "hidden", "seed"}
        if set(fields) != expected:
            extra = sorted(set(fields) - expected)
            missing = sorted(expected - set(fields))
            raise ModelSpecError(
                f"Model spec fields are wrong (unknown: {extra}, missing: {missing})."
            )
        if not isinstance(fields["hidden"], list):
            raise ModelSpecError("The model spec's 'hidden' must be a list of widths.")
        return cls(**fields)

    @classmethod
    def from_json(cls, data: bytes | str) -> ModelSpec:
        """Parse `to_json` output."""
        try:
            parsed = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ModelSpecError("The model spec is not valid JSON.") from None
        return cls.from_dict(parsed)


def build_model(spec: ModelSpec) -> nn.Sequential:
    """Build the model a spec describes, with initial weights fixed by ``spec.seed``.

    The global RNG state is left as it was: initialisation runs on a forked generator.
    """
    sizes = spec.layer_sizes
    layers: list[nn.Module] = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec.seed)
        for position, (n_in, n_out) in enumerate(pairwise(sizes)):
            if position > 0:
                layers.append(nn.ReLU())
            layers.append(nn.Linear(n_in, n_out, dtype=DTYPE))
    return nn.Sequential(*layers)


def parameter_count(model: nn.Module) -> int:
    """Number of scalar parameters, the length of `get_flat`'s vector."""
    return sum(parameter.numel() for parameter in model.parameters())


def get_flat(model: nn.Module) -> FloatArray:
    """All parameters as one new float64 vector, in ``model.parameters()`` order."""
    with torch.no_grad():
        parts = [
            parameter.detach().reshape(-1).to(torch.float64) for parameter in model.parameters()
        ]
        return torch.cat(parts).numpy().copy()


def set_flat(model: nn.Module, vector: NDArray[np.floating[Any]]) -> None:
    """Load a flat vector into the model's parameters, in place.

    Raises
    ------
    ModelSpecError
        If the vector is not 1-D, has the wrong length or holds NaN or infinity.
    """
    values = np.asarray(vector, dtype=np.float64)
    expected = parameter_count(model)
    if values.ndim != 1 or values.shape[0] != expected:
        raise ModelSpecError(
            f"The weight vector has shape {values.shape}; the model needs ({expected},)."
        )
    if not np.isfinite(values).all():
        raise ModelSpecError("The weight vector holds NaN or infinite values.")
    source = torch.from_numpy(values)
    offset = 0
    with torch.no_grad():
        for parameter in model.parameters():
            size = parameter.numel()
            parameter.copy_(source[offset : offset + size].reshape(parameter.shape))
            offset += size


def initial_weights(spec: ModelSpec) -> FloatArray:
    """The flat initial weights of ``build_model(spec)``: round 0's global model."""
    return get_flat(build_model(spec))


def weights_to_bytes(vector: NDArray[np.floating[Any]]) -> bytes:
    """Canonical bytes of a weight vector (little-endian float64), for IPFS and hashing."""
    return np.ascontiguousarray(vector, dtype="<f8").tobytes()


def weights_from_bytes(data: bytes, spec: ModelSpec | None = None) -> FloatArray:
    """Inverse of `weights_to_bytes`; with a spec, also check the parameter count.

    Raises
    ------
    ModelSpecError
        If the length is not a whole number of float64 values, does not match the spec, or a
        value is not finite.
    """
    if len(data) % 8:
        raise ModelSpecError(f"{len(data)} bytes are not a whole number of float64 weights.")
    values = np.frombuffer(data, dtype="<f8").astype(np.float64)
    if spec is not None and values.shape[0] != spec.parameter_count:
        raise ModelSpecError(
            f"The weights hold {values.shape[0]} values; the model spec needs "
            f"{spec.parameter_count}."
        )
    if not np.isfinite(values).all():
        raise ModelSpecError("The weight vector holds NaN or infinite values.")
    return values


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
