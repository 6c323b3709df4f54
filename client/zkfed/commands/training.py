"""Local training, as a member runs it: the round's global model, the member's data, a saved update.

Nothing leaves the machine: `train` saves the update under ``HOME/updates/`` and `zkfed submit`
sends it.
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
    say,
)
from zkfed.commands.rounds import open_round
from zkfed.config import SavedUpdate
from zkfed.datasets import BUNDLED, Dataset, IntArray, load_dataset, split_non_iid
from zkfed.exceptions import ConfigurationError, DatasetError


def _parse_part(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        index, count = (int(v) for v in text.split("/"))
    except ValueError:
        index, count = 0, 0
    if not 1 <= index <= count:
        raise click.BadParameter(
            f"{text!r} is not I/N with 1 <= I <= N, e.g. 2/5.", param_hint="--member-part"
        )
    return index, count


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


@click.command()
@click.argument("task_id", metavar="TASK", type=int)
@member_option(required=True)
@click.option(
    "--dataset",
    required=True,
    help=f"Local data: {', '.join(BUNDLED)}, or a CSV/NPZ file with a label column.",
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
    """Train on local data from the round's global model and save the update locally."""
    from zkfed.proposals import task_proposal
    from zkfed.protocol import pending_chunks, round_model, store_model
    from zkfed.training import evaluate_weights, member_seed, train_local

    part = _parse_part(member_part)
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
        data = load_dataset(
            dataset if dataset in BUNDLED else Path(dataset), label=label, seed=seed
        )
        if data.n_features != spec.n_features:
            raise DatasetError(
                f"Dataset {data.name!r} has {data.n_features} features; task {task_id}'s model "
                f"expects {spec.n_features}."
            )
        mapping = _labels_for_task(data, proposal.classes, spec.n_classes, task_id)
        rows = np.arange(len(data.y_train))
        if part is not None:
            index, count = part
            rows = split_non_iid(data.y_train, count, seed=seed)[index - 1]
        x, y = data.x_train[rows], mapping[data.y_train[rows]]
        weights = round_model(zk, session.store, task, round_index)
        cid, _ = store_model(session.store, weights)
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
            SavedUpdate(
                task=task_id,
                round=round_index,
                aggregator=session.deployment.aggregator,
                chain_id=session.deployment.chain_id,
                member=address,
                global_model=cid,
                delta=update.delta,
                quantization_seed=secrets.randbits(63),
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
