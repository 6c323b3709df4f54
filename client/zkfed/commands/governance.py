"""The consortium's vote on a model: propose, vote, execute (which opens the task)."""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path

import click

from zkfed.commands._session import (
    Session,
    Settings,
    account_option,
    member_option,
    open_session,
    pass_settings,
    say,
    when,
)
from zkfed.datasets import BUNDLED, load_dataset
from zkfed.exceptions import ConfigurationError
from zkfed.quantize import fitting_scale_bits


class ProposalState(IntEnum):
    """IModelGovernance.ProposalState."""

    NONE = 0
    ACTIVE = 1
    SUCCEEDED = 2
    DEFEATED = 3
    EXECUTED = 4


def proposal_state(session: Session, proposal_id: int) -> ProposalState:
    """A proposal's state, refusing ids governance does not know."""
    count = int(session.zk.governance.proposalCount())
    if not 1 <= proposal_id <= count:
        known = f"proposals 1 to {count}" if count else "no proposals yet"
        raise ConfigurationError(
            f"Proposal {proposal_id} does not exist on this deployment (it has {known})."
        )
    return ProposalState(int(session.zk.governance.state(proposal_id)))


@click.command()
@member_option()
@account_option()
@click.option("--model", type=click.Choice(["logreg", "mlp"]), default="logreg", show_default=True)
@click.option("--hidden", default="32", show_default=True, help="MLP hidden widths, e.g. 64,32.")
@click.option(
    "--dataset",
    required=True,
    help=f"The data the model is for: {', '.join(BUNDLED)}, or a CSV/NPZ file with a label column.",
)
@click.option("--label", default="label", show_default=True, help="Label column of a CSV/NPZ.")
@click.option("--rounds", default=3, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--variant", help="Circuit variant (default: the deployment's first).")
@click.option(
    "--clip-norm", default=5.0, show_default=True, type=click.FloatRange(min=0, min_open=True)
)
@click.option(
    "--scale-bits",
    type=click.IntRange(0, 30),
    help="Fixed-point scale 2^S (default: the finest at which --clip-norm fits the variant).",
)
@click.option("--epochs", default=3, show_default=True, type=click.IntRange(1))
@click.option("--batch-size", default=16, show_default=True, type=click.IntRange(1))
@click.option("--lr", default=0.03, show_default=True, type=float)
@click.option("--optimizer", type=click.Choice(("sgd", "adam")), default="sgd", show_default=True)
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0))
@click.option("--submission-period", default=3600, show_default=True, type=click.IntRange(1))
@click.option("--reveal-period", default=3600, show_default=True, type=click.IntRange(1))
@click.option("--min-contributors", default=3, show_default=True, type=click.IntRange(3))
@pass_settings
def propose(
    settings: Settings,
    member: str | None,
    account: str | None,
    model: str,
    hidden: str,
    dataset: str,
    label: str,
    rounds: int,
    variant: str | None,
    clip_norm: float,
    scale_bits: int | None,
    epochs: int,
    batch_size: int,
    lr: float,
    optimizer: str,
    seed: int,
    submission_period: int,
    reveal_period: int,
    min_contributors: int,
) -> None:
    """Propose a model: its spec document and initial weights go on the store, the task on-chain."""
    from zkfed.models import ModelSpec
    from zkfed.proposals import propose_model
    from zkfed.training import TrainConfig

    data = load_dataset(dataset if dataset in BUNDLED else Path(dataset), label=label, seed=seed)
    widths: tuple[int, ...] = ()
    if model == "mlp":
        try:
            widths = tuple(int(w) for w in hidden.split(","))
        except ValueError:
            raise click.BadParameter(
                f"{hidden!r} is not a list of widths.", param_hint="--hidden"
            ) from None
    spec = ModelSpec(model, data.n_features, data.n_classes, widths, seed=seed)
    config = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, optimizer=optimizer)
    with open_session(settings) as session:
        proposer = session.signer(member, account)
        registered = session.zk.variants()
        name = variant or (registered[0].name if registered else "")
        found = session.zk.variant(name)
        chosen = found.with_scale(
            fitting_scale_bits(found.packing.value_bits, clip_norm)
            if scale_bits is None
            else scale_bits
        )
        proposal_id = propose_model(
            session.zk,
            session.store,
            proposer,
            spec,
            config,
            chosen,
            rounds=rounds,
            clip_norm=clip_norm,
            submission_period=submission_period,
            reveal_period=reveal_period,
            min_contributors=min_contributors,
            classes=data.class_names,
        )
        recorded = session.zk.governance.taskProposal(proposal_id)
        vote_end = int(session.zk.governance.proposal(proposal_id).voteEnd)
        say(
            f"proposal {proposal_id}: {model} on {data.name} ({spec.parameter_count} parameters, "
            f"{chosen.packing.n_chunks(spec.parameter_count)} chunks of {name}), {rounds} rounds"
        )
        say(f"  spec {recorded.specCid}; initial model {recorded.task.modelCid}")
        say(f"  voting ends {when(vote_end, session.now())}")


