"""Groth16 proving: snarkjs, the reference, through one long-lived node worker; the choice of
backend (`default_prover`, `open_prover`: zkfed's native prover where it is built); and
`ProverPool`, several provers proving a member's chunks at once."""

from __future__ import annotations

import itertools
import json
import os
import queue
import selectors
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar

from zkfed.exceptions import ProofGenerationError, ToolchainError
from zkfed.groth16 import Proof

_WORKER = Path(__file__).with_name("js") / "snarkjs_worker.cjs"

SignalValue = int | list[Any]


@dataclass(frozen=True)
class ProofResult:
    """A proof with the public signals it was made for and how long proving took."""

    proof: Proof
    public_signals: list[int]
    seconds: float


class Prover(Protocol):
    """What the protocol needs of a Groth16 backend: snarkjs here, zkfed.proving_native (C, every
    core) or zkfed.proving_groth16py (optional extra)."""

    name: str

    def prove(self, wasm: Path, zkey: Path, inputs: Mapping[str, SignalValue]) -> ProofResult:
        """A proof of the witness of `inputs`."""
        ...

    def close(self) -> None:
        """Release the backend's worker."""
        ...


PROVERS = ("native", "snarkjs", "groth16py")


def default_prover() -> str:
    """The backend the client proves with: `$ZKFED_PROVER` when set, else "native" (zkfed's C
    prover, 5x faster than snarkjs on two cores) where it is built, else "snarkjs"."""
    if chosen := os.environ.get("ZKFED_PROVER"):
        if chosen not in PROVERS:
            raise ToolchainError(
                f"ZKFED_PROVER={chosen!r} is not a prover; use one of {', '.join(PROVERS)}."
            )
        return chosen
    from zkfed.proving_native import available

    return "native" if available() else "snarkjs"


def open_prover(name: str | None = None, workers: int = 1) -> Prover:
    """A prover by backend name: "snarkjs" (the reference), "native" (zkfed's C prover, one
    proof on every core) or "groth16py" (optional extra), by default `default_prover()`; with
    `workers` > 1, a `ProverPool` of that many, proving chunks in parallel."""
    name = name or default_prover()
    if workers > 1:
        return ProverPool(lambda: open_prover(name), workers)
    if name == "snarkjs":
        return SnarkjsProver()
    if name == "native":
        from zkfed.proving_native import NativeProver

        # Every native prover of a pool uses every core too: one chunk alone is proved 1.6x
        # sooner than by a prover of one core, and several chunks take about as long (0.245-0.256
        # s per 1k parameters) as with the cores split between the provers (0.245-0.246).
        return NativeProver()
    if name == "groth16py":
        from zkfed.proving_groth16py import Groth16pyProver

        return Groth16pyProver()
    raise ToolchainError(f"unknown prover {name!r}; use one of {', '.join(PROVERS)}.")


def find_node_modules(start: Path | None = None) -> Path:
    """The `node_modules` folder holding snarkjs: `$ZKFED_NODE_MODULES`, else the nearest one
    above this package or the working directory."""
    if configured := os.environ.get("ZKFED_NODE_MODULES"):
        return Path(configured)
    for base in (Path(__file__).resolve(), (start or Path.cwd()).resolve()):
        for folder in (base, *base.parents):
            candidate = folder / "node_modules"
            if (candidate / "snarkjs").is_dir():
                return candidate
    raise ToolchainError(
        "snarkjs is not installed; run tools/dev.sh setup or set ZKFED_NODE_MODULES."
    )


def _encode(value: SignalValue) -> Any:
    # circom inputs are decimal strings: JSON numbers would lose precision above 2^53.
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return str(int(value))


