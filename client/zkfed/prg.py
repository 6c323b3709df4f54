"""Pair seeds and the sponge PRG that expands them into mask words (circuits/README.md).

Construction
------------
* Commitment to the pair secret for task ``t``, posted once when a member joins the task:
  ``c = Poseidon2(ECDH(sk_i, pk_j), t)`` — circomlib ``Poseidon(2)``, state width 3. Per-chunk
  proofs and mask reveals open it instead of redoing the ECDH.
* Seed of the pair (i, j) for task ``t``, round ``r``, chunk ``c``:
  ``s = Poseidon4(ECDH(sk_i, pk_j), t, r, c)`` — circomlib ``Poseidon(4)``, state width 5.
* Block ``b`` of seed ``s``: permute the width-17 state ``[0, s, b, 0, …, 0]`` (circomlib
  ``PoseidonEx(16, 17)``) and keep the 16 **rate** elements ``out[1..16]``.
* Mask word ``w``: ``PRG(s, w) = block(s, w div 16)[w mod 16]``.
* Seed escrow (circuits/README.md, "Seed escrow"): the pad of an escrow entry with tag ``g``,
  keyed by the pair secret of owner and holder, is ``Poseidon5(secret, t, r, c, g)`` (state
  width 6); the share a member deals to holder slot ``h`` of the seed of its slot ``j`` (every
  holder but the last) is ``Poseidon6(secret_j, t, r, c, j, h)`` (state width 7).

Why it is sound
---------------
This is a sponge with one 254-bit capacity element that absorbs a fresh ``(seed, counter)``
pair per block and squeezes rate elements only, so for anyone without ``s`` the words are
indistinguishable from uniform field elements (sponge indifferentiability, about 127-bit
security). The capacity output ``out[0]`` is never released: with the full state anyone could
run the invertible permutation backwards and read ``s`` off the input. The seed derivation
(width 5), the commitment (width 3) and the PRG (width 17) use different round constants, so
the three uses are separate domains, and so are the escrow pads (width 6) and shares (width 7).
Seeds differ per task, round and chunk, so revealing one chunk's seed to recover a dropped
member says nothing about any other chunk or round.
"""

from __future__ import annotations

from zkfed.babyjubjub import Point, ecdh_x
from zkfed.exceptions import CryptoError
from zkfed.field import check_element
from zkfed.poseidon import poseidon, poseidon_ex

__all__ = [
    "BLOCK_WORDS",
    "PRG_WIDTH",
    "derive_seed",
    "escrow_pad",
    "escrow_share",
    "pair_commitment",
    "pair_seed",
    "prg_block",
    "prg_words",
]

PRG_WIDTH: int = 17
"""State width of the PRG permutation (``PoseidonEx(16, 17)``)."""

BLOCK_WORDS: int = PRG_WIDTH - 1
"""Mask words per permutation: the rate elements, never the capacity element."""


def pair_commitment(shared_x: int, task: int) -> int:
    """Compute ``Poseidon2(shared_x, task)``, the commitment to a pair secret for one task.

    It is hiding (the secret is a uniformly random curve coordinate) and binding (Poseidon is
    collision resistant), and both members of a pair compute the same value.

    Raises
    ------
    CryptoError
        If an argument is not a field element.
    """
    return poseidon([check_element(shared_x, "shared secret"), check_element(task, "task id")])


def derive_seed(shared_x: int, task: int, round_index: int, chunk: int) -> int:
    """Compute ``Poseidon4(shared_x, task, round, chunk)``, the seed of one pair and chunk.

    Parameters
    ----------
    shared_x : int
        The pair secret ``ECDH(sk_i, pk_j)`` (see :func:`zkfed.babyjubjub.ecdh_x`).
    task, round_index, chunk : int
        Task id, round number and chunk number, each a field element.

    Returns
    -------
    int
        The seed.

    Raises
    ------
    CryptoError
        If an argument is not a field element.
    """
    return poseidon(
        [
            check_element(shared_x, "shared secret"),
            check_element(task, "task id"),
            check_element(round_index, "round number"),
            check_element(chunk, "chunk number"),
        ]
    )


