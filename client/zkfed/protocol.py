"""A secure-aggregation round end to end: chain (ape) + storage (IPFS) + proofs (snarkjs).

Each function is one party's step of circuits/README.md and DESIGN §3: a member submits its
masked, proven chunks; after the deadline contributors reveal the seeds of dropped neighbours;
anyone finalises; anyone verifies a finished round from chain + storage alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from zkfed.babyjubjub import ecdh_x, public_key
from zkfed.chain import ChunkStatus, Zkfed
from zkfed.circuits import PAIR_COMMIT, Circuit, load_circuit
from zkfed.exceptions import ConfigurationError, CorruptContentError, ZkfedError
from zkfed.field import P
from zkfed.models import weights_from_bytes, weights_to_bytes
from zkfed.prg import derive_seed, pair_commitment
from zkfed.proving import Prover, prove_all
from zkfed.secagg import (
    SecaggTask,
    aggregate_chunk,
    apply_round,
    join_inputs,
    mask_update,
    required_reveals,
)
from zkfed.storage import ContentStore

FloatArray = npt.NDArray[np.float64]
Progress = Callable[[str, int, int], None]
"""Called as progress(stage, done, total) during long steps."""


def _quiet(stage: str, done: int, total: int) -> None:
    del stage, done, total


def _gas(receipt: Any) -> int:
    return int(getattr(receipt, "gas_used", 0) or 0)


def model_hash(data: bytes) -> bytes:
    """The on-chain hash of a stored model: sha256 of its bytes."""
    return hashlib.sha256(data).digest()


def store_model(store: ContentStore, weights: npt.ArrayLike) -> tuple[str, bytes]:
    """Put a weight vector on the store; returns (CID, hash) for the chain."""
    data = weights_to_bytes(np.asarray(weights, dtype=np.float64))
    return store.add(data), model_hash(data)


def fetch_model(store: ContentStore, cid: str, expected_hash: bytes) -> FloatArray:
    """Get a weight vector from the store and check it against the hash recorded on-chain."""
    data = store.get(cid)
    if model_hash(data) != expected_hash:
        raise CorruptContentError(f"the model {cid} does not match the hash recorded on-chain.")
    return weights_from_bytes(data)


@dataclass
class SubmitReport:
    """What a member's submission cost."""

    chunks: int = 0
    gas: int = 0
    prove_seconds: float = 0.0


def submit_update(
    zk: Zkfed,
    prover: Prover,
    circuit: Circuit,
    account: Any,
    sk: int,
    task: SecaggTask,
    round_index: int,
    update: npt.ArrayLike,
    rng: np.random.Generator,
    progress: Progress = _quiet,
) -> SubmitReport:
    """Quantise, mask, prove and submit a member's update, skipping chunks already on-chain.

    `rng` drives the stochastic rounding: a re-run with the same seed rebuilds identical chunks.
    A member that has not joined the task yet joins first (:func:`join_task`); the report then
    includes that once-per-task cost. With a `ProverPool` the chunks are proved in parallel and
    each is submitted as soon as it and those before it are proved.
    """
    member = zk.member_index(task.task_id, account)
    todo = set(pending_chunks(zk, task, round_index, member))
    chunks = [c for c in mask_update(task, round_index, member, sk, update, rng) if c.chunk in todo]
    report = SubmitReport()
    if chunks and not zk.has_joined(task.task_id, account):
        pair_circuit = load_circuit(PAIR_COMMIT, circuit.root)
        joined = join_task(zk, prover, pair_circuit, account, sk, task, progress)
        report.gas, report.prove_seconds = joined.gas, joined.prove_seconds
    results = prove_all(prover, circuit.wasm, circuit.zkey, [c.inputs for c in chunks])
    for done, masked in enumerate(chunks):
        progress("prove", done, len(chunks))
        result = next(results)
        report.prove_seconds += result.seconds
        progress("submit", done, len(chunks))
        receipt = zk.submit_chunk(
            account, task.task_id, round_index, masked.chunk, masked.words, result.proof
        )
        report.gas += _gas(receipt)
        report.chunks += 1
    progress("submit", len(chunks), len(chunks))
    return report


def pending_chunks(zk: Zkfed, task: SecaggTask, round_index: int, member: int) -> list[int]:
    """Chunks of a round the chain does not hold yet from a member (a re-run sends only these)."""
    return [
        c
        for c in range(task.n_chunks)
        if member not in zk.contributors(task.task_id, round_index, c)
    ]