def describe_proposal(session: Session, proposal_id: int) -> list[str]:
    """What a proposal asks for, as a member should read it before voting: for a model, the
    architecture, its parameters and classes, the rounds, schedule and threshold, the circuit
    variant with its packing and clipping bound (from the deployment's registry), and whether
    its keys are the forgeable development ones; for a membership change, the account."""
    import hashlib

    from zkfed.chain import Mode
    from zkfed.exceptions import ZkfedError
    from zkfed.proposals import parse_spec_document

    zk = session.zk
    info = zk.governance.proposal(proposal_id)
    kind = int(info.kind)
    if kind != 0:
        verb = "add" if kind == 1 else "remove"
        return [f"proposal {proposal_id}: {verb} member {info.account}"]
    recorded = zk.governance.taskProposal(proposal_id)
    task = recorded.task
    lines = [f"proposal {proposal_id}: a {Mode(int(task.mode)).name.lower()} task"]
    try:
        data = session.store.get(str(recorded.specCid))
        if hashlib.sha256(data).digest() != bytes(recorded.specHash):
            raise ConfigurationError("its spec document does not match the proposal's hash")
        doc = parse_spec_document(data, proposal_id)
        spec = doc.spec
        hidden = f", hidden {','.join(map(str, spec.hidden))}" if spec.hidden else ""
        lines.append(
            f"  model {spec.kind}{hidden}: {spec.n_features} features, {spec.n_classes} "
            f"classes{' (' + ', '.join(doc.classes) + ')' if doc.classes else ''}, "
            f"{int(task.paramCount)} parameters; clip norm {doc.clip_norm} per chunk"
        )
    except (ZkfedError, OSError) as error:
        lines.append(f"  model: its spec {recorded.specCid} cannot be read ({error})")
    lines.append(
        f"  {int(task.rounds)} rounds, {int(task.submissionPeriod)} s to submit, "
        f"{int(task.revealPeriod)} s to reveal, at least {int(task.minContributors)} "
        f"contributors per chunk; members: the {len(zk.governance.members())} consortium "
        "members with keys when it is executed"
    )
    if Mode(int(task.mode)) == Mode.SECAGG:
        variant = zk.variants()[int(task.variant)]
        p = variant.packing
        lines.append(
            f"  circuit {variant.name} (registry id {variant.id}): W = {p.words} words of "
            f"L = {p.lanes} lanes x {p.lane_bits} bits, {p.value_bits}-bit values, scale "
            f"2^{int(task.scaleBits)}, K = {variant.neighbors} neighbours; bound "
            f"sum(q^2) <= {int(task.bound)} per chunk"
        )
        if zk.development_keys():
            lines.append("  WARNING: this deployment's keys are the insecure development keys")
    else:
        lines.append(f"  key holder {task.keyHolder}, public context {task.contextCid}")
    lines.append(f"  initial model {task.modelCid} (sha256 {bytes(task.modelHash).hex()[:16]}…)")
    return lines


@click.command()
@click.argument("proposal_id", metavar="PROPOSAL", type=int)
@click.option("--for/--against", "support", required=True, help="The vote.")
@member_option()
@account_option()
@pass_settings
def vote(
    settings: Settings, proposal_id: int, support: bool, member: str | None, account: str | None
) -> None:
    """Vote for or against a proposal (one vote per member), after showing what it asks."""
    with open_session(settings) as session:
        voter = session.signer(member, account)
        state = proposal_state(session, proposal_id)
        if state != ProposalState.ACTIVE:
            raise ConfigurationError(
                f"Proposal {proposal_id} is {state.name.lower()}, so it takes no more votes."
            )
        if bool(session.zk.governance.hasVoted(proposal_id, voter.address)):
            raise ConfigurationError(
                f"{voter.address} has already voted on proposal {proposal_id}."
            )
        for line in describe_proposal(session, proposal_id):
            say(line)
        session.zk.vote(voter, proposal_id, support)
        info = session.zk.governance.proposal(proposal_id)
        say(
            f"voted {'for' if support else 'against'} proposal {proposal_id}: "
            f"{info.forVotes} for, {info.againstVotes} against, of {info.electorate} members "
            f"({proposal_state(session, proposal_id).name.lower()})"
        )


@click.command()
@click.argument("proposal_id", metavar="PROPOSAL", type=int)
@member_option()
@account_option()
@pass_settings
def execute(settings: Settings, proposal_id: int, member: str | None, account: str | None) -> None:
    """Carry out a proposal that won its vote: a model proposal opens its task."""
    with open_session(settings) as session:
        caller = session.signer(member, account)
        state = proposal_state(session, proposal_id)
        if state != ProposalState.SUCCEEDED:
            info = session.zk.governance.proposal(proposal_id)
            raise ConfigurationError(
                f"Proposal {proposal_id} is {state.name.lower()} ({info.forVotes} for, "
                f"{info.againstVotes} against, of {info.electorate}), so it cannot be executed."
            )
        task_id = session.zk.execute(caller, proposal_id)
        members = session.zk.task_members(task_id) if task_id else []
        if task_id:
            say(f"executed proposal {proposal_id}: task {task_id} with {len(members)} members")
        else:
            say(f"executed proposal {proposal_id}")
