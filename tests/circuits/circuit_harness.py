"""Inputs, witnesses and proofs of the circuits: a reference model, and the client's inputs.

The reference model builds PairCommit, MaskedUpdate, KeyPossession, MaskReveal, EscrowPad and
SeedMask inputs from the circuits' statements alone: every curve and hash value (keys, pair
secrets, commitments, seeds, PRG words, escrow pads and dealt shares)
comes from circomlibjs through ``reference.mjs``, and the neighbour slots, the ``slots`` word,
the lane packing, the masking arithmetic and the escrow's entries are written out here. The
suites build their inputs with the zkfed client too (:func:`client_task`) and check that both
agree, so the circuits are never tested against the client alone, and the client is checked
against the circuits.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from zkfed.babyjubjub import public_key as client_public_key
from zkfed.circuits import Circuit, load_circuit
from zkfed.groth16 import Proof, VerificationKey, verify
from zkfed.quantize import Packing
from zkfed.secagg import SecaggTask

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
REGISTRY: dict[str, Any] = json.loads((ROOT / "circuits" / "circuits.json").read_text())

SNARKJS = ROOT / "node_modules" / ".bin" / "snarkjs"

P = 21888242871839275222246405745257275088548364400416034343698204186575808495617
SUBGROUP_ORDER = 2736030358979909402780800718157159386076813972158567259200215660948447373041
IDENTITY = (0, 1)

# The context every suite uses unless a test varies it.
TASK, ROUND, CHUNK = 7, 3, 1

# Secret keys of up to eight members, in task order.
SKS = [
    0x1F2E3D4C5B6A7988,
    0xA11CE,
    0xB0B,
    0xCA401,
    0xD00D,
    0xE1E2E3,
    0xF00F00F,
    0x1234567,
]

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
    keys = [json.dumps(_encode(r), sort_keys=True) for r in requests]
    missing = sorted({k for k in keys if k not in _REFERENCE_CACHE})
    if missing:
        answer = node(HERE / "reference.mjs", {"requests": [json.loads(k) for k in missing]})
        _REFERENCE_CACHE.update(zip(missing, answer["results"], strict=True))
    return [_REFERENCE_CACHE[k] for k in keys]


_REFERENCE_CACHE: dict[str, Any] = {}


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
    def private_names(self) -> list[str]:
        return [s["name"] for s in self.spec["privateInputs"]]

    @property
    def public_count(self) -> int:
        return sum(int(s["length"]) for s in self.spec["publicSignals"])

    def public_vector(self, inputs: Mapping[str, Any]) -> list[int]:
        """The public signals of `inputs`, flattened in registry (snarkjs) order."""
        return [int(v) % P for name in self.public_names for v in _flatten(inputs[name])]

    def witnesses(
        self, inputs: Sequence[Mapping[str, Any]], wtns: Sequence[Path | None] = ()
    ) -> list[dict[str, Any]]:
        """Witness results (``ok``, ``public`` or ``error``) of the compiled wasm per input."""
        request = {
            "wasm": str(self.wasm),
            "publicCount": self.public_count,
            "inputs": [_encode(i) for i in inputs],
            "wtns": [str(w) if w else None for w in wtns],
        }
        return list(node(HERE / "witness.mjs", request)["results"])

    def accepts(self, *inputs: Mapping[str, Any]) -> list[bool]:
        """Whether the compiled wasm computes a witness of each input."""
        return [bool(r["ok"]) for r in self.witnesses(inputs)]


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
    if isinstance(value, str):
        return value
    return str(int(value) % P)


def canonical(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """`inputs` with every value reduced mod p, so two builders' inputs compare with ==."""
    return {k: _reduce(v) for k, v in inputs.items()}


def _reduce(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_reduce(v) for v in value]
    return int(value) % P


# --- reference model ----------------------------------------------------------------------------


def public_keys(sks: Sequence[int]) -> list[Point]:
    """sk·Base8 of each key, from circomlibjs."""
    return [(int(x), int(y)) for x, y in reference([{"op": "publicKey", "sk": sk} for sk in sks])]


def public_key(sk: int) -> Point:
    (pk,) = public_keys([sk])
    return pk


