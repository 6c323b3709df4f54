"""Poseidon over the BN254 scalar field, bit-compatible with circomlib and circomlibjs.

Widths ``t = 2..17`` (1 to 16 inputs) with the x^5 S-box, ``R_F = 8`` full rounds and the
circomlib partial-round counts :data:`N_ROUNDS_P`. The round constants and the MDS matrix of each
width are not copied from circomlib: :func:`poseidon_params` regenerates them with the
reference procedure of the Poseidon authors (``generate_parameters_grain.sage 1 0 254 t 8 R_P
p``), which is what circomlib's tables were produced with:

* a Grain LFSR of 80 bits is seeded with ``field=1 (2 bits) | sbox=0 (4) | n=254 (12) | t (12)
  | R_F (10) | R_P (10) | 1…1 (30)``, clocked 160 times, and filtered by self-shrinking (of each
  pair of bits, the second is output when the first is 1);
* round constants are 254-bit big-endian draws, redrawn while ``>= p``;
* the MDS matrix is the Cauchy matrix ``M[i][j] = 1 / (x_i + y_j)`` of the next ``2t`` draws
  (reduced mod ``p``), redrawn until they are distinct and no ``x_i + y_j`` is zero.

The permutation is the plain (unoptimised) one of circomlibjs' ``poseidon_reference.js``: every
round adds constants, applies the S-box to the whole state (full rounds, 4 before and 4 after) or
to element 0 only (partial rounds), then multiplies by ``M``. Element 0 of the state is the
capacity: 0 for a plain hash, or the ``init_state`` of :func:`poseidon_ex`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from zkfed.exceptions import CryptoError
from zkfed.field import P, check_element

__all__ = [
    "MAX_WIDTH",
    "MIN_WIDTH",
    "N_ROUNDS_F",
    "N_ROUNDS_P",
    "PoseidonParams",
    "permute",
    "poseidon",
    "poseidon_ex",
    "poseidon_params",
]

N_ROUNDS_F: int = 8
"""Full rounds of every width (half before, half after the partial rounds)."""

N_ROUNDS_P: tuple[int, ...] = (56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68)
"""Partial rounds of width ``t`` at index ``t - 2`` (circomlib's table)."""

MIN_WIDTH: int = 2
"""Smallest state width (one input)."""

MAX_WIDTH: int = 17
"""Largest state width (sixteen inputs)."""

_FIELD_BITS = 254
_GRAIN_STATE_BITS = 80
_GRAIN_WARMUP = 160
# Grain recurrence s[n] = XOR of s[n - d] over these distances (taps 62, 51, 38, 23, 13, 0 of
# the 80-bit register of the reference script).
_GRAIN_TAP_DISTANCES = (18, 29, 42, 57, 67, 80)


@dataclass(frozen=True)
class PoseidonParams:
    """Constants of one Poseidon width.

    Attributes
    ----------
    t : int
        State width (number of inputs + 1).
    rounds_f : int
        Number of full rounds.
    rounds_p : int
        Number of partial rounds.
    round_constants : tuple[int, ...]
        ``(rounds_f + rounds_p) · t`` constants; round ``r`` adds ``round_constants[r·t + i]`` to
        state element ``i``.
    mds : tuple[tuple[int, ...], ...]
        The ``t``-by-``t`` matrix; the new state is ``new[i] = Σ_j mds[i][j] · state[j]``.
    """

    t: int
    rounds_f: int
    rounds_p: int
    round_constants: tuple[int, ...]
    mds: tuple[tuple[int, ...], ...]


def _grain_seed(t: int, rounds_f: int, rounds_p: int) -> npt.NDArray[np.uint8]:
    """The 80 initial bits of the Grain LFSR for one parameter set (first bit first)."""
    fields = ((1, 2), (0, 4), (_FIELD_BITS, 12), (t, 12), (rounds_f, 10), (rounds_p, 10))
    bits = "".join(format(value, f"0{width}b") for value, width in fields) + "1" * 30
    return (np.frombuffer(bits.encode(), dtype=np.uint8) - ord("0")).astype(np.uint8)


def _grain_raw(seed: npt.NDArray[np.uint8], length: int) -> npt.NDArray[np.uint8]:
    """The first ``length`` bits of the (unfiltered) LFSR sequence, seed included."""
    s = np.zeros(length, dtype=np.uint8)
    s[:_GRAIN_STATE_BITS] = seed
    pos = _GRAIN_STATE_BITS
    while pos < length:
        # Over GF(2), f(x)^(2^k) = f(x^(2^k)): the sequence also obeys the recurrence with
        # every tap distance multiplied by 2^k, so one step fills 18·2^k bits at once.
        k = (pos // _GRAIN_STATE_BITS).bit_length() - 1
        end = min(pos + (_GRAIN_TAP_DISTANCES[0] << k), length)
        acc = np.zeros(end - pos, dtype=np.uint8)
        for d in _GRAIN_TAP_DISTANCES:
            acc ^= s[pos - (d << k) : end - (d << k)]
        s[pos:end] = acc
        pos = end
    return s


class _GrainStream:
    """The self-shrinking-filtered Grain output, consumed as big-endian integers."""

    def __init__(self, t: int, rounds_f: int, rounds_p: int, expected_bits: int) -> None:
        self._seed = _grain_seed(t, rounds_f, rounds_p)
        # Each output bit costs 4 raw bits on average; a margin avoids regenerating.
        self._raw_length = _GRAIN_WARMUP + _GRAIN_STATE_BITS + 5 * expected_bits
        self._out = self._filtered()
        self._pos = 0

    def _filtered(self) -> npt.NDArray[np.uint8]:
        raw = _grain_raw(self._seed, self._raw_length)[_GRAIN_STATE_BITS + _GRAIN_WARMUP :]
        raw = raw[: raw.size - raw.size % 2]
        firsts, seconds = raw[0::2], raw[1::2]
        out: npt.NDArray[np.uint8] = seconds[firsts == 1]
        return out

    def take(self, n_bits: int) -> int:
        """Return the next ``n_bits`` output bits as an integer, first bit most significant."""
        while self._pos + n_bits > self._out.size:
            # The filtered stream is a prefix of any longer one, so regenerating is safe.
            self._raw_length *= 2
            self._out = self._filtered()
        chunk = self._out[self._pos : self._pos + n_bits]
        self._pos += n_bits
        return int.from_bytes(np.packbits(chunk).tobytes(), "big") >> (-n_bits % 8)


def _check_width(t: int) -> None:
    if not isinstance(t, int) or not MIN_WIDTH <= t <= MAX_WIDTH:
        raise CryptoError(
            f"Poseidon width {t!r} is not supported; it must be between {MIN_WIDTH} and "
            f"{MAX_WIDTH} (1 to {MAX_WIDTH - 1} inputs)."
        )


@cache
def poseidon_params(t: int) -> PoseidonParams:
    """Generate (once per process) the round constants and MDS matrix of width ``t``.

    Parameters
    ----------
    t : int
        State width, ``2 <= t <= 17``.

    Returns
    -------
    PoseidonParams
        The constants, equal to circomlib's tables for that width.

    Raises
    ------
    CryptoError
        If ``t`` is out of range.
    """
    _check_width(t)
    rounds_f, rounds_p = N_ROUNDS_F, N_ROUNDS_P[t - MIN_WIDTH]
    n_constants = (rounds_f + rounds_p) * t
    # Round constants are redrawn about 1 time in 4 (p ≈ 0.76 · 2^254).
    stream = _GrainStream(t, rounds_f, rounds_p, (n_constants * 4 // 3 + 2 * t) * _FIELD_BITS)

    constants: list[int] = []
    while len(constants) < n_constants:
        value = stream.take(_FIELD_BITS)
        if value < P:
            constants.append(value)

    while True:
        draws = [stream.take(_FIELD_BITS) % P for _ in range(2 * t)]
        while len(set(draws)) != len(draws):
            draws = [stream.take(_FIELD_BITS) % P for _ in range(2 * t)]
        xs, ys = draws[:t], draws[t:]
        if all((x + y) % P != 0 for x in xs for y in ys):
            break
    mds = tuple(tuple(pow(x + y, -1, P) for y in ys) for x in xs)
    return PoseidonParams(t, rounds_f, rounds_p, tuple(constants), mds)


def permute(state: Sequence[int]) -> list[int]:
    """Apply the Poseidon permutation of width ``len(state)``.

    Parameters
    ----------
    state : Sequence[int]
        ``t`` field elements, capacity element first, ``2 <= t <= 17``.

    Returns
    -------
    list[int]
        The ``t`` elements after the permutation.

    Raises
    ------
    CryptoError
        If the width is unsupported or an element is not in ``[0, p)``.
    """
    t = len(state)
    _check_width(t)
    for x in state:
        check_element(x, "Poseidon input")
    params = poseidon_params(t)
    constants, mds = params.round_constants, params.mds
    half_f = params.rounds_f // 2
    first_late_full = half_f + params.rounds_p
    s = list(state)
    for r in range(params.rounds_f + params.rounds_p):
        base = r * t
        s = [(x + constants[base + i]) % P for i, x in enumerate(s)]
        if r < half_f or r >= first_late_full:
            s = [pow(x, 5, P) for x in s]
        else:
            s[0] = pow(s[0], 5, P)
        # One reduction per row: Python ints are unbounded, so the sum stays exact.
        s = [sum(m * x for m, x in zip(row, s, strict=True)) % P for row in mds]
    return s


def poseidon_ex(inputs: Sequence[int], init_state: int = 0, n_out: int = 1) -> list[int]:
    """Hash with a chosen capacity element and return several state elements.

    This is circomlib's ``PoseidonEx(len(inputs), n_out)`` and circomlibjs'
    ``poseidon(inputs, initState, nOut)`` (which returns a list when ``nOut > 1``).

    Parameters
    ----------
    inputs : Sequence[int]
        1 to 16 field elements (the rate part of the state).
    init_state : int, optional
        The initial capacity element (state element 0), default 0.
    n_out : int, optional
        How many state elements to return, starting with element 0; ``1 <= n_out <= t``.

    Returns
    -------
    list[int]
        The first ``n_out`` elements of the permuted state ``[init_state, *inputs]``.

    Raises
    ------
    CryptoError
        If there are not 1 to 16 inputs, an element is not in ``[0, p)``, or ``n_out`` is out
        of range.
    """
    t = len(inputs) + 1
    _check_width(t)
    check_element(init_state, "Poseidon initial state")
    if not isinstance(n_out, int) or not 1 <= n_out <= t:
        raise CryptoError(f"Poseidon of width {t} can output 1 to {t} elements, not {n_out!r}.")
    return permute([init_state, *inputs])[:n_out]


def poseidon(inputs: Sequence[int]) -> int:
    """Hash 1 to 16 field elements: circomlib ``Poseidon(n)``.

    Parameters
    ----------
    inputs : Sequence[int]
        1 to 16 field elements.

    Returns
    -------
    int
        Element 0 of the permuted state ``[0, *inputs]``.

    Raises
    ------
    CryptoError
        If there are not 1 to 16 inputs or an element is not in ``[0, p)``.
    """
    return poseidon_ex(inputs)[0]
