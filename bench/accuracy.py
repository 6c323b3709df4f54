"""Learning quality of zkfed's secure aggregation against float FedAvg, round by round.

    python bench/accuracy.py --out reports/accuracy.json [--rounds 6] [--members 8]
                             [--cases digits-logreg,wine-mlp] [--seed 0]

Runs inside the project's environment (`. .venv/bin/activate`); no chain, no proofs: pure
Python and torch on one thread. For every case (the bundled datasets digits, breast_cancer and
wine, each with the demo's logistic regression and MLP, hidden width `zkfed.demo.MLP_HIDDEN`)
the training data is split non-IID over the members exactly as the demo splits it
(`split_non_iid(y_train, members, seed)`), and three global models start from the same initial
weights (`initial_weights(spec)`, the proposal's model) and evolve independently:

- ``secure``: zkfed's rule as the chain computes it. Each member's update Δ (trained with
  ``member_seed(seed, r, i)``) is clipped per chunk and stochastically quantised with the default
  circuit's packing and the task's clip norm (the one `SecaggTask.clip_norm` derives from the
  bound a proposal with `DEFAULT_CLIP_NORM` records), its rounding drawn from
  ``np.random.default_rng(member_seed(seed + 1, r, i))`` as `zkfed.demo` draws it; the quantised
  updates are summed, dequantised, divided by the number of contributors and added. This is
  `zkfed.demo._direct_mean`, which the demo checks bit for bit against the model derived from
  the chain, so this trajectory is the secure protocol's.
- ``fedavg_unweighted``: the float mean of the members' Δ (the demo's "plain FedAvg").
- ``fedavg_weighted``: the float mean weighted by each member's sample count (Flower's FedAvg).

Every member contributes in every round (no dropout). Per round the bench records each model's
test accuracy and loss; for the secure trajectory also the relative error of its aggregate
against the float unweighted mean of the same round's updates, ``‖secure - float‖ / ‖float‖``
(and both norms: the rounding noise is about constant while the updates shrink), the largest
per-chunk L2 norm of any member's Δ against the clip norm (does clipping act?), the
number of clipped chunks and the SHA-256 of the new model's canonical bytes. A centralized
baseline (`centralized_baseline`, the same one the demo reports) trains on the pooled data for
the same number of epochs. Gaps are accuracy points, secure minus float.

Prints a table to stdout (progress per case on stderr) and writes JSON:
``{"cases": {"digits-logreg": {"rounds": [{"round", "secure_accuracy", ...}, ...],
"final_gap_points", "mean_gap_points", "centralized_accuracy", ...}, ...}, "settings": {...},
"machine": {...}}``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

DATASETS = ("digits", "breast_cancer", "wine")
MODELS = ("logreg", "mlp")
CASES = tuple(f"{d}-{m}" for d in DATASETS for m in MODELS)
DEFAULT_MEMBERS = 8  # scripts/demo.py's --members default
DEFAULT_ROUNDS = 6  # scripts/demo.py's --rounds default
DEFAULT_SEED = 0  # scripts/demo.py's --seed default

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Quantisation:
    """What a secure-aggregation task fixes for the members' rounding.

    Attributes
    ----------
    packing : zkfed.quantize.Packing
        The default circuit variant's packing.
    clip_norm : float
        The task's per-chunk clip norm (`SecaggTask.clip_norm`).
    """

    packing: Any
    clip_norm: float


def task_quantisation(n_members: int, n_params: int) -> Quantisation:
    """The packing and clip norm a demo task of ``n_members`` members quantises with.

    The task is built off-chain as the aggregator describes it: the default variant's packing
    (at the scale the demo proposes, ``circuit.packing().scale_bits``), the bound a proposal with
    `DEFAULT_CLIP_NORM` records, and the clip norm `SecaggTask` derives from that bound. Members'
    keys are stand-ins (``public_key(i + 1)``); they do not affect quantisation.

    Parameters
    ----------
    n_members : int
        Members of the task (3 to the packing's headroom).
    n_params : int
        Parameters of the model.

    Returns
    -------
    Quantisation
    """
    from zkfed.babyjubjub import public_key
    from zkfed.circuits import DEFAULT_VARIANT, load_circuit
    from zkfed.proposals import DEFAULT_CLIP_NORM
    from zkfed.quantize import squared_norm_bound
    from zkfed.secagg import SecaggTask

    circuit = load_circuit(DEFAULT_VARIANT)
    packing = circuit.packing()
    task = SecaggTask(
        task_id=1,
        packing=packing,
        n_params=n_params,
        neighbors=circuit.neighbors,
        bound=squared_norm_bound(DEFAULT_CLIP_NORM, packing),
        members=tuple(public_key(i + 1) for i in range(n_members)),
    )
    return Quantisation(packing=task.packing, clip_norm=task.clip_norm)


def secure_mean(
    deltas: Sequence[FloatArray],
    contributors: Sequence[int],
    quant: Quantisation,
    seed: int,
    round_index: int,
) -> FloatArray:
    """The mean update the chain derives: Σ dequantize(quantize(Δ_i)) / n, as `_direct_mean`.

    Parameters
    ----------
    deltas : sequence of ndarray
        Every member's update, indexed by member.
    contributors : sequence of int
        The members whose updates are summed.
    quant : Quantisation
        The task's packing and clip norm.
    seed : int
        Task seed; member ``i`` rounds with ``default_rng(member_seed(seed + 1, r, i))``.
    round_index : int
        The round, from 1.

    Returns
    -------
    ndarray
        The dequantised mean, float64.
    """
    from zkfed.quantize import dequantize, quantize
    from zkfed.training import member_seed

    quantized = [
        quantize(
            deltas[i],
            quant.packing,
            np.random.default_rng(member_seed(seed + 1, round_index, i)),
            quant.clip_norm,
        )
        for i in contributors
    ]
    mean: FloatArray = dequantize(np.sum(quantized, axis=0), quant.packing) / len(contributors)
    return mean


def chunk_norms(delta: FloatArray, params_per_chunk: int) -> FloatArray:
    """L2 norm of each consecutive ``params_per_chunk`` slice of an update (what is clipped)."""
    return np.array(
        [
            float(np.linalg.norm(delta[i : i + params_per_chunk]))
            for i in range(0, delta.size, params_per_chunk)
        ]
    )


def model_digest(weights: FloatArray) -> str:
    """SHA-256 of a weight vector's canonical bytes (`weights_to_bytes`), hex."""
    from zkfed.models import weights_to_bytes

    return hashlib.sha256(weights_to_bytes(weights)).hexdigest()


def _train_all(
    spec: Any,
    weights: FloatArray,
    data: Any,
    parts: Sequence[npt.NDArray[np.int64]],
    config: Any,
    seed: int,
    round_index: int,
) -> tuple[list[FloatArray], list[int]]:
    """Every member's Δ from ``weights`` and its sample count, as the demo trains them."""
    from zkfed.training import member_seed, train_local

    updates = [
        train_local(
            spec,
            weights,
            data.x_train[part],
            data.y_train[part],
            config,
            seed=member_seed(seed, round_index, i),
        )
        for i, part in enumerate(parts)
    ]
    return [u.delta for u in updates], [u.n_samples for u in updates]


def run_case(
    case: str, n_members: int, rounds: int, seed: int = DEFAULT_SEED, *, verbose: bool = True
) -> dict[str, Any]:
    """Run one case's three trajectories and its centralized baseline.

    Parameters
    ----------
    case : str
        ``"<dataset>-<model>"``, one of `CASES`.
    n_members, rounds, seed : int
        As the demo's options of the same names.
    verbose : bool
        Write a progress line per round to stderr.

    Returns
    -------
    dict
        The case's JSON entry (see the module docstring).
    """
    from zkfed.datasets import load_dataset, split_non_iid
    from zkfed.demo import MLP_HIDDEN
    from zkfed.models import ModelSpec, initial_weights
    from zkfed.training import TrainConfig, centralized_baseline, evaluate_weights

    dataset, model = case.rsplit("-", 1)
    started = time.perf_counter()
    data = load_dataset(dataset, seed=seed)
    hidden = MLP_HIDDEN if model == "mlp" else ()
    spec = ModelSpec(model, data.n_features, data.n_classes, hidden, seed=seed)
    config = TrainConfig()
    parts = split_non_iid(data.y_train, n_members, seed=seed)
    quant = task_quantisation(n_members, spec.parameter_count)
    size = quant.packing.params_per_chunk
    contributors = list(range(n_members))
    start = initial_weights(spec)
    models = {"secure": start, "fedavg_unweighted": start, "fedavg_weighted": start}
    rows: list[dict[str, Any]] = []
    for r in range(1, rounds + 1):
        deltas, counts = _train_all(spec, models["secure"], data, parts, config, seed, r)
        float_mean = np.mean([deltas[i] for i in contributors], axis=0)
        secure = secure_mean(deltas, contributors, quant, seed, r)
        norms = np.concatenate([chunk_norms(deltas[i], size) for i in contributors])
        models["secure"] = np.asarray(models["secure"], dtype=np.float64) + secure
        # The float strategies train the same members with the same seeds, from their own model.
        for name in ("fedavg_unweighted", "fedavg_weighted"):
            if r == 1:  # the same initial model and seeds: the same updates, bit for bit
                own, own_counts = deltas, counts
            else:
                own, own_counts = _train_all(spec, models[name], data, parts, config, seed, r)
            chosen = [own[i] for i in contributors]
            if name == "fedavg_weighted":
                step = np.average(chosen, axis=0, weights=[own_counts[i] for i in contributors])
            else:
                step = np.mean(chosen, axis=0)
            models[name] = models[name] + step
        metrics = {
            name: evaluate_weights(spec, weights, data.x_test, data.y_test)
            for name, weights in models.items()
        }
        float_norm = float(np.linalg.norm(float_mean))
        rows.append(
            {
                "round": r,
                "secure_accuracy": metrics["secure"].accuracy,
                "fedavg_unweighted_accuracy": metrics["fedavg_unweighted"].accuracy,
                "fedavg_weighted_accuracy": metrics["fedavg_weighted"].accuracy,
                "secure_loss": metrics["secure"].loss,
                "fedavg_unweighted_loss": metrics["fedavg_unweighted"].loss,
                "fedavg_weighted_loss": metrics["fedavg_weighted"].loss,
                "relative_error": float(np.linalg.norm(secure - float_mean)) / float_norm
                if float_norm > 0
                else None,
                "absolute_error": float(np.linalg.norm(secure - float_mean)),
                "float_mean_norm": float_norm,
                "max_update_norm": float(norms.max()),
                "clipped_chunks": int((norms > quant.clip_norm).sum()),
                "chunks": int(norms.size),
                "secure_model_sha256": model_digest(models["secure"]),
            }
        )
        if verbose:
            row = rows[-1]
            print(
                f"  {case} round {r}/{rounds}: secure {100 * row['secure_accuracy']:.2f} %, "
                f"unweighted {100 * row['fedavg_unweighted_accuracy']:.2f} %, weighted "
                f"{100 * row['fedavg_weighted_accuracy']:.2f} %, rel. error "
                f"{row['relative_error'] or 0:.4f}, max chunk norm {row['max_update_norm']:.2f}",
                file=sys.stderr,
                flush=True,
            )
    central = centralized_baseline(spec, data, config, rounds=rounds, seed=seed)
    gaps = [100 * (r["secure_accuracy"] - r["fedavg_unweighted_accuracy"]) for r in rows]
    gaps_weighted = [100 * (r["secure_accuracy"] - r["fedavg_weighted_accuracy"]) for r in rows]
    return {
        "dataset": dataset,
        "model": model,
        "parameters": spec.parameter_count,
        "train_samples": len(data.y_train),
        "test_samples": len(data.y_test),
        "member_samples": [len(p) for p in parts],
        "rounds": rows,
        "final_gap_points": gaps[-1],
        "mean_gap_points": float(np.mean(gaps)),
        "final_gap_weighted_points": gaps_weighted[-1],
        "mean_gap_weighted_points": float(np.mean(gaps_weighted)),
        "centralized_accuracy": central.metrics.accuracy,
        "centralized_loss": central.metrics.loss,
        "clip_norm": quant.clip_norm,
        "seconds": time.perf_counter() - started,
    }


def table(cases: dict[str, dict[str, Any]]) -> str:
    """The summary table: final accuracies (%), gaps (points) and relative error, per case."""
    lines = [
        f"{'case':<20} {'params':>6} {'secure':>7} {'unw.':>7} {'weight.':>7} {'central':>7} "
        f"{'gap':>6} {'gap w.':>6} {'mean gap':>8} {'rel. err first→last':>20} {'max norm':>8}"
    ]
    for name, case in cases.items():
        last = case["rounds"][-1]
        first_err, last_err = case["rounds"][0]["relative_error"], last["relative_error"]
        max_norm = max(r["max_update_norm"] for r in case["rounds"])
        lines.append(
            f"{name:<20} {case['parameters']:>6} {100 * last['secure_accuracy']:>7.2f} "
            f"{100 * last['fedavg_unweighted_accuracy']:>7.2f} "
            f"{100 * last['fedavg_weighted_accuracy']:>7.2f} "
            f"{100 * case['centralized_accuracy']:>7.2f} {case['final_gap_points']:>+6.2f} "
            f"{case['final_gap_weighted_points']:>+6.2f} {case['mean_gap_points']:>+8.2f} "
            f"{f'{first_err:.4f} → {last_err:.4f}':>20} {max_norm:>8.2f}"
        )
    return "\n".join(lines)


def _loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the options, run the cases, print the table and write the JSON report."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help="rounds per case")
    parser.add_argument("--members", type=int, default=DEFAULT_MEMBERS, help="members (3-16)")
    parser.add_argument(
        "--cases", default=",".join(CASES), help=f"comma-separated, of {', '.join(CASES)}"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the demo's task seed")
    args = parser.parse_args(argv)
    cases = [c for c in args.cases.split(",") if c]
    unknown = sorted(set(cases) - set(CASES))
    if unknown or not cases:
        parser.error(f"unknown cases {unknown}; choose from {', '.join(CASES)}")
    if args.rounds < 1 or not 3 <= args.members <= 16:
        parser.error("--rounds must be at least 1 and --members lie in 3..16")

    import torch

    torch.set_num_threads(1)  # training already runs on one thread (TrainConfig); so does scoring
    started = time.perf_counter()
    load_before = _loadavg()
    results: dict[str, dict[str, Any]] = {}
    for index, case in enumerate(cases, 1):
        print(f"[{index}/{len(cases)}] {case}", file=sys.stderr, flush=True)
        results[case] = run_case(case, args.members, args.rounds, args.seed)
        print(
            f"[{index}/{len(cases)}] {case} done in {results[case]['seconds']:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    load_after = _loadavg()
    seconds = time.perf_counter() - started

    from zkfed.demo import MLP_HIDDEN
    from zkfed.training import TrainConfig

    quant = task_quantisation(args.members, 1)
    packing = quant.packing
    print(
        f"\naccuracy after {args.rounds} rounds, {args.members} members, non-IID split "
        f"(seed {args.seed}); test accuracy %, gaps in points (secure - float)"
    )
    print(table(results))
    print(f"{seconds:.1f} s; load average before {load_before}, after {load_after}")
    report = {
        "cases": results,
        "settings": {
            "members": args.members,
            "rounds": args.rounds,
            "seed": args.seed,
            "quantisation_seed": "member_seed(seed + 1, round, member)",
            "dropouts": "none: every member contributes every round",
            "clip_norm": quant.clip_norm,
            "quantisation_step": 1 / packing.scale,
            "packing": {
                "words": packing.words,
                "lanes": packing.lanes,
                "lane_bits": packing.lane_bits,
                "value_bits": packing.value_bits,
                "scale_bits": packing.scale_bits,
                "params_per_chunk": packing.params_per_chunk,
            },
            "train_config": TrainConfig().to_dict(),
            "mlp_hidden": list(MLP_HIDDEN),
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": np.__version__,
            "loadavg_before": load_before,
            "loadavg_after": load_after,
            "seconds": seconds,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
