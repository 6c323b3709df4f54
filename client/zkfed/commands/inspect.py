"""Reading a deployment: its status, and re-checking a finished round from chain + storage."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from zkfed.chain import Mode, RoundStatus
from zkfed.commands._session import (
    Session,
    Settings,
    open_session,
    pass_settings,
    plural,
    say,
    when,
)
from zkfed.exceptions import ConfigurationError, ZkfedError
from zkfed.secagg import required_reveals

if TYPE_CHECKING:
    from zkfed.protocol import Verdict


def _overview(session: Session) -> None:
    deployment, zk = session.deployment, session.zk
    say(f"network     {session.connection.choice} (chain {session.connection.chain_id})")
    say(f"aggregator  {deployment.aggregator}")
    say(f"governance  {deployment.governance}")
    say(f"store       {deployment.store}")
    consortium = zk.members()
    say(f"consortium  {len(consortium)} members (a SecAgg task takes an unused key of each)")
    for address in consortium:
        unused = plural(zk.unused_keys(address), "unused key")
        say(f"  {address} {unused:15} {session.name_of(address)}".rstrip())
    proposals = zk.proposals()
    if proposals:
        say("proposals")
    for p in proposals:
        task = f", task {p.task_id}" if p.task_id else ""
        say(f"  {p.proposal_id}: {p.asks} {p.state_phrase} ({p.tally}){task}")
    say(f"tasks       {zk.task_count()}")


def _task_status(session: Session, task_id: int) -> None:
    zk = session.zk
    session.require_task(task_id)
    config = zk.aggregator.taskConfig(task_id)
    members = zk.task_members(task_id)
    current = zk.current_round(task_id)
    now = session.now()
    mode = Mode(int(config.mode))
    say(
        f"task {task_id}: {mode.name.lower()}, {int(config.paramCount)} parameters, "
        f"{int(config.rounds)} rounds, {len(members)} members, at least "
        f"{int(config.minContributors)} contributors per chunk"
    )
    for index, address in enumerate(members):
        say(f"  #{index} {address} {session.name_of(address)}".rstrip())
    if mode == Mode.CKKS:
        for r in range(1, current + 1):
            _ckks_round_status(session, task_id, r)
        return
    models: dict[int, str] = {}  # round → the model it produced, as first published
    for r in range(1, current + 1):
        state = zk.round_state(task_id, r)
        cid, _, _ = zk.global_model(task_id, r)
        finalized = [k for k in range(1, r) if k in models]
        cid = models[finalized[-1]] if finalized else cid
        say(f"round {r}: {state.status.name.lower()}; trains from {cid}")
        if state.status in (RoundStatus.OPEN, RoundStatus.RECOVERY):
            say(f"  submissions until {when(state.submission_deadline, now)}")
            say(f"  reveals until     {when(state.reveal_deadline, now)}")
            if state.recovery_deadline > state.reveal_deadline:
                say(f"  recovery until    {when(state.recovery_deadline, now)}")
        if state.status == RoundStatus.FINALIZED:
            claims = zk.published_models(task_id, r)
            models[r] = claims[0].cid if claims else f"(round {r}'s aggregate, not published)"
            say(
                f"  aggregate digest 0x{state.aggregate_digest.hex()}, "
                f"{state.aggregated_chunks} of {state.sealed_chunks} chunks aggregated"
            )
            say(f"  new model {models[r]}")
        if r != current:
            continue
        task = zk.secagg_task(task_id)
        for chunk in range(task.n_chunks):
            who = zk.contributors(task_id, r, chunk)
            status = zk.chunk_status(task_id, r, chunk).name.lower().replace("_", " ")
            settled = status != "open" and len(who) >= task.t_min
            needed = required_reveals(task, who) if settled else []
            revealed = zk.revealed_masks(task, r, chunk, who) if needed else set()
            reveals = f", {len(revealed)} of {len(needed)} masks removed" if needed else ""
            listed = ", ".join(f"#{i}" for i in sorted(who)) or "none"
            say(f"  chunk {chunk}: {len(who)} contributors ({listed}), {status}{reveals}")


def _ckks_round_status(session: Session, task_id: int, r: int) -> None:
    state = session.zk.ckks_round(task_id, r)
    now = session.now()
    say(
        f"round {r}: {state.status.name.lower()}; {state.committed} committed, "
        f"{len(state.contributors)} revealed"
    )
    if state.status in (RoundStatus.OPEN, RoundStatus.RECOVERY):
        say(f"  commitments until {when(state.submission_deadline, now)}")
        say(f"  reveals until     {when(state.reveal_deadline, now)}")
    if state.status == RoundStatus.FINALIZED:
        say(f"  aggregate sha256 0x{state.aggregate_digest.hex()}, decrypted sum {state.sum_cid}")


@click.command()
@click.argument("task_id", metavar="[TASK]", required=False, type=click.IntRange(1))
@pass_settings
def status(settings: Settings, task_id: int | None) -> None:
    """The deployment (members, proposals), or a task's rounds, deadlines, chunks and models.

    Either way, warns of each local member that has no unused key: the next SecAgg task would
    leave it out.
    """
    with open_session(settings, read_only=True) as session:
        if task_id is None:
            _overview(session)
        else:
            _task_status(session, task_id)
        for name, address in session.local_members.items():
            session.warn_without_keys(name, address)


@click.command("verify-round")
@click.argument("task_id", metavar="TASK", type=click.IntRange(1))
@click.argument("round_index", metavar="ROUND", type=click.IntRange(1))
@click.pass_context
def verify_round_command(ctx: click.Context, task_id: int, round_index: int) -> None:
    """Recompute a finished round from chain + storage alone: MATCH, or the first difference."""
    from zkfed.protocol import Verdict, verify_ckks_round, verify_round

    settings = ctx.find_object(Settings)
    assert settings is not None
    with open_session(settings) as session:
        zk = session.zk
        session.round_of(task_id, round_index)
        status, _ = zk.round_schedule(task_id, round_index)
        if status != RoundStatus.FINALIZED:
            raise ConfigurationError(
                f"Round {round_index} of task {task_id} is {status.name.lower()}, not "
                "finalized, so there is no result to verify yet."
            )
        verdict: Verdict
        if zk.task_mode(task_id) == Mode.CKKS:
            from zkfed.ckks import PublicContext

            context_cid = str(zk.aggregator.taskConfig(task_id).contextCid)
            try:
                context = PublicContext.from_bytes(session.store.get(context_cid))
            except ZkfedError as error:
                verdict = Verdict(False, str(error))
            else:
                verdict = verify_ckks_round(zk, session.store, context, task_id, round_index)
        else:
            verdict = verify_round(zk, session.store, task_id, round_index)
    say(str(verdict))
    if not verdict.match:
        ctx.exit(1)
