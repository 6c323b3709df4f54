"""Local training, as a member runs it: the round's global model, the member's data, a saved update.

Nothing leaves the machine: `train` saves the update under ``HOME/updates/`` and `zkfed submit`
sends it. `train` reads and checks the data file before it connects to anything, so a malformed
file is refused at once, then scales the raw features with the task's feature scaling (from the
spec document members voted on, never from the member's own statistics: see
`zkfed.datasets`). `example-data` writes one member's share of a bundled set in the CSV format
`train` reads, for a first try.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import click
import numpy as np

from zkfed.commands._session import (
    Settings,
    member_option,
    open_session,
    pass_settings,
    plural,
    say,
    warn,
)
from zkfed.commands.rounds import open_round
from zkfed.config import SavedUpdate
from zkfed.datasets import (
    BUNDLED,
    MAX_FILE_BYTES,
    Dataset,
    IntArray,
    RawData,
    load_dataset,
    member_csv,
    prepare_dataset,
    read_dataset,
    split_non_iid,
)
from zkfed.exceptions import ConfigurationError, DatasetError

FAR_FROM_REFERENCE = 10.0
"""Mean of a scaled feature, in reference standard deviations, past which `train` warns."""

CSV_FORMAT = f"""\b
The data: a bundled set ({", ".join(BUNDLED)}) or a file of your own:
  CSV  UTF-8, comma-separated; line 1 is a header naming the columns, then
       one sample per line. The label column (--label, default 'label')
       holds a class: a number or a name among the task's classes. Every
       other column is a feature and holds a number on every line (no
       empty cells, no NaN); as many features as the task's model takes.
  NPZ  numpy arrays of equal length, one per column (a 2-D array counts
       as several columns).
Features are raw values as measured: train applies the task's feature
scaling itself. Files over {MAX_FILE_BYTES // 10**6} MB are refused. 'zkfed example-data'
writes a sample file in this format."""


def _parse_part(text: str | None, param_hint: str = "--member-part") -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        index, count = (int(v) for v in text.split("/"))
    except ValueError:
        index, count = 0, 0
    if not 1 <= index <= count:
        raise click.BadParameter(
            f"{text!r} is not I/N with 1 <= I <= N, e.g. 2/5.", param_hint=param_hint
        )
    return index, count


def _read_local_data(dataset: str, label: str) -> RawData:
    """The member's data, read and checked before anything connects (a bundled set by name)."""
    return read_dataset(dataset if dataset in BUNDLED else Path(dataset), label=label)


def _warn_far_features(data: Dataset, task_id: int) -> None:
    """Warn when a scaled feature sits far from the task's reference: likely other units."""
    if data.scaling.is_none or len(data.x_train) == 0:
        return
    means = np.abs(data.x_train.mean(axis=0))
    worst = int(np.argmax(means))
    if means[worst] > FAR_FROM_REFERENCE:
        warn(
            f"feature {worst} (0-based) of {data.name} averages {means[worst]:.0f} standard "
            f"deviations from task {task_id}'s reference mean; check that its units match."
        )


def _labels_for_task(
    data: Dataset, classes: tuple[str, ...], n_classes: int, task_id: int
) -> IntArray:
    """Re-index the member's labels into the task's class order."""
    if not classes:
        if data.n_classes > n_classes:
            raise DatasetError(
                f"Dataset {data.name!r} has {data.n_classes} classes; task {task_id}'s model has "
                f"{n_classes}."
            )
        return np.arange(data.n_classes)
    unknown = [name for name in data.class_names if name not in classes]
    if unknown:
        raise DatasetError(
            f"Dataset {data.name!r} has label {unknown[0]!r}, which is not one of task "
            f"{task_id}'s classes ({', '.join(classes)})."
        )
    return np.array([classes.index(name) for name in data.class_names], dtype=np.int64)


@click.command(
    help="Train on local data from the round's global model and save the update locally.\n\n"
    + CSV_FORMAT
)
@click.argument("task_id", metavar="TASK", type=int)
@member_option(required=True)
@click.option(
    "--dataset",
    required=True,
    help=f"Local data: {', '.join(BUNDLED)}, or a CSV/NPZ file (format above).",
)
@click.option("--label", default="label", show_default=True, help="Label column of a CSV/NPZ.")
@click.option(
    "--member-part",
    help="Train on part I of N non-IID parts of the data (1-based), e.g. 2/5 (simulations).",
)
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0))
@click.option("--force", is_flag=True, help="Replace an update saved but not yet submitted.")
@pass_settings
def train(
    settings: Settings,
    task_id: int,
    member: str,
    dataset: str,
    label: str,
    member_part: str | None,
    seed: int,
    force: bool,
) -> None:
    part = _parse_part(member_part)
    raw = _read_local_data(dataset, label)  # before anything slow: torch, ape, the node

    from zkfed.proposals import task_proposal
    from zkfed.protocol import pending_chunks, round_model, store_model
    from zkfed.training import evaluate_weights, member_seed, train_local

    with open_session(settings) as session:
        session.require_task(task_id)
        zk = session.zk
        account = session.member_account(member)
        address = str(account.address)
        me = zk.member_index(task_id, account)
        round_index = open_round(session, task_id)
        session.warn_without_keys(member, address)
        path = session.home.update_file(address, task_id, round_index)
        if session.home.signed_chunks(address, task_id, round_index):
            raise ConfigurationError(
                f"{member}'s update for round {round_index} has been signed for submission, so "
                "it stays as it is (a second update under the same masks would reveal their "
                "difference); run 'zkfed submit' to send the rest."
            )
        if path.exists() and not force:
            raise ConfigurationError(
                f"An update of {member} for round {round_index} is already saved at {path}; "
                "submit it, or pass --force to train again."
            )
        task = zk.secagg_task(task_id)
        if path.exists() and len(pending_chunks(zk, task, round_index, me)) < task.n_chunks:
            raise ConfigurationError(
                f"{member} has already submitted chunks of round {round_index}, so its saved "
                "update must stay as it is; run 'zkfed submit' to send the rest."
            )
        proposal = task_proposal(zk, session.store, task_id)
        spec = proposal.spec
        n_features = int(raw.x.shape[1])
        if n_features != spec.n_features:
            raise DatasetError(
                f"Dataset {raw.name!r} has {plural(n_features, 'feature')}; task {task_id}'s "
                f"model expects {spec.n_features}."
            )
        if proposal.scaling is None:
            warn(
                f"task {task_id}'s spec document names no feature scaling (it predates it), so "
                f"{member}'s features are standardised with their own statistics, which other "
                "members do not share."
            )
        data = prepare_dataset(raw, scaling=proposal.scaling, seed=seed)
        _warn_far_features(data, task_id)
        mapping = _labels_for_task(data, proposal.classes, spec.n_classes, task_id)
        rows = np.arange(len(data.y_train))
        if part is not None:
            index, count = part
            rows = split_non_iid(data.y_train, count, seed=seed)[index - 1]
        x, y = data.x_train[rows], mapping[data.y_train[rows]]
        weights = round_model(zk, session.store, task, round_index)
        cid, digest = store_model(session.store, weights)
        if weights.shape != (spec.parameter_count,):
            raise ConfigurationError(
                f"The global model {cid} has {weights.size} parameters; the spec says "
                f"{spec.parameter_count}."
            )
        say(
            f"round {round_index} of task {task_id}: training {spec.kind} "
            f"({spec.parameter_count} parameters) on {len(y)} samples of {data.name}, "
            f"{proposal.training.epochs} epochs"
        )
        started = time.perf_counter()
        update = train_local(
            spec, weights, x, y, proposal.training, seed=member_seed(seed, round_index, me)
        )
        y_test = mapping[data.y_test]
        before = evaluate_weights(spec, weights, data.x_test, y_test)
        after = evaluate_weights(spec, weights + update.delta, data.x_test, y_test)
        saved = session.home.save_update(
            SavedUpdate.trained(
                session.deployment,
                address,
                task_id,
                round_index,
                cid,
                digest,
                update.delta,
                secrets.randbits(63),
                train_loss=update.train_loss,
                samples=update.n_samples,
                dataset=data.name,
            )
        )
        say(
            f"  trained in {time.perf_counter() - started:.1f} s: loss {update.train_loss:.4f}, "
            f"local test accuracy {100 * before.accuracy:.1f} % -> {100 * after.accuracy:.1f} %"
        )
        say(f"  update saved to {saved}; next: zkfed submit {task_id} --member {member}")


