"""A secure-aggregation round end to end: chain (ape) + storage (IPFS) + proofs.

Each function is one party's step of circuits/README.md: a member registers its key with a
proof of possession, joins a task, submits its masked, proven chunks; after the deadline
contributors remove, with proofs, the masks they share with dropped neighbours; anyone
finalizes, which seals every chunk's exact aggregate on-chain. Every global model is then a pure
function of the task's initial model and those aggregates (:func:`round_model`): members derive
it before they train, and a published model is only a convenience checked against it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from zkfed.babyjubjub import Point, public_key
from zkfed.chain import ChunkAggregate, CkksRound, RoundStatus, Zkfed
from zkfed.circuits import (
    ESCROW_PAD,
    KEY_POSSESSION,
    PAIR_COMMIT,
    Circuit,
    load_circuit,
    mask_reveal_circuit,
    seed_mask_circuit,
)
from zkfed.exceptions import (
    ChainError,
    CkksError,
    ConfigurationError,
    CorruptContentError,
    KeystoreError,
    StorageError,
    StorageUnavailableError,
    ZkfedError,
)
from zkfed.models import weights_from_bytes, weights_to_bytes
from zkfed.proving import Prover, prove_all
from zkfed.secagg import (
    SecaggTask,
    aggregate_chunk,
    apply_round,
    escrow_pad_inputs,
    join_inputs,
    mask_reveal_inputs,
    mask_update,
    required_reveals,
    seed_mask_inputs,
)
from zkfed.storage import ContentStore

if TYPE_CHECKING:  # tenseal is a heavy import that only CKKS tasks need
    from zkfed.ckks import KeyHolder, PublicContext

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


def register_key(
    zk: Zkfed, prover: Prover, account: Any, sk: int, circuit: Circuit | None = None
) -> Any:
    """Register a member's key with a `KeyPossession` proof bound to its account; returns the
    receipt. Refuses, before proving, a key another member already registered."""
    pk = public_key(sk)
    owner = zk.key_owner(pk)
    if owner is not None:
        raise ConfigurationError(f"this public key is already registered by {owner}.")
    circuit = circuit or load_circuit(KEY_POSSESSION)
    inputs: dict[str, int | list[int]] = {
        "pk": [pk[0], pk[1]],
        "binding": zk.key_binding(account),
        "sk": sk,
    }
    result = prover.prove(circuit.wasm, circuit.zkey, inputs)
    return zk.register_key(account, pk, result.proof)


def top_up_masking_keys(
    zk: Zkfed,
    prover: Callable[[], AbstractContextManager[Prover]],
    account: Any,
    keyring: Path,
    password: Callable[[], str],
    wanted: int,
    progress: Progress = _quiet,
) -> list[tuple[Point, Any]]:
    """Give a member at least `wanted` unused masking keys on-chain (each SecAgg task takes one
    and leaves out a member with none): first the keyring's keys that no one registered yet,
    then fresh keys added to the keyring. Returns each (key, receipt) registered.

    `prover` opens a prover and `password` reads the keyring's password; neither is called
    when nothing has to be registered. Refuses an account that is not a member, and a keyring
    key another account registered (it could never mask this member's updates).
    """
    from zkfed.keystore import add_key, load_public_keys, load_secret_key

    address = str(getattr(account, "address", account))
    if not bool(zk.governance.isMember(address)):
        raise ConfigurationError(
            f"{address} is not a member of the consortium; a membership proposal must pass "
            "before it can register keys."
        )
    pending: list[Point | None] = []
    for pk in load_public_keys(keyring):
        owner = zk.key_owner(pk)
        if owner is None:
            pending.append(pk)
        elif owner.lower() != address.lower():
            raise KeystoreError(
                f"the key ({pk[0]}, {pk[1]}) of the keystore {keyring} is registered by "
                f"{owner}, not by {address}."
            )
    pending += [None] * max(wanted - zk.unused_keys(address) - len(pending), 0)
    registered: list[tuple[Point, Any]] = []
    if not pending:
        return registered
    with prover() as open_prover:
        for done, key in enumerate(pending):
            progress("keys", done, len(pending))
            pk = key if key is not None else add_key(keyring, password())
            sk = load_secret_key(keyring, password(), pk)
            registered.append((pk, register_key(zk, open_prover, account, sk)))
    progress("keys", len(pending), len(pending))
    return registered


@dataclass
class SubmitReport:
    """What a member's submission cost: transactions (or items) sent, gas, and the wall-clock
    time spent waiting for proofs (proofs made at once by a `ProverPool` count once)."""

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
        # A `ProverPool` proves chunks at once: adding each proof's own time would count the
        # overlap twice, so the time spent waiting for the proofs is what is reported.
        waiting = time.perf_counter()
        result = next(results)
        report.prove_seconds += time.perf_counter() - waiting
        progress("submit", done, len(chunks))
        receipt = zk.submit_chunk(
            account,
            task.task_id,
            round_index,
            masked.chunk,
            masked.words,
            masked.escrow,
            result.proof,
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


def contributor_component(task: SecaggTask, contributors: set[int], member: int) -> set[int]:
    """The contributors of a chunk connected to `member` by neighbour pairs that both
    contributed: once the masks shared with dropped neighbours are removed, the public learns
    the sum of exactly this group (the masks inside it cancel, none reaches outside it)."""
    component, frontier = {member}, [member]
    while frontier:
        for j in task.neighbor_indices(frontier.pop()):
            if j in contributors and j not in component:
                component.add(j)
                frontier.append(j)
    return component


def isolated_chunks(zk: Zkfed, task: SecaggTask, round_index: int, member: int) -> list[int]:
    """Chunks a member contributed to whose component (:func:`contributor_component`) has fewer
    than t_min contributors: removing its masks there would publish a sum of fewer than t_min
    updates (its own alone when every neighbour dropped), so its client refuses, as SecAgg+
    clients do; its words are withdrawn instead (:func:`withdraw_isolated`)."""
    refused = []
    for chunk in range(task.n_chunks):
        contributors = zk.contributors(task.task_id, round_index, chunk)
        settled = member in contributors and len(contributors) >= task.t_min
        if settled and len(contributor_component(task, contributors, member)) < task.t_min:
            refused.append(chunk)
    return refused


def withdraw_isolated(
    zk: Zkfed, account: Any, task: SecaggTask, round_index: int, progress: Progress = _quiet
) -> SubmitReport:
    """Take every isolated contributor's words out of the round's chunks (`withdrawChunk`;
    anyone may), so each chunk aggregates the contributors whose component reaches t_min.

    A contributor is isolated when its component (:func:`contributor_component`) has fewer than
    t_min members; a whole component goes at once, so no one left owes a reveal for it. A
    chunk whose other contributors are fewer than t_min is void either way and left alone, and
    a member that already removed a mask in the chunk cannot be withdrawn (the contract
    refuses): it is skipped and the chunk stays void.
    """
    members = zk.task_members(task.task_id)
    todo = []
    for chunk in range(task.n_chunks):
        contributors = zk.contributors(task.task_id, round_index, chunk)
        isolated = {
            i
            for i in contributors
            if len(contributor_component(task, contributors, i)) < task.t_min
        }
        if not isolated or len(contributors) - len(isolated) < task.t_min:
            continue  # nothing to withdraw, or void either way (the contract refuses then)
        revealers = {i for i, _ in zk.revealed_masks(task, round_index, chunk, contributors)}
        todo += [(chunk, i) for i in sorted(isolated - revealers)]
    report = SubmitReport()
    for done, (chunk, i) in enumerate(todo):
        progress("withdraw", done, len(todo))
        submitted = zk.submitted_chunk(task.task_id, round_index, chunk, members[i])
        if submitted is None:
            raise ChainError(
                f"member #{i}'s words for chunk {chunk} of round {round_index} are not on record."
            )
        receipt = zk.withdraw_chunk(
            account, task.task_id, round_index, chunk, members[i], submitted
        )
        report.gas += _gas(receipt)
        report.chunks += 1
    progress("withdraw", len(todo), len(todo))
    return report


def pending_reveals(
    zk: Zkfed, task: SecaggTask, round_index: int, member: int
) -> list[tuple[int, int]]:
    """(chunk, dropped neighbour) masks a member still has to remove for a round: for chunks it
    contributed to that reached t_min, neighbours that did not contribute, not yet removed;
    never for a chunk where the member's component is below t_min (:func:`isolated_chunks`)."""
    todo = []
    for chunk in range(task.n_chunks):
        contributors = zk.contributors(task.task_id, round_index, chunk)
        if member not in contributors or len(contributors) < task.t_min:
            continue
        if len(contributor_component(task, contributors, member)) < task.t_min:
            continue
        revealed = zk.revealed_masks(task, round_index, chunk, contributors)
        todo += [
            (chunk, j)
            for i, j in required_reveals(task, contributors)
            if i == member and (i, j) not in revealed
        ]
    return todo


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
    account: Any,
    sk: int,
    task: SecaggTask,
    round_index: int,
    progress: Progress = _quiet,
) -> SubmitReport:
    """Remove, with `MaskReveal` proofs, the masks this member still owes for neighbours that
    dropped: the contract subtracts each from the chunk's accumulator."""
    todo = pending_reveals(zk, task, round_index, zk.member_index(task.task_id, account))
    members = zk.task_members(task.task_id)
    report = SubmitReport()
    if not todo:
        return report
    circuit = mask_reveal_circuit(task.packing.words)
    for done, (chunk, dropped) in enumerate(todo):
        progress("reveal", done, len(todo))
        masks, inputs = mask_reveal_inputs(task, round_index, chunk, sk, dropped)
        result = prover.prove(circuit.wasm, circuit.zkey, inputs)
        report.prove_seconds += result.seconds
        receipt = zk.reveal_mask(
            account, task.task_id, round_index, chunk, members[dropped], masks, result.proof
        )
        report.gas += _gas(receipt)
        report.chunks += 1
    progress("reveal", len(todo), len(todo))
    return report