def ring_slots(n: int, k: int, i: int) -> list[int | None]:
    """Member i's k neighbour slots: ring offsets +1, -1, +2, -2, ...; a slot is inactive (None)
    when it lands on i itself or on a member an earlier slot holds."""
    offsets = [sign * step for step in range(1, k // 2 + 1) for sign in (1, -1)]
    slots: list[int | None] = []
    seen = {i}
    for offset in offsets:
        j = (i + offset) % n
        slots.append(None if j in seen else j)
        seen.add(j)
    return slots


def slots_word(i: int, slots: Sequence[int | None], escrow: bool = False) -> int:
    """The public `slots`: bit j = slot j's sign is +1 (i < neighbour), bit K + j = slot j is
    active, bit 2K = the seeds are escrowed."""
    k = len(slots)
    signs = sum(1 << j for j, n in enumerate(slots) if n is not None and i < n)
    active = sum(1 << (k + j) for j, n in enumerate(slots) if n is not None)
    return signs | active | (int(escrow) << (2 * k))


def escrows(n: int, k: int) -> bool:
    """The contract's rule: escrow iff every member has at least 3 active slots, min(K, n - 1)."""
    return min(k, n - 1) >= 3


def escrow_index(k: int, j: int, h: int) -> int:
    """Entry of seed slot j at holder slot h != j: j·(K - 1) + h - [h > j]."""
    assert j != h
    return j * (k - 1) + h - (1 if h > j else 0)


def escrow_tag(k: int, j: int, h: int, sign_bit: int) -> int:
    """The pad tag of entry e(j, h): 1 + e(j, h) + K·(K - 1)·sign_bit."""
    return 1 + escrow_index(k, j, h) + k * (k - 1) * sign_bit


def coefficients(word: int, k: int) -> list[int]:
    """The coefficient of each slot's mask that `word` asks for: ±1 if active, else 0."""
    return [((word >> j) & 1) * 2 - 1 if (word >> (k + j)) & 1 else 0 for j in range(k)]


def packed_words(q: Sequence[int], params: Mapping[str, int]) -> list[int]:
    """Lane packing: word_w = Σ_l (q[w·L + l] + 2^(R-1))·2^(B·l), lane 0 in the low bits."""
    lanes, bits, offset = params["L"], params["B"], 1 << (params["R"] - 1)
    return [
        sum((q[w * lanes + lane] + offset) << (bits * lane) for lane in range(lanes))
        for w in range(params["W"])
    ]


def chunk_values(params: Mapping[str, int], seed: int) -> list[int]:
    """W·L random quantised values in [-2^(R-1), 2^(R-1)), with both extremes."""
    rng = random.Random(seed)
    half = 1 << (params["R"] - 1)
    q = [rng.randrange(-half, half) for _ in range(params["W"] * params["L"])]
    q[0], q[-1] = -half, half - 1
    return q


@dataclass(frozen=True)
class Opening:
    """What one neighbour slot puts into a MaskedUpdate input.

    `secret` is the private pair secret, `coefficient` the coefficient its mask gets in y, and
    `commitment` the public commitment (None: the secret's own, Poseidon2(secret, task)).
    """

    secret: int
    coefficient: int
    commitment: int | None = None


@dataclass(frozen=True)
class Statement:
    """A MaskedUpdate statement before masking; :func:`masked_update_inputs` computes y."""

    q: Sequence[int]
    slots: int
    openings: Sequence[Opening]
    task: int = TASK
    round: int = ROUND
    chunk: int = CHUNK
    bound: int | None = None  # None: Σq²
    extra: dict[str, Any] = field(default_factory=dict)  # overrides of the built input


@dataclass(frozen=True)
class Escrow:
    """The seed escrow of one statement, entry by entry (e(j, h) order).

    `on[e]` is on(j, h) = escrow bit · active_j · active_h of the statement's slots word; `pads`
    are Poseidon5(secret_h, task, round, chunk, tag(j, h)) for every entry, on or not; `shares`
    are the honest dealing (Poseidon6(secret_j, task, round, chunk, j, h) for each holder but the
    last, seed_j less the others for the last; 0 when not on) and `escrow` = on·(share + pad).
    """

    seeds: list[int]
    on: list[int]
    tags: list[int]
    pads: list[int]
    shares: list[int]
    escrow: list[int]


def escrow_references(k: int, statements: Sequence[Statement]) -> list[Escrow]:
    """The reference escrow of each statement, with one circomlibjs run for all."""
    requests: list[dict[str, Any]] = []
    layout = []
    for s in statements:
        word, secrets = s.slots, [o.secret for o in s.openings]
        bit = (word >> (2 * k)) & 1
        active = [(word >> (k + j)) & 1 for j in range(k)]
        entries = []
        for j in range(k):
            holders = [h for h in range(k) if h != j and bit and active[j] and active[h]]
            for h in range(k):
                if h == j:
                    continue
                tag = escrow_tag(k, j, h, (word >> h) & 1)
                dealt = h in holders and h != holders[-1]
                entries.append((j, h, tag, int(h in holders), dealt))
                context = [s.task, s.round, s.chunk]
                requests.append({"op": "poseidon", "inputs": [secrets[h], *context, tag]})
                if dealt:
                    requests.append({"op": "poseidon", "inputs": [secrets[j], *context, j, h]})
        requests += [
            {"op": "opening", "secret": x, "task": s.task, "round": s.round, "chunk": s.chunk}
            for x in secrets
        ]
        layout.append(entries)
    answers = iter(reference(requests))
    results = []
    for entries in layout:
        e_count = k * (k - 1)
        tags, on = [0] * e_count, [0] * e_count
        pads, shares = [0] * e_count, [0] * e_count
        for j, h, tag, is_on, dealt in entries:
            e = escrow_index(k, j, h)
            tags[e], on[e] = tag, is_on
            pads[e] = int(next(answers))
            if dealt:
                shares[e] = int(next(answers))
        seeds = [int(next(answers)["seed"]) for _ in range(k)]
        for j in range(k):
            held = [escrow_index(k, j, h) for h in range(k) if h != j and on[escrow_index(k, j, h)]]
            if held:
                shares[held[-1]] = (seeds[j] - sum(shares[e] for e in held[:-1])) % P
        escrow = [on[e] * (shares[e] + pads[e]) % P for e in range(e_count)]
        results.append(Escrow(seeds, on, tags, pads, shares, escrow))
    return results


def masked_update_inputs(
    variant: CircuitVariant, statements: Sequence[Statement]
) -> list[dict[str, Any]]:
    """MaskedUpdate inputs of `statements`: y = packed(q) + Σ_j coefficient_j·PRG(seed_j),
    seed_j = Poseidon4(secret_j, task, round, chunk), and the reference escrow (entries 0 unless
    the slots word's bit 2K is set), with two circomlibjs runs for all."""
    params = variant.params
    escrows_of = escrow_references(params["K"], statements)
    requests = [
        {
            "op": "opening",
            "secret": o.secret,
            "task": s.task,
            "round": s.round,
            "chunk": s.chunk,
            "words": params["W"],
        }
        for s in statements
        for o in s.openings
    ]
    answers = iter(reference(requests))
    inputs = []
    for s, escrow in zip(statements, escrows_of, strict=True):
        assert len(s.openings) == params["K"]
        y = packed_words(s.q, params)
        commitments = []
        for opening in s.openings:
            answer = next(answers)
            mask = [int(m) for m in answer["words"]]
            y = [(v + opening.coefficient * m) % P for v, m in zip(y, mask, strict=True)]
            given = opening.commitment
            commitments.append(int(answer["commitment"]) if given is None else given)
        inputs.append(
            {
                "task": s.task,
                "round": s.round,
                "chunk": s.chunk,
                "commitments": commitments,
                "slots": s.slots,
                "bound": s.bound if s.bound is not None else sum(v * v for v in s.q),
                "y": y,
                "escrow": escrow.escrow,
                "secrets": [o.secret for o in s.openings],
                "q": list(s.q),
                "shares": escrow.shares,
                **s.extra,
            }
        )
    return inputs


def honest_statements(
    variant: CircuitVariant,
    sks: Sequence[int],
    qs: Mapping[int, Sequence[int]],
    *,
    task: int = TASK,
    round_index: int = ROUND,
    chunk: int = CHUNK,
    bound: int | None = None,
) -> dict[int, Statement]:
    """The statement of each member i in `qs` of a task of members `sks`: ECDH secrets for the
    active slots, 0 (with commitment 0) for the inactive ones, as the contract posts them, and
    the escrow bit as the contract sets it."""
    k = variant.params["K"]
    slots = {i: ring_slots(len(sks), k, i) for i in qs}
    requests = [
        {"op": "pair", "sk": sks[i], "neighborSk": sks[j], "task": task, "round": 0, "chunk": 0}
        for i in qs
        for j in slots[i]
        if j is not None
    ]
    answers = iter(reference(requests))
    statements = {}
    for i, q in qs.items():
        openings = []
        for j in slots[i]:
            if j is None:
                openings.append(Opening(0, 0, 0))
            else:
                answer = next(answers)
                sign = 1 if i < j else -1
                openings.append(Opening(int(answer["secret"]), sign, int(answer["commitment"])))
        word = slots_word(i, slots[i], escrows(len(sks), k))
        statements[i] = Statement(q, word, openings, task, round_index, chunk, bound)
    return statements


def pair_references(
    pairs: Sequence[tuple[int, int]],
    task: int = TASK,
    round_index: int = ROUND,
    chunk: int = CHUNK,
) -> list[dict[str, int]]:
    """circomlibjs' pair secret, commitment and seed of each (sk, neighbour sk)."""
    answers = reference(
        [
            {
                "op": "pair",
                "sk": sk,
                "neighborSk": neighbor_sk,
                "task": task,
                "round": round_index,
                "chunk": chunk,
            }
            for sk, neighbor_sk in pairs
        ]
    )
    return [{k: int(a[k]) for k in ("secret", "commitment", "seed")} for a in answers]


def pair_reference(
    sk: int, neighbor_sk: int, task: int = TASK, round_index: int = ROUND, chunk: int = CHUNK
) -> dict[str, int]:
    """circomlibjs' pair secret, commitment and seed of `sk` with `neighbor_sk`."""
    (answer,) = pair_references([(sk, neighbor_sk)], task, round_index, chunk)
    return answer


def commitment(secret: int, task: int = TASK) -> int:
    """circomlibjs' Poseidon2(secret, task)."""
    (answer,) = reference(
        [{"op": "opening", "secret": secret, "task": task, "round": 0, "chunk": 0}]
    )
    return int(answer["commitment"])


def pair_commit_inputs(pairs: Sequence[tuple[int, int]], task: int = TASK) -> list[dict[str, Any]]:
    """Valid PairCommit inputs of each (sk, neighbour sk), from circomlibjs."""
    keys = public_keys([sk for pair in pairs for sk in pair])
    commitments = [p["commitment"] for p in pair_references(pairs, task)]
    return [
        {
            "task": task,
            "pk": list(keys[2 * n]),
            "neighbor": list(keys[2 * n + 1]),
            "commitment": c,
            "sk": sk,
        }
        for n, ((sk, _), c) in enumerate(zip(pairs, commitments, strict=True))
    ]


def pair_commit_input(sk: int, neighbor_sk: int, task: int = TASK) -> dict[str, Any]:
    """A valid PairCommit input of `sk` for its neighbour `neighbor_sk`, from circomlibjs."""
    (inputs,) = pair_commit_inputs([(sk, neighbor_sk)], task)
    return inputs


def key_possession_input(sk: int, binding: int) -> dict[str, Any]:
    """A valid KeyPossession input of `sk` for the registration `binding`, from circomlibjs."""
    return {"pk": list(public_key(sk)), "binding": binding, "sk": sk}


def mask_reveal_inputs(
    secrets: Sequence[int],
    words: int,
    task: int = TASK,
    round_index: int = ROUND,
    chunk: int = CHUNK,
) -> list[dict[str, Any]]:
    """Valid MaskReveal inputs of each pair secret: its commitment and its first `words` mask
    words of (task, round, chunk), with one circomlibjs run for all."""
    answers = reference(
        [
            {
                "op": "opening",
                "secret": secret,
                "task": task,
                "round": round_index,
                "chunk": chunk,
                "words": words,
            }
            for secret in secrets
        ]
    )
    return [
        {
            "task": task,
            "round": round_index,
            "chunk": chunk,
            "commitment": int(answer["commitment"]),
            "mask": [int(m) for m in answer["words"]],
            "secret": secret,
        }
        for secret, answer in zip(secrets, answers, strict=True)
    ]


def mask_reveal_input(
    secret: int, words: int, task: int = TASK, round_index: int = ROUND, chunk: int = CHUNK
) -> dict[str, Any]:
    """A valid MaskReveal input of one pair secret, from circomlibjs."""
    (inputs,) = mask_reveal_inputs([secret], words, task, round_index, chunk)
    return inputs


def escrow_pad_input(
    secret: int, tag: int, task: int = TASK, round_index: int = ROUND, chunk: int = CHUNK
) -> dict[str, Any]:
    """A valid EscrowPad input of one pair secret and tag, from circomlibjs."""
    pad, opened = reference(
        [
            {"op": "poseidon", "inputs": [secret, task, round_index, chunk, tag]},
            {"op": "opening", "secret": secret, "task": task, "round": 0, "chunk": 0},
        ]
    )
    return {
        "task": task,
        "round": round_index,
        "chunk": chunk,
        "commitment": int(opened["commitment"]),
        "tag": tag,
        "pad": int(pad),
        "secret": secret,
    }


def seed_mask_input(seed: int, words: int) -> dict[str, Any]:
    """A valid SeedMask input of one seed, from circomlibjs."""
    (mask,) = reference([{"op": "prg", "seed": seed, "words": words}])
    return {"seed": seed, "mask": [int(m) for m in mask]}


# --- Groth16 proofs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Proven:
    """A snarkjs proof of `inputs` and its ``public.json``."""

    variant: CircuitVariant
    inputs: dict[str, Any]
    proof: Path
    public: Path

    @property
    def public_signals(self) -> list[int]:
        """The public signals snarkjs wrote with the proof."""
        return [int(v) for v in json.loads(self.public.read_text())]


def set_up(variant: CircuitVariant) -> None:
    """Make the variant's development zkey (tools/circuits.py setup); fail the test if it fails."""
    result = tools("setup", variant.name)
    if result.returncode != 0:
        pytest.fail(f"setting up {variant.name} failed:\n{result.stderr}")


def prove(variant: CircuitVariant, inputs: Mapping[str, Any], folder: Path) -> Proven:
    """Prove `inputs` with ``snarkjs groth16 fullprove`` into `folder`."""
    (folder / "input.json").write_text(json.dumps(_encode(dict(inputs))))
    proof, public = folder / "proof.json", folder / "public.json"
    command: list[str | Path] = [SNARKJS, "groth16", "fullprove", folder / "input.json"]
    command += [variant.wasm, variant.zkey, proof, public]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return Proven(variant, dict(inputs), proof, public)


def snarkjs_verifies(variant: CircuitVariant, public: Sequence[int], proof: Path) -> bool:
    """Whether ``snarkjs groth16 verify`` accepts `proof` for `public` under the committed key."""
    path = proof.with_name(f"public-{abs(hash(tuple(public)))}.json")
    path.write_text(json.dumps([str(s) for s in public]))
    result = subprocess.run(
        [SNARKJS, "groth16", "verify", variant.vkey, path, proof],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0 and "OK!" in result.stdout


def py_ecc_verifies(variant: CircuitVariant, public: Sequence[int], proof: Path) -> bool:
    """Whether the client's py_ecc verifier accepts `proof` for `public` under the committed
    key."""
    key = VerificationKey.load(variant.vkey)
    return verify(key, Proof.from_snarkjs(json.loads(proof.read_text())), list(public))


# --- the client's inputs ------------------------------------------------------------------------


def client_task(
    variant: CircuitVariant,
    sks: Sequence[int],
    task: int = TASK,
    bound: int = 1 << 40,
    domain: int | None = None,
) -> SecaggTask:
    """The zkfed client's task of members `sks` on a MaskedUpdate variant (one chunk); its
    proofs' `task` input is `domain`, or the task id `task` when `domain` is None."""
    p = variant.params
    packing = Packing(p["W"], p["L"], p["B"], p["R"], 0)
    members = tuple(client_public_key(sk) for sk in sks)
    return SecaggTask(
        task, packing, packing.params_per_chunk, p["K"], bound, members, domain=domain
    )


def built_circuit(name: str) -> Circuit:
    """A registry variant as the client loads it; fails the test when it is not built."""
    found = load_circuit(name, ROOT)
    if not found.ready():
        pytest.fail(f"{name} is not built; run tools/dev.sh setup")
    return found
