"""One round of secure aggregation, member side and finaliser side, independent of the chain.

A member turns its update into masked chunks with the circuit inputs that prove them
(:func:`mask_update`); after the deadline, contributors reveal the seeds they shared with dropped
neighbours (:func:`required_reveals`); anyone then removes those masks from the on-chain
accumulators and averages (:func:`aggregate_chunk`). Every step follows circuits/README.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from zkfed.babyjubjub import Point, ecdh_x, public_key
from zkfed.exceptions import ConfigurationError
from zkfed.masking import (
    SignedSeed,
    apply_mask,
    masks_from_seeds,
    neighbor_sign,
    remove_masks,
    ring_slots,
    slots_word,
)
from zkfed.packing import pack_chunk, unpack_chunk
from zkfed.prg import derive_seed, pair_commitment, pair_seed
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
    """

    task_id: int
    packing: Packing
    n_params: int
    neighbors: int
    bound: int
    members: tuple[Point, ...]
    t_min: int = 3

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

    def slots(self, member: int) -> list[int | None]:
        """`member`'s neighbour slots in public-input order: a member index, None if inactive."""
        return ring_slots(len(self.members), self.neighbors, member)

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
            0 if j is None else pair_commitment(secret, self.task_id)
            for j, secret in zip(self.slots(member), secrets, strict=True)
        ]


@dataclass(frozen=True)
class MaskedChunk:
    """One chunk ready to submit: the masked words and the inputs that prove them."""

    chunk: int
    words: list[int]
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
            "task": task.task_id,
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
    """Mask one chunk of quantised values and build the `MaskedUpdate` circuit inputs.

    `secrets` are the slots' pair secrets (:meth:`SecaggTask.pair_secrets`), computed here when
    not given.
    """
    slots = task.slots(member)
    secrets = list(secrets) if secrets is not None else task.pair_secrets(member, sk)
    words = pack_chunk(q, task.packing)
    signed = [
        (derive_seed(secret, task.task_id, round_index, chunk), neighbor_sign(member, j))
        for j, secret in zip(slots, secrets, strict=True)
        if j is not None
    ]
    y = apply_mask(words, masks_from_seeds(signed, len(words)))
    inputs: CircuitInputs = {
        "task": task.task_id,
        "round": round_index,
        "chunk": chunk,
        "commitments": task.commitments_of(member, secrets),
        "slots": slots_word(member, slots),
        "bound": task.bound,
        "y": y,
        "secrets": secrets,
        "q": [int(v) for v in np.asarray(q, dtype=np.int64)],
    }
    return MaskedChunk(chunk, y, inputs)


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


def reveal_seed(task: SecaggTask, round_index: int, chunk: int, sk: int, dropped: int) -> int:
    """The seed I share with a dropped neighbour for one chunk."""
    return pair_seed(sk, task.members[dropped], task.task_id, round_index, chunk)


def aggregate_chunk(
    task: SecaggTask,
    accumulator: Sequence[int],
    contributors: set[int],
    revealed: Mapping[tuple[int, int], int],
) -> FloatArray | None:
    """The mean update of one chunk, or None when the chunk is void.

    Parameters
    ----------
    task
        The task.
    accumulator
        Σ y over the chunk's contributors, mod p, as the contract holds it.
    contributors
        Member indices that submitted the chunk.
    revealed
        Seed of each (contributor, dropped neighbour) pair.

    Returns
    -------
    numpy.ndarray or None
        The mean of the contributors' dequantised chunks, or None when fewer than `t_min`
        contributed or a required seed is missing (the chunk's weights then stay as they were).
    """
    if len(contributors) < task.t_min:
        return None
    needed = required_reveals(task, contributors)
    if any(pair not in revealed for pair in needed):
        return None
    signed: list[SignedSeed] = [(revealed[(i, j)], neighbor_sign(i, j)) for i, j in needed]
    words = remove_masks(accumulator, signed)
    sums = unpack_chunk(words, task.packing, n_contributors=len(contributors))
    mean: FloatArray = dequantize(sums, task.packing) / len(contributors)
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
