"""Inputs, witnesses and proofs of the circuits, independent of the zkfed client.

Every reference value (keys, seeds, PRG words) comes from circomlibjs through ``reference.mjs``;
the packing and masking arithmetic is written out here from circuits/README.md, so a test of
the circuits does not trust the Python client that is checked against them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
REGISTRY: dict[str, Any] = json.loads((ROOT / "circuits" / "circuits.json").read_text())

P = 21888242871839275222246405745257275088548364400416034343698204186575808495617
SUBGROUP_ORDER = 2736030358979909402780800718157159386076813972158567259200215660948447373041
IDENTITY = (0, 1)

Point = tuple[int, int]


def node(script: Path, request: dict[str, Any], timeout: float = 300) -> Any:
    """Run a node helper of this folder with `request` on stdin; return its JSON answer."""
    result = subprocess.run(
        ["node", str(script)],
        input=json.dumps(request),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{script.name} failed: {result.stderr.strip()[-2000:]}")
    return json.loads(result.stdout)


def reference(requests: Sequence[dict[str, Any]]) -> list[Any]:
    """circomlibjs' answers to `requests` (see reference.mjs), remembered for the session."""
    keys = [json.dumps(r, sort_keys=True) for r in requests]
    missing = sorted({k for k in keys if k not in _REFERENCE_CACHE})
    if missing:
        answer = node(HERE / "reference.mjs", {"requests": [json.loads(k) for k in missing]})
        _REFERENCE_CACHE.update(zip(missing, answer["results"], strict=True))
    return [_REFERENCE_CACHE[k] for k in keys]


_REFERENCE_CACHE: dict[str, Any] = {}


def public_key(sk: int) -> Point:
    (pk,) = reference([{"op": "publicKey", "sk": str(sk)}])
    return int(pk[0]), int(pk[1])


def _pair_mask(
    sk: int, neighbor_sk: int, task: int, round_index: int, chunk: int, words: int
) -> dict[str, Any]:
    return {
        "op": "pairMask",
        "sk": str(sk),
        "neighborSk": str(neighbor_sk),
        "task": str(task),
        "round": str(round_index),
        "chunk": str(chunk),
        "words": words,
    }