def pending_recoveries(zk: Zkfed, task: SecaggTask, round_index: int) -> list[tuple[int, int, int]]:
    """(chunk, owner, dropped) masks that a contributor still owes after the reveal window and
    that its escrow can recover (circuits/README.md, "Seed escrow"): in chunks that reached
    t_min, for owners whose component reaches t_min (a smaller one is withdrawn instead, never
    unmasked), pairs not removed yet. Empty when the task does not escrow."""
    if not task.escrows:
        return []
    todo = []
    for chunk in range(task.n_chunks):
        contributors = zk.contributors(task.task_id, round_index, chunk)
        if len(contributors) < task.t_min:
            continue
        revealed = zk.revealed_masks(task, round_index, chunk, contributors)
        todo += [
            (chunk, owner, dropped)
            for owner, dropped in required_reveals(task, contributors)
            if (owner, dropped) not in revealed
            and len(contributor_component(task, contributors, owner)) >= task.t_min
        ]
    return todo


def held_shares(
    task: SecaggTask, todo: list[tuple[int, int, int]], member: int
) -> list[tuple[int, int, int]]:
    """The (chunk, owner, dropped) recoveries of `todo` in which `member` holds a share: it is a
    neighbour of the owner other than the dropped one."""
    return [
        (chunk, owner, dropped)
        for chunk, owner, dropped in todo
        if member != dropped and member in task.neighbor_indices(owner)
    ]


