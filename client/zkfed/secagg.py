"""One round of secure aggregation, member side and finaliser side, independent of the chain.

A member turns its update into masked chunks with the circuit inputs that prove them
(:func:`mask_update`); after the deadline, contributors reveal, with proofs, the masks they
shared with dropped neighbours (:func:`required_reveals`, :func:`mask_reveal_inputs`), and the
contract removes them from its accumulators; each sealed aggregate is then the exact packed sum,
which :func:`aggregate_chunk` turns into the chunk's mean. Every step follows
circuits/README.md.

When a task escrows (:func:`escrow_on`: three or more active slots), each chunk also carries its
seeds, additively shared among the member's other active neighbours and encrypted to each with a
pad of their pair secret (:func:`chunk_escrow`). If a contributor does not remove its mask with
a dropped neighbour, the other holders open their pads (:func:`escrow_pad_inputs`), the
contract sums the shares (:func:`share_of`) into the seed, and anyone removes the mask with a
`SeedMask` proof (:func:`seed_mask_inputs`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from zkfed.babyjubjub import Point, ecdh_x, public_key
from zkfed.exceptions import ConfigurationError
from zkfed.field import P, check_element
from zkfed.masking import (
    apply_mask,
    escrow_entries,
    escrow_holders,
    escrow_index,
    escrow_tag,
    masks_from_seeds,
    neighbor_sign,
    ring_slots,
    slots_word,
)
from zkfed.packing import pack_chunk, unpack_chunk
from zkfed.prg import derive_seed, escrow_pad, escrow_share, pair_commitment, prg_words
from zkfed.quantize import Packing, dequantize, quantize, squared_norm_bound

FloatArray = npt.NDArray[np.float64]
CircuitInputs = dict[str, int | list[int] | list[list[int]]]


@dataclass(frozen=True)
class SecaggTask:
    """What a task fixes for secure aggregation.

    Attributes
    ----------
    task_id
        The task's id on the aggregator.
    packing
        The circuit variant's packing (W, L, B, R, S).
    n_params
        Length of the flattened model.
    neighbors
        Neighbour slots per member (K of the circuit variant); with ``K`` or fewer members
        some slots are inactive and the active ones make the complete graph.
    bound
        The public bound on Σq² of one chunk (squared quantised units), as the task records it.
    members
        Members' BabyJubJub public keys, in task order.
    t_min
        Fewest contributors a chunk needs to be aggregated.
    domain
        The task's domain D (``taskDomain`` on the aggregator: chain id, contract and task id
        hashed into the field), the `task` input of every proof, so the same keys give other
        secrets in another task, contract or chain. Tasks read from the chain always carry it;
        left out (off-chain use only) it is the task id.
    ring
        The member index at each ring position, as the aggregator drew it from chain randomness
        after the task was created (``drawGraph``, circuits/README.md "Mask"); neighbour slots
        are ring offsets from a member's position. Left out (off-chain use only) the ring is the
        task order.
    """

    task_id: int
    packing: Packing
    n_params: int
    neighbors: int
    bound: int
    members: tuple[Point, ...]
    t_min: int = 3
    domain: int | None = None
    ring: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if len(self.members) < 3:
            raise ConfigurationError(
                f"a secure-aggregation task needs at least 3 members, not {len(self.members)}."
            )
        if len(self.members) > self.packing.max_members:
            raise ConfigurationError(
                f"the packing has headroom for {self.packing.max_members} members, "
                f"not {len(self.members)}."
            )
        if self.t_min < 3:
            raise ConfigurationError("t_min must be at least 3 so no sum reveals a pair.")
        if len(set(self.members)) != len(self.members):
            # Equal keys make equal pair secrets, and equal secrets with opposite signs cancel
            # a member's masks (the copied-key attack): never mask against such a task.
            raise ConfigurationError("two members of the task registered the same public key.")
        if self.ring is not None and sorted(self.ring) != list(range(len(self.members))):
            raise ConfigurationError("the task's ring is not an order of its members.")

    @property
    def seed_domain(self) -> int:
        """The `task` input of the task's proofs: its domain D (the task id off-chain)."""
        return self.task_id if self.domain is None else self.domain

    @property
    def active_slots(self) -> int:
        """Active neighbour slots of every member: ``min(K, n - 1)``."""
        return min(self.neighbors, len(self.members) - 1)

    @property
    def escrows(self) -> bool:
        """Whether chunks escrow their seeds: with three or more active slots, so every seed
        has at least two holders and no single one can decrypt it (bit 2K of `slots`)."""
        return self.active_slots >= 3

    @property
    def n_chunks(self) -> int:
        """Number of chunks (one proof each) of an update."""
        return self.packing.n_chunks(self.n_params)

    @cached_property
    def clip_norm(self) -> float:
        """The largest per-chunk L2 clipping norm (real units) whose chunks always meet `bound`.

        Inverts :func:`zkfed.quantize.squared_norm_bound`, then steps down until the honest
        worst case provably fits.
        """
        root = math.sqrt(max(self.bound - 1, 0)) - math.sqrt(self.packing.params_per_chunk)
        norm = root / self.packing.scale
        if norm <= 0:
            raise ConfigurationError(
                f"the bound {self.bound} leaves no room for any update of this packing."
            )
        while squared_norm_bound(norm, self.packing) > self.bound:
            norm = math.nextafter(norm, 0.0)
        return norm

    @cached_property
    def _positions(self) -> list[int]:
        order = self.ring if self.ring is not None else range(len(self.members))
        positions = [0] * len(self.members)
        for position, member in enumerate(order):
            positions[member] = position
        return positions

    def slots(self, member: int) -> list[int | None]:
        """`member`'s neighbour slots in public-input order: a member index, None if inactive."""
        n = len(self.members)
        if not 0 <= member < n:
            raise ConfigurationError(f"Member index {member} is not in [0, {n}).")
        around = ring_slots(n, self.neighbors, self._positions[member])
        if self.ring is None:
            return around
        return [None if p is None else self.ring[p] for p in around]

    def neighbor_indices(self, member: int) -> list[int]:
        """Member indices of `member`'s distinct neighbours (its active slots), in slot order."""
        return [j for j in self.slots(member) if j is not None]

    def pair_secrets(self, member: int, sk: int) -> list[int]:
        """ECDH pair secret of each of `member`'s slots (0 for an inactive slot)."""
        return [0 if j is None else ecdh_x(sk, self.members[j]) for j in self.slots(member)]

    def pair_commitments(self, member: int, sk: int) -> list[int]:
        """The commitments `member` posts when it joins, one per slot (0 for an inactive slot),
        as the contract returns them from ``pairCommitments``."""
        return self.commitments_of(member, self.pair_secrets(member, sk))

    def commitments_of(self, member: int, secrets: Sequence[int]) -> list[int]:
        """The commitment of each of `member`'s slot secrets (0 for an inactive slot)."""
        return [
            0 if j is None else pair_commitment(secret, self.seed_domain)
            for j, secret in zip(self.slots(member), secrets, strict=True)
        ]


