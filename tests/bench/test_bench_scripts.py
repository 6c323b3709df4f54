"""bench/prover.py and bench/gas.py: the floor arithmetic, and (slow) each bench end to end."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from zkfed.circuits import load_circuit

ROOT = Path(__file__).resolve().parents[2]


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"zkfed_bench_{name}", ROOT / "bench" / name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_calldata_gas_counts_zero_and_non_zero_bytes() -> None:
    # Prepare
    gas = _module("gas.py")

    # Execute / Assert
    assert gas.calldata_gas(b"\x00\x01\x00\xff") == 4 + 16 + 4 + 16
    assert gas.words_calldata_gas([1]) == 31 * 4 + 16


def test_floor_is_calldata_plus_one_store_per_word() -> None:
    # Prepare
    gas = _module("gas.py")
    words = [2**255 - 1, 7]
    calldata = 32 * 16 + (31 * 4 + 16)

    # Execute / Assert
    assert gas.floor_gas(words, fresh=False) == calldata + 2 * 5_000
    assert gas.floor_gas(words, fresh=True) == calldata + 2 * 22_100


@pytest.mark.slow
def test_prover_bench_writes_the_report(tmp_path: Path) -> None:
    # Prepare
    out = tmp_path / "prover.json"
    command = [sys.executable, "bench/prover.py", "--out", str(out), "--chunks", "2"]
    command += ["--variant", "masked_update_test", "--skip-solidity"]

    # Execute
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=900)

    # Assert
    report = json.loads(out.read_text())
    snarkjs = report["backends"]["snarkjs"]
    circuit = load_circuit("masked_update_test", ROOT)
    per_chunk = circuit.parameters["W"] * circuit.parameters["L"]
    assert snarkjs["constraints_per_param"] == pytest.approx(
        circuit.constraints / per_chunk, abs=0.01
    )
    assert snarkjs["seconds_per_1000_params"] > 0
    assert snarkjs["parallel"]["speedup"] > 0
    checks = report["backends"]["native"]["checks"]  # all but the skipped Solidity check
    assert [k for k, v in checks.items() if v is not True] == ["solidity_verify", "qualifies"]
    assert report["machine"]["loadavg_before"] and report["machine"]["loadavg_after"]


@pytest.mark.slow
def test_gas_bench_measures_every_transaction_under_the_cap(tmp_path: Path) -> None:
    # Prepare
    out = tmp_path / "gas.json"

    # Execute
    subprocess.run(
        [sys.executable, "bench/gas.py", "--out", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=1800,
    )

    # Assert
    report = json.loads(out.read_text())
    for key in ("submit_gas_per_param", "floor_gas_per_param", "max_tx_gas"):
        assert report[key] > 0
    for key in (
        "submit_chunk",
        "reveal_gas",
        "finalize_gas",
        "withdraw_gas",
        "reveal_share_gas",
        "recover_mask_gas",
        "register_gas",
        "verify_only",
    ):
        assert 0 < report[key] < 2**24
    # Three holders open their shares of the withheld seed, then one recoverMask removes it.
    every = report["all_transactions"]
    shares, recovered = every["reveal_share"], every["recover_mask"]
    assert len(shares) == 3 and len(recovered) == 1
    assert report["escrow_recovery_gas"] == sum(shares) + sum(recovered)
    assert report["escrow_entries"] == 12
    assert report["public_signals"] == 5 + 4 + 64 + 12
    assert report["every_tx_under_cap"] and report["max_tx_gas"] < 2**24
    assert report["submit_chunk_cases"]["access_list_saving"] > 0
