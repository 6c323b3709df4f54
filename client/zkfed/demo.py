"""The end-to-end demo of zkfed (``ape run demo``), as a library so benchmarks and tests reuse it.

Deploy; members register BabyJubJub keys; two model proposals (logistic regression and an MLP)
are voted on; the winner is trained for several rounds on scikit-learn's bundled data, split
non-IID across members, with secure aggregation and Groth16 proofs (or CKKS with --mode ckks).
Every key is registered with a proof of possession. One round has a member drop out after the
others submitted; its neighbours remove their masks with it on-chain, with proofs, except one
that goes offline after submitting, whose mask its other neighbours recover from its escrowed
seed. Each round's exact aggregate is sealed on-chain and its model derived from it, checked
against the members' own mean and verified from chain + storage alone. The proposals fix the
feature scaling (fitted on the data's training split, the proposer's reference) and every member
trains on its share under it, as `zkfed train` does. Prints a table, writes
a JSON report and a plot, and compares with plain FedAvg and centralized training.
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import numpy as np
import numpy.typing as npt
from ape import accounts, chain, project

from zkfed.babyjubjub import generate_secret_key
from zkfed.chain import Mode, Variant, Zkfed
from zkfed.circuits import DEFAULT_VARIANT, PAIR_COMMIT, load_circuit
from zkfed.ckks import KeyHolder, PublicContext
from zkfed.datasets import Dataset, FeatureScaling, split_non_iid
from zkfed.exceptions import ZkfedError
from zkfed.models import ModelSpec, initial_weights
from zkfed.proposals import DEFAULT_CLIP_NORM, DEV_PERIOD, propose_model
from zkfed.protocol import (
    ckks_round_model,
    commit_ciphertext,
    finalize,
    finalize_ckks,
    join_task,
    recover_escrowed,
    register_key,
    reveal_ciphertext,
    reveal_for_dropouts,
    round_model,
    store_model,
    submit_update,
    verify_ckks_round,
    verify_round,
)
from zkfed.proving import default_prover, open_prover
from zkfed.quantize import dequantize, quantize
from zkfed.secagg import SecaggTask
from zkfed.storage import LocalStore
from zkfed.training import (
    TrainConfig,
    centralized_baseline,
    evaluate_weights,
    member_seed,
    train_local,
)

VOTING_PERIOD = SUBMISSION_PERIOD = REVEAL_PERIOD = DEV_PERIOD
CLIP_NORM = DEFAULT_CLIP_NORM
MLP_HIDDEN = (32,)


@dataclass
class RoundRow:
    """One line of the report."""

    round: int
    accuracy: float
    loss: float
    fedavg_accuracy: float
    gas: int
    prove_seconds: float
    seconds: float
    dropouts: list[int] = field(default_factory=list)
    verify_round: str = ""
    model_cid: str = ""
    onchain_aggregate_digest: str = ""
    model_matches_chain: bool | None = None


def _direct_mean(
    task: SecaggTask,
    weights: npt.NDArray[np.float64],
    updates: dict[int, Any],
    contributors: list[int],
    seed: int,
    round_index: int,
) -> npt.NDArray[np.float64]:
    """The round's model computed without the chain: the members' own quantised updates (the
    same rounding `submit_update` drew) averaged and added, as a check of the chain's model."""
    quantized = [
        quantize(
            updates[i].delta,
            task.packing,
            np.random.default_rng(member_seed(seed + 1, round_index, i)),
            task.clip_norm,
        )
        for i in contributors
    ]
    mean: npt.NDArray[np.float64] = dequantize(np.sum(quantized, axis=0), task.packing) / len(
        contributors
    )
    return np.asarray(weights, dtype=np.float64) + mean


def _say(message: str) -> None:
    click.echo(message)
    sys.stdout.flush()


def _live() -> bool:
    """Whether progress may redraw one line (a terminal); in a log or a pipe only the per-step
    summaries are written."""
    return sys.stdout.isatty()


def _end_line() -> None:
    """End a line of live progress."""
    if _live():
        click.echo("")


def _progress(prefix: str) -> Any:
    def report(stage: str, done: int, total: int) -> None:
        if not _live():
            return
        if done < total:
            click.echo(f"\r    {prefix}: {stage} {done + 1}/{total}   ", nl=False)
        else:
            click.echo(f"\r    {prefix}: {stage} done{' ' * 12}", nl=False)

    return report