def escrow_pad(shared_x: int, task: int, round_index: int, chunk: int, tag: int) -> int:
    """Compute ``Poseidon5(shared_x, task, round, chunk, tag)``, the one-time pad of one escrow
    entry (``SharePad`` in circuits/lib/escrow.circom).

    Parameters
    ----------
    shared_x : int
        The pair secret of the entry's owner and holder.
    task, round_index, chunk : int
        The task's domain, round number and chunk number.
    tag : int
        The entry's tag, ``1 + e + E·signBit`` (:func:`zkfed.masking.escrow_tag`).

    Returns
    -------
    int
        The pad; the entry is ``share + pad mod p``.

    Raises
    ------
    CryptoError
        If an argument is not a field element.
    """
    return poseidon(
        [
            check_element(shared_x, "shared secret"),
            check_element(task, "task id"),
            check_element(round_index, "round number"),
            check_element(chunk, "chunk number"),
            check_element(tag, "escrow tag"),
        ]
    )


def escrow_share(
    shared_x: int, task: int, round_index: int, chunk: int, seed_slot: int, holder_slot: int
) -> int:
    """Compute ``Poseidon6(shared_x, task, round, chunk, j, h)``, the share of the seed of slot
    ``j`` that a member deals to holder slot ``h`` (every holder but the last).

    The circuit does not constrain how shares are chosen, only that they sum to the seed; they
    are derived, not drawn, so a proof retried after a failure posts the same escrow. Anyone
    without the seed's pair secret sees them as uniform.

    Parameters
    ----------
    shared_x : int
        The pair secret of seed slot ``j`` (the seed's own secret, not the holder's).
    task, round_index, chunk : int
        The task's domain, round number and chunk number.
    seed_slot, holder_slot : int
        The slots ``j`` and ``h`` of the member's view.

    Raises
    ------
    CryptoError
        If an argument is not a field element.
    """
    return poseidon(
        [
            check_element(shared_x, "shared secret"),
            check_element(task, "task id"),
            check_element(round_index, "round number"),
            check_element(chunk, "chunk number"),
            check_element(seed_slot, "seed slot"),
            check_element(holder_slot, "holder slot"),
        ]
    )


def pair_seed(sk: int, pk: Point, task: int, round_index: int, chunk: int) -> int:
    """Compute the seed my secret key shares with a neighbour's public key.

    Parameters
    ----------
    sk : int
        My secret key in ``[1, l)``.
    pk : Point
        The neighbour's public key (checked to be in the prime subgroup).
    task, round_index, chunk : int
        Task id, round number and chunk number.

    Returns
    -------
    int
        ``derive_seed(ecdh_x(sk, pk), task, round_index, chunk)``; the neighbour computes the
        same value from its own secret key and my public key.

    Raises
    ------
    CryptoError
        If the key or an argument is malformed.
    """
    return derive_seed(ecdh_x(sk, pk), task, round_index, chunk)


def prg_block(seed: int, block: int) -> list[int]:
    """Return the 16 mask words of one block.

    Parameters
    ----------
    seed : int
        A pair seed.
    block : int
        The block counter, a field element.

    Returns
    -------
    list[int]
        Rate elements ``out[1..16]`` of the width-17 permutation of ``[0, seed, block, 0, …]``.

    Raises
    ------
    CryptoError
        If ``seed`` or ``block`` is not a field element.
    """
    inputs = [check_element(seed, "seed"), check_element(block, "block counter")]
    inputs += [0] * (BLOCK_WORDS - len(inputs))
    return poseidon_ex(inputs, init_state=0, n_out=PRG_WIDTH)[1:]


def prg_words(seed: int, n_words: int) -> list[int]:
    """Expand a seed into its first ``n_words`` mask words ``PRG(seed, 0..n_words-1)``.

    Parameters
    ----------
    seed : int
        A pair seed.
    n_words : int
        How many words, ``>= 0``.

    Returns
    -------
    list[int]
        ``[PRG(seed, w) for w in range(n_words)]`` with ``PRG(s, w) = block(s, w // 16)[w % 16]``.

    Raises
    ------
    CryptoError
        If ``seed`` is not a field element or ``n_words`` is negative.
    """
    if not isinstance(n_words, int) or n_words < 0:
        raise CryptoError(
            f"The number of mask words must be a non-negative integer, not {n_words!r}."
        )
    check_element(seed, "seed")
    words: list[int] = []
    for block in range(-(-n_words // BLOCK_WORDS)):
        words += prg_block(seed, block)
    return words[:n_words]
