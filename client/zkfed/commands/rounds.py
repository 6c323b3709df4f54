"""A round, as a member runs it: train, submit (masked + proven), reveal for dropouts, finalize.

Nothing a member computes is lost to a failure: `train` saves the update under
``HOME/updates/`` before anything is sent, and `submit` and `reveal` skip what the chain
already holds, so running them again after an interruption sends only what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import click
import numpy as np

from zkfed.chain import ChunkStatus, RoundStatus
from zkfed.circuits import PAIR_COMMIT, load_circuit, mask_reveal_circuit
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
from zkfed.exceptions import ConfigurationError, KeystoreError, ZkfedError
from zkfed.keystore import load_public_keys, load_secret_key
from zkfed.proving import open_prover, prove_all
from zkfed.secagg import SecaggTask, mask_reveal_inputs, mask_update


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

    def progress(stage: str, done: int, total: int) -> None:
        if done < total:
            click.echo(f"\r  proving pair commitment {done + 1}/{total} ...", nl=False)
        else:
            click.echo("")

    with closing(open_prover()) as prover:
        report = join_task(zk, prover, pair_circuit, account, sk, task, progress)
    say(
        f"joined task {task.task_id}: {report.chunks} pair commitments posted "
        f"({report.prove_seconds:.1f} s proving, gas {report.gas:,})"
    )


class _Steps:
    """Progress of a resumable sequence of transactions, one line per step."""

    def __init__(self, done: int) -> None:
        self.done = done
        self._line_open = False

    def begin(self, text: str) -> None:
        """Start a step's line (it is finished by `note` / `end`)."""
        click.echo(text, nl=False)
        self._line_open = True

    def note(self, text: str) -> None:
        """Add to the step's line."""
        click.echo(text, nl=False)

    def end(self, text: str) -> None:
        """Finish a step that reached the chain."""
        click.echo(text)
        self._line_open = False
        self.done += 1

    def interrupt(self) -> None:
        """Close a half-written line so that the error stands on its own."""
        if self._line_open:
            click.echo("")
            self._line_open = False


@contextmanager
def _resumable(done: int, total: int, what: str, again: str) -> Iterator[_Steps]:
    """Turn a failure part-way into one sentence saying what is safe and how to resume."""
    steps = _Steps(done)
    try:
        yield steps
    except Exception as error:
        reason = str(error) if isinstance(error, ZkfedError) else describe_error(error)
        if reason is None:
            raise
        steps.interrupt()
        raise ZkfedError(
            f"{reason.rstrip('.')}; {steps.done} of {total} {what} are on-chain and nothing is "
            f"lost: '{again}' sends only the rest."
        ) from error


