"""Neighbour graph, pairwise masks and their removal (circuits/README.md, "Mask").

Members of a task are numbered by their position in the task's member list. Member ``i`` masks
each chunk with its ``K`` ring neighbours ``j``:
``y_w = word_w + Σ_j sign(i, j) · PRG(s_ij, w) mod p`` with ``sign(i, j) = +1`` if ``i < j``
and ``-1`` otherwise, and ``s_ij = s_ji`` the pair seed of :mod:`zkfed.prg`. Every pair appears
once with each sign, so over any set of members closed under the neighbour relation the masks
sum to zero. When neighbour ``j`` of a contributor ``i`` drops out, ``i`` reveals ``s_ij`` and
anyone subtracts ``sign(i, j) · PRG(s_ij, ·)`` from the accumulator (:func:`remove_masks`).

With three or more active slots, each chunk also escrows every active seed among the member's
other active slots (circuits/README.md, "Seed escrow"): entry ``e(j, h)`` of the ``K·(K-1)``
holds the share of slot ``j``'s seed for holder slot ``h`` under a pad with tag
``escrow_tag(j, h, K, sign bit of h)`` (:func:`escrow_index`, :func:`escrow_tag`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from zkfed.babyjubjub import Point
from zkfed.exceptions import ConfigurationError, CryptoError
from zkfed.field import P, check_element
from zkfed.prg import pair_seed, prg_words

__all__ = [
    "SignedSeed",
    "apply_mask",
    "draw_ring",
    "escrow_entries",
    "escrow_holders",
    "escrow_index",
    "escrow_tag",
    "mask_words",
    "masks_from_seeds",
    "neighbor_sign",
    "pair_seeds",
    "remove_masks",
    "ring_neighbors",
    "ring_slots",
    "slots_word",
]

SignedSeed = tuple[int, int]
"""A pair seed and the sign (+1 or -1) its PRG stream carries in a member's mask."""


