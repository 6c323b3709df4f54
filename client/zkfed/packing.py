"""Pack quantised values into field elements and unpack aggregate sums (circuits/README.md).

Lane value ``v = q + 2^(R-1) ∈ [0, 2^R)``; word ``w`` of a chunk is
``Σ_{l<L} v[w·L + l] · 2^(B·l)`` (lane 0 in the low bits). Chunk ``c`` holds parameters
``[c·W·L, (c+1)·W·L)`` of the flattened update, the tail padded with ``q = 0``.

Because every lane value is below ``2^R`` and a lane has ``B`` bits, the sum of up to
``2^(B-R)`` packed words never carries from one lane into the next, and it stays below
``2^(L·B) <= 2^252 < p``, so adding words mod ``p`` is adding integers. Unpacking a sum of ``n``
words therefore gives each lane's ``Σ v = Σ q + n·2^(R-1)`` exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from zkfed.exceptions import QuantizationError
from zkfed.quantize import IntArray, Packing

__all__ = ["join_chunks", "pack_chunk", "pack_word", "split_chunks", "unpack_chunk", "unpack_word"]


def split_chunks(x: npt.ArrayLike, packing: Packing) -> list[npt.NDArray[np.generic]]:
    """Cut a flat vector into chunks of ``W·L`` values, padding the last one with zeros.

    Parameters
    ----------
    x : array_like
        A flat vector (floats before quantisation or ``q`` values after it).
    packing : Packing
        The circuit variant.

    Returns
    -------
    list[numpy.ndarray]
        ``ceil(len(x) / (W·L))`` arrays of length ``W·L`` with the dtype of ``x``.

    Raises
    ------
    QuantizationError
        If ``x`` is not flat.
    """
    array = np.asarray(x)
    if array.ndim != 1:
        raise QuantizationError(f"Only a flat vector can be chunked, not shape {array.shape}.")
    size = packing.params_per_chunk
    n_chunks = packing.n_chunks(array.size)
    padded = np.zeros(n_chunks * size, dtype=array.dtype)
    padded[: array.size] = array
    return list(padded.reshape(n_chunks, size))


def join_chunks(chunks: Sequence[npt.ArrayLike], n_params: int) -> npt.NDArray[np.generic]:
    """Concatenate chunks and drop the padding: the inverse of :func:`split_chunks`.

    Parameters
    ----------
    chunks : Sequence[array_like]
        Chunks in order.
    n_params : int
        Length of the original vector.

    Returns
    -------
    numpy.ndarray
        The first ``n_params`` values.

    Raises
    ------
    QuantizationError
        If the chunks hold fewer than ``n_params`` values.
    """
    joined: npt.NDArray[np.generic] = (
        np.concatenate([np.asarray(c) for c in chunks]) if chunks else np.zeros(0)
    )
    if not 0 <= n_params <= joined.size:
        raise QuantizationError(
            f"{len(chunks)} chunks hold {joined.size} values, not the {n_params} expected."
        )
    return joined[:n_params]


def _lane_values(q: npt.ArrayLike, packing: Packing, expected: int) -> IntArray:
    values = np.asarray(q)
    if values.shape != (expected,):
        raise QuantizationError(f"Expected {expected} quantised values, got shape {values.shape}.")
    if not np.issubdtype(values.dtype, np.integer):
        raise QuantizationError("Quantised values must be integers.")
    if values.size and (values.min() < packing.q_min or values.max() > packing.q_max):
        raise QuantizationError(
            f"Quantised values must lie in [{packing.q_min}, {packing.q_max}] "
            f"for {packing.value_bits}-bit lanes."
        )
    lanes: IntArray = values.astype(np.int64) + packing.lane_offset
    return lanes


def _join_lanes(lanes: Sequence[int], lane_bits: int) -> int:
    word = 0
    for value in reversed(lanes):
        word = (word << lane_bits) | value
    return word


def pack_word(q: npt.ArrayLike, packing: Packing) -> int:
    """Pack the ``L`` quantised values of one word.

    Parameters
    ----------
    q : array_like
        ``L`` integers in ``[-2^(R-1), 2^(R-1))``, lane 0 first.
    packing : Packing
        The circuit variant.

    Returns
    -------
    int
        ``Σ_l (q[l] + 2^(R-1)) · 2^(B·l)``, below ``2^(L·B)``.

    Raises
    ------
    QuantizationError
        If there are not ``L`` integers or one is out of range.
    """
    return _join_lanes(_lane_values(q, packing, packing.lanes).tolist(), packing.lane_bits)


def pack_chunk(q: npt.ArrayLike, packing: Packing) -> list[int]:
    """Pack one chunk of ``W·L`` quantised values into its ``W`` words.

    Parameters
    ----------
    q : array_like
        ``W·L`` integers in ``[-2^(R-1), 2^(R-1))`` (parameter ``w·L + l`` goes to lane ``l``
        of word ``w``).
    packing : Packing
        The circuit variant.

    Returns
    -------
    list[int]
        The ``W`` words.

    Raises
    ------
    QuantizationError
        If there are not ``W·L`` integers or one is out of range.
    """
    lanes = _lane_values(q, packing, packing.params_per_chunk)
    return [
        pack_word(row - packing.lane_offset, packing) for row in lanes.reshape(packing.words, -1)
    ]


def _check_contributors(n_contributors: int, packing: Packing) -> None:
    if not isinstance(n_contributors, int) or not 1 <= n_contributors <= packing.max_members:
        raise QuantizationError(
            f"An aggregate must have 1 to {packing.max_members} contributors for "
            f"{packing.lane_bits}-bit lanes of {packing.value_bits}-bit values, "
            f"not {n_contributors!r}."
        )


def unpack_word(word: int, packing: Packing, n_contributors: int = 1) -> list[int]:
    """Recover the lane-wise sums of ``q`` from the sum of ``n`` packed words.

    Parameters
    ----------
    word : int
        The unmasked aggregate word, an integer in ``[0, 2^(L·B))``.
    packing : Packing
        The circuit variant.
    n_contributors : int, optional
        How many packed words were summed (1 unpacks a single word).

    Returns
    -------
    list[int]
        ``L`` lane sums ``Σ q``, each ``Σ v - n·2^(R-1)``.

    Raises
    ------
    QuantizationError
        If ``n_contributors`` is outside ``[1, 2^(B-R)]`` or the word cannot be a sum of that
        many packed words (typically because some mask was not removed).
    """
    _check_contributors(n_contributors, packing)
    if not isinstance(word, int) or not 0 <= word < 1 << (packing.lanes * packing.lane_bits):
        raise QuantizationError(
            "The aggregate word is not a sum of packed words; was every mask removed?"
        )
    lane_mask = (1 << packing.lane_bits) - 1
    most = n_contributors * ((1 << packing.value_bits) - 1)
    offset = n_contributors * packing.lane_offset
    sums = []
    for lane in range(packing.lanes):
        value = (word >> (packing.lane_bits * lane)) & lane_mask
        if value > most:
            raise QuantizationError(
                f"Lane {lane} holds {value}, more than {n_contributors} values of "
                f"{packing.value_bits} bits can sum to; was every mask removed?"
            )
        sums.append(value - offset)
    return sums


def unpack_chunk(words: Sequence[int], packing: Packing, n_contributors: int = 1) -> IntArray:
    """Recover the per-parameter sums of ``q`` of a chunk from its aggregate words.

    Parameters
    ----------
    words : Sequence[int]
        The ``W`` unmasked aggregate words.
    packing : Packing
        The circuit variant.
    n_contributors : int, optional
        How many members' chunks were summed.

    Returns
    -------
    numpy.ndarray
        ``W·L`` int64 sums ``Σ q``, parameter order.

    Raises
    ------
    QuantizationError
        If there are not ``W`` words or a word fails :func:`unpack_word`.
    """
    if len(words) != packing.words:
        raise QuantizationError(f"A chunk has {packing.words} words, not {len(words)}.")
    sums = [s for word in words for s in unpack_word(word, packing, n_contributors)]
    return np.asarray(sums, dtype=np.int64)