@click.command("example-data")
@click.option(
    "--dataset",
    "name",
    type=click.Choice(BUNDLED),
    default="wine",
    show_default=True,
    help="The bundled set to take the share from.",
)
@click.option(
    "--part",
    default="1/5",
    show_default=True,
    help="Member I of N: the share of member I when the set is split non-IID among N (1-based).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The CSV file to write.",
)
@click.option(
    "--seed", default=0, show_default=True, type=click.IntRange(0), help="Seed of the split."
)
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
def example_data(name: str, part: str, out: Path, seed: int, force: bool) -> None:
    """Write one member's share of a bundled dataset as the raw CSV 'zkfed train' reads.

    The share is the one 'zkfed train --dataset NAME --member-part I/N --seed S' trains on: a
    non-IID (Dirichlet label-skewed) part of the set's training split; its test split stays out.
    The file has a header x0,x1,...,label and raw feature values, as a member would export them.
    """
    parsed = _parse_part(part, "--part")
    assert parsed is not None
    index, count = parsed
    if out.exists() and not force:
        raise ConfigurationError(f"File {out} already exists; pass --force to overwrite it.")
    data = load_dataset(name, seed=seed)
    rows = split_non_iid(data.y_train, count, seed=seed)[index - 1]
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(member_csv(data, rows), encoding="utf-8")
    except OSError as error:
        raise ConfigurationError(f"Cannot write {out} ({error.strerror}).") from None
    classes = sorted({data.class_names[int(c)] for c in data.y_train[rows]})
    say(
        f"wrote {plural(len(rows), 'sample')} of {name} (member {index} of {count}, "
        f"classes {', '.join(classes)}) to {out}: "
        f"{plural(data.n_features, 'feature column')} x0..x{data.n_features - 1} and 'label'"
    )
    say(f"  train on it: zkfed train TASK -m NAME --dataset {out}")
