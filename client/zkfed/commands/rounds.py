"""A round, as a member runs it: train, submit (masked + proven), reveal for dropouts, finalize.

Nothing a member computes is lost to a failure: `train` saves the update under
``HOME/updates/`` before anything is sent, and `submit` and `reveal` skip what the chain
already holds, so running them again after an interruption sends only what is missing. One
command at a time sends a member's transactions for a task (`member_lock`), and `submit` sends
only an update bound to the round's chain, aggregator and global model (`check_saved_update`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import click
import numpy as np

from zkfed.chain import ChunkStatus, RoundStatus
from zkfed.circuits import PAIR_COMMIT, load_circuit, mask_reveal_circuit
from zkfed.commands._progress import Progress
from zkfed.commands._session import (
    Session,
    Settings,
    account_option,
    describe_error,
    lazy_password,
    member_option,
    open_session,
    pass_settings,
    password_file_option,
    plural,
    say,
    when,
)
from zkfed.config import Home, OutdatedUpdateError, SavedUpdate
from zkfed.exceptions import ConfigurationError, KeystoreError, ZkfedError
from zkfed.keystore import load_public_keys, load_secret_key
from zkfed.proving import open_prover, prove_all
from zkfed.secagg import SecaggTask, mask_reveal_inputs, mask_update

LOCK_WAIT_SECONDS = 3.0
"""How long a command waits for another one sending the same member's transactions for the
same task before it refuses."""


@contextmanager
def member_lock(
    home: Home, member: str, address: str, task_id: int, wait: float = LOCK_WAIT_SECONDS
) -> Iterator[None]:
    """Hold the lock under which one command at a time sends a member's transactions for a
    task (``HOME/locks/<address>-<task>.lock``): two `zkfed submit` for one member would read
    the same pending chunks and send each twice, and the second of each reverts.

    Raises
    ------
    ConfigurationError
        If another command still holds the lock after `wait` seconds.
    """
    from filelock import FileLock, Timeout

    path = home.lock_file(address, task_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path, timeout=wait, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        raise ConfigurationError(
            f"Another zkfed command is sending transactions for {member} in task {task_id} "
            f"(lock {path}); wait for it to finish, then run this one again."
        ) from None
    try:
        yield
    finally:
        lock.release()


class _StageProgress:
    """A protocol step's progress callback (``progress(stage, done, total)``, called before
    each item and once all are done) shown as one `Progress` per stage."""

    def __init__(self, stages: Mapping[str, tuple[str, str]]) -> None:
        self._stages = stages  # stage -> (description, singular unit)
        self._stage = ""
        self._bar: Progress | None = None
        self._last = time.perf_counter()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self._stage:
            self.close()
            self._stage = stage
            self._bar = Progress(total, *self._stages[stage]) if total else None
            self._last = time.perf_counter()
        bar = self._bar
        if bar is None:
            return
        while bar.done < min(done, total):
            now = time.perf_counter()
            bar.advance(f"{bar.unit} {bar.done} ({now - self._last:.1f} s)")
            self._last = now
        if done >= total:
            self.close()

    def close(self) -> None:
        """Remove the current stage's bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def open_round(session: Session, task_id: int) -> int:
    """The task's current round, which must still take submissions."""
    round_index = session.zk.current_round(task_id)
    state = session.zk.round_state(task_id, round_index)
    now = session.now()
    if state.status != RoundStatus.OPEN or now >= state.submission_deadline:
        raise ConfigurationError(
            f"Round {round_index} of task {task_id} no longer takes submissions (deadline "
            f"{when(state.submission_deadline, now)})."
        )
    return round_index


def task_secret_key(
    session: Session, member: str, password: Callable[[], str], task: SecaggTask, me: int
) -> int:
    """The secret of the masking key a SecAgg task took of the member (its member #`me`), from
    the member's keyring; the password is asked for only when the keyring holds that key."""
    path = session.home.keystore(member)
    pk = task.members[me]
    if pk not in load_public_keys(path):
        raise KeystoreError(
            f"{member}'s keystore holds no secret for the key task {task.task_id} assigned to it "
            "(register keys before a task is created: 'zkfed register')."
        )
    return load_secret_key(path, password(), pk)