def recover_escrowed(
    zk: Zkfed,
    prover: Prover,
    account: Any,
    sk: int | None,
    task: SecaggTask,
    round_index: int,
    progress: Progress = _quiet,
) -> SubmitReport:
    """In the recovery window, complete the dropout recovery that contributors left undone, so
    that no contributor can void a chunk by withholding (SECURITY.md, P11).

    With `sk` (this member's key for the task), first open this member's share of every
    pending seed it holds (`revealShare`, one `EscrowPad` proof each); then, for anyone, remove
    every pending mask whose seed all its holders opened (`recoverMask`, one `SeedMask` proof
    each). Pairs the chain already settled are skipped, so a re-run resumes.
    """
    todo = pending_recoveries(zk, task, round_index)
    report = SubmitReport()
    if not todo:
        return report
    members = zk.task_members(task.task_id)
    me = zk.member_index(task.task_id, account)
    shares = held_shares(task, todo, me) if sk is not None else []
    pad_circuit = load_circuit(ESCROW_PAD)
    for done, (chunk, owner, dropped) in enumerate(shares):
        progress("share", done, len(shares))
        _, holders, _ = zk.escrowed_seed(
            task.task_id, round_index, chunk, members[owner], members[dropped]
        )
        if holders >> task.slots(owner).index(me) & 1:
            continue  # opened already
        submitted = zk.submitted_chunk(task.task_id, round_index, chunk, members[owner])
        if submitted is None:
            raise ChainError(
                f"member #{owner}'s chunk {chunk} of round {round_index} is not on record."
            )
        assert sk is not None  # shares are only opened with this member's key
        pad, inputs = escrow_pad_inputs(task, round_index, chunk, sk, me, owner, dropped)
        result = prover.prove(pad_circuit.wasm, pad_circuit.zkey, inputs)
        report.prove_seconds += result.seconds
        receipt = zk.reveal_share(
            account, task.task_id, round_index, chunk, members[owner], members[dropped],
            members[me], submitted, pad, result.proof,
        )  # fmt: skip
        report.gas += _gas(receipt)
        report.chunks += 1
    progress("share", len(shares), len(shares))
    mask_circuit = seed_mask_circuit(task.packing.words)
    for done, (chunk, owner, dropped) in enumerate(todo):
        progress("recover", done, len(todo))
        seed, _, complete = zk.escrowed_seed(
            task.task_id, round_index, chunk, members[owner], members[dropped]
        )
        if not complete:
            continue  # a holder has not opened its share (yet)
        masks, inputs = seed_mask_inputs(seed, task.packing.words)
        result = prover.prove(mask_circuit.wasm, mask_circuit.zkey, inputs)
        report.prove_seconds += result.seconds
        receipt = zk.recover_mask(
            account, task.task_id, round_index, chunk, members[owner], members[dropped],
            masks, result.proof,
        )  # fmt: skip
        report.gas += _gas(receipt)
        report.chunks += 1
    progress("recover", len(todo), len(todo))
    return report