def tools(*args: str, timeout: float = 3600) -> subprocess.CompletedProcess[str]:
    """Run tools/circuits.py with the interpreter of the tests."""
    return subprocess.run(
        [sys.executable, "tools/circuits.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass(frozen=True)
class CircuitVariant:
    """A registry variant and its build outputs."""

    name: str

    @property
    def spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = REGISTRY["variants"][self.name]
        return spec

    @property
    def params(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.spec["parameters"].items()}

    @property
    def build(self) -> Path:
        return ROOT / "circuits" / "build" / self.name

    @property
    def wasm(self) -> Path:
        return self.build / f"{self.name}_js" / f"{self.name}.wasm"

    @property
    def r1cs(self) -> Path:
        return self.build / f"{self.name}.r1cs"

    @property
    def zkey(self) -> Path:
        return self.build / f"{self.name}.zkey"

    @property
    def vkey(self) -> Path:
        return ROOT / "circuits" / "keys" / f"{self.name}.vkey.json"

    @property
    def public_names(self) -> list[str]:
        return [s["name"] for s in self.spec["publicSignals"]]

    @property
    def public_count(self) -> int:
        return sum(int(s["length"]) for s in self.spec["publicSignals"])

    def public_vector(self, inputs: dict[str, Any]) -> list[int]:
        """The public signals of `inputs`, flattened in registry (snarkjs) order."""
        return [int(v) for name in self.public_names for v in _flatten(inputs[name])]

    def witnesses(
        self, inputs: Sequence[dict[str, Any]], wtns: Sequence[Path | None] = ()
    ) -> list[dict[str, Any]]:
        """Witness results (``ok``, ``public`` or ``error``) of the compiled wasm per input."""
        request = {
            "wasm": str(self.wasm),
            "publicCount": self.public_count,
            "inputs": [_encode(i) for i in inputs],
            "wtns": [str(w) if w else None for w in wtns],
        }
        return list(node(HERE / "witness.mjs", request)["results"])


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return [v for item in value for v in _flatten(item)]
    return [value]


def _encode(value: Any) -> Any:
    # circom inputs are decimal strings: JSON numbers lose precision above 2^53.
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return str(int(value) % P)


@dataclass
class Member:
    """What a MaskedUpdate witness needs from one member's point of view."""

    sk: int
    neighbor_sks: list[int]
    signs: int
    q: list[int]
    task: int = 7
    round: int = 3
    chunk: int = 1
    bound: int | None = None


def packed_words(q: Sequence[int], params: dict[str, int]) -> list[int]:
    """Lane packing of circuits/README.md: word_w = Σ_l (q + 2^(R-1))·2^(B·l)."""
    lanes, bits, offset = params["L"], params["B"], 1 << (params["R"] - 1)
    return [
        sum((q[w * lanes + lane] + offset) << (bits * lane) for lane in range(lanes))
        for w in range(params["W"])
    ]


def masked_update_inputs(
    variant: CircuitVariant, members: Sequence[Member]
) -> list[dict[str, Any]]:
    """Valid MaskedUpdate inputs of `members`, with one circomlibjs run for all of them."""
    params = variant.params
    key_requests = [
        {"op": "publicKey", "sk": str(sk)} for m in members for sk in (m.sk, *m.neighbor_sks)
    ]
    mask_requests = [
        _pair_mask(m.sk, n, m.task, m.round, m.chunk, params["W"])
        for m in members
        for n in m.neighbor_sks
    ]
    answers = reference(key_requests + mask_requests)
    keys = iter(answers[: len(key_requests)])
    masks = iter(answers[len(key_requests) :])
    inputs = []
    for member in members:
        pk, *neighbors = [[int(c) for c in next(keys)] for _ in range(1 + len(member.neighbor_sks))]
        y = packed_words(member.q, params)
        for slot in range(params["K"]):
            sign = 1 if (member.signs >> slot) & 1 else -1
            mask = [int(m) for m in next(masks)["words"]]
            y = [(value + sign * m) % P for value, m in zip(y, mask, strict=True)]
        bound = member.bound if member.bound is not None else sum(v * v for v in member.q)
        inputs.append(
            {
                "task": member.task,
                "round": member.round,
                "chunk": member.chunk,
                "pk": pk,
                "neighbors": neighbors,
                "signs": member.signs,
                "bound": bound,
                "y": y,
                "sk": member.sk,
                "q": list(member.q),
            }
        )
    return inputs


def seed_reveal_input(
    sk: int, neighbor_sk: int, task: int = 7, round_index: int = 3, chunk: int = 1
) -> dict[str, Any]:
    """A valid SeedReveal input: member `sk` reveals its seed with `neighbor_sk`."""
    pk, neighbor, mask = reference(
        [
            {"op": "publicKey", "sk": str(sk)},
            {"op": "publicKey", "sk": str(neighbor_sk)},
            _pair_mask(sk, neighbor_sk, task, round_index, chunk, 0),
        ]
    )
    return {
        "task": task,
        "round": round_index,
        "chunk": chunk,
        "pk": [int(c) for c in pk],
        "neighbor": [int(c) for c in neighbor],
        "seed": int(mask["seed"]),
        "sk": sk,
    }


def ring_neighbors(index: int, n: int, k: int) -> list[int]:
    """Neighbour slots of member `index` (README, "Mask"): offsets +1, -1, ..., +k/2, -k/2."""
    return [(index + sign * step) % n for step in range(1, k // 2 + 1) for sign in (1, -1)]


def sign_bits(index: int, neighbors: Sequence[int]) -> int:
    """The public `signs`: bit j = 1 when this member's index is below neighbour j's."""
    return sum(1 << slot for slot, j in enumerate(neighbors) if index < j)