def _silent_contributor(task: SecaggTask, dropped: list[int]) -> int | None:
    """A neighbour of the dropped member that stays silent after submitting (the dropout round
    of a task that escrows), or None."""
    if not dropped or not task.escrows:
        return None
    return task.neighbor_indices(dropped[0])[0]


def _advance(seconds: int) -> None:
    """Move the embedded chain's clock (anvil) past a deadline."""
    chain.mine(deltatime=seconds + 1)


def _propose(
    zk: Zkfed,
    store: LocalStore,
    proposer: Any,
    spec: ModelSpec,
    config: TrainConfig,
    variant: Variant,
    rounds: int,
    mode: Mode,
    key_holder: str,
    context_cid: str,
    scaling: FeatureScaling,
) -> int:
    return propose_model(
        zk,
        store,
        proposer,
        spec,
        config,
        variant,
        rounds=rounds,
        clip_norm=CLIP_NORM,
        submission_period=SUBMISSION_PERIOD,
        reveal_period=REVEAL_PERIOD,
        mode=mode,
        key_holder=key_holder,
        context_cid=context_cid,
        scaling=scaling,
    )


def _plot(rows: list[RoundRow], centralized: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    rounds = [r.round for r in rows]
    axis.plot(rounds, [100 * r.accuracy for r in rows], "o-", label="zkfed (secure)")
    axis.plot(rounds, [100 * r.fedavg_accuracy for r in rows], "s--", label="plain FedAvg")
    axis.axhline(100 * centralized, color="grey", linestyle=":", label="centralized")
    for r in rows:
        if r.dropouts:
            axis.annotate(
                "dropout",
                (r.round, 100 * r.accuracy),
                textcoords="offset points",
                xytext=(0, -15),
                ha="center",
                fontsize=8,
            )
    axis.set_xlabel("round")
    axis.set_ylabel("test accuracy (%)")
    axis.set_title("zkfed: global model accuracy per round")
    axis.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def run_demo(
    n_members: int,
    rounds: int,
    data: Dataset,
    mode: Mode,
    preferred: str,
    dropout_round: int,
    seed: int,
    report_path: Path,
    plot_path: Path,
    store_dir: Path,
    prover_name: str | None = None,
) -> None:
    """Run the demo (see the module docstring) and write its report and plot."""
    started = time.perf_counter()
    prover_name = prover_name or default_prover()
    store = LocalStore(store_dir)
    deployer, *people = accounts.test_accounts[: n_members + 1]
    _say(
        f"zkfed demo: {n_members} members, {rounds} rounds, {data.name} "
        f"({len(data.y_train)} train / {len(data.y_test)} test samples), mode {mode.name.lower()}, "
        f"prover {prover_name}"
    )

    # 1. Deploy and register keys.
    zk = Zkfed.deploy(project, deployer, people, VOTING_PERIOD)
    circuit = load_circuit(DEFAULT_VARIANT)
    pair_circuit = load_circuit(PAIR_COMMIT)
    # CKKS tasks name the registry's variant too and ignore it (they prove nothing).
    variant = zk.variant(DEFAULT_VARIANT).with_scale(circuit.packing().scale_bits)
    secret_keys = [generate_secret_key() for _ in people]
    with closing(open_prover(prover_name)) as key_prover:
        for person, sk in zip(people, secret_keys, strict=True):
            register_key(zk, key_prover, person, sk)
    _say(
        f"  deployed aggregator {zk.aggregator.address}; {n_members} keys registered, each "
        "with a proof of possession"
    )

    # 2. Governance: two proposals, one vote each, the majority's favourite is executed.
    key_holder = KeyHolder.create() if mode == Mode.CKKS else None
    context_cid = store.add(key_holder.public_bytes) if key_holder else ""
    config = TrainConfig()
    specs = {
        "logreg": ModelSpec("logreg", data.n_features, data.n_classes, seed=seed),
        "mlp": ModelSpec("mlp", data.n_features, data.n_classes, MLP_HIDDEN, seed=seed),
    }
    proposals = {
        kind: _propose(
            zk,
            store,
            people[0],
            spec,
            config,
            variant,
            rounds,
            mode,
            people[0].address if key_holder else "0x" + "00" * 20,
            context_cid,
            data.scaling,
        )
        for kind, spec in specs.items()
    }
    majority = n_members // 2 + 1
    for i, person in enumerate(people):
        for kind, proposal in proposals.items():
            zk.vote(person, proposal, (kind == preferred) == (i < majority))
    for kind, proposal in proposals.items():
        info = zk.governance.proposal(proposal)
        _say(
            f"  proposal {proposal} ({kind}, {specs[kind].parameter_count} parameters): "
            f"{info.forVotes} for, {info.againstVotes} against"
        )
    task_id = zk.execute(people[0], proposals[preferred])
    spec = specs[preferred]
    _say(f"  executed proposal {proposals[preferred]}: task {task_id} trains {preferred}")

    # 3. Local data, baselines.
    parts = split_non_iid(data.y_train, n_members, seed=seed)
    plain = initial_weights(spec)
    central = centralized_baseline(spec, data, config, rounds=rounds, seed=seed)
    task = zk.secagg_task(task_id) if mode == Mode.SECAGG else None
    public_context = PublicContext.from_bytes(store.get(context_cid)) if key_holder else None

    rows: list[RoundRow] = []
    header = (
        f"{'round':>5} {'acc %':>7} {'fedavg %':>8} {'loss':>7} {'gas':>11} "
        f"{'prove s':>8} {'drop':>5} verify"
    )
    join_gas, join_seconds = 0, 0.0
    # Two provers: members with several chunks prove two at a time (bench/prover.py).
    with closing(open_prover(prover_name, workers=2)) as prover:
        if task is not None:
            # 4. Each member joins the task once: one commitment per neighbour pair, proven.
            for i, person in enumerate(people):
                joined = join_task(
                    zk,
                    prover,
                    pair_circuit,
                    person,
                    secret_keys[i],
                    task,
                    _progress(f"member {i} joins"),
                )
                join_gas += joined.gas
                join_seconds += joined.prove_seconds
            _end_line()
            _say(
                f"  {n_members} members joined task {task_id}: pair commitments posted, "
                f"{join_gas // n_members:,} gas and {join_seconds / n_members:.1f} s proving "
                "per member (once per task)"
            )
        for r in range(1, rounds + 1):
            round_start = time.perf_counter()
            if task is not None:
                weights = round_model(zk, store, task, r)
            else:
                weights = ckks_round_model(zk, store, task_id, r)
            dropped = [n_members - 1] if r == dropout_round else []
            active = [i for i in range(n_members) if i not in dropped]
            gas, prove_seconds = 0, 0.0
            updates = {}
            ciphertexts: dict[int, bytes] = {}  # CKKS: private until the reveal window
            for i in range(n_members):
                part = parts[i]
                updates[i] = train_local(
                    spec,
                    weights,
                    data.x_train[part],
                    data.y_train[part],
                    config,
                    seed=member_seed(seed, r, i),
                )
            for i in active:
                if task is not None:
                    rng = np.random.default_rng(member_seed(seed + 1, r, i))
                    sub = submit_update(
                        zk,
                        prover,
                        circuit,
                        people[i],
                        secret_keys[i],
                        task,
                        r,
                        updates[i].delta,
                        rng,
                        _progress(f"round {r} member {i}"),
                    )
                    gas += sub.gas
                    prove_seconds += sub.prove_seconds
                else:
                    assert public_context is not None
                    blob = public_context.encrypt(updates[i].delta, clip_norm=CLIP_NORM)
                    ciphertexts[i] = blob
                    gas += int(commit_ciphertext(zk, people[i], task_id, r, blob).gas_used)
            _end_line()
            _advance(SUBMISSION_PERIOD)
            if task is not None:
                # In the dropout round one of the dropped member's neighbours goes offline too,
                # after submitting: it never removes its mask, and its other neighbours open the
                # seed it escrowed (circuits/README.md, "Seed escrow").
                silent = _silent_contributor(task, dropped)
                for i in active:
                    if i == silent:
                        continue
                    rev = reveal_for_dropouts(
                        zk,
                        prover,
                        people[i],
                        secret_keys[i],
                        task,
                        r,
                        _progress(f"round {r} member {i}"),
                    )
                    gas += rev.gas
                    prove_seconds += rev.prove_seconds
                if dropped:
                    _end_line()
                if silent is not None:
                    _advance(REVEAL_PERIOD)
                    for i in active:
                        if i == silent:
                            continue
                        rec = recover_escrowed(
                            zk, prover, people[i], secret_keys[i], task, r,
                            _progress(f"round {r} member {i} recovers"),
                        )  # fmt: skip
                        gas += rec.gas
                        prove_seconds += rec.prove_seconds
                    _end_line()
                    _say(
                        f"  member {silent} went offline after submitting; its other "
                        "neighbours opened its escrowed seed and removed its mask"
                    )
                result, fin_gas = finalize(zk, store, people[0], task, r)
                new_weights, new_cid = result.weights, result.cid
                verdict = verify_round(zk, store, task_id, r)
                aggregate_digest = "0x" + result.digest.hex()
                expected = _direct_mean(task, weights, updates, active, seed, r)
                matches = bool(np.array_equal(round_model(zk, store, task, r + 1), expected))
            else:
                assert public_context is not None and key_holder is not None
                for i in active:
                    receipt = reveal_ciphertext(zk, store, people[i], task_id, r, ciphertexts[i])
                    gas += int(receipt.gas_used)
                _advance(REVEAL_PERIOD)
                digest, _, fin_gas = finalize_ckks(zk, store, people[0], key_holder, task_id, r)
                new_weights = ckks_round_model(zk, store, task_id, r + 1)
                new_cid, _ = store_model(store, new_weights)
                verdict = verify_ckks_round(zk, store, public_context, task_id, r)
                aggregate_digest, matches = "0x" + digest.hex(), None
            gas += fin_gas
            plain = plain + np.mean(
                [
                    train_local(
                        spec,
                        plain,
                        data.x_train[parts[i]],
                        data.y_train[parts[i]],
                        config,
                        seed=member_seed(seed, r, i),
                    ).delta
                    for i in active
                ],
                axis=0,
            )
            metrics = evaluate_weights(spec, new_weights, data.x_test, data.y_test)
            fedavg = evaluate_weights(spec, plain, data.x_test, data.y_test)
            rows.append(
                RoundRow(
                    r,
                    metrics.accuracy,
                    metrics.loss,
                    fedavg.accuracy,
                    gas,
                    prove_seconds,
                    time.perf_counter() - round_start,
                    dropped,
                    str(verdict),
                    new_cid,
                    aggregate_digest,
                    matches,
                )
            )
            if r == 1:
                _say(header)
            row = rows[-1]
            _say(
                f"{r:>5} {100 * row.accuracy:>7.2f} {100 * row.fedavg_accuracy:>8.2f} "
                f"{row.loss:>7.4f} {row.gas:>11,} {row.prove_seconds:>8.1f} "
                f"{len(dropped):>5} {row.verify_round}"
            )

    final = rows[-1]
    summary = {
        "mode": mode.name.lower(),
        "dataset": data.name,
        "model": preferred,
        "parameters": spec.parameter_count,
        "members": n_members,
        "join": {"gas_per_member": join_gas // n_members, "prove_seconds": join_seconds},
        "rounds": [
            {
                "round": row.round,
                "accuracy": row.accuracy,
                "loss": row.loss,
                "fedavg_accuracy": row.fedavg_accuracy,
                "verify_round": row.verify_round,
                "dropouts": row.dropouts,
                "gas": row.gas,
                "prove_seconds": row.prove_seconds,
                "seconds": row.seconds,
                "model_cid": row.model_cid,
                "onchain_aggregate_digest": row.onchain_aggregate_digest,
                "model_matches_chain": row.model_matches_chain,
            }
            for row in rows
        ],
        "final_accuracy": final.accuracy,
        "fedavg_accuracy": final.fedavg_accuracy,
        "centralized_accuracy": central.metrics.accuracy,
        "seconds": time.perf_counter() - started,
    }
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(summary, indent=2) + "\n")
    _plot(rows, central.metrics.accuracy, plot_path)
    _say(
        f"\nfinal accuracy {100 * final.accuracy:.2f} %  |  plain FedAvg "
        f"{100 * final.fedavg_accuracy:.2f} %  |  "
        f"centralized {100 * central.metrics.accuracy:.2f} %"
    )
    _say(
        f"every round verified: {all(r.verify_round == 'MATCH' for r in rows)}; "
        f"report {report_path}, plot {plot_path}; {summary['seconds']:.0f} s"
    )
    if not all(r.verify_round == "MATCH" for r in rows):
        raise ZkfedError("a round did not verify; see the table above.")
    if any(r.model_matches_chain is False for r in rows):
        raise ZkfedError(
            "a model derived from the chain differs from the members' own mean; see the report."
        )
