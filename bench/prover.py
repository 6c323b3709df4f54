"""Prover benchmark: constraints per parameter and prove time per 1,000 parameters, per backend.

    python bench/prover.py --out reports/prover.json [--chunks 6] [--variant masked_update_default]

Backends: ``snarkjs`` (fullProve in the client's long-lived node worker, the reference),
``native`` (zkfed's own C prover, zkfed.proving_native: one proof on every core) and, when the
optional extra is installed, ``groth16py`` (arkworks; GPL-3.0). Each of `--chunks` chunks of one
member's masked update is proved by every backend in turn (interleaved, so the machine's load
hits all alike); the median wall time per chunk, scaled to 1,000 parameters, is the headline.
A fast backend *qualifies* only if its proof of the first chunk verifies in snarkjs, in py_ecc
(zkfed.groth16) and in the generated Solidity verifier on anvil, has the same public signals as
snarkjs', and two proofs of that witness differ. Then each backend proves all chunks once
serially and once with two provers in parallel, side by side, and the ratio is reported. The
load average before and after is recorded: quote ratios from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from zkfed.babyjubjub import public_key
from zkfed.circuits import DEFAULT_VARIANT, Circuit, load_circuit, project_root
from zkfed.exceptions import ZkfedError
from zkfed.groth16 import verify
from zkfed.proving import ProofResult, SignalValue, SnarkjsProver, open_prover, prove_all
from zkfed.quantize import squared_norm_bound
from zkfed.secagg import MaskedChunk, SecaggTask, mask_update

# Seconds per 1,000 parameters (issue 3): snarkjs, and "the fast backend".
TARGETS = {"snarkjs": 2.0, "native": 0.5, "groth16py": 0.5}
N_MEMBERS = 6
SECRET_KEYS = [0xBE4C_0000 + 7919 * i for i in range(N_MEMBERS)]


class Prover(Protocol):
    name: str

    def prove(self, wasm: Path, zkey: Path, inputs: dict[str, SignalValue]) -> ProofResult: ...

    def close(self) -> None: ...


def loadavg() -> list[float]:
    """1, 5 and 15 minute load averages."""
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def make_chunks(circuit: Circuit, n_chunks: int, seed: int = 7) -> list[MaskedChunk]:
    """Member 0's masked chunks of a random update over `n_chunks` full chunks."""
    packing = circuit.packing()
    task = SecaggTask(
        task_id=1,
        packing=packing,
        n_params=n_chunks * packing.params_per_chunk,
        neighbors=circuit.neighbors,
        bound=squared_norm_bound(1.0, packing),
        members=tuple(public_key(sk) for sk in SECRET_KEYS),
    )
    rng = np.random.default_rng(seed)
    update = rng.normal(0.0, 0.02, task.n_params)
    return mask_update(task, 1, 0, SECRET_KEYS[0], update, rng)


def timed(prover: Prover, circuit: Circuit, chunk: MaskedChunk) -> tuple[ProofResult, float]:
    started = time.perf_counter()
    result = prover.prove(circuit.wasm, circuit.zkey, dict(chunk.inputs))
    return result, time.perf_counter() - started


def solidity_verifies(circuit: Circuit, results: Sequence[ProofResult]) -> list[bool]:
    """verifyProof of the generated verifier, deployed on anvil, for each result."""
    from ape import accounts, networks, project

    with networks.parse_network_choice("ethereum:local:foundry"):
        deployer = accounts.test_accounts[0]
        verifier = deployer.deploy(getattr(project, circuit.verifier_contract))
        return [
            bool(verifier.verifyProof(*r.proof.solidity_arguments(), r.public_signals))
            for r in results
        ]


def qualify(
    circuit: Circuit,
    reference: SnarkjsProver,
    candidate: Prover,
    chunk: MaskedChunk,
    snarkjs_signals: list[int],
    check_solidity: bool,
) -> dict[str, Any]:
    """The checks a backend must pass before it may replace snarkjs."""
    first, _ = timed(candidate, circuit, chunk)
    second, _ = timed(candidate, circuit, chunk)
    checks: dict[str, Any] = {
        "same_public_signals_as_snarkjs": first.public_signals == snarkjs_signals,
        "snarkjs_verify": reference.verify(circuit.vkey_json, first.proof, first.public_signals),
        "py_ecc_verify": verify(circuit.verification_key, first.proof, first.public_signals),
        "proofs_of_one_witness_differ": first.proof != second.proof,
    }
    if check_solidity:
        checks["solidity_verify"] = all(solidity_verifies(circuit, [first, second]))
    else:
        checks["solidity_verify"] = None
    checks["qualifies"] = all(v is True for v in checks.values())
    return checks