def ensure_joined(session: Session, task: SecaggTask, account: Any, sk: int) -> None:
    """Post the member's pair commitments for a task, with proofs, unless it already has."""
    from zkfed.protocol import join_task

    zk = session.zk
    if zk.has_joined(task.task_id, account):
        return
    pair_circuit = load_circuit(PAIR_COMMIT)
    progress = _StageProgress({"join": ("proving pair commitments", "pair commitment")})
    with closing(open_prover()) as prover, closing(progress):
        report = join_task(zk, prover, pair_circuit, account, sk, task, progress)
    say(
        f"joined task {task.task_id}: {plural(report.chunks, 'pair commitment')} posted "
        f"({report.prove_seconds:.1f} s proving, gas {report.gas:,})"
    )


@contextmanager
def _resumable(total: int, what: str, again: str, on_chain: Callable[[], int]) -> Iterator[None]:
    """Turn a failure part-way (a revert, a node gone, Ctrl-C) into one sentence saying what is
    safe and how to resume; `on_chain` re-reads from the chain how many of the `total` steps it
    holds (another client may have sent some), so the count is the chain's, not this run's."""
    try:
        yield
    except (Exception, KeyboardInterrupt) as error:
        if isinstance(error, KeyboardInterrupt):
            reason: str | None = "Interrupted"
        else:
            reason = (
                str(error) if isinstance(error, ZkfedError) else describe_error(error, advice=False)
            )
        if reason is None:
            raise
        try:
            held = on_chain()
            are = "is" if total == 1 else "are"
            safe = f"{held} of {plural(total, what)} {are} on-chain and nothing is lost"
        except Exception:  # the node is gone: say so rather than guess a count
            safe = f"nothing is lost (the chain did not say how many {what}s it holds)"
        raise ZkfedError(f"{reason.rstrip('.')}; {safe}: '{again}' sends only the rest.") from error


def check_saved_update(
    session: Session, member: str, address: str, task: SecaggTask, round_index: int
) -> SavedUpdate:
    """The member's saved update for the round, refused (before anything is posted) unless it
    was trained for this chain, aggregator, task, round and global model: a chain restarted and
    redeployed at the same addresses, or a round finalized differently, leaves stale updates."""
    from zkfed.protocol import round_model, store_model

    task_id = task.task_id
    retrain = f"zkfed train {task_id} --member {member} --dataset DATASET --force"
    try:
        update = session.home.load_update(address, task_id, round_index)
    except OutdatedUpdateError as error:
        retrain = retrain.replace("DATASET", error.dataset or "DATASET")
        raise ConfigurationError(
            f"The update saved for task {task_id} round {round_index} ({error.path}) predates "
            f"the binding of updates to their global model, so it cannot be checked against "
            f"the round; train again: {retrain}."
        ) from None
    retrain = retrain.replace("DATASET", update.dataset or "DATASET")
    cid, digest = store_model(
        session.store, round_model(session.zk, session.store, task, round_index)
    )
    mismatch = update.mismatch(session.deployment, address, task_id, round_index, cid, digest)
    if mismatch is None:
        return update
    signed = session.home.signed_chunks(address, task_id, round_index)
    if signed:
        # The masks of this (task, round, chunk) are those the signed chunks were sent under;
        # a second update under them would give away the difference of the two.
        raise ConfigurationError(
            f"The update saved for task {task_id} round {round_index} was trained on "
            f"{mismatch}, and {_listed(signed)} of it "
            f"{'was' if len(signed) == 1 else 'were'} signed under this round's masks, so "
            "training again would reveal the "
            f"difference of two updates: {member} sits round {round_index} out and trains "
            "for the next one."
        )
    raise ConfigurationError(
        f"The update saved for task {task_id} round {round_index} was trained on "
        f"{mismatch}; train again: {retrain}."
    )