def chunk_means(task: SecaggTask, aggregates: list[ChunkAggregate]) -> list[FloatArray | None]:
    """Each chunk's mean update from a round's sealed aggregates; None for a void chunk."""
    return [
        aggregate_chunk(task, a.words, a.count) if a.count else None
        for a in sorted(aggregates, key=lambda a: a.chunk)
    ]


def round_model(zk: Zkfed, store: ContentStore, task: SecaggTask, round_index: int) -> FloatArray:
    """The global model round `round_index` trains on, derived from the chain alone (the
    task's final model for the round after its last).

    The initial model (its hash fixed by the proposal, checked here), then the mean of every
    finalized round before `round_index`, chunk by chunk from its sealed aggregates (each round's
    events checked against the digest the contract stored). Nobody can make another model the
    task's model: there is nothing to choose.
    """
    cid, digest, _ = zk.global_model(task.task_id, 1)  # a SecAgg task records only this one
    weights = fetch_model(store, cid, digest)
    for earlier in range(1, round_index):
        if zk.round_state(task.task_id, earlier).status != RoundStatus.FINALIZED:
            continue  # aborted: the model carries over unchanged
        aggregates = zk.chunk_aggregates(task.task_id, earlier)
        weights = apply_round(task, weights, chunk_means(task, aggregates))
    return weights