def pending_reveals(
    zk: Zkfed, task: SecaggTask, round_index: int, member: int
) -> list[tuple[int, int]]:
    """(chunk, dropped neighbour) seeds a member still has to reveal for a round: for chunks it
    contributed to that reached t_min, neighbours that did not contribute, not yet revealed."""
    todo = []
    for chunk in range(task.n_chunks):
        contributors = zk.contributors(task.task_id, round_index, chunk)
        if member not in contributors or len(contributors) < task.t_min:
            continue
        revealed = zk.revealed_seeds(task, round_index, chunk, contributors)
        todo += [
            (chunk, j)
            for i, j in required_reveals(task, contributors)
            if i == member and (i, j) not in revealed
        ]
    return todo


def seed_reveal_inputs(
    task: SecaggTask, round_index: int, chunk: int, sk: int, dropped: int
) -> tuple[int, dict[str, int | list[int]]]:
    """The seed shared with a dropped neighbour and the `SeedReveal` inputs proving it: the
    seed and the commitment posted for that neighbour at joining open the same pair secret."""
    secret = ecdh_x(sk, task.members[dropped])
    seed = derive_seed(secret, task.task_id, round_index, chunk)
    inputs: dict[str, int | list[int]] = {
        "task": task.task_id,
        "round": round_index,
        "chunk": chunk,
        "commitment": pair_commitment(secret, task.task_id),
        "seed": seed,
        "secret": secret,
    }
    return seed, inputs


def join_task(
    zk: Zkfed,
    prover: Prover,
    pair_circuit: Circuit,
    account: Any,
    sk: int,
    task: SecaggTask,
    progress: Progress = _quiet,
) -> SubmitReport:
    """Post a member's pair commitments for a task, once, with one `PairCommit` proof each.

    Does nothing when the member has already joined; refuses a key that is not the one the
    member registered (its commitments could never be proven).
    """
    member = zk.member_index(task.task_id, account)
    report = SubmitReport()
    if zk.has_joined(task.task_id, account):
        return report
    if public_key(sk) != task.members[member]:
        raise ConfigurationError(
            "the secret key does not belong to the public key this member registered."
        )
    pairs = join_inputs(task, member, sk)
    proofs = []
    for done, (_, inputs) in enumerate(pairs):
        progress("join", done, len(pairs))
        result = prover.prove(pair_circuit.wasm, pair_circuit.zkey, inputs)
        report.prove_seconds += result.seconds
        proofs.append(result.proof)
    receipt = zk.join_task(account, task.task_id, [c for c, _ in pairs], proofs)
    progress("join", len(pairs), len(pairs))
    report.gas += _gas(receipt)
    report.chunks = len(pairs)
    return report


def reveal_for_dropouts(
    zk: Zkfed,
    prover: Prover,
    seed_circuit: Circuit,
    account: Any,
    sk: int,
    task: SecaggTask,
    round_index: int,
    progress: Progress = _quiet,
) -> SubmitReport:
    """Reveal, with proofs, the seeds this member still owes for neighbours that dropped."""
    todo = pending_reveals(zk, task, round_index, zk.member_index(task.task_id, account))
    members = zk.task_members(task.task_id)
    report = SubmitReport()
    for done, (chunk, dropped) in enumerate(todo):
        progress("reveal", done, len(todo))
        seed, inputs = seed_reveal_inputs(task, round_index, chunk, sk, dropped)
        result = prover.prove(seed_circuit.wasm, seed_circuit.zkey, inputs)
        report.prove_seconds += result.seconds
        receipt = zk.reveal_seed(
            account, task.task_id, round_index, chunk, members[dropped], seed, result.proof
        )
        report.gas += _gas(receipt)
        report.chunks += 1
    progress("reveal", len(todo), len(todo))
    return report


@dataclass
class RoundResult:
    """The new global model of a round and how it was made."""

    weights: FloatArray
    cid: str
    model_hash: bytes
    aggregated_chunks: list[int] = field(default_factory=list)
    void_chunks: list[int] = field(default_factory=list)
    contributors: dict[int, set[int]] = field(default_factory=dict)


def _submitted_words(zk: Zkfed, task: SecaggTask, round_index: int, chunk: int) -> list[int]:
    """Σ of a chunk's submitted words mod p, from the chain.

    The accumulator slot is reused by later rounds; once it is, the words come from the
    calldata of the round's `submitChunk` transactions (the chain keeps them forever).
    """
    try:
        return zk.accumulator(task.task_id, round_index, chunk)
    except Exception as error:  # ape raises the contract's custom error as its own type
        if "AccumulatorOverwritten" not in type(error).__name__ + str(error):
            raise
    total = [0] * task.packing.words
    for words in zk.submitted_chunks(task.task_id, round_index, chunk):
        total = [(t + w) % P for t, w in zip(total, words, strict=True)]
    return total