def _listed(chunks: list[int]) -> str:
    """``chunk 0`` or ``chunks 0, 1``: chunks named by the chain's 0-based index."""
    return f"chunk{'s' if len(chunks) > 1 else ''} {', '.join(str(c) for c in chunks)}"


@click.command()
@click.argument("task_id", metavar="TASK", type=int)
@member_option(required=True)
@password_file_option()
@pass_settings
def submit(settings: Settings, task_id: int, member: str, password_file: Path | None) -> None:
    """Mask, prove and submit the saved update chunk by chunk; skips chunks already on-chain."""
    with open_session(settings) as session:
        session.require_task(task_id)
        zk = session.zk
        task = zk.secagg_task(task_id)
        account = session.member_account(member)
        address = str(account.address)
        me = zk.member_index(task_id, account)
        round_index = open_round(session, task_id)
        with member_lock(session.home, member, address, task_id):
            _submit(session, task, round_index, member, account, me, password_file)


def _submit(
    session: Session,
    task: SecaggTask,
    round_index: int,
    member: str,
    account: Any,
    me: int,
    password_file: Path | None,
) -> None:
    """`zkfed submit`, once the member holds its lock for the task."""
    from zkfed.protocol import pending_chunks

    zk, task_id, n = session.zk, task.task_id, task.n_chunks
    address = str(account.address)
    update = check_saved_update(session, member, address, task, round_index)
    todo = pending_chunks(zk, task, round_index, me)
    if not todo:
        say(
            f"all {n} chunks of round {round_index} are already on-chain"
            if n > 1
            else f"the only chunk of round {round_index} is already on-chain"
        )
        return
    sk = task_secret_key(session, member, lazy_password(password_file), task, me)
    ensure_joined(session, task, account, sk)
    circuit = session.circuit_for_task(task_id)
    rng = np.random.default_rng(update.quantization_seed)
    chunks = mask_update(task, round_index, me, sk, update.delta, rng)
    if len(todo) < n:
        say(f"{n - len(todo)} of {plural(n, 'chunk')} already on-chain; sending the rest")
    gas, waited = 0, 0.0
    again = f"zkfed submit {task_id} --member {member}"

    def on_chain() -> int:
        return n - len(pending_chunks(zk, task, round_index, me))

    started = time.perf_counter()
    # Two provers when there are several chunks: a chunk is proved while the one before it
    # is being submitted (bench/prover.py, "parallel": 1.2x to 1.3x sooner on two cores).
    # Their proofs overlap, so the time reported is the time spent waiting for them, never
    # the sum of each proof's own time.
    with (
        _resumable(n, "chunk", again, on_chain),
        Progress(n, "proving and submitting", "chunk", done=n - len(todo)) as bar,
        closing(open_prover(workers=min(2, len(todo)))) as prover,
    ):
        results = prove_all(
            prover, circuit.wasm, circuit.zkey, [chunks[chunk].inputs for chunk in todo]
        )
        for chunk in todo:
            masked = chunks[chunk]
            wait_started = time.perf_counter()
            result = next(results)
            waited += time.perf_counter() - wait_started
            session.home.mark_signed(address, task_id, round_index, [chunk])
            receipt = zk.submit_chunk(
                account, task_id, round_index, chunk, masked.words, masked.escrow, result.proof
            )
            gas += int(receipt.gas_used)
            bar.advance(
                f"chunk {chunk}: proved in {result.seconds:.1f} s, accepted "
                f"(gas {int(receipt.gas_used):,})"
            )
    say(
        f"submitted {plural(len(todo), 'chunk')} of round {round_index} for task {task_id} in "
        f"{time.perf_counter() - started:.1f} s ({waited:.1f} s of it waiting for proofs), "
        f"{gas:,} gas"
    )