def escrow_on(task: SecaggTask) -> bool:
    """Whether the task's chunks escrow their seeds (:attr:`SecaggTask.escrows`)."""
    return task.escrows


@dataclass(frozen=True)
class MaskedChunk:
    """One chunk ready to submit: the masked words, the escrow entries (``K·(K-1)``, all 0 when
    the task does not escrow) and the inputs that prove them."""

    chunk: int
    words: list[int]
    escrow: list[int]
    inputs: CircuitInputs


def join_inputs(task: SecaggTask, member: int, sk: int) -> list[tuple[int, CircuitInputs]]:
    """The commitment and `PairCommit` circuit inputs of each active slot, in slot order."""
    pk = public_key(sk)
    joined: list[tuple[int, CircuitInputs]] = []
    for j, commitment in zip(task.slots(member), task.pair_commitments(member, sk), strict=True):
        if j is None:
            continue
        neighbor = task.members[j]
        inputs: CircuitInputs = {
            "task": task.seed_domain,
            "pk": [pk[0], pk[1]],
            "neighbor": [neighbor[0], neighbor[1]],
            "commitment": commitment,
            "sk": sk,
        }
        joined.append((commitment, inputs))
    return joined


def chunk_inputs(
    task: SecaggTask,
    round_index: int,
    chunk: int,
    member: int,
    sk: int,
    q: npt.ArrayLike,
    secrets: Sequence[int] | None = None,
) -> MaskedChunk:
    """Mask one chunk of quantised values, escrow its seeds when the task does, and build the
    `MaskedUpdate` circuit inputs.

    `secrets` are the slots' pair secrets (:meth:`SecaggTask.pair_secrets`), computed here when
    not given.
    """
    slots = task.slots(member)
    secrets = list(secrets) if secrets is not None else task.pair_secrets(member, sk)
    words = pack_chunk(q, task.packing)
    signed = [
        (derive_seed(secret, task.seed_domain, round_index, chunk), neighbor_sign(member, j))
        for j, secret in zip(slots, secrets, strict=True)
        if j is not None
    ]
    y = apply_mask(words, masks_from_seeds(signed, len(words)))
    escrow, shares = chunk_escrow(task, round_index, chunk, member, secrets)
    inputs: CircuitInputs = {
        "task": task.seed_domain,
        "round": round_index,
        "chunk": chunk,
        "commitments": task.commitments_of(member, secrets),
        "slots": slots_word(member, slots, escrow=task.escrows),
        "bound": task.bound,
        "y": y,
        "escrow": escrow,
        "secrets": secrets,
        "q": [int(v) for v in np.asarray(q, dtype=np.int64)],
        "shares": shares,
    }
    return MaskedChunk(chunk, y, escrow, inputs)


