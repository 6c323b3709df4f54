"""The consortium's votes: on a model (propose, which `execute` turns into a task) and on who is
a member (propose-member); vote and execute serve both."""

from __future__ import annotations

from pathlib import Path

import click

from zkfed.chain import Proposal, ProposalKind, ProposalState
from zkfed.commands._session import (
    Session,
    Settings,
    account_option,
    address_of,
    member_option,
    open_session,
    pass_settings,
    plural,
    say,
    when,
)
from zkfed.datasets import BUNDLED, load_dataset
from zkfed.exceptions import ConfigurationError
from zkfed.quantize import fitting_scale_bits

__all__ = [
    "describe_proposal",
    "execute",
    "propose",
    "propose_member",
    "vote",
]


@click.command(short_help="Propose a model for the consortium to train.")
@member_option()
@account_option()
@click.option(
    "--model",
    type=click.Choice(["logreg", "mlp"]),
    default="logreg",
    show_default=True,
    help="Logistic regression, or a multi-layer perceptron (see --hidden).",
)
@click.option(
    "--hidden",
    default="32",
    show_default=True,
    metavar="WIDTHS",
    help="The MLP's hidden layer widths, comma-separated, e.g. 64,32.",
)
@click.option(
    "--dataset",
    required=True,
    metavar="NAME|FILE",
    help=f"The data the model is for: {', '.join(BUNDLED)}, or a CSV/NPZ file with a label column.",
)
@click.option(
    "--label",
    default="label",
    show_default=True,
    metavar="COLUMN",
    help="The label column of a CSV/NPZ file.",
)
@click.option(
    "--rounds",
    default=3,
    show_default=True,
    metavar="N",
    type=click.IntRange(1, 10_000),
    help="Training rounds of the task.",
)
@click.option(
    "--variant",
    metavar="NAME",
    help="Circuit variant that proves the updates (default: the deployment's first).",
)
@click.option(
    "--clip-norm",
    default=5.0,
    show_default=True,
    metavar="NORM",
    type=click.FloatRange(min=0, min_open=True),
    help="Each member clips its update to this L2 norm per chunk before quantising it.",
)
@click.option(
    "--scale-bits",
    type=click.IntRange(0, 30),
    metavar="S",
    help="Fixed-point scale 2^S of quantised updates (default: the finest at which --clip-norm "
    "fits the variant).",
)
@click.option(
    "--epochs",
    default=3,
    show_default=True,
    metavar="N",
    type=click.IntRange(1),
    help="Local epochs each member trains per round.",
)
@click.option(
    "--batch-size",
    default=16,
    show_default=True,
    metavar="N",
    type=click.IntRange(1),
    help="Mini-batch size of local training.",
)
@click.option(
    "--lr",
    default=0.03,
    show_default=True,
    metavar="RATE",
    type=float,
    help="Learning rate of local training.",
)
@click.option(
    "--optimizer",
    type=click.Choice(("sgd", "adam")),
    default="sgd",
    show_default=True,
    help="Optimizer of local training.",
)
@click.option(
    "--seed",
    default=0,
    show_default=True,
    metavar="N",
    type=click.IntRange(0),
    help="Seed of the initial weights and of the data split.",
)
@click.option(
    "--submission-period",
    default=3600,
    show_default=True,
    metavar="SECONDS",
    type=click.IntRange(1),
    help="How long each round takes submissions.",
)
@click.option(
    "--reveal-period",
    default=3600,
    show_default=True,
    metavar="SECONDS",
    type=click.IntRange(1),
    help="How long after the submissions members have to remove the masks of dropped members.",
)
@click.option(
    "--min-contributors",
    default=3,
    show_default=True,
    metavar="N",
    type=click.IntRange(3),
    help="Fewest contributors a chunk's sum may have, so no one's update shows in it.",
)
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
            scaling=data.scaling,
        )
        recorded = session.zk.governance.taskProposal(proposal_id)
        vote_end = int(session.zk.governance.proposal(proposal_id).voteEnd)
        say(
            f"proposal {proposal_id}: {model} on {data.name} ({spec.parameter_count} parameters, "
            f"{plural(chosen.packing.n_chunks(spec.parameter_count), 'chunk')} of {name}), "
            f"{plural(rounds, 'round')}"
        )
        if data.scaling is not None:
            say(f"  {data.scaling.describe()}")
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
    proposal = zk.proposal(proposal_id)
    if proposal.is_membership:
        return _describe_membership(session, proposal)
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
        lines.append(
            f"  {doc.scaling.describe()}"
            if doc.scaling is not None
            else "  feature scaling: not recorded (each member standardises with its own "
            "statistics)"
        )
    except (ZkfedError, OSError) as error:
        lines.append(f"  model: its spec {recorded.specCid} cannot be read ({error})")
    lines.append(
        f"  {plural(int(task.rounds), 'round')}, {int(task.submissionPeriod)} s to submit, "
        f"{int(task.revealPeriod)} s to reveal, at least {int(task.minContributors)} "
        "contributors per chunk; members: those of the "
        f"{plural(len(zk.members()), 'consortium member')} with keys when it is executed"
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


def _named(session: Session, address: str) -> str:
    """An address, with the local member name bound to it if there is one."""
    name = session.name_of(address)
    return f"{address} ({name})" if name else address


def _describe_membership(session: Session, proposal: Proposal) -> list[str]:
    """What a membership proposal asks, who made it, and what carries it."""
    subject = _named(session, proposal.account)
    asks = (
        f"add {subject} as a member"
        if proposal.kind == ProposalKind.ADD_MEMBER
        else f"remove {subject} from the members"
    )
    return [
        f"proposal {proposal.proposal_id} asks to {asks}",
        f"  proposed by {_named(session, proposal.proposer)}; {proposal.majority} of the "
        f"{proposal.electorate} members when it was made must vote for it; voting ends "
        f"{when(proposal.vote_end, session.now())}",
    ]


@click.command(short_help="Propose to add or remove a member of the consortium.")
@click.argument("subject", metavar="ACCOUNT")
@click.option(
    "--remove",
    is_flag=True,
    help="Propose to remove ACCOUNT from the members (by default it is added).",
)
@member_option()
@account_option()
@pass_settings
def propose_member(
    settings: Settings, subject: str, remove: bool, member: str | None, account: str | None
) -> None:
    """Propose to add ACCOUNT to the consortium, or with --remove to remove it.

    ACCOUNT is an address, a test account index (local chains) or an ape account alias. Once a
    majority of the members votes for the proposal, anyone executes it; a new member then
    creates its keys ('zkfed keygen') and registers them ('zkfed register'), and votes on the
    proposals made after it joined.
    """
    with open_session(settings) as session:
        proposer = session.signer(member, account)
        address = address_of(subject, session.connection)
        proposal_id = session.zk.propose_membership(proposer, address, add=not remove)
        proposal = session.zk.proposal(proposal_id)
        say(f"proposal {proposal_id}: {proposal.asks}")
        say(
            f"  {proposal.majority} of the {proposal.electorate} members must vote for it "
            f"('zkfed vote {proposal_id} --for'); voting ends "
            f"{when(proposal.vote_end, session.now())}"
        )


@click.command(short_help="Vote for or against a proposal, after reading it.")
@click.argument("proposal_id", metavar="PROPOSAL", type=int)
@click.option(
    "--for/--against", "support", required=True, help="Vote for the proposal, or against it."
)
@member_option()
@account_option()
@pass_settings
def vote(
    settings: Settings, proposal_id: int, support: bool, member: str | None, account: str | None
) -> None:
    """Vote for or against a proposal (one vote per member), after showing what it asks."""
    with open_session(settings) as session:
        zk = session.zk
        voter = session.signer(member, account)
        refusal = zk.vote_refusal(proposal_id, voter)
        if refusal is not None:
            raise ConfigurationError(refusal)
        for line in describe_proposal(session, proposal_id):
            say(line)
        zk.vote(voter, proposal_id, support)
        after = zk.proposal(proposal_id)
        if after.state == ProposalState.SUCCEEDED:
            outcome = f"it has succeeded: execute it with 'zkfed execute {proposal_id}'"
        elif after.state == ProposalState.ACTIVE:
            outcome = (
                f"it {after.state_phrase} until {when(after.vote_end, session.now())} and "
                f"carries with {plural(after.majority, 'vote')} for"
            )
        else:
            outcome = f"it {after.state_phrase}"
        say(
            f"voted {'for' if support else 'against'} proposal {proposal_id}: {after.tally}; "
            f"{outcome}"
        )


@click.command(short_help="Carry out a proposal that won its vote.")
@click.argument("proposal_id", metavar="PROPOSAL", type=int)
@member_option()
@account_option()
@pass_settings
def execute(settings: Settings, proposal_id: int, member: str | None, account: str | None) -> None:
    """Carry out a proposal that won its vote: a model proposal opens its task, a membership
    proposal adds or removes its member."""
    with open_session(settings) as session:
        zk = session.zk
        caller = session.signer(member, account)
        proposal = zk.proposal(proposal_id)
        if proposal.state == ProposalState.ACTIVE:
            raise ConfigurationError(
                f"Proposal {proposal_id} cannot be executed yet: it has {proposal.tally} and "
                f"needs {plural(proposal.majority, 'vote')} for, until "
                f"{when(proposal.vote_end, session.now())}."
            )
        if proposal.state == ProposalState.DEFEATED:
            raise ConfigurationError(
                f"Proposal {proposal_id} was defeated ({proposal.tally} when its vote ended), "
                "so it cannot be executed."
            )
        if proposal.state == ProposalState.EXECUTED:
            raise ConfigurationError(
                f"Proposal {proposal_id} was executed already ({proposal.tally})."
            )
        task_id = zk.execute(caller, proposal_id)
        if task_id:
            members = zk.task_members(task_id)
            say(
                f"executed proposal {proposal_id}: task {task_id} with "
                f"{plural(len(members), 'member')}"
            )
            return
        count = plural(len(zk.members()), "member")
        if proposal.kind == ProposalKind.ADD_MEMBER:
            say(
                f"executed proposal {proposal_id}: {proposal.account} is now a member ({count}); "
                "it creates its keys with 'zkfed keygen' and registers them with "
                "'zkfed register'"
            )
        else:
            say(
                f"executed proposal {proposal_id}: {proposal.account} is no longer a member "
                f"({count} left)"
            )
