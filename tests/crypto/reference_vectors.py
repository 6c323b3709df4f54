"""Reference requests of the crypto suites and the node runner that answers them.

Every request is built from a seeded RNG; ``reference.mjs`` answers all of them with circomlibjs
in one node process (starting node and building Poseidon costs about a second).
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

from zkfed.babyjubjub import BASE8, GENERATOR, IDENTITY, SUBGROUP_ORDER, Point, add, mul
from zkfed.field import P
from zkfed.poseidon import MAX_WIDTH, MIN_WIDTH

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_SCRIPT = Path(__file__).with_name("reference.mjs")

Request = dict[str, Any]
Cases = dict[str, list[tuple[Request, Any]]]

WIDTHS = range(MIN_WIDTH, MAX_WIDTH + 1)


def _dec(*values: int) -> list[str]:
    return [str(v) for v in values]


def _pt(point: Point) -> list[str]:
    return _dec(*point)


def build_requests() -> dict[str, list[Request]]:
    """Build every reference request, grouped by what the tests check with them."""
    rng = random.Random(0x2BF3D)

    def field() -> int:
        return rng.randrange(P)

    def scalar() -> int:
        return rng.randrange(1, SUBGROUP_ORDER)

    groups: dict[str, list[Request]] = {}
    groups["poseidon"] = [
        {"op": "poseidon", "inputs": _dec(*inputs)}
        for t in WIDTHS
        for inputs in (
            list(range(1, t)),
            [0] * (t - 1),
            [P - 1] * (t - 1),
            *([field() for _ in range(t - 1)] for _ in range(3)),
        )
    ]
    groups["poseidon_ex"] = [
        {
            "op": "poseidon",
            "inputs": _dec(*(field() for _ in range(t - 1))),
            "initState": str(field()),
            "nOut": n_out,
        }
        for t in WIDTHS
        for n_out in sorted({2, t})
    ]
    # The circuits use PoseidonEx from circomlib; the plain reference permutation of
    # circomlibjs must agree with the wasm one on the same vectors.
    groups["poseidon_reference"] = [
        {"op": "poseidonReference", **{k: v for k, v in r.items() if k != "op"}}
        for r in groups["poseidon_ex"]
        if len(r["inputs"]) in (1, 4, 16)
    ]

    groups["constants"] = [{"op": "constants"}]
    groups["base8"] = [{"op": "base8"}]

    subgroup_points = [mul(BASE8, scalar()) for _ in range(3)]
    order2 = (0, P - 1)
    order8 = mul(GENERATOR, SUBGROUP_ORDER)
    mixed = add(GENERATOR, subgroup_points[0])
    scalars = [0, 1, 2, 7, SUBGROUP_ORDER - 1, SUBGROUP_ORDER, SUBGROUP_ORDER + 1, 2**253 + 5]
    scalars += [scalar() for _ in range(4)]
    groups["mul"] = [
        {"op": "mulPointEscalar", "point": _pt(point), "scalar": str(k)}
        for point in (BASE8, GENERATOR, subgroup_points[1], mixed)
        for k in (scalars if point == BASE8 else scalars[::3])
    ]
    pairs = [
        (BASE8, BASE8),
        (BASE8, IDENTITY),
        (subgroup_points[0], subgroup_points[1]),
        (subgroup_points[2], order2),
        (GENERATOR, order8),
        (mixed, (P - mixed[0], mixed[1])),
    ]
    groups["add"] = [{"op": "addPoint", "a": _pt(a), "b": _pt(b)} for a, b in pairs]
    candidates = [
        BASE8,
        GENERATOR,
        IDENTITY,
        order2,
        order8,
        mixed,
        *subgroup_points,
        (1, 2),
        (BASE8[0], (BASE8[1] + 1) % P),
        (0, 0),
    ]
    groups["in_curve"] = [{"op": "inCurve", "point": _pt(pt)} for pt in candidates]
    groups["in_subgroup"] = [{"op": "inSubgroup", "point": _pt(pt)} for pt in candidates]

    seeds: list[Request] = []
    for _ in range(4):
        sk, other = scalar(), scalar()
        task, rnd, chunk = rng.randrange(2**32), rng.randrange(2**16), rng.randrange(2**10)
        common = {"op": "seed", "task": str(task), "round": str(rnd), "chunk": str(chunk)}
        seeds.append({**common, "sk": str(sk), "otherSk": str(other)})
        seeds.append({**common, "sk": str(other), "otherSk": str(sk)})
    groups["seed"] = seeds
    groups["commitment"] = [
        {"op": "commitment", "sk": r["sk"], "otherSk": r["otherSk"], "task": r["task"]}
        for r in seeds
    ]

    # Seed escrow: the pad of an entry (5 inputs) and a dealt share (6 inputs) are plain Poseidon
    # hashes of widths 6 and 7.
    groups["escrow_pad"] = [
        {"op": "poseidon", "inputs": _dec(field(), field(), rng.randrange(2**16), c, tag)}
        for c, tag in ((0, 1), (3, 12), (1023, 13), (7, 24))
    ]
    groups["escrow_share"] = [
        {"op": "poseidon", "inputs": _dec(field(), field(), rng.randrange(2**16), c, j, h)}
        for c, j, h in ((0, 0, 1), (5, 1, 0), (9, 3, 2))
    ]

    groups["prg"] = [
        {"op": "prgWords", "seed": str(seed), "nWords": n}
        for seed, n in ((0, 16), (field(), 40), (field(), 33), (P - 1, 17))
    ]
    return groups


def run_reference(groups: dict[str, list[Request]]) -> Cases:
    """Answer every request with circomlibjs and pair each request with its answer.

    Raises
    ------
    RuntimeError
        If node is missing or the script fails.
    """
    if shutil.which("node") is None:
        raise RuntimeError(
            "node is not on PATH; the crypto suites check zkfed against circomlibjs."
        )
    flat = [(name, request) for name, requests in groups.items() for request in requests]
    completed = subprocess.run(
        ["node", str(REFERENCE_SCRIPT)],
        cwd=ROOT,
        input=json.dumps({"requests": [request for _, request in flat]}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"reference.mjs failed:\n{completed.stderr}")
    results = json.loads(completed.stdout)["results"]
    if len(results) != len(flat):
        raise RuntimeError(f"reference.mjs answered {len(results)} of {len(flat)} requests.")
    cases: Cases = {name: [] for name in groups}
    for (name, request), result in zip(flat, results, strict=True):
        cases[name].append((request, result))
    return cases