def chunk_escrow(
    task: SecaggTask, round_index: int, chunk: int, member: int, secrets: Sequence[int]
) -> tuple[list[int], list[int]]:
    """The public escrow entries and private shares of `member`'s chunk, ``K·(K-1)`` each.

    For every active seed slot j, when the task escrows: the holders are the other active slots
    in slot order; each but the last gets ``Poseidon6(secret_j, D, round, chunk, j, h)``, the
    last ``seed_j - Σ others``; entry ``e(j, h)`` is ``share + Poseidon5(secret_h, D, round,
    chunk, tag(j, h))``. Every other entry and share is 0.

    Parameters
    ----------
    secrets
        The pair secret of each of `member`'s slots (:meth:`SecaggTask.pair_secrets`).

    Returns
    -------
    tuple[list[int], list[int]]
        ``(escrow, shares)`` in entry order ``e(j, h)`` (:func:`zkfed.masking.escrow_index`).
    """
    k = task.neighbors
    slots = task.slots(member)
    if len(secrets) != k:
        raise ConfigurationError(f"{len(secrets)} pair secrets given for {k} slots.")
    escrow = [0] * escrow_entries(k)
    shares = [0] * escrow_entries(k)
    if not task.escrows:
        return escrow, shares
    domain = task.seed_domain
    for j, secret in enumerate(secrets):
        if slots[j] is None:
            continue
        holders = escrow_holders(slots, j)
        seed = derive_seed(secret, domain, round_index, chunk)
        dealt = 0
        for h in holders[:-1]:
            share = escrow_share(secret, domain, round_index, chunk, j, h)
            shares[escrow_index(j, h, k)] = share
            dealt += share
        shares[escrow_index(j, holders[-1], k)] = (seed - dealt) % P
        for h in holders:
            e = escrow_index(j, h, k)
            tag = escrow_tag(j, h, k, _sign_bit(member, slots[h]))
            escrow[e] = (shares[e] + escrow_pad(secrets[h], domain, round_index, chunk, tag)) % P
    return escrow, shares


def _sign_bit(owner: int, holder: int | None) -> int:
    assert holder is not None
    return 1 if owner < holder else 0


def mask_update(
    task: SecaggTask,
    round_index: int,
    member: int,
    sk: int,
    update: npt.ArrayLike,
    rng: np.random.Generator,
) -> list[MaskedChunk]:
    """Clip, quantise, pack and mask a member's whole update, one entry per chunk."""
    vector = np.asarray(update, dtype=np.float64)
    if vector.shape != (task.n_params,):
        raise ConfigurationError(
            f"the update has shape {vector.shape}; the task's model has {task.n_params} parameters."
        )
    per_chunk = task.packing.params_per_chunk
    padded = np.zeros(task.n_chunks * per_chunk, dtype=np.int64)
    padded[: task.n_params] = quantize(vector, task.packing, rng, task.clip_norm)
    secrets = task.pair_secrets(member, sk)
    return [
        chunk_inputs(
            task,
            round_index,
            c,
            member,
            sk,
            padded[c * per_chunk : (c + 1) * per_chunk],
            secrets,
        )
        for c in range(task.n_chunks)
    ]


def required_reveals(task: SecaggTask, contributors: set[int]) -> list[tuple[int, int]]:
    """(contributor i, dropped neighbour j) pairs whose seeds must be revealed for a chunk."""
    return [
        (i, j)
        for i in sorted(contributors)
        for j in task.neighbor_indices(i)
        if j not in contributors
    ]


def mask_reveal_inputs(
    task: SecaggTask, round_index: int, chunk: int, sk: int, dropped: int
) -> tuple[list[int], CircuitInputs]:
    """The mask `sk`'s member shares with a dropped neighbour for one chunk, and the
    `MaskReveal` inputs proving it: the mask words are the PRG stream of the pair's seed, whose
    secret opens the commitment posted for that neighbour at joining."""
    secret = ecdh_x(sk, task.members[dropped])
    seed = derive_seed(secret, task.seed_domain, round_index, chunk)
    masks = prg_words(seed, task.packing.words)
    inputs: CircuitInputs = {
        "task": task.seed_domain,
        "round": round_index,
        "chunk": chunk,
        "commitment": pair_commitment(secret, task.seed_domain),
        "mask": masks,
        "secret": secret,
    }
    return masks, inputs


