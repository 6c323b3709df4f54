"""Round latency of secure aggregation by member count, split into train, prove, submit, finalize.

    python bench/rounds.py --out reports/bench-rounds.json [--members 4,8,16] [--rounds 2]

Members prove with the client's default prover (zkfed.proving.default_prover: the native one
where it is built; set ZKFED_PROVER=snarkjs to measure the reference); the JSON names it.

Runs inside the project's environment (`. .venv/bin/activate`). For each member count it starts
a fresh anvil through ape, deploys the default circuit variant's verifiers and the contracts,
opens a logistic-regression task on the digits data (650 parameters: one chunk per member),
lets every member join (post its pair commitments: once per task, reported apart), and times
full rounds. Members act one after another on this machine, so the "prove" and "submit"
columns are the sums over members: what one machine serving every member would spend, and an
upper bound on a round's latency when members run in parallel.

With 4 members and K = 4 neighbour slots one slot per member is inactive and the other three
make the complete graph (circuits/README.md, "Mask").
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from contextlib import closing
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import numpy as np


def _bench_members(n_members: int, rounds: int) -> dict[str, Any]:
    from ape import accounts, chain, networks, project

    from zkfed.babyjubjub import generate_secret_key
    from zkfed.chain import Zkfed
    from zkfed.circuits import DEFAULT_VARIANT, PAIR_COMMIT, load_circuit
    from zkfed.datasets import load_dataset, split_non_iid
    from zkfed.models import ModelSpec
    from zkfed.proposals import DEFAULT_CLIP_NORM, DEV_PERIOD, propose_model
    from zkfed.protocol import finalize, join_task, register_key, round_model, submit_update
    from zkfed.proving import open_prover
    from zkfed.storage import LocalStore
    from zkfed.training import TrainConfig, member_seed, train_local

    timings: dict[str, list[float]] = {"train": [], "prove": [], "submit": [], "finalize": []}
    with (
        networks.parse_network_choice("ethereum:local:foundry"),
        TemporaryDirectory() as store_dir,
        closing(open_prover()) as prover,
    ):
        store = LocalStore(Path(store_dir))
        deployer, *people = accounts.test_accounts[: n_members + 1]
        zk = Zkfed.deploy(project, deployer, people, DEV_PERIOD)
        circuit = load_circuit(DEFAULT_VARIANT)
        variant = zk.variant(circuit.name).with_scale(circuit.packing().scale_bits)
        secret_keys = [generate_secret_key() for _ in people]
        for person, sk in zip(people, secret_keys, strict=True):
            register_key(zk, prover, person, sk)
        data = load_dataset("digits")
        spec = ModelSpec("logreg", data.n_features, data.n_classes)
        config = TrainConfig()
        proposal = propose_model(
            zk,
            store,
            people[0],
            spec,
            config,
            variant,
            rounds=rounds,
            clip_norm=DEFAULT_CLIP_NORM,
            submission_period=DEV_PERIOD,
            reveal_period=DEV_PERIOD,
            scaling=data.scaling,
        )
        for person in people:
            zk.vote(person, proposal, True)
        task_id = zk.execute(people[0], proposal)
        task = zk.secagg_task(task_id)
        parts = split_non_iid(data.y_train, n_members, seed=0)
        pair_circuit = load_circuit(PAIR_COMMIT)
        start = time.perf_counter()
        join_gas = sum(
            join_task(zk, prover, pair_circuit, person, sk, task).gas
            for person, sk in zip(people, secret_keys, strict=True)
        )
        join_seconds = time.perf_counter() - start
        for r in range(1, rounds + 1):
            weights = round_model(zk, store, task, r)
            start = time.perf_counter()
            updates = [
                train_local(
                    spec,
                    weights,
                    data.x_train[p],
                    data.y_train[p],
                    config,
                    seed=member_seed(0, r, i),
                ).delta
                for i, p in enumerate(parts)
            ]
            timings["train"].append(time.perf_counter() - start)
            prove = submit = 0.0
            for i, person in enumerate(people):
                start = time.perf_counter()
                report = submit_update(
                    zk,
                    prover,
                    circuit,
                    person,
                    secret_keys[i],
                    task,
                    r,
                    updates[i],
                    np.random.default_rng(i),
                )
                elapsed = time.perf_counter() - start
                prove += report.prove_seconds
                submit += elapsed - report.prove_seconds
            timings["prove"].append(prove)
            timings["submit"].append(submit)
            chain.mine(deltatime=DEV_PERIOD + 1)
            start = time.perf_counter()
            finalize(zk, store, people[0], task, r)
            timings["finalize"].append(time.perf_counter() - start)
    result: dict[str, Any] = {stage: statistics.median(values) for stage, values in timings.items()}
    result["total"] = sum(result[stage] for stage in timings)
    result["chunks_per_member"] = task.n_chunks
    # Once per task, not per round: every member posts its pair commitments.
    result["join_once_per_task"] = join_seconds
    result["join_gas_per_member"] = join_gas // n_members
    result["rounds_measured"] = rounds
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    parser.add_argument("--members", default="4,8,16", help="comma-separated member counts")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per member count")
    args = parser.parse_args()
    counts = [int(c) for c in args.members.split(",")]
    from zkfed.proving import default_prover

    prover = default_prover()
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    results = {str(n): _bench_members(n, args.rounds) for n in counts}
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    print(
        f"\nround latency (median of {args.rounds} rounds, seconds; members act in turn; "
        f"prover {prover})"
    )
    print(
        f"{'members':>8} {'train':>8} {'prove':>8} {'submit':>8} {'finalize':>9} {'total':>8}"
        f" | {'join (once)':>11} {'join gas/member':>15}"
    )
    for n, row in results.items():
        print(
            f"{n:>8} {row['train']:>8.2f} {row['prove']:>8.2f} {row['submit']:>8.2f} "
            f"{row['finalize']:>9.2f} {row['total']:>8.2f} | {row['join_once_per_task']:>11.2f} "
            f"{row['join_gas_per_member']:>15,}"
        )
    print(f"load average before {' '.join(load_before)}, after {' '.join(load_after)}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "prover": prover,
                "members": results,
                "loadavg_before": load_before,
                "loadavg_after": load_after,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
