"""bench/accuracy.py: a tiny run's report, and its secure round 1 recomputed as the demo does."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from zkfed.babyjubjub import generate_secret_key, public_key
from zkfed.circuits import DEFAULT_VARIANT, load_circuit
from zkfed.datasets import load_dataset, split_non_iid
from zkfed.demo import MLP_HIDDEN, _direct_mean
from zkfed.models import ModelSpec, initial_weights, weights_to_bytes
from zkfed.proposals import DEFAULT_CLIP_NORM
from zkfed.quantize import squared_norm_bound
from zkfed.secagg import SecaggTask
from zkfed.training import TrainConfig, evaluate_weights, member_seed, train_local

ROOT = Path(__file__).resolve().parents[2]
CASE, MEMBERS, ROUNDS, SEED = "digits-mlp", 4, 2, 3  # 2,410 parameters: two chunks per update
ROUND_KEYS = {
    "round",
    "secure_accuracy",
    "fedavg_unweighted_accuracy",
    "fedavg_weighted_accuracy",
    "secure_loss",
    "relative_error",
    "max_update_norm",
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The bench's JSON for one case, 2 rounds, 4 members, run as a script."""
    out = tmp_path_factory.mktemp("accuracy") / "accuracy.json"
    command = [sys.executable, "bench/accuracy.py", "--out", str(out), "--cases", CASE]
    command += ["--rounds", str(ROUNDS), "--members", str(MEMBERS), "--seed", str(SEED)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=600)
    loaded: dict[str, Any] = json.loads(out.read_text())
    return loaded


def test_report_has_every_round_and_summary(report: dict[str, Any]) -> None:
    # Prepare
    case = report["cases"][CASE]

    # Execute
    rounds = case["rounds"]

    # Assert
    assert set(report) == {"cases", "settings", "machine"} and list(report["cases"]) == [CASE]
    assert [r["round"] for r in rounds] == [1, 2]
    assert all(set(r) >= ROUND_KEYS for r in rounds)
    for r in rounds:
        for key in ("secure", "fedavg_unweighted", "fedavg_weighted"):
            assert 0 <= r[f"{key}_accuracy"] <= 1
        assert r["relative_error"] > 0  # the rounding is there
        assert r["chunks"] == 2 * MEMBERS and r["max_update_norm"] > 0
    gaps = [100 * (r["secure_accuracy"] - r["fedavg_unweighted_accuracy"]) for r in rounds]
    assert case["final_gap_points"] == pytest.approx(gaps[-1])
    assert case["mean_gap_points"] == pytest.approx(np.mean(gaps))
    assert 0 < case["centralized_accuracy"] <= 1
    settings = report["settings"]
    assert (settings["members"], settings["rounds"], settings["seed"]) == (MEMBERS, ROUNDS, SEED)
    assert settings["packing"]["value_bits"] == 8
    assert report["machine"]["loadavg_before"] and report["machine"]["seconds"] > 0


def test_round_one_matches_the_demos_own_computation(report: dict[str, Any]) -> None:
    # Prepare: the demo's data, split, model, training seeds and a task of the same shape.
    first = report["cases"][CASE]["rounds"][0]
    data = load_dataset("digits", seed=SEED)
    spec = ModelSpec("mlp", data.n_features, data.n_classes, MLP_HIDDEN, seed=SEED)
    parts = split_non_iid(data.y_train, MEMBERS, seed=SEED)
    packing = load_circuit(DEFAULT_VARIANT).packing()
    task = SecaggTask(
        task_id=7,
        packing=packing,
        n_params=spec.parameter_count,
        neighbors=4,
        bound=squared_norm_bound(DEFAULT_CLIP_NORM, packing),
        members=tuple(public_key(generate_secret_key()) for _ in range(MEMBERS)),
    )
    start = initial_weights(spec)
    updates = {
        i: train_local(
            spec,
            start,
            data.x_train[p],
            data.y_train[p],
            TrainConfig(),
            seed=member_seed(SEED, 1, i),
        )
        for i, p in enumerate(parts)
    }
    members = list(range(MEMBERS))

    # Execute
    secure = _direct_mean(task, start, updates, members, SEED, 1)
    float_mean = np.mean([updates[i].delta for i in members], axis=0)
    weighted = np.average(
        [updates[i].delta for i in members], axis=0, weights=[len(p) for p in parts]
    )

    # Assert: bit for bit (the digest), and every metric of the round.
    assert hashlib.sha256(weights_to_bytes(secure)).hexdigest() == first["secure_model_sha256"]
    metrics = evaluate_weights(spec, secure, data.x_test, data.y_test)
    assert first["secure_accuracy"] == metrics.accuracy
    assert first["secure_loss"] == metrics.loss
    error = np.linalg.norm(secure - start - float_mean) / np.linalg.norm(float_mean)
    assert first["relative_error"] == pytest.approx(error, rel=1e-9)
    plain = evaluate_weights(spec, start + float_mean, data.x_test, data.y_test)
    assert first["fedavg_unweighted_accuracy"] == plain.accuracy
    flower = evaluate_weights(spec, start + weighted, data.x_test, data.y_test)
    assert first["fedavg_weighted_accuracy"] == flower.accuracy
    norms = [
        np.linalg.norm(updates[i].delta[j : j + packing.params_per_chunk])
        for i in members
        for j in range(0, spec.parameter_count, packing.params_per_chunk)
    ]
    assert first["max_update_norm"] == pytest.approx(max(norms), rel=1e-12)