def escrow_slots(task: SecaggTask, owner: int, dropped: int, holder: int) -> tuple[int, int]:
    """(j, h): the slots of `dropped` and of `holder` in `owner`'s view, as the contract finds
    them for ``revealShare``.

    Raises
    ------
    ConfigurationError
        If the task does not escrow, or `dropped` and `holder` are not two distinct active slots
        of `owner`.
    """
    if not task.escrows:
        raise ConfigurationError("the task does not escrow seeds (fewer than 3 active slots).")
    slots = task.slots(owner)
    if dropped not in slots or holder not in slots or dropped == holder:
        raise ConfigurationError(
            f"members {dropped} and {holder} are not two neighbours of member {owner}."
        )
    return slots.index(dropped), slots.index(holder)


def share_holders(task: SecaggTask, owner: int, dropped: int) -> list[int]:
    """Member indices holding a share of the seed `owner` shares with `dropped`: `owner`'s other
    active neighbours, in slot order."""
    slots = task.slots(owner)
    if dropped not in slots:
        raise ConfigurationError(f"member {dropped} is not a neighbour of member {owner}.")
    return [j for j in slots if j is not None and j != dropped]


def escrow_pad_inputs(
    task: SecaggTask,
    round_index: int,
    chunk: int,
    sk: int,
    holder: int,
    owner: int,
    dropped: int,
) -> tuple[int, CircuitInputs]:
    """The pad of `owner`'s escrow entry e(j, h) for one chunk, j the slot of `dropped` and h
    that of `holder` in `owner`'s view, and the `EscrowPad` inputs proving it.

    `sk` is the holder's secret key (the owner's works too: both know the pair secret). The
    public `commitment` is the owner's commitment of slot h, `tag` is
    ``escrow_tag(j, h, K, owner < holder)``; the entry's share is ``share_of(escrow[e], pad)``.

    Raises
    ------
    ConfigurationError
        If `sk` is neither the owner's nor the holder's key, or the slots are not escrowed.
    """
    j, h = escrow_slots(task, owner, dropped, holder)
    mine = public_key(sk)
    if mine == task.members[holder]:
        secret = ecdh_x(sk, task.members[owner])
    elif mine == task.members[owner]:
        secret = ecdh_x(sk, task.members[holder])
    else:
        raise ConfigurationError(
            f"the key is neither member {owner}'s nor member {holder}'s; no other can open the pad."
        )
    domain = task.seed_domain
    tag = escrow_tag(j, h, task.neighbors, _sign_bit(owner, holder))
    pad = escrow_pad(secret, domain, round_index, chunk, tag)
    inputs: CircuitInputs = {
        "task": domain,
        "round": round_index,
        "chunk": chunk,
        "commitment": pair_commitment(secret, domain),
        "tag": tag,
        "pad": pad,
        "secret": secret,
    }
    return pad, inputs


def share_of(ciphertext: int, pad: int) -> int:
    """The share in an escrow entry: ``(ciphertext - pad) mod p``, as ``revealShare`` adds it."""
    return (check_element(ciphertext, "escrow entry") - check_element(pad, "pad")) % P


def recovered_seed(shares: Sequence[int]) -> int:
    """The seed the holders' revealed shares sum to (mod p)."""
    return sum(check_element(s, "share") for s in shares) % P


def seed_mask_inputs(seed: int, words: int) -> tuple[list[int], CircuitInputs]:
    """The first `words` mask words of a recovered seed, ``PRG(seed, 0..words-1)`` (the words
    ``recoverMask`` removes), and the `SeedMask` inputs proving them."""
    masks = prg_words(check_element(seed, "seed"), words)
    return masks, {"seed": seed, "mask": masks}


def aggregate_chunk(task: SecaggTask, words: Sequence[int], count: int) -> FloatArray:
    """The mean update of one chunk from its exact packed sum over `count` contributors (the
    words a sealed `ChunkAggregated` carries: every mask already removed on-chain)."""
    sums = unpack_chunk(words, task.packing, n_contributors=count)
    mean: FloatArray = dequantize(sums, task.packing) / count
    return mean


def apply_round(
    task: SecaggTask, weights: npt.ArrayLike, chunk_means: Sequence[FloatArray | None]
) -> FloatArray:
    """w_{r+1} = w_r + mean, chunk by chunk; void chunks keep their weights."""
    new = np.array(weights, dtype=np.float64, copy=True)
    per_chunk = task.packing.params_per_chunk
    for c, mean in enumerate(chunk_means):
        if mean is None:
            continue
        start = c * per_chunk
        stop = min(start + per_chunk, task.n_params)
        new[start:stop] += mean[: stop - start]
    return new