@dataclass
class RoundResult:
    """The new global model of a round and how it was made."""

    weights: FloatArray
    cid: str
    model_hash: bytes
    digest: bytes = b""
    aggregated_chunks: list[int] = field(default_factory=list)
    void_chunks: list[int] = field(default_factory=list)
    contributors: dict[int, set[int]] = field(default_factory=dict)


def compute_round(
    zk: Zkfed, store: ContentStore, task: SecaggTask, round_index: int
) -> tuple[FloatArray, list[int], list[int], dict[int, set[int]]]:
    """A finalized round's resulting weights from chain + storage: the rule every member and
    verifier applies. Returns (weights, aggregated chunks, void chunks, contributors)."""
    aggregates = zk.chunk_aggregates(task.task_id, round_index)
    if len(aggregates) != task.n_chunks:
        raise ConfigurationError(
            f"round {round_index} of task {task.task_id} is not finalized: "
            f"{len(aggregates)} of {task.n_chunks} chunks are sealed."
        )
    old = round_model(zk, store, task, round_index)
    aggregated = [a.chunk for a in aggregates if a.count]
    void = [a.chunk for a in aggregates if not a.count]
    contributors = {c: zk.contributors(task.task_id, round_index, c) for c in range(task.n_chunks)}
    return apply_round(task, old, chunk_means(task, aggregates)), aggregated, void, contributors


FINALIZE_BATCH = 24
"""Chunks sealed per `finalizeRound` call: about 270k gas each (64 cold accumulator words read
and emitted), so a call stays near 6.5 M gas, well below the 2^24 transaction cap."""


def finalize(
    zk: Zkfed,
    store: ContentStore,
    account: Any,
    task: SecaggTask,
    round_index: int,
    batch: int = FINALIZE_BATCH,
    *,
    withdraw: bool = True,
) -> tuple[RoundResult, int]:
    """Seal the round's aggregates on-chain (in batches of `batch` chunks, resuming where an
    earlier call stopped), derive the new model, store it and publish its CID.

    Anyone may finalize; a round someone else finalized is only derived and published. Isolated
    contributors' words are withdrawn first (:func:`withdraw_isolated`), unless the caller did
    that itself (``withdraw=False``). Returns (result, gas).
    """
    gas = 0
    if withdraw and zk.round_state(task.task_id, round_index).status != RoundStatus.FINALIZED:
        gas += withdraw_isolated(zk, account, task, round_index).gas
    while zk.round_state(task.task_id, round_index).status != RoundStatus.FINALIZED:
        gas += _gas(zk.finalize_round(account, task.task_id, round_index, batch))
    weights, aggregated, void, contributors = compute_round(zk, store, task, round_index)
    cid, digest = store_model(store, weights)
    gas += _gas(zk.publish_model(account, task.task_id, round_index, cid, digest))
    state = zk.round_state(task.task_id, round_index)
    result = RoundResult(
        weights, cid, digest, state.aggregate_digest, aggregated, void, contributors
    )
    return result, gas


@dataclass(frozen=True)
class Verdict:
    """Outcome of verify-round: MATCH, or the first difference found."""

    match: bool
    detail: str

    def __str__(self) -> str:
        return "MATCH" if self.match else self.detail


def _first_difference(task: SecaggTask, derived: FloatArray, published: FloatArray) -> str:
    if published.shape != derived.shape:
        return f"has {published.size} parameters, not {derived.size}."
    differs = np.flatnonzero(published != derived)
    first = int(differs[0]) if differs.size else -1
    return (
        f"parameter {first} (chunk {first // task.packing.params_per_chunk}) differs: recomputed "
        f"{derived[first]!r}, recorded {published[first]!r} ({differs.size} differ in all)."
    )