@click.command()
@click.argument("task_id", metavar="TASK", type=int)
@click.argument("round_index", metavar="[ROUND]", required=False, type=int)
@member_option(required=True)
@password_file_option()
@pass_settings
def reveal(
    settings: Settings,
    task_id: int,
    round_index: int | None,
    member: str,
    password_file: Path | None,
) -> None:
    """After the deadline, remove (with proofs) the masks shared with neighbours that dropped;
    after the reveal deadline, open this member's escrowed shares of masks others left."""
    with open_session(settings) as session:
        zk = session.zk
        r = session.round_of(task_id, round_index)
        task = zk.secagg_task(task_id)
        state = zk.round_state(task_id, r)
        now = session.now()
        if state.status in (RoundStatus.FINALIZED, RoundStatus.ABORTED):
            raise ConfigurationError(
                f"Round {r} of task {task_id} is {state.status.name.lower()}; nothing to reveal."
            )
        if now < state.submission_deadline:
            raise ConfigurationError(
                f"Round {r} of task {task_id} takes submissions until "
                f"{when(state.submission_deadline, now)}; masks are revealed after that."
            )
        if now >= state.recovery_deadline:
            raise ConfigurationError(
                f"The reveal and recovery windows of round {r} of task {task_id} closed "
                f"{when(state.recovery_deadline, now)}."
            )
        account = session.member_account(member)
        with member_lock(session.home, member, str(account.address), task_id):
            if now >= state.reveal_deadline:
                _recover(session, task, r, member, account, password_file)
            else:
                _reveal(session, task, r, member, account, password_file)


def _reveal(
    session: Session,
    task: SecaggTask,
    r: int,
    member: str,
    account: Any,
    password_file: Path | None,
) -> None:
    """The reveal window: remove, with proofs, the masks shared with dropped neighbours."""
    from zkfed.protocol import isolated_chunks, pending_reveals

    zk, task_id = session.zk, task.task_id
    me = zk.member_index(task_id, account)
    todo = pending_reveals(zk, task, r, me)
    for chunk in isolated_chunks(zk, task, r, me):
        say(
            f"chunk {chunk}: too few of {member}'s neighbours contributed (fewer than "
            f"{task.t_min} connected contributors), so its masks stay in place rather than "
            "publish a small sum; finalizing withdraws its words and the rest aggregates"
        )
    if not todo:
        say(f"nothing to reveal: no neighbour of {member} dropped a chunk it contributed to")
        return
    sk = task_secret_key(session, member, lazy_password(password_file), task, me)
    reveal_circuit = mask_reveal_circuit(task.packing.words)
    members = zk.task_members(task_id)
    again = f"zkfed reveal {task_id} {r} --member {member}"
    total = len(todo)

    def on_chain() -> int:
        return total - len(pending_reveals(zk, task, r, me))

    with (
        _resumable(total, "mask removal", again, on_chain),
        Progress(total, "removing masks of dropped neighbours", "mask") as bar,
        closing(open_prover()) as prover,
    ):
        for chunk, dropped in todo:
            masks, inputs = mask_reveal_inputs(task, r, chunk, sk, dropped)
            result = prover.prove(reveal_circuit.wasm, reveal_circuit.zkey, inputs)
            receipt = zk.reveal_mask(
                account, task_id, r, chunk, members[dropped], masks, result.proof
            )
            bar.advance(
                f"chunk {chunk}: mask shared with #{dropped} removed (proved in "
                f"{result.seconds:.1f} s, gas {int(receipt.gas_used):,})"
            )
    say(f"removed {plural(total, 'mask')} of dropped neighbours for round {r} of task {task_id}")