def ring_slots(n_members: int, k: int, i: int) -> list[int | None]:
    """Member ``i``'s ``k`` neighbour slots on the ring of ``n_members``, in public-input order.

    Slot ``s`` looks at ring offset ``+1, -1, +2, -2, …, +k/2, -k/2`` (``s = 0, 1, 2, …``,
    indices mod ``n_members``). A slot is *active* unless it lands on ``i`` itself or on a member
    an earlier slot already holds; inactive slots (``None`` here) only occur when
    ``n_members <= k``, where the active slots make the complete graph. The contracts build the
    same slots, and the relation is symmetric: ``j`` is in ``i``'s active slots iff ``i`` is in
    ``j``'s.

    Parameters
    ----------
    n_members : int
        Members of the task, ``>= 3``.
    k : int
        Neighbour slots per member, even and ``>= 2``.
    i : int
        My index, ``0 <= i < n_members``.

    Returns
    -------
    list[int | None]
        ``k`` entries: the neighbour's member index, or None for an inactive slot.

    Raises
    ------
    ConfigurationError
        If ``k`` is odd or below 2, there are fewer than 3 members, or ``i`` is out of range.
    """
    if k < 2 or k % 2:
        raise ConfigurationError(f"The neighbour count must be even and at least 2, not {k}.")
    if n_members < 3:
        raise ConfigurationError(f"A ring needs at least 3 members, not {n_members}.")
    if not 0 <= i < n_members:
        raise ConfigurationError(f"Member index {i} is not in [0, {n_members}).")
    slots: list[int | None] = []
    for offset in range(1, k // 2 + 1):
        for sign in (1, -1):
            j = (i + sign * offset) % n_members
            slots.append(None if j == i or j in slots else j)
    return slots


def draw_ring(seed: bytes, n_members: int) -> tuple[int, ...]:
    """The ring order the aggregator's ``drawGraph`` draws from a 32-byte seed: entry ``p`` is
    the member index at ring position ``p``.

    A Fisher-Yates shuffle of ``0 .. n_members - 1``: for ``i`` from ``n_members - 1`` down to 1,
    swap entries ``i`` and ``keccak256(abi.encode(seed, i)) mod (i + 1)``. The contract's draw
    is the record; this copy lets a client (and the tests) check it.
    """
    from eth_utils.crypto import keccak

    ring = list(range(n_members))
    for i in range(n_members - 1, 0, -1):
        j = int.from_bytes(keccak(seed + i.to_bytes(32, "big")), "big") % (i + 1)
        ring[i], ring[j] = ring[j], ring[i]
    return tuple(ring)


def ring_neighbors(n_members: int, k: int, i: int) -> list[int]:
    """Member ``i``'s distinct neighbours: its active slots, in slot order (:func:`ring_slots`)."""
    return [j for j in ring_slots(n_members, k, i) if j is not None]


def neighbor_sign(i: int, j: int) -> int:
    """Sign of neighbour ``j``'s PRG stream in member ``i``'s mask: +1 if ``i < j``, else -1.

    Raises
    ------
    ConfigurationError
        If ``i == j``.
    """
    if i == j:
        raise ConfigurationError(f"Member {i} cannot be its own neighbour.")
    return 1 if i < j else -1


def slots_word(my_index: int, slots: Sequence[int | None], escrow: bool = False) -> int:
    """The circuit's public ``slots`` input for my neighbour slots (see :func:`ring_slots`).

    Bit ``s`` is 1 iff slot ``s`` is active with sign +1; bit ``K + s`` is 1 iff slot ``s`` is
    active; bit ``2K`` is 1 iff the chunk escrows its seeds.

    Parameters
    ----------
    my_index : int
        My member index.
    slots : Sequence[int | None]
        Neighbour index per slot, None for an inactive slot.
    escrow : bool, optional
        Whether the task escrows seeds (three or more active slots; see
        :func:`zkfed.secagg.escrow_on`).

    Returns
    -------
    int
        ``Σ_s [active and my_index < j_s] · 2^s + Σ_s [active] · 2^(K + s) + [escrow] · 2^(2K)``.
    """
    k = len(slots)
    word = (1 << (2 * k)) if escrow else 0
    for s, j in enumerate(slots):
        if j is None:
            continue
        word |= 1 << (k + s)
        if neighbor_sign(my_index, j) == 1:
            word |= 1 << s
    return word


def escrow_entries(k: int) -> int:
    """How many escrow entries a chunk of ``k`` slots carries: ``E = k·(k-1)``."""
    if k < 2:
        raise ConfigurationError(f"The escrow needs at least 2 slots, not {k}.")
    return k * (k - 1)


def escrow_index(j: int, h: int, k: int) -> int:
    """Entry of seed slot ``j`` at holder slot ``h ≠ j``: ``e(j, h) = j·(k-1) + h - [h > j]``.

    Raises
    ------
    ConfigurationError
        If ``j`` or ``h`` is not a slot of ``k`` or ``j == h``.
    """
    if not (0 <= j < k and 0 <= h < k) or j == h:
        raise ConfigurationError(f"({j}, {h}) is not a seed slot and another holder slot of {k}.")
    return j * (k - 1) + h - (1 if h > j else 0)


def escrow_tag(j: int, h: int, k: int, sign_bit: int) -> int:
    """The pad tag of entry ``e(j, h)``: ``1 + e(j, h) + E·sign_bit``.

    ``sign_bit`` is bit ``h`` of the owner's ``slots`` word: 1 iff the owner's index is below the
    holder's. Both members of a pair share one secret; the sign bit keeps the pads of the owner's
    entries at the holder (tags in ``[1, E]`` or ``[E + 1, 2E]``) apart from those of the
    holder's entries at the owner (the other half).

    Raises
    ------
    ConfigurationError
        If the slots are invalid or ``sign_bit`` is not 0 or 1.
    """
    if sign_bit not in (0, 1):
        raise ConfigurationError(f"A sign bit is 0 or 1, not {sign_bit!r}.")
    return 1 + escrow_index(j, h, k) + escrow_entries(k) * sign_bit


def escrow_holders(slots: Sequence[int | None], j: int) -> list[int]:
    """The holder slots of seed slot ``j``: the other active slots, in slot order (the last of
    them receives the share that completes the sum)."""
    return [h for h, member in enumerate(slots) if member is not None and h != j]


def _check_neighbors(my_index: int, neighbors: Sequence[tuple[int, Point]]) -> None:
    indices = [j for j, _ in neighbors]
    if len(set(indices)) != len(indices):
        raise ConfigurationError(f"Neighbour indices {indices} contain duplicates.")
    if my_index in indices:
        raise ConfigurationError(f"Member {my_index} cannot be its own neighbour.")


def pair_seeds(
    sk: int,
    my_index: int,
    neighbors: Sequence[tuple[int, Point]],
    task: int,
    round_index: int,
    chunk: int,
) -> list[SignedSeed]:
    """Compute my seed and sign with every neighbour for one chunk.

    Parameters
    ----------
    sk : int
        My secret key.
    my_index : int
        My member index.
    neighbors : Sequence[tuple[int, Point]]
        ``(index, public key)`` of each neighbour, in slot order.
    task, round_index, chunk : int
        Task id, round number, chunk number.

    Returns
    -------
    list[SignedSeed]
        ``(s_ij, sign(i, j))`` per neighbour, in slot order.

    Raises
    ------
    ConfigurationError
        If an index repeats or is my own.
    CryptoError
        If a key or context value is malformed.
    """
    _check_neighbors(my_index, neighbors)
    return [
        (pair_seed(sk, pk, task, round_index, chunk), neighbor_sign(my_index, j))
        for j, pk in neighbors
    ]


def masks_from_seeds(signed_seeds: Iterable[SignedSeed], n_words: int) -> list[int]:
    """Sum signed PRG streams: ``m_w = Σ sign · PRG(seed, w) mod p``.

    Parameters
    ----------
    signed_seeds : Iterable[SignedSeed]
        ``(seed, sign)`` pairs, sign +1 or -1.
    n_words : int
        Words per chunk.

    Returns
    -------
    list[int]
        The ``n_words`` mask words.

    Raises
    ------
    CryptoError
        If a sign is not +1 or -1 or a seed is not a field element.
    """
    mask = [0] * n_words
    for seed, sign in signed_seeds:
        if sign not in (1, -1):
            raise CryptoError(f"A mask sign must be +1 or -1, not {sign!r}.")
        mask = [(m + sign * r) % P for m, r in zip(mask, prg_words(seed, n_words), strict=True)]
    return mask


def mask_words(
    sk: int,
    my_index: int,
    neighbors: Sequence[tuple[int, Point]],
    task: int,
    round_index: int,
    chunk: int,
    n_words: int,
) -> list[int]:
    """My mask of one chunk: ``m_w = Σ_j sign(i, j) · PRG(s_ij, w) mod p``.

    Parameters
    ----------
    sk : int
        My secret key.
    my_index : int
        My member index.
    neighbors : Sequence[tuple[int, Point]]
        ``(index, public key)`` of each neighbour.
    task, round_index, chunk : int
        Task id, round number, chunk number.
    n_words : int
        Words per chunk (``W``).

    Returns
    -------
    list[int]
        The ``n_words`` mask words.

    Raises
    ------
    ConfigurationError
        If an index repeats or is my own.
    CryptoError
        If a key or context value is malformed.
    """
    seeds = pair_seeds(sk, my_index, neighbors, task, round_index, chunk)
    return masks_from_seeds(seeds, n_words)


def apply_mask(words: Sequence[int], mask: Sequence[int]) -> list[int]:
    """Mask packed words: ``y_w = word_w + m_w mod p``.

    Raises
    ------
    CryptoError
        If the lengths differ or a value is not a field element.
    """
    if len(words) != len(mask):
        raise CryptoError(f"{len(words)} words cannot take a mask of {len(mask)} words.")
    return [
        (check_element(w, "packed word") + check_element(m, "mask word")) % P
        for w, m in zip(words, mask, strict=True)
    ]


def remove_masks(accumulator: Sequence[int], revealed: Iterable[SignedSeed]) -> list[int]:
    """Subtract the masks left in an accumulator by members whose neighbours dropped out.

    For each contributor ``i`` and dropped neighbour ``j``, ``i`` reveals ``s_ij``; the
    accumulator still holds ``sign(i, j) · PRG(s_ij, ·)``, which this removes.

    Parameters
    ----------
    accumulator : Sequence[int]
        ``Σ y`` over the contributors of one chunk, mod ``p``.
    revealed : Iterable[SignedSeed]
        ``(s_ij, neighbor_sign(i, j))`` for every revealed seed.

    Returns
    -------
    list[int]
        The accumulator without those masks: the sum of the contributors' packed words when
        every surviving-to-dropped pair was revealed.

    Raises
    ------
    CryptoError
        If a value is not a field element or a sign is not +1 or -1.
    """
    for value in accumulator:
        check_element(value, "accumulator word")
    residue = masks_from_seeds(revealed, len(accumulator))
    return [(a - r) % P for a, r in zip(accumulator, residue, strict=True)]