def serial_vs_parallel(
    name: str, circuit: Circuit, chunks: Sequence[MaskedChunk]
) -> dict[str, Any]:
    """Wall time of all chunks by one prover, one proof at a time, then by the client's
    two-prover pool (`open_prover(name, workers=2)` and `prove_all`, what `zkfed submit` and
    the demo use)."""
    inputs = [dict(c.inputs) for c in chunks]
    timings = {}
    for label, workers in (("serial", 1), ("parallel", 2)):
        with closing(open_prover(name, workers)) as prover:
            list(prove_all(prover, circuit.wasm, circuit.zkey, inputs[:workers]))  # warm up
            started = time.perf_counter()
            list(prove_all(prover, circuit.wasm, circuit.zkey, inputs))
            timings[label] = time.perf_counter() - started
    serial, parallel = timings["serial"], timings["parallel"]
    per_chunk = circuit.packing().params_per_chunk
    n_params = per_chunk * len(chunks)
    return {
        "workers": 2,
        "chunks": len(chunks),
        "serial_seconds": round(serial, 3),
        "parallel_seconds": round(parallel, 3),
        "speedup": round(serial / parallel, 3),
        "serial_seconds_per_1000_params": round(1000 * serial / n_params, 3),
        "parallel_seconds_per_1000_params": round(1000 * parallel / n_params, 3),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    circuit = load_circuit(args.variant)
    if not circuit.ready():
        raise ZkfedError(f"{args.variant} is not built; run tools/dev.sh setup first.")
    params = circuit.parameters
    per_chunk = params["W"] * params["L"]
    constraints_per_param = circuit.constraints / per_chunk
    chunks = make_chunks(circuit, args.chunks)

    factories: dict[str, Callable[[], Prover]] = {"snarkjs": SnarkjsProver}
    notes: dict[str, str] = {}
    if "native" in args.backends:
        from zkfed import proving_native

        if proving_native.available():
            factories["native"] = proving_native.NativeProver
        else:
            notes["native"] = "not built (needs a C compiler; run tools/dev.sh setup)"
    if "groth16py" in args.backends:
        from zkfed import proving_groth16py

        if proving_groth16py.available():
            factories["groth16py"] = proving_groth16py.Groth16pyProver
        else:
            notes["groth16py"] = "not installed (pip install 'zkfed[groth16py]')"
    factories = {k: v for k, v in factories.items() if k in args.backends}

    report: dict[str, Any] = {
        "variant": args.variant,
        "parameters": params,
        "constraints": circuit.constraints,
        "params_per_chunk": per_chunk,
        "chunks": len(chunks),
        "machine": {"cpus": os.cpu_count(), "loadavg_before": loadavg()},
        "backends": {},
    }
    provers = {name: factory() for name, factory in factories.items()}
    try:
        for prover in provers.values():  # warm-up: zkey and wasm loading are not proving
            timed(prover, circuit, chunks[0])
        walls: dict[str, list[float]] = {name: [] for name in provers}
        inner: dict[str, list[float]] = {name: [] for name in provers}
        signals: dict[str, list[list[int]]] = {name: [] for name in provers}
        for i, chunk in enumerate(chunks):
            for name, prover in provers.items():
                result, wall = timed(prover, circuit, chunk)
                walls[name].append(wall)
                inner[name].append(result.seconds)
                signals[name].append(result.public_signals)
                print(f"  chunk {i}: {name:10s} {wall:6.2f} s", flush=True)
        for name in provers:
            median = statistics.median(walls[name])
            report["backends"][name] = {
                "constraints_per_param": round(constraints_per_param, 2),
                "seconds_per_chunk_median": round(median, 3),
                "seconds_per_1000_params": round(1000 * median / per_chunk, 3),
                "seconds_per_chunk": [round(w, 3) for w in walls[name]],
                "prover_reported_seconds": [round(s, 3) for s in inner[name]],
                "target_seconds_per_1000_params": TARGETS.get(name),
                "meets_target": 1000 * median / per_chunk <= TARGETS.get(name, 0.0),
            }
        reference = provers["snarkjs"]
        assert isinstance(reference, SnarkjsProver)
        for name in provers:
            if name == "snarkjs":
                continue
            entry = report["backends"][name]
            if name == "groth16py":
                entry["license"] = "GPL-3.0 (optional extra; the core never imports it)"
            entry["checks"] = qualify(
                circuit,
                reference,
                provers[name],
                chunks[0],
                signals["snarkjs"][0],
                not args.skip_solidity,
            )
            entry["qualifies"] = entry["checks"]["qualifies"]
            entry["speedup_vs_snarkjs"] = round(
                report["backends"]["snarkjs"]["seconds_per_chunk_median"]
                / entry["seconds_per_chunk_median"],
                2,
            )
    finally:
        for prover in provers.values():
            prover.close()
    if not args.skip_parallel:
        for name in factories:
            print(f"  {name}: serial vs 2 parallel provers …", flush=True)
            parallel = serial_vs_parallel(name, circuit, chunks)
            target = TARGETS.get(name, 0.0)
            parallel["meets_target"] = parallel["parallel_seconds_per_1000_params"] <= target
            report["backends"][name]["parallel"] = parallel
    for name, note in notes.items():
        report["backends"][name] = {"constraints_per_param": None, "note": note}
    report["machine"]["loadavg_after"] = loadavg()
    return report


def table(report: dict[str, Any]) -> str:
    machine = report["machine"]
    rows = [
        f"prover benchmark: {report['variant']} ({report['constraints']} constraints, "
        f"{report['params_per_chunk']} params/chunk, {report['chunks']} chunks), load "
        f"{machine['loadavg_before'][0]:.2f} -> {machine['loadavg_after'][0]:.2f}"
        f" on {machine['cpus']} CPUs",
        f"{'backend':10s} {'constr/param':>12s} {'s/chunk':>8s} {'s/1k params':>11s} "
        f"{'target':>6s} {'2 parallel: s/1k':>16s} {'speedup':>7s}  qualifies",
    ]
    for name, b in report["backends"].items():
        if b.get("note"):
            rows.append(f"{name:10s} {b['note']}")
            continue
        par = b.get("parallel", {})
        rows.append(
            f"{name:10s} {b['constraints_per_param']:12.2f} {b['seconds_per_chunk_median']:8.2f} "
            f"{b['seconds_per_1000_params']:11.3f} {b['target_seconds_per_1000_params']:6.1f} "
            f"{par.get('parallel_seconds_per_1000_params', float('nan')):16.3f} "
            f"{par.get('speedup', float('nan')):7.2f}  "
            f"{'reference' if name == 'snarkjs' else b.get('qualifies')}"
        )
    for name, b in report["backends"].items():
        if "checks" in b:
            rows.append(f"{name} checks: " + ", ".join(f"{k}={v}" for k, v in b["checks"].items()))
            rows.append(f"{name} / snarkjs speedup (same run): {b['speedup_vs_snarkjs']:.2f}x")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/prover.py", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="JSON report to write")
    parser.add_argument("--variant", default=DEFAULT_VARIANT)
    parser.add_argument("--chunks", type=int, default=6, help="chunks per backend (median)")
    parser.add_argument(
        "--backends",
        default="snarkjs,native,groth16py",
        type=lambda s: [b.strip() for b in s.split(",")],
    )
    parser.add_argument("--skip-parallel", action="store_true")
    parser.add_argument("--skip-solidity", action="store_true", help="no anvil check")
    args = parser.parse_args(argv)
    if args.chunks < 2:
        parser.error("--chunks must be at least 2 (the parallel run splits them in two).")
    if "snarkjs" not in args.backends:
        parser.error("snarkjs is the reference and must be among --backends.")
    os.chdir(project_root())
    try:
        report = run(args)
    except ZkfedError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