def verify_round(zk: Zkfed, store: ContentStore, task_id: int, round_index: int) -> Verdict:
    """Re-derive a finalized round's model from the chain and compare every published model.

    Reads only events and stored digests: the sealed aggregates (checked against the round's
    digest chain) and the `ModelPublished` claims. MATCH when the aggregates are consistent and
    every published model equals the derived one.
    """
    task = zk.secagg_task(task_id)
    state = zk.round_state(task_id, round_index)
    if state.status != RoundStatus.FINALIZED:
        return Verdict(False, f"round {round_index} of task {task_id} is not finalized.")
    try:
        weights, *_ = compute_round(zk, store, task, round_index)
        claims = zk.published_models(task_id, round_index)
        for claim in claims:
            published = fetch_model(store, claim.cid, claim.model_hash)
            if published.shape != weights.shape or np.any(published != weights):
                difference = _first_difference(task, weights, published)
                return Verdict(
                    False,
                    difference
                    if len(claims) == 1
                    else f"the model {claim.cid} published by {claim.publisher} {difference}",
                )
    except ZkfedError as error:
        return Verdict(False, str(error))
    return Verdict(True, "MATCH")


# --- CKKS mode (circuits/README.md, "CKKS mode") ------------------------------------------------


def commit_ciphertext(
    zk: Zkfed, account: Any, task_id: int, round_index: int, ciphertext: bytes
) -> Any:
    """Commit a member to its encrypted update before the deadline; returns the receipt.

    Only the commitment goes on-chain: the bytes must stay private until the reveal window
    (:func:`reveal_ciphertext`), or another member could build its own ciphertext from them.
    """
    digest = hashlib.sha256(ciphertext).digest()
    commitment = zk.ciphertext_commitment(task_id, round_index, account, digest)
    return zk.commit_ciphertext(account, task_id, round_index, commitment)


def reveal_ciphertext(
    zk: Zkfed, store: ContentStore, account: Any, task_id: int, round_index: int, ciphertext: bytes
) -> Any:
    """Publish a committed ciphertext to the store and reveal its CID on-chain (after the
    deadline); returns the receipt."""
    cid = store.add(ciphertext)
    return zk.reveal_ciphertext(
        account, task_id, round_index, cid, hashlib.sha256(ciphertext).digest()
    )


def _ckks_ciphertext(
    store: ContentStore, context: PublicContext, index: int, cid: str, digest: bytes
) -> bytes:
    """Member `index`'s revealed ciphertext, checked against its sha256, parsed under the task's
    context, and holding exactly one update (the chain, not a ciphertext, counts contributors)."""
    data = store.get(cid)
    if hashlib.sha256(data).digest() != digest:
        raise CorruptContentError(f"member {index}'s ciphertext {cid} does not match its hash.")
    count = context.parse(data).count
    if count != 1:
        raise CkksError(
            f"member {index}'s ciphertext claims to hold {count} updates; a member sends one."
        )
    return data


def ckks_aggregate(
    zk: Zkfed, store: ContentStore, context: PublicContext, task_id: int, round_index: int
) -> bytes:
    """The deterministic sum of the ciphertexts a round counts (every matching reveal before
    finalization, those the key holder kept after it), each checked by :func:`_ckks_ciphertext`."""
    return context.aggregate(
        [
            _ckks_ciphertext(store, context, index, cid, digest)
            for index, (cid, digest) in sorted(zk.ciphertexts(task_id, round_index).items())
        ]
    )


