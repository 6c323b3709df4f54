"""Clipping, stochastic rounding and the Packing parameters (zkfed.quantize)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from zkfed.exceptions import ConfigurationError, QuantizationError, ZkfedError
from zkfed.quantize import (
    Packing,
    clip_l2,
    dequantize,
    fitting_scale_bits,
    quantize,
    squared_norm_bound,
    stochastic_round,
)


def test_default_packing_matches_circuits_readme() -> None:
    # Execute
    packing = Packing()

    # Assert: W = 64, L = 21, B = 12, R = 8, S = 4 and the values README derives from them.
    assert (packing.words, packing.lanes, packing.lane_bits, packing.value_bits) == (64, 21, 12, 8)
    assert packing.scale_bits == fitting_scale_bits(8) == 4
    assert packing.params_per_chunk == 1344
    assert packing.lane_offset == 128
    assert (packing.q_min, packing.q_max) == (-128, 127)
    assert packing.max_members == 16
    assert [packing.n_chunks(d) for d in (0, 1, 1344, 1345)] == [0, 1, 1, 2]


@pytest.mark.parametrize(
    ("value_bits", "norm", "expected"), [(8, 5.0, 4), (12, 5.0, 8), (8, 0.5, 7), (10, 5.0, 6)]
)
def test_fitting_scale_is_the_finest_that_keeps_clipped_values_in_range(
    value_bits: int, norm: float, expected: int
) -> None:
    # Execute
    scale_bits = fitting_scale_bits(value_bits, norm)

    # Assert: a value of the clipping norm fits at S but not at S + 1.
    limit = (1 << (value_bits - 1)) - 1
    assert scale_bits == expected
    assert math.ceil(norm * 2**scale_bits) <= limit < math.ceil(norm * 2 ** (scale_bits + 1))


def test_fitting_scale_refuses_impossible_requests() -> None:
    with pytest.raises(ConfigurationError):
        fitting_scale_bits(1)
    with pytest.raises(ConfigurationError):
        fitting_scale_bits(8, 0.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lanes": 16, "lane_bits": 16},  # 256 bits in a word
        {"lanes": 23, "lane_bits": 11, "value_bits": 8},  # 253 bits in a word
        {"lane_bits": 11, "value_bits": 12},  # no room for the value
        {"words": 0},
        {"value_bits": 0, "lane_bits": 4},
        {"lanes": 2.5},
    ],
)
def test_invalid_packing_raises_configuration_error(kwargs: dict[str, Any]) -> None:
    # Execute / Assert
    with pytest.raises(ConfigurationError):
        Packing(**kwargs)


def test_packing_accepts_exactly_252_bits_and_no_headroom() -> None:
    # Execute
    packing = Packing(lanes=21, lane_bits=12, value_bits=12)

    # Assert
    assert packing.lanes * packing.lane_bits == 252
    assert packing.max_members == 1


def test_clip_l2_bounds_norm_and_keeps_direction() -> None:
    # Prepare
    rng = np.random.default_rng(1)
    x = rng.normal(0.0, 3.0, 500)

    # Execute
    clipped = clip_l2(x, 2.5)
    small = clip_l2(x / 1000, 2.5)

    # Assert
    assert np.linalg.norm(clipped) <= 2.5 * (1 + 1e-12)
    assert np.linalg.norm(clipped) == pytest.approx(2.5)
    assert np.allclose(clipped / np.linalg.norm(clipped), x / np.linalg.norm(x))
    assert np.array_equal(small, x / 1000)


def test_stochastic_rounding_is_unbiased() -> None:
    # Prepare
    rng = np.random.default_rng(20260528)
    x = np.repeat(np.array([-2.75, -0.5, -0.1, 0.0, 0.3, 1.9, 7.125]), 40_000)

    # Execute
    q = stochastic_round(x, rng)

    # Assert: each value rounds to a neighbouring integer, and the mean error of every group
    # of 40,000 draws is within 5 standard errors (std ≤ 0.5) of zero.
    assert np.all((q == np.floor(x)) | (q == np.floor(x) + 1))
    errors = (q - x).reshape(7, -1).mean(axis=1)
    assert np.all(np.abs(errors) < 5 * 0.5 / np.sqrt(40_000))
    assert np.array_equal(q[x == 0.0], np.zeros(40_000))


def test_quantize_clips_each_chunk_and_respects_the_norm_bound() -> None:
    # Prepare
    packing = Packing(words=4, lanes=5, lane_bits=16, value_bits=12, scale_bits=8)
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.normal(0, 1, 20), rng.normal(0, 0.001, 20), rng.normal(0, 5, 7)])
    clip_norm = 1.5

    # Execute
    q = quantize(x, packing, rng, clip_norm=clip_norm)

    # Assert
    bound = squared_norm_bound(clip_norm, packing)
    assert q.shape == x.shape and q.dtype == np.int64
    for start in range(0, x.size, packing.params_per_chunk):
        chunk = q[start : start + packing.params_per_chunk]
        assert int(np.sum(chunk.astype(object) ** 2)) <= bound
    assert np.abs(q[20:40]).max() <= 1  # the small chunk was not scaled up
    real = dequantize(q[:20], packing)
    assert np.linalg.norm(real) <= clip_norm + np.sqrt(20) / packing.scale


def test_quantize_clips_to_the_value_range() -> None:
    # Prepare
    packing = Packing(lanes=15, lane_bits=16, value_bits=12, scale_bits=4)
    x = np.array([1e6, -1e6, 127.9, -128.0, 0.0])

    # Execute
    q = quantize(x, packing, np.random.default_rng(0))

    # Assert: 2^(R-1) = 2048 quantised units; ±1e6·16 is far outside.
    assert q[0] == 2047 and q[1] == -2048
    assert q[2] in (2046, 2047) and q[3] == -2048 and q[4] == 0


def test_dequantize_divides_by_scale() -> None:
    # Execute
    values = dequantize(np.array([-1024, 0, 3]), Packing(scale_bits=10))

    # Assert
    assert values.tolist() == [-1.0, 0.0, 3 / 1024]


@pytest.mark.parametrize(
    "x", [np.array([1.0, np.nan]), np.array([np.inf]), np.zeros((2, 2)), np.array([1e300])]
)
def test_bad_vectors_raise_quantization_error(x: np.ndarray) -> None:
    # Execute / Assert
    with pytest.raises(QuantizationError):
        quantize(x, Packing(), np.random.default_rng(0))


def test_bad_clip_norm_raises_quantization_error() -> None:
    # Execute / Assert
    with pytest.raises(QuantizationError, match="positive"):
        clip_l2(np.ones(3), 0.0)
    with pytest.raises(ZkfedError, match="positive"):
        squared_norm_bound(float("nan"), Packing())
