"""The BN254 scalar field: the field every circuit, hash and mask of zkfed lives in.

Elements are plain Python ``int`` values in ``[0, P)``. Signed integers (quantised values,
negative masks) enter the field with :func:`mod` and leave it with :func:`to_signed`.
"""

from __future__ import annotations

from collections.abc import Iterable

from zkfed.exceptions import CryptoError

P: int = 21888242871839275222246405745257275088548364400416034343698204186575808495617
"""Order of the BN254 (alt_bn128) scalar field, the native field of circom and snarkjs."""

HALF_P: int = P // 2
"""Largest field element :func:`to_signed` maps to a non-negative integer."""

__all__ = ["HALF_P", "P", "check_element", "inv", "mod", "to_signed", "vector_mod"]


def mod(x: int) -> int:
    """Reduce an integer (possibly negative) to its canonical representative.

    Parameters
    ----------
    x : int
        Any integer.

    Returns
    -------
    int
        ``x mod P`` in ``[0, P)``.
    """
    return x % P


def to_signed(x: int) -> int:
    """Map a field element to the integer of smallest absolute value it represents.

    Parameters
    ----------
    x : int
        A field element in ``[0, P)``.

    Returns
    -------
    int
        ``x`` if ``x <= (P - 1) / 2``, else ``x - P``.

    Raises
    ------
    CryptoError
        If ``x`` is not in ``[0, P)``.
    """
    check_element(x)
    return x if x <= HALF_P else x - P


def inv(x: int) -> int:
    """Return the multiplicative inverse of a non-zero field element.

    Parameters
    ----------
    x : int
        An integer; it is reduced mod ``P`` first.

    Returns
    -------
    int
        ``y`` in ``[1, P)`` with ``x·y ≡ 1 (mod P)``.

    Raises
    ------
    CryptoError
        If ``x ≡ 0 (mod P)``.
    """
    if x % P == 0:
        raise CryptoError("Zero has no inverse in the BN254 scalar field.")
    return pow(x, -1, P)


def check_element(x: int, name: str = "value") -> int:
    """Check that ``x`` is a canonical field element and return it.

    Parameters
    ----------
    x : int
        The value to check.
    name : str, optional
        How the value is called in the error message.

    Returns
    -------
    int
        ``x`` unchanged.

    Raises
    ------
    CryptoError
        If ``x`` is not an ``int`` in ``[0, P)`` (``bool`` is refused too).
    """
    if not isinstance(x, int) or isinstance(x, bool) or not 0 <= x < P:
        raise CryptoError(f"The {name} {x!r} is not an element of the BN254 scalar field [0, p).")
    return x


def vector_mod(values: Iterable[int]) -> list[int]:
    """Reduce every integer of a sequence mod ``P``.

    Parameters
    ----------
    values : Iterable[int]
        Integers, possibly negative or larger than ``P``.

    Returns
    -------
    list[int]
        The canonical representatives, in order.
    """
    return [v % P for v in values]