class NodeWorker:
    """The long-lived node process of client/zkfed/js/snarkjs_worker.cjs, one JSON line each way.

    Parameters
    ----------
    timeout
        Seconds to wait for one answer before the worker is considered hung and stopped.
    """

    def __init__(self, timeout: float = 600.0) -> None:
        node = shutil.which("node")
        if node is None:
            raise ToolchainError("Node.js is required for proving and 'node' is not on PATH.")
        env = {**os.environ, "NODE_PATH": str(find_node_modules())}
        # Compile WebAssembly (circom's witness calculators, ffjavascript) with the optimising
        # compiler when it is loaded, not lazily: V8 otherwise recompiles hot functions on
        # background threads during the first proofs and takes the cores from the prover
        # (zkfed's native prover's first chunk ran 3x slower).
        self._process = subprocess.Popen(
            [node, "--no-liftoff", "--no-wasm-lazy-compilation", str(_WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self._timeout = timeout
        self._ids = itertools.count(1)

    def close(self) -> None:
        """Stop the worker."""
        if self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def call(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send one request and wait for its answer (which may carry an "error")."""
        assert self._process.stdin is not None and self._process.stdout is not None
        if self._process.poll() is not None:
            raise ToolchainError("the snarkjs worker has stopped; create a new prover.")
        request_id = next(self._ids)
        self._process.stdin.write(json.dumps({"id": request_id, **request}) + "\n")
        self._process.stdin.flush()
        with selectors.DefaultSelector() as selector:
            selector.register(self._process.stdout, selectors.EVENT_READ)
            if not selector.select(self._timeout):
                self._process.kill()
                raise ToolchainError(f"snarkjs gave no answer within {self._timeout:.0f} s.")
        line = self._process.stdout.readline()
        if not line:
            raise ToolchainError("the snarkjs worker exited unexpectedly.")
        answer: dict[str, Any] = json.loads(line)
        if answer.get("id") != request_id:
            raise ToolchainError("the snarkjs worker answered out of order.")
        return answer

    def witness(self, wasm: Path, inputs: Mapping[str, SignalValue], out: Path) -> None:
        """Write the witness of `inputs` to `out` (.wtns).

        Raises
        ------
        ProofGenerationError
            When the inputs violate a constraint of the circuit.
        """
        answer = self.call(
            {
                "op": "witness",
                "wasm": str(wasm),
                "wtns": str(out),
                "input": encode_inputs(inputs),
            }
        )
        _raise_unsatisfied(answer)


def encode_inputs(inputs: Mapping[str, SignalValue]) -> dict[str, Any]:
    """Circuit inputs as snarkjs reads them."""
    return {name: _encode(value) for name, value in inputs.items()}


def _raise_unsatisfied(answer: Mapping[str, Any]) -> None:
    if "error" in answer:
        message = str(answer["error"]).splitlines()[0]
        raise ProofGenerationError(f"the inputs do not satisfy the circuit: {message}")


def check_artifacts(*paths: Path) -> None:
    """Refuse with one sentence when a circuit artifact is missing."""
    for artifact in paths:
        if not artifact.is_file():
            raise ToolchainError(f"circuit artifact {artifact} is missing; build the circuits.")


class ClosingProver:
    """A prover usable in a `with` block: leaving it calls `close()`."""

    def close(self) -> None:
        """Release the backend's resources."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


Key = TypeVar("Key")


class WitnessProver(ClosingProver, Generic[Key]):
    """A backend that takes circom's witness from the node worker and proves it itself
    (zkfed.proving_native, zkfed.proving_groth16py): the worker, temporary .wtns files, and
    each proving key loaded once by `_load_key`.

    Parameters
    ----------
    timeout
        Seconds to wait for one witness before the worker is considered hung and stopped.
    """

    def __init__(self, timeout: float = 600.0) -> None:
        self._worker = NodeWorker(timeout)
        self._ids = itertools.count(1)
        self._keys: dict[Path, Key] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix="zkfed-wtns-")

    def close(self) -> None:
        """Stop the witness worker and drop the temporary witnesses."""
        self._worker.close()
        self._tmp.cleanup()

    def _load_key(self, zkey: Path) -> Key:
        """The backend's form of the proving key in `zkey`."""
        raise NotImplementedError

    def _key(self, zkey: Path) -> Key:
        resolved = zkey.resolve()
        if resolved not in self._keys:
            self._keys[resolved] = self._load_key(resolved)
        return self._keys[resolved]

    @contextmanager
    def _witness(self, wasm: Path, inputs: Mapping[str, SignalValue]) -> Iterator[Path]:
        """The witness of `inputs` in a temporary .wtns file, removed afterwards.

        Raises
        ------
        ProofGenerationError
            When the inputs violate a constraint of the circuit.
        """
        wtns = Path(self._tmp.name) / f"{next(self._ids)}.wtns"
        try:
            self._worker.witness(wasm, inputs, wtns)
            yield wtns
        finally:
            wtns.unlink(missing_ok=True)


class SnarkjsProver(ClosingProver):
    """Proves and verifies with snarkjs in a node process kept alive between calls.

    Parameters
    ----------
    timeout
        Seconds to wait for one answer before the worker is considered hung and stopped.
    """

    name = "snarkjs"

    def __init__(self, timeout: float = 600.0) -> None:
        self._worker = NodeWorker(timeout)

    def close(self) -> None:
        """Stop the worker."""
        self._worker.close()

    def prove(self, wasm: Path, zkey: Path, inputs: Mapping[str, SignalValue]) -> ProofResult:
        """Compute the witness for `inputs` and a Groth16 proof of it.

        Raises
        ------
        ProofGenerationError
            When the inputs violate a constraint of the circuit (no proof can exist).
        """
        check_artifacts(wasm, zkey)
        answer = self._worker.call(
            {"op": "prove", "wasm": str(wasm), "zkey": str(zkey), "input": encode_inputs(inputs)}
        )
        _raise_unsatisfied(answer)
        return ProofResult(
            proof=Proof.from_snarkjs(answer["proof"]),
            public_signals=[int(s) for s in answer["publicSignals"]],
            seconds=float(answer["seconds"]),
        )

    def verify(self, vkey: Mapping[str, Any], proof: Proof, public_signals: list[int]) -> bool:
        """Verify with snarkjs itself (the reference verifier)."""
        answer = self._worker.call(
            {
                "op": "verify",
                "vkey": dict(vkey),
                "proof": proof.to_snarkjs(),
                "publicSignals": [str(s) for s in public_signals],
            }
        )
        if "error" in answer:
            raise ToolchainError(f"snarkjs could not verify: {answer['error']}")
        return bool(answer["valid"])


class ProverPool(ClosingProver):
    """Several provers of one backend, proving different chunks at the same time.

    One prover does not keep both cores of this machine busy (witness computation and the
    glue between its multi-threaded steps run on one core), so two provers finish a
    multi-chunk update sooner: 1.1 times with the native prover, 1.2 with snarkjs and 1.9 with
    groth16py on the default variant (bench/prover.py). `prove` is thread-safe: each call
    borrows an idle prover.

    Parameters
    ----------
    factory
        Makes one prover of the backend (e.g. `SnarkjsProver`).
    workers
        How many provers, at least 1.
    """

    def __init__(self, factory: Callable[[], Prover], workers: int = 2) -> None:
        if workers < 1:
            raise ToolchainError(f"a prover pool needs at least one worker, not {workers}.")
        self._provers: list[Prover] = []
        try:
            for _ in range(workers):
                self._provers.append(factory())
        except BaseException:
            self.close()
            raise
        self._idle: queue.SimpleQueue[Prover] = queue.SimpleQueue()
        for prover in self._provers:
            self._idle.put(prover)
        self.name = self._provers[0].name
        self.workers = workers

    def close(self) -> None:
        """Stop every prover of the pool."""
        for prover in self._provers:
            prover.close()

    def prove(self, wasm: Path, zkey: Path, inputs: Mapping[str, SignalValue]) -> ProofResult:
        """A proof from whichever prover of the pool is idle (blocks until one is)."""
        prover = self._idle.get()
        try:
            return prover.prove(wasm, zkey, inputs)
        finally:
            self._idle.put(prover)

    def prove_all(
        self, wasm: Path, zkey: Path, inputs: Sequence[Mapping[str, SignalValue]]
    ) -> Iterator[ProofResult]:
        """Proofs of every input in order, `workers` at a time; each is yielded as soon as it
        and those before it are done. Stopping early cancels the proofs not yet started."""
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            futures = [pool.submit(self.prove, wasm, zkey, x) for x in inputs]
            try:
                for future in futures:
                    yield future.result()
            finally:
                for future in futures:
                    future.cancel()


def prove_all(
    prover: Prover, wasm: Path, zkey: Path, inputs: Sequence[Mapping[str, SignalValue]]
) -> Iterator[ProofResult]:
    """Proofs of every input in order: in parallel with a `ProverPool`, else one by one."""
    if isinstance(prover, ProverPool):
        yield from prover.prove_all(wasm, zkey, inputs)
        return
    for x in inputs:
        yield prover.prove(wasm, zkey, x)
