"""Lane packing, aggregate unpacking and chunking (zkfed.packing)."""

from __future__ import annotations

import numpy as np
import pytest

from zkfed.exceptions import QuantizationError
from zkfed.field import P
from zkfed.packing import (
    join_chunks,
    pack_chunk,
    pack_word,
    split_chunks,
    unpack_chunk,
    unpack_word,
)
from zkfed.quantize import Packing

DEFAULT = Packing()


def test_pack_word_puts_lane_zero_in_low_bits() -> None:
    # Prepare: L = 2, B = 4, R = 3, so v = q + 4 and word = v0 + 16·v1.
    packing = Packing(words=1, lanes=2, lane_bits=4, value_bits=3)

    # Execute
    word = pack_word([-4, 3], packing)

    # Assert: v = (0, 7).
    assert word == 7 * 16


def test_pack_chunk_follows_the_readme_formula() -> None:
    # Prepare
    rng = np.random.default_rng(3)
    q = rng.integers(DEFAULT.q_min, DEFAULT.q_max + 1, DEFAULT.params_per_chunk)

    # Execute
    words = pack_chunk(q, DEFAULT)

    # Assert: word_w = Σ_l (q[w·L + l] + 2^(R-1)) · 2^(B·l).
    expected = [
        sum((int(q[w * 21 + lane]) + 128) * 2 ** (12 * lane) for lane in range(21))
        for w in range(64)
    ]
    assert words == expected
    assert max(words) < 2**252


@pytest.mark.parametrize("q_value", [DEFAULT.q_min, DEFAULT.q_max])
def test_sum_of_sixteen_extreme_members_unpacks_exactly(q_value: int) -> None:
    # Prepare
    members = DEFAULT.max_members
    q = np.full(DEFAULT.params_per_chunk, q_value, dtype=np.int64)
    packed = [pack_chunk(q, DEFAULT) for _ in range(members)]

    # Execute: the contract adds words mod p.
    aggregate = [sum(column) % P for column in zip(*packed, strict=True)]
    sums = unpack_chunk(aggregate, DEFAULT, members)

    # Assert
    assert sums.tolist() == [members * q_value] * DEFAULT.params_per_chunk


def test_sum_of_random_members_unpacks_to_lane_sums() -> None:
    # Prepare
    rng = np.random.default_rng(11)
    members = [
        rng.integers(DEFAULT.q_min, DEFAULT.q_max + 1, DEFAULT.params_per_chunk)
        for _ in range(DEFAULT.max_members)
    ]

    # Execute
    aggregate = [sum(c) % P for c in zip(*(pack_chunk(q, DEFAULT) for q in members), strict=True)]
    sums = unpack_chunk(aggregate, DEFAULT, len(members))

    # Assert
    assert np.array_equal(sums, np.sum(members, axis=0))


def test_unpack_inverts_pack_for_one_member() -> None:
    # Prepare
    q = np.arange(DEFAULT.params_per_chunk) % 256 - 128

    # Execute
    back = unpack_chunk(pack_chunk(q, DEFAULT), DEFAULT)

    # Assert
    assert np.array_equal(back, q)


def test_split_pads_the_tail_with_zeros_and_join_inverts_it() -> None:
    # Prepare
    packing = Packing(words=2, lanes=3)
    x = np.arange(1, 14, dtype=np.int64)

    # Execute
    chunks = split_chunks(x, packing)

    # Assert
    assert [c.tolist() for c in chunks] == [
        [1, 2, 3, 4, 5, 6],
        [7, 8, 9, 10, 11, 12],
        [13, 0, 0, 0, 0, 0],
    ]
    assert np.array_equal(join_chunks(chunks, x.size), x)


def test_masked_or_overflowing_aggregates_are_rejected() -> None:
    # Prepare
    packing = Packing(words=1, lanes=2, lane_bits=4, value_bits=3)

    # Execute / Assert
    with pytest.raises(QuantizationError, match="mask"):
        unpack_word(2**8, packing, 1)  # beyond L·B bits
    with pytest.raises(QuantizationError, match="mask"):
        unpack_word(8, packing, 1)  # lane 0 holds 8 > 7 = 2^R - 1
    with pytest.raises(QuantizationError, match="contributors"):
        unpack_word(0, packing, 3)  # 2^(B-R) = 2 members at most
    with pytest.raises(QuantizationError, match="contributors"):
        unpack_word(0, packing, 0)


@pytest.mark.parametrize(
    "q",
    [
        np.full(1344, 128),
        np.full(1344, -129),
        np.zeros(1343, dtype=np.int64),
        np.zeros(1344, dtype=np.float64),
    ],
)
def test_bad_chunks_raise_quantization_error(q: np.ndarray) -> None:
    # Execute / Assert
    with pytest.raises(QuantizationError):
        pack_chunk(q, DEFAULT)


def test_unpack_chunk_needs_w_words() -> None:
    # Execute / Assert
    with pytest.raises(QuantizationError, match="64 words"):
        unpack_chunk([0] * 63, DEFAULT)