@click.command()
@click.argument("task_id", metavar="TASK", type=int)
@member_option(required=True)
@password_file_option()
@pass_settings
def submit(settings: Settings, task_id: int, member: str, password_file: Path | None) -> None:
    """Mask, prove and submit the saved update chunk by chunk; skips chunks already on-chain."""
    from zkfed.protocol import pending_chunks, round_model, store_model

    with open_session(settings) as session:
        session.require_task(task_id)
        zk = session.zk
        task = zk.secagg_task(task_id)
        account = session.member_account(member)
        address = str(account.address)
        me = zk.member_index(task_id, account)
        round_index = open_round(session, task_id)
        update = session.home.load_update(address, task_id, round_index)
        if update.aggregator.lower() != session.deployment.aggregator.lower():
            raise ConfigurationError(
                f"The saved update was trained for aggregator {update.aggregator}, not this one."
            )
        model_cid, _ = store_model(session.store, round_model(zk, session.store, task, round_index))
        if update.chain_id != session.deployment.chain_id or update.global_model != model_cid:
            raise ConfigurationError(
                f"The saved update was trained from model {update.global_model}, but round "
                f"{round_index} of task {task_id} trains from {model_cid}; train again with "
                "--force."
            )
        todo = pending_chunks(zk, task, round_index, me)
        done = set(range(task.n_chunks)) - set(todo)
        if not todo:
            say(f"all {task.n_chunks} chunks of round {round_index} are already on-chain")
            return
        sk = task_secret_key(session, member, lazy_password(password_file), task, me)
        ensure_joined(session, task, account, sk)
        circuit = session.circuit_for_task(task_id)
        rng = np.random.default_rng(update.quantization_seed)
        chunks = mask_update(task, round_index, me, sk, update.delta, rng)
        if done:
            say(f"{len(done)} of {task.n_chunks} chunks already on-chain; sending the rest")
        gas, seconds = 0, 0.0
        again = f"zkfed submit {task_id} --member {member}"
        # Two provers when there are several chunks: a chunk is proved while the one before it
        # is being submitted (bench/prover.py, "parallel": 1.2x to 1.3x sooner on two cores).
        with (
            _resumable(len(done), task.n_chunks, "chunks", again) as steps,
            closing(open_prover(workers=min(2, len(todo)))) as prover,
        ):
            results = prove_all(
                prover, circuit.wasm, circuit.zkey, [chunks[chunk].inputs for chunk in todo]
            )
            for chunk in todo:
                masked = chunks[chunk]
                steps.begin(f"  chunk {chunk + 1}/{task.n_chunks}: proving ...")
                result = next(results)
                steps.note(f" {result.seconds:.1f} s, submitting ...")
                session.home.mark_signed(address, task_id, round_index, [chunk])
                receipt = zk.submit_chunk(
                    account, task_id, round_index, chunk, masked.words, masked.escrow, result.proof
                )
                gas += int(receipt.gas_used)
                seconds += result.seconds
                steps.end(f" accepted (gas {int(receipt.gas_used):,})")
        say(
            f"submitted {len(todo)} chunks of round {round_index} for task {task_id}: "
            f"{seconds:.1f} s proving, {gas:,} gas"
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
    from zkfed.protocol import isolated_chunks, pending_reveals

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
        if now >= state.reveal_deadline:
            _recover(session, task, r, member, account, password_file)
            return
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
        with (
            _resumable(0, len(todo), "reveals", again) as steps,
            closing(open_prover()) as prover,
        ):
            for number, (chunk, dropped) in enumerate(todo, start=1):
                steps.begin(
                    f"  mask {number}/{len(todo)} (chunk {chunk}, dropped #{dropped}): proving ..."
                )
                masks, inputs = mask_reveal_inputs(task, r, chunk, sk, dropped)
                result = prover.prove(reveal_circuit.wasm, reveal_circuit.zkey, inputs)
                receipt = zk.reveal_mask(
                    account, task_id, r, chunk, members[dropped], masks, result.proof
                )
                steps.end(f" {result.seconds:.1f} s, removed (gas {int(receipt.gas_used):,})")
        say(f"removed {len(todo)} masks of dropped neighbours for round {r} of task {task_id}")


def _recover(
    session: Any,
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
    what = {"share": "opening share", "recover": "removing mask"}

    def progress(stage: str, done: int, total: int) -> None:
        if done < total:
            click.echo(f"\r  {what[stage]} {done + 1}/{total} ...", nl=False)
        elif total:
            click.echo("")

    with closing(open_prover()) as prover:
        report = recover_escrowed(zk, prover, account, sk, task, r, progress)
    left = len(pending_recoveries(zk, task, r))
    say(
        f"opened or removed {report.chunks} escrow items ({report.prove_seconds:.1f} s proving, "
        f"gas {report.gas:,}); {plural(left, 'mask')} still missing"
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
        withdrawn = withdraw_isolated(zk, caller, task, r)
        if withdrawn.chunks:
            say(
                f"withdrew {plural(withdrawn.chunks, 'isolated contribution')}: components of "
                f"fewer than {task.t_min} contributors leave their chunks (gas {withdrawn.gas:,})"
            )
        statuses = [zk.chunk_status(task_id, r, chunk) for chunk in range(task.n_chunks)]
        if ChunkStatus.AWAITING_REVEALS in statuses:
            raise ConfigurationError(
                f"Chunk {statuses.index(ChunkStatus.AWAITING_REVEALS)} of round {r} still awaits "
                f"mask reveals (recovery closes {when(state.recovery_deadline, now)}); members "
                "run 'zkfed reveal'."
            )
        if all(status == ChunkStatus.VOID for status in statuses):
            raise ConfigurationError(
                f"No chunk of round {r} reached {task.t_min} contributors, so there is nothing to "
                "finalize; the round can only be aborted (the aggregator's abortRound)."
            )
        say(f"sealing round {r} of task {task_id}'s aggregates on-chain ...")
        result, gas = finalize(zk, session.store, caller, task, r)
        say(
            f"finalized round {r}: {len(result.aggregated_chunks)} chunks aggregated, "
            f"{len(result.void_chunks)} void; model {result.cid} (gas {gas:,})"
        )