def compute_round(
    zk: Zkfed, store: ContentStore, task: SecaggTask, round_index: int
) -> tuple[FloatArray, list[int], list[int], dict[int, set[int]]]:
    """The round's new weights from chain + storage: the deterministic rule every finaliser and
    verifier applies. Returns (weights, aggregated chunks, void chunks, contributors)."""
    cid, digest = zk.global_model(task.task_id, round_index)
    old = fetch_model(store, cid, digest)
    means: list[FloatArray | None] = []
    aggregated: list[int] = []
    void: list[int] = []
    contributors: dict[int, set[int]] = {}
    for chunk in range(task.n_chunks):
        who = zk.contributors(task.task_id, round_index, chunk)
        contributors[chunk] = who
        mean = None
        if zk.chunk_status(task.task_id, round_index, chunk) == ChunkStatus.RECOVERABLE:
            seeds = zk.revealed_seeds(task, round_index, chunk, who)
            accumulator = _submitted_words(zk, task, round_index, chunk)
            mean = aggregate_chunk(task, accumulator, who, seeds)
        (aggregated if mean is not None else void).append(chunk)
        means.append(mean)
    return apply_round(task, old, means), aggregated, void, contributors


def finalize(
    zk: Zkfed, store: ContentStore, account: Any, task: SecaggTask, round_index: int
) -> tuple[RoundResult, int]:
    """Unmask, average, store the new model and record it on-chain; returns (result, gas)."""
    weights, aggregated, void, contributors = compute_round(zk, store, task, round_index)
    cid, digest = store_model(store, weights)
    receipt = zk.finalize_round(account, task.task_id, round_index, cid, digest)
    return RoundResult(weights, cid, digest, aggregated, void, contributors), _gas(receipt)


@dataclass(frozen=True)
class Verdict:
    """Outcome of verify-round: MATCH, or the first difference found."""

    match: bool
    detail: str

    def __str__(self) -> str:
        return "MATCH" if self.match else self.detail


def verify_round(zk: Zkfed, store: ContentStore, task_id: int, round_index: int) -> Verdict:
    """Recompute a finalized round from chain + storage and compare with what was recorded."""
    task = zk.secagg_task(task_id)
    state = zk.round_state(task_id, round_index)
    if not state.model_cid:
        return Verdict(False, f"round {round_index} of task {task_id} has no recorded model.")
    try:
        weights, *_ = compute_round(zk, store, task, round_index)
        recorded = fetch_model(store, state.model_cid, state.model_hash)
    except ZkfedError as error:
        return Verdict(False, str(error))
    cid, digest = store_model(store, weights)
    if digest == state.model_hash and cid == state.model_cid:
        return Verdict(True, "MATCH")
    if recorded.shape != weights.shape:
        return Verdict(
            False, f"the recorded model has {recorded.size} parameters, not {weights.size}."
        )
    differs = np.flatnonzero(recorded != weights)
    first = int(differs[0]) if differs.size else -1
    return Verdict(
        False,
        f"parameter {first} (chunk {first // task.packing.params_per_chunk}) differs: recomputed "
        f"{weights[first]!r}, recorded {recorded[first]!r} ({differs.size} differ in all).",
    )


# --- CKKS mode (DESIGN §4) ---------------------------------------------------------------------


def ckks_aggregate(
    zk: Zkfed, store: ContentStore, context: Any, task_id: int, round_index: int
) -> bytes:
    """The deterministic sum of a round's recorded ciphertexts, each checked against its sha256."""
    updates = []
    for index, (cid, digest) in sorted(zk.ciphertexts(task_id, round_index).items()):
        data = store.get(cid)
        if hashlib.sha256(data).digest() != digest:
            raise CorruptContentError(f"member {index}'s ciphertext {cid} does not match its hash.")
        updates.append(data)
    aggregate: bytes = context.aggregate(updates)
    return aggregate


def verify_ckks_round(
    zk: Zkfed, store: ContentStore, context: Any, task_id: int, round_index: int
) -> Verdict:
    """Re-sum a CKKS round's ciphertexts and compare with the posted aggregate and model.

    The decryption itself is the key holder's; what anyone can check is that the posted
    aggregate is exactly the sum of the recorded ciphertexts and the model is what was recorded.
    """
    state = zk.round_state(task_id, round_index)
    posted_cid, posted_digest = zk.aggregate(task_id, round_index)
    try:
        recomputed = ckks_aggregate(zk, store, context, task_id, round_index)
        fetch_model(store, state.model_cid, state.model_hash)
    except ZkfedError as error:
        return Verdict(False, str(error))
    if hashlib.sha256(recomputed).digest() != posted_digest:
        return Verdict(
            False, f"the posted aggregate {posted_cid} is not the sum of the ciphertexts."
        )
    return Verdict(True, "MATCH")
