"""Clip, quantise and dequantise model updates for the packed, masked sum.

A :class:`Packing` fixes how a chunk of the flattened update becomes field elements: ``W``
words of ``L`` lanes of ``B`` bits, each lane holding a value of ``R`` bits, with fixed-point
scale ``2^S``. An update is processed chunk by chunk (``W·L`` parameters each):

1. clip the chunk to an L2 norm (:func:`clip_l2`);
2. scale by ``2^S`` and round stochastically (:func:`stochastic_round`), which is unbiased:
   ``E[q] = x·2^S``;
3. clip every ``q`` to ``[-2^(R-1), 2^(R-1))``, the range the circuit checks (this step is
   the only biased one, and only for values already outside the range).

:func:`quantize` does all three; :func:`dequantize` maps (sums of) quantised values back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from zkfed.exceptions import ConfigurationError, QuantizationError

__all__ = [
    "DEFAULT_CLIP_NORM",
    "MAX_WORD_BITS",
    "Packing",
    "clip_l2",
    "dequantize",
    "fitting_scale_bits",
    "quantize",
    "squared_norm_bound",
    "stochastic_round",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MAX_WORD_BITS: int = 252
"""Bits a packed word may use: below ``log2 p ≈ 253.6``, so sums never wrap mod ``p``."""

DEFAULT_CLIP_NORM: float = 5.0
"""Per-chunk L2 clipping norm (real units): local updates on the bundled data stay below ~4.7."""


def fitting_scale_bits(value_bits: int, clip_norm: float = DEFAULT_CLIP_NORM) -> int:
    """The finest fixed-point scale ``2^S`` at which no clipped value leaves ``R`` bits.

    The largest ``S`` with ``⌈clip_norm·2^S⌉ ≤ 2^(R-1) - 1``: a chunk clipped to ``clip_norm``
    has every ``|x| ≤ clip_norm``, and stochastic rounding moves it by less than one unit, so
    the range clip of :func:`quantize` never acts and the quantiser stays unbiased. With the
    default norm 5.0 that is ``S = 4`` for 8-bit values (``|q| ≤ 80 < 128``) and ``S = 8`` for
    12-bit values (``|q| ≤ 1280 < 2048``).

    Raises
    ------
    ConfigurationError
        If ``value_bits < 2`` or ``clip_norm`` is not positive and finite.
    """
    if value_bits < 2 or not math.isfinite(clip_norm) or clip_norm <= 0:
        raise ConfigurationError(
            f"No scale fits {value_bits}-bit values clipped to norm {clip_norm}."
        )
    limit = (1 << (value_bits - 1)) - 1
    scale_bits = math.floor(math.log2(limit / clip_norm))
    while math.ceil(math.ldexp(clip_norm, scale_bits + 1)) <= limit:
        scale_bits += 1
    while math.ceil(math.ldexp(clip_norm, scale_bits)) > limit:
        scale_bits -= 1
    return scale_bits


@dataclass(frozen=True)
class Packing:
    """Shape of a circuit variant: how quantised values are laid out in field elements.

    Attributes
    ----------
    words : int
        ``W``, words per chunk (masked field elements per proof).
    lanes : int
        ``L``, lanes per word.
    lane_bits : int
        ``B``, bits per lane; ``B - R`` bits of headroom absorb the carries of a sum.
    value_bits : int
        ``R``, bits of one quantised value, ``q ∈ [-2^(R-1), 2^(R-1))``.
    scale_bits : int
        ``S``, fixed-point scale: a real ``x`` becomes ``q ≈ x·2^S``. The circuits do not
        see it; it only needs to agree between the members of a task.

    Raises
    ------
    ConfigurationError
        If a field is not a positive integer (``S`` may be 0 or negative), ``B < R``, or
        ``L·B > 252``.
    """

    words: int = 64
    lanes: int = 21
    lane_bits: int = 12
    value_bits: int = 8
    scale_bits: int = 4

    def __post_init__(self) -> None:
        for name in ("words", "lanes", "lane_bits", "value_bits", "scale_bits"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ConfigurationError(f"Packing.{name} must be an integer, not {value!r}.")
        for name in ("words", "lanes", "lane_bits", "value_bits"):
            if getattr(self, name) < 1:
                raise ConfigurationError(f"Packing.{name} must be at least 1.")
        if self.lane_bits < self.value_bits:
            raise ConfigurationError(
                f"A lane of {self.lane_bits} bits cannot hold values of {self.value_bits} bits."
            )
        if self.lanes * self.lane_bits > MAX_WORD_BITS:
            raise ConfigurationError(
                f"{self.lanes} lanes of {self.lane_bits} bits exceed the {MAX_WORD_BITS} bits "
                "a word may use."
            )

    @property
    def params_per_chunk(self) -> int:
        """Parameters per chunk, ``W·L``."""
        return self.words * self.lanes

    @property
    def lane_offset(self) -> int:
        """``2^(R-1)``, added to ``q`` to make the lane value ``v`` non-negative."""
        return 1 << (self.value_bits - 1)

    @property
    def q_min(self) -> int:
        """Smallest quantised value, ``-2^(R-1)``."""
        return -self.lane_offset

    @property
    def q_max(self) -> int:
        """Largest quantised value, ``2^(R-1) - 1``."""
        return self.lane_offset - 1

    @property
    def max_members(self) -> int:
        """Most contributors whose lane sums cannot carry into the next lane, ``2^(B-R)``."""
        return 1 << (self.lane_bits - self.value_bits)

    @property
    def scale(self) -> float:
        """The fixed-point factor ``2^S``."""
        return math.ldexp(1.0, self.scale_bits)

    def n_chunks(self, n_params: int) -> int:
        """Number of chunks an update of ``n_params`` parameters needs, ``ceil(n / (W·L))``."""
        if n_params < 0:
            raise QuantizationError(f"A parameter count cannot be negative ({n_params}).")
        return -(-n_params // self.params_per_chunk)


def _as_float_vector(x: npt.ArrayLike, what: str) -> FloatArray:
    array = np.asarray(x, dtype=np.float64)
    if array.ndim != 1:
        raise QuantizationError(f"The {what} must be a flat vector, not of shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise QuantizationError(f"The {what} contains NaN or infinite values.")
    return array


def clip_l2(x: npt.ArrayLike, max_norm: float) -> FloatArray:
    """Scale a vector down, if needed, so that its L2 norm is at most ``max_norm``.

    Parameters
    ----------
    x : array_like
        A flat float vector (one chunk).
    max_norm : float
        The bound, ``> 0``.

    Returns
    -------
    numpy.ndarray
        ``x · min(1, max_norm / ‖x‖₂)`` as a new float64 array.

    Raises
    ------
    QuantizationError
        If ``x`` is not a finite flat vector or ``max_norm`` is not positive and finite.
    """
    array = _as_float_vector(x, "vector to clip")
    if not math.isfinite(max_norm) or max_norm <= 0:
        raise QuantizationError(f"The clipping norm must be positive and finite, not {max_norm}.")
    norm = float(np.linalg.norm(array))
    if norm <= max_norm:
        return array.copy()
    clipped: FloatArray = array * (max_norm / norm)
    return clipped


def stochastic_round(x: npt.ArrayLike, rng: np.random.Generator) -> IntArray:
    """Round each value down or up at random so that the expectation is the value itself.

    ``x`` becomes ``⌊x⌋ + 1`` with probability ``x - ⌊x⌋`` and ``⌊x⌋`` otherwise, so
    ``E[result] = x`` and ``|result - x| < 1``.

    Parameters
    ----------
    x : array_like
        A flat float vector, already scaled.
    rng : numpy.random.Generator
        Source of randomness (seed it for reproducible runs).

    Returns
    -------
    numpy.ndarray
        int64 values.

    Raises
    ------
    QuantizationError
        If ``x`` is not a finite flat vector or does not fit in int64.
    """
    array = _as_float_vector(x, "vector to round")
    if array.size and float(np.max(np.abs(array))) >= 2.0**62:
        raise QuantizationError("The values to round are too large for 64-bit integers.")
    floor = np.floor(array)
    up = rng.random(array.shape) < (array - floor)
    rounded: IntArray = floor.astype(np.int64) + up
    return rounded


def quantize(
    x: npt.ArrayLike,
    packing: Packing,
    rng: np.random.Generator,
    clip_norm: float | None = None,
) -> IntArray:
    """Clip per chunk, scale, round stochastically and clip to the value range.

    Parameters
    ----------
    x : array_like
        The flattened float update (any length; chunks are consecutive ``W·L`` slices).
    packing : Packing
        The circuit variant.
    rng : numpy.random.Generator
        Randomness of the stochastic rounding.
    clip_norm : float, optional
        Per-chunk L2 bound in real units; ``None`` skips norm clipping.

    Returns
    -------
    numpy.ndarray
        int64 quantised values ``q ∈ [-2^(R-1), 2^(R-1))``, same length as ``x``.

    Raises
    ------
    QuantizationError
        If ``x`` is not a finite flat vector or ``clip_norm`` is not positive.
    """
    array = _as_float_vector(x, "update")
    if clip_norm is not None:
        size = packing.params_per_chunk
        parts = [clip_l2(array[i : i + size], clip_norm) for i in range(0, array.size, size)]
        array = np.concatenate(parts) if parts else array
    q = stochastic_round(array * packing.scale, rng)
    clipped: IntArray = np.clip(q, packing.q_min, packing.q_max)
    return clipped


def dequantize(q: npt.ArrayLike, packing: Packing) -> FloatArray:
    """Map quantised values (or sums of them) back to real units: ``q / 2^S``.

    Parameters
    ----------
    q : array_like
        Integer values, e.g. one member's ``q`` or the lane sums of an aggregate.
    packing : Packing
        The circuit variant (only ``S`` is used).

    Returns
    -------
    numpy.ndarray
        float64 values; divide a sum by the number of contributors to get a mean.
    """
    values: FloatArray = np.asarray(q, dtype=np.float64) / packing.scale
    return values


def squared_norm_bound(clip_norm: float, packing: Packing) -> int:
    """The public ``bound`` on ``Σq²`` that every honestly quantised chunk satisfies.

    After clipping, ``‖x·2^S‖ ≤ clip_norm·2^S``; stochastic rounding moves every coordinate by
    less than 1, so ``‖q‖ < clip_norm·2^S + √(W·L)`` (clipping to the range only shrinks
    ``q``). The bound is the square of that, rounded up, plus 1 against float rounding.

    Parameters
    ----------
    clip_norm : float
        Per-chunk L2 bound in real units, ``> 0``.
    packing : Packing
        The circuit variant.

    Returns
    -------
    int
        The bound, in squared quantised units.

    Raises
    ------
    QuantizationError
        If ``clip_norm`` is not positive and finite or the bound needs 64 bits or more.
    """
    if not math.isfinite(clip_norm) or clip_norm <= 0:
        raise QuantizationError(f"The clipping norm must be positive and finite, not {clip_norm}.")
    bound = math.ceil((clip_norm * packing.scale + math.sqrt(packing.params_per_chunk)) ** 2) + 1
    if bound >= 1 << 64:
        raise QuantizationError("The squared norm bound does not fit the circuit's 64 bits.")
    return bound