def finalize_ckks(
    zk: Zkfed,
    store: ContentStore,
    account: Any,
    key_holder: KeyHolder,
    task_id: int,
    round_index: int,
    rng: np.random.Generator | None = None,
) -> tuple[bytes, FloatArray, int]:
    """The key holder's step after the reveal window: sum the revealed ciphertexts, decrypt the
    sum with noise flooding, store it and record both on-chain.

    A revealed ciphertext that cannot be fetched, does not match its hash or is malformed is
    excluded (recorded on-chain), so no member can block the round by revealing garbage; the
    storage being unreachable is not a reason to exclude anyone and raises instead. Returns
    (sha256 of the aggregate decrypted, the published sum, gas).
    """
    context = key_holder.public
    usable, excluded = [], 0
    for index, (cid, digest) in sorted(zk.ciphertexts(task_id, round_index).items()):
        try:
            usable.append(_ckks_ciphertext(store, context, index, cid, digest))
        except StorageUnavailableError:
            raise
        except (StorageError, CkksError):
            excluded |= 1 << index
    required = int(zk.aggregator.taskConfig(task_id).minContributors)
    if len(usable) < required:
        raise CkksError(
            f"Only {len(usable)} of round {round_index}'s revealed ciphertexts are usable and the "
            f"task needs {required}: the round can only be aborted."
        )
    aggregate = context.aggregate(usable)
    flooded = key_holder.decrypt_sum(aggregate, count=len(usable), rng=rng)
    cid, digest = store_model(store, flooded)
    aggregate_digest = hashlib.sha256(aggregate).digest()
    receipt = zk.finalize_ckks_round(
        account, task_id, round_index, excluded, aggregate_digest, cid, digest
    )
    return aggregate_digest, flooded, _gas(receipt)


def _ckks_sum(store: ContentStore, state: CkksRound, size: int) -> FloatArray:
    """A finalized CKKS round's published sum, checked against its hash and the task's size."""
    values = fetch_model(store, state.sum_cid, state.sum_hash)
    if values.shape != (size,) or not np.isfinite(values).all():
        raise CorruptContentError(f"the published sum {state.sum_cid} is not {size} finite values.")
    return values


def ckks_round_model(zk: Zkfed, store: ContentStore, task_id: int, round_index: int) -> FloatArray:
    """The global model CKKS round `round_index` trains on, from the chain and the store.

    The initial model (its hash fixed by the proposal), plus, for every finalized round before
    `round_index` in order, the key holder's published sum divided by the round's contributor
    count as the chain recorded it (float64).
    """
    cid, digest = zk.initial_model(task_id)
    weights = fetch_model(store, cid, digest)
    size = int(zk.aggregator.taskConfig(task_id).paramCount)
    for earlier in range(1, round_index):
        state = zk.ckks_round(task_id, earlier)
        if state.status != RoundStatus.FINALIZED:
            continue  # aborted: the model carries over unchanged
        weights = weights + _ckks_sum(store, state, size) / len(state.contributors)
    return weights


def verify_ckks_round(
    zk: Zkfed, store: ContentStore, context: PublicContext, task_id: int, round_index: int
) -> Verdict:
    """Check what anyone can check of a finalized CKKS round: the aggregate the key holder says
    it decrypted is exactly the sum of the revealed ciphertexts it kept, and the published sum is
    intact.

    The decryption itself (and the flooding noise) is the key holder's word, and so is the
    unusability of a ciphertext it excluded; an excluded ciphertext this verifier can use is
    named.
    """
    state = zk.ckks_round(task_id, round_index)
    if state.status != RoundStatus.FINALIZED:
        return Verdict(False, f"round {round_index} of task {task_id} is not finalized.")
    try:
        recomputed = ckks_aggregate(zk, store, context, task_id, round_index)
        _ckks_sum(store, state, int(zk.aggregator.taskConfig(task_id).paramCount))
    except ZkfedError as error:
        return Verdict(False, str(error))
    if hashlib.sha256(recomputed).digest() != state.aggregate_digest:
        return Verdict(
            False,
            "the key holder decrypted another aggregate than the sum of the revealed ciphertexts.",
        )
    for index, (cid, digest) in zk.ciphertexts(task_id, round_index, state.excluded).items():
        try:
            _ckks_ciphertext(store, context, index, cid, digest)
        except ZkfedError:
            continue
        return Verdict(False, f"the key holder excluded member {index}'s usable ciphertext.")
    return Verdict(True, "MATCH")