def _recover(
    session: Session,
    task: SecaggTask,
    r: int,
    member: str,
    account: Any,
    password_file: Path | None,
) -> None:
    """The recovery window: open this member's shares of the seeds other contributors did not
    remove with their dropped neighbours, and remove every mask whose seed is complete."""
    from zkfed.protocol import held_shares, pending_recoveries, recover_escrowed

    zk, task_id = session.zk, task.task_id
    todo = pending_recoveries(zk, task, r)
    if not todo:
        say(f"nothing to recover: every contributor of round {r} removed its masks")
        return
    me = zk.member_index(task_id, account)
    holds = bool(held_shares(task, todo, me))
    sk = task_secret_key(session, member, lazy_password(password_file), task, me) if holds else None
    say(f"{plural(len(todo), 'mask')} of round {r} still missing; recovering from the escrow ...")
    progress = _StageProgress(
        {"share": ("opening escrow shares", "share"), "recover": ("removing masks", "mask")}
    )
    again = f"zkfed reveal {task_id} {r} --member {member}"

    def on_chain() -> int:
        return len(todo) - len(pending_recoveries(zk, task, r))

    with (
        _resumable(len(todo), "mask removal", again, on_chain),
        closing(open_prover()) as prover,
        closing(progress),
    ):
        report = recover_escrowed(zk, prover, account, sk, task, r, progress)
    left = len(pending_recoveries(zk, task, r))
    say(
        f"opened or removed {plural(report.chunks, 'escrow item')} ({report.prove_seconds:.1f} s "
        f"proving, gas {report.gas:,}); {plural(left, 'mask')} still missing"
        + (" (waiting for the other holders' shares)" if left else "")
    )


@click.command("finalize")
@click.argument("task_id", metavar="TASK", type=int)
@click.argument("round_index", metavar="[ROUND]", required=False, type=int)
@member_option()
@account_option()
@pass_settings
def finalize_command(
    settings: Settings,
    task_id: int,
    round_index: int | None,
    member: str | None,
    account: str | None,
) -> None:
    """Seal the round's exact aggregates on-chain, derive the new model, publish it (anyone)."""
    from zkfed.protocol import finalize, withdraw_isolated

    with open_session(settings) as session:
        zk = session.zk
        r = session.round_of(task_id, round_index)
        task = zk.secagg_task(task_id)
        caller = session.signer(member, account)
        state = zk.round_state(task_id, r)
        now = session.now()
        if state.status in (RoundStatus.FINALIZED, RoundStatus.ABORTED):
            raise ConfigurationError(
                f"Round {r} of task {task_id} is already {state.status.name.lower()}."
            )
        if now < state.submission_deadline:
            raise ConfigurationError(
                f"Round {r} of task {task_id} takes submissions until "
                f"{when(state.submission_deadline, now)}; finalize after that."
            )
        signer = member or account or str(caller.address)
        with member_lock(session.home, signer, str(caller.address), task_id):
            withdrawn = withdraw_isolated(zk, caller, task, r)
            if withdrawn.chunks:
                say(
                    f"withdrew {plural(withdrawn.chunks, 'isolated contribution')}: components "
                    f"of fewer than {task.t_min} contributors leave their chunks (gas "
                    f"{withdrawn.gas:,})"
                )
            statuses = [zk.chunk_status(task_id, r, chunk) for chunk in range(task.n_chunks)]
            if ChunkStatus.AWAITING_REVEALS in statuses:
                raise ConfigurationError(
                    f"Chunk {statuses.index(ChunkStatus.AWAITING_REVEALS)} of round {r} still "
                    f"awaits mask reveals (recovery closes {when(state.recovery_deadline, now)}); "
                    "members run 'zkfed reveal'."
                )
            if all(status == ChunkStatus.VOID for status in statuses):
                raise ConfigurationError(
                    f"No chunk of round {r} reached {task.t_min} contributors, so there is "
                    "nothing to finalize; the round can only be aborted (the aggregator's "
                    "abortRound)."
                )
            say(f"sealing round {r} of task {task_id}'s aggregates on-chain ...")
            result, gas = finalize(zk, session.store, caller, task, r, withdraw=False)
        say(
            f"finalized round {r}: {plural(len(result.aggregated_chunks), 'chunk')} aggregated, "
            f"{len(result.void_chunks)} void; model {result.cid} (gas {gas:,})"
        )
