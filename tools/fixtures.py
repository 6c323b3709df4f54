#!/usr/bin/env python3
"""Write the real-proof fixtures the Foundry suite reads (tests/fixtures/proofs/<variant>.json).

    python tools/fixtures.py            prove with the client and (re)write the fixtures
    python tools/fixtures.py --check    verify the committed fixtures (py_ecc and snarkjs)

Everything but the proof is reproducible: fixed member keys and accounts, a fixed aggregator
address and chain id (so the task's domain and the key bindings are known in advance: the Foundry
suite deploys the aggregator at that address), a fixed hash of the task's creation block (the
suite sets it with `vm.setBlockhash`, so `drawGraph` draws the ring written here), a fixed
update drawn from a seeded generator and the client's own quantising, packing and masking
(zkfed.secagg). Groth16 proofs are
randomised, so a rewrite changes only `proof`. The proofs are made with the committed INSECURE
development keys (circuits/keys/*.vkey.json); rewrite the fixtures whenever those keys change.
Schema: tests/foundry/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from zkfed.babyjubjub import ecdh_x, public_key
from zkfed.circuits import (
    ESCROW_PAD,
    KEY_POSSESSION,
    PAIR_COMMIT,
    TEST_VARIANT,
    load_circuit,
    mask_reveal_circuit,
    seed_mask_circuit,
)
from zkfed.exceptions import ZkfedError
from zkfed.field import P
from zkfed.groth16 import Proof, verify
from zkfed.masking import draw_ring, escrow_tag
from zkfed.prg import derive_seed, escrow_pad, pair_commitment
from zkfed.proving import SnarkjsProver
from zkfed.quantize import squared_norm_bound
from zkfed.secagg import (
    SecaggTask,
    join_inputs,
    mask_reveal_inputs,
    mask_update,
    seed_mask_inputs,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "proofs"

# The task the fixtures belong to: RealVerifier.t.sol creates it as task 1 on an aggregator it
# deploys at AGGREGATOR on a chain with id CHAIN_ID, with the members at MEMBER_ADDRESSES.
CHAIN_ID = 31337
AGGREGATOR = "0x000000000000000000000000000000000000A99E"
MEMBER_ADDRESSES = tuple(f"0x{0x1000 + i:040x}" for i in range(5))
TASK_ID = 1
ROUND = 1
CHUNK = 0
# The hash of the block that creates the task, which seeds its ring (drawGraph).
ANCHOR_HASH = keccak(b"zkfed.fixtures.anchor-block")
MEMBER = 2  # on the drawn ring (3, 0, 4, 1, 2) its neighbours are 3 and 1: both signs appear
DROPPED = 3  # the neighbour whose mask `mask_reveal_test.json` removes
HOLDER = 1  # MEMBER's other neighbour: the holder whose pad `escrow_pad.json` opens
SCALE_BITS = 8
CLIP_NORM = 0.5
UPDATE_SEED = 20240601
# Fixed BabyJubJub secret keys of five members (fixtures only; never use them for anything).
SECRET_KEYS = tuple(0xF1C7_0000 + 104_729 * i for i in range(5))


def _field_hash(tag: bytes, last: tuple[str, Any]) -> int:
    """keccak256(abi.encode(keccak256(tag), CHAIN_ID, AGGREGATOR, last)) mod p, as the
    aggregator computes task domains and key bindings."""
    types = ["bytes32", "uint256", "address", last[0]]
    values = [keccak(tag), CHAIN_ID, AGGREGATOR, last[1]]
    return int.from_bytes(keccak(encode(types, values)), "big") % P


def task_domain() -> int:
    """The aggregator's `taskDomain(TASK_ID)` at AGGREGATOR on CHAIN_ID."""
    return _field_hash(b"zkfed.task-domain", ("uint256", TASK_ID))


def key_binding(member: int) -> int:
    """The aggregator's `keyBinding` of a member's account at AGGREGATOR on CHAIN_ID."""
    return _field_hash(b"zkfed.key-binding", ("address", MEMBER_ADDRESSES[member]))


def ring() -> tuple[int, ...]:
    """The ring `drawGraph` draws for the task from ANCHOR_HASH."""
    seed = keccak(encode(["bytes32", "uint256"], [ANCHOR_HASH, task_domain()]))
    return draw_ring(seed, len(MEMBER_ADDRESSES))


def fixture_task() -> SecaggTask:
    """The fixtures' task: five members on the `masked_update_test` variant, one chunk."""
    circuit = load_circuit(TEST_VARIANT, ROOT)
    packing = circuit.packing(SCALE_BITS)
    return SecaggTask(
        task_id=TASK_ID,
        packing=packing,
        n_params=packing.params_per_chunk,
        neighbors=circuit.neighbors,
        bound=squared_norm_bound(CLIP_NORM, packing),
        members=tuple(public_key(sk) for sk in SECRET_KEYS),
        domain=task_domain(),
        ring=ring(),
    )


def _header(task: SecaggTask, variant: str) -> dict[str, Any]:
    return {
        "variant": variant,
        "generatedBy": "python tools/fixtures.py",
        "setup": "INSECURE development keys (circuits/keys); proofs are valid only for them.",
        "chainId": CHAIN_ID,
        "aggregator": AGGREGATOR,
        "memberAddresses": list(MEMBER_ADDRESSES),
        "task": task.task_id,
        "domain": str(task.seed_domain),
        "anchorHash": "0x" + ANCHOR_HASH.hex(),
        "ring": list(ring()),
        "round": ROUND,
        "chunk": CHUNK,
        "member": MEMBER,
        "neighbors": task.neighbors,
        "bound": str(task.bound),
        "memberKeys": [[str(x), str(y)] for x, y in task.members],
        "commitments": [str(c) for c in task.pair_commitments(MEMBER, SECRET_KEYS[MEMBER])],
    }


def masked_update_case() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the fixture without its proof, the circuit inputs) of MEMBER's chunk 0."""
    task = fixture_task()
    rng = np.random.default_rng(UPDATE_SEED)
    update = rng.normal(0.0, 0.01, task.n_params)
    masked = mask_update(task, ROUND, MEMBER, SECRET_KEYS[MEMBER], update, rng)[CHUNK]
    content = {
        **_header(task, TEST_VARIANT),
        "words": [str(w) for w in masked.words],
        "escrow": [str(e) for e in masked.escrow],
    }
    return content, [dict(masked.inputs)]


def mask_reveal_case() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the fixture without its proof, the circuit inputs) of MEMBER removing the mask it shares
    with DROPPED from chunk 0."""
    task = fixture_task()
    masks, inputs = mask_reveal_inputs(task, ROUND, CHUNK, SECRET_KEYS[MEMBER], DROPPED)
    content = {
        **_header(task, MASK_REVEAL),
        "dropped": DROPPED,
        "masks": [str(m) for m in masks],
    }
    return content, [dict(inputs)]


def escrow_pad_case() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the fixture without its proof, the circuit inputs) of HOLDER opening the pad of
    MEMBER's escrow entry e(j, h) for chunk 0, j the slot of DROPPED and h that of HOLDER.

    The fixture task (K = 2) does not escrow, so no chunk of it carries the entry and
    `escrow_pad_inputs` refuses it; the statement is the one `revealShare` checks all the same:
    the pad is Poseidon5(secret, D, r, c, tag) of the secret committed in MEMBER's slot h, with
    tag = escrow_tag(j, h, K, MEMBER < HOLDER)."""
    task = fixture_task()
    slots = task.slots(MEMBER)
    j, h = slots.index(DROPPED), slots.index(HOLDER)
    tag = escrow_tag(j, h, task.neighbors, int(MEMBER < HOLDER))
    secret = ecdh_x(SECRET_KEYS[HOLDER], task.members[MEMBER])
    domain = task.seed_domain
    pad = escrow_pad(secret, domain, ROUND, CHUNK, tag)
    inputs = {
        "task": domain,
        "round": ROUND,
        "chunk": CHUNK,
        "commitment": pair_commitment(secret, domain),
        "tag": tag,
        "pad": pad,
        "secret": secret,
    }
    content = {
        **_header(task, ESCROW_PAD),
        "dropped": DROPPED,
        "holder": HOLDER,
        "tag": tag,
        "pad": str(pad),
    }
    return content, [inputs]


def seed_mask_case() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the fixture without its proof, the circuit inputs) of the mask of the seed MEMBER
    shares with DROPPED for chunk 0, as `recoverMask` would remove it once the holders opened
    the seed: the very words of `mask_reveal_test.json`."""
    task = fixture_task()
    secret = ecdh_x(SECRET_KEYS[MEMBER], task.members[DROPPED])
    seed = derive_seed(secret, task.seed_domain, ROUND, CHUNK)
    masks, inputs = seed_mask_inputs(seed, task.packing.words)
    content = {
        **_header(task, SEED_MASK),
        "dropped": DROPPED,
        "seed": str(seed),
        "masks": [str(m) for m in masks],
    }
    return content, [dict(inputs)]


def key_possession_case() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the fixture without its proof, the circuit inputs) of MEMBER registering its key from
    its account MEMBER_ADDRESSES[MEMBER]."""
    task = fixture_task()
    sk = SECRET_KEYS[MEMBER]
    pk = public_key(sk)
    binding = key_binding(MEMBER)
    content = {**_header(task, KEY_POSSESSION), "binding": str(binding)}
    return content, [{"pk": [pk[0], pk[1]], "binding": binding, "sk": sk}]


def pair_commit_case() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the fixture without its proofs, the circuit inputs) of MEMBER joining the task: one
    `PairCommit` proof per active neighbour slot, in slot order (the `joinTask` arguments)."""
    task = fixture_task()
    pairs = join_inputs(task, MEMBER, SECRET_KEYS[MEMBER])
    return _header(task, PAIR_COMMIT), [dict(inputs) for _, inputs in pairs]


TEST_WORDS = load_circuit(TEST_VARIANT, ROOT).packing().words
MASK_REVEAL = mask_reveal_circuit(TEST_WORDS, ROOT).name
SEED_MASK = seed_mask_circuit(TEST_WORDS, ROOT).name
CASES = {
    TEST_VARIANT: masked_update_case,
    MASK_REVEAL: mask_reveal_case,
    PAIR_COMMIT: pair_commit_case,
    KEY_POSSESSION: key_possession_case,
    ESCROW_PAD: escrow_pad_case,
    SEED_MASK: seed_mask_case,
}
MULTI_PROOF = {PAIR_COMMIT}
"""Cases written with `proofs` and `publicSignals` as lists (one per proof)."""


def proof_json(proof: Proof) -> dict[str, Any]:
    """A proof in `Proof.solidity_arguments()` order, as decimal strings."""
    a, b, c = proof.solidity_arguments()
    return {
        "a": [str(v) for v in a],
        "b": [[str(v) for v in row] for row in b],
        "c": [str(v) for v in c],
    }


def proof_from_json(raw: dict[str, Any]) -> Proof:
    """Inverse of :func:`proof_json` (G2 coordinates swapped back to snarkjs order)."""
    a = [int(v) for v in raw["a"]]
    b = [[int(v) for v in row] for row in raw["b"]]
    c = [int(v) for v in raw["c"]]
    return Proof((a[0], a[1]), ((b[0][1], b[0][0]), (b[1][1], b[1][0])), (c[0], c[1]))


def make_fixture(prover: SnarkjsProver, variant: str) -> dict[str, Any]:
    """Prove one case and check every proof with py_ecc before it is written."""
    content, cases = CASES[variant]()
    circuit = load_circuit(variant, ROOT)
    proofs, signals = [], []
    for inputs in cases:
        result = prover.prove(circuit.wasm, circuit.zkey, inputs)
        if not verify(circuit.verification_key, result.proof, result.public_signals):
            raise ZkfedError(f"a fresh {variant} proof does not verify with the committed vkey.")
        proofs.append(proof_json(result.proof))
        signals.append([str(s) for s in result.public_signals])
    if variant in MULTI_PROOF:
        return {**content, "proofs": proofs, "publicSignals": signals}
    return {**content, "proof": proofs[0], "publicSignals": signals[0]}


def check_fixture(prover: SnarkjsProver, variant: str) -> list[str]:
    """Differences between a committed fixture and what it should be."""
    path = FIXTURES / f"{variant}.json"
    if not path.is_file():
        return [f"{path.relative_to(ROOT)} is missing"]
    fixture = json.loads(path.read_text())
    content, _ = CASES[variant]()
    problems = [
        f"{variant}: {key} differs from its regeneration"
        for key, value in content.items()
        if fixture.get(key) != value
    ]
    circuit = load_circuit(variant, ROOT)
    if variant in MULTI_PROOF:
        pairs = zip(fixture["proofs"], fixture["publicSignals"], strict=True)
    else:
        pairs = zip([fixture["proof"]], [fixture["publicSignals"]], strict=True)
    for raw, raw_signals in pairs:
        proof = proof_from_json(raw)
        signals = [int(s) for s in raw_signals]
        if not verify(circuit.verification_key, proof, signals):
            problems.append(f"{variant}: a proof does not verify with the committed vkey (py_ecc)")
        if not prover.verify(circuit.vkey_json, proof, signals):
            problems.append(f"{variant}: a proof does not verify with the committed vkey (snarkjs)")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/fixtures.py", description=__doc__)
    parser.add_argument("--check", action="store_true", help="verify instead of rewriting")
    args = parser.parse_args(argv)
    try:
        with SnarkjsProver() as prover:
            if args.check:
                problems = [p for v in CASES for p in check_fixture(prover, v)]
                for problem in problems:
                    print(f"[fixtures] {problem}", file=sys.stderr)
                if problems:
                    print("[fixtures] run `python tools/fixtures.py` and commit.", file=sys.stderr)
                    return 1
                print("[fixtures] the committed proof fixtures verify")
                return 0
            FIXTURES.mkdir(parents=True, exist_ok=True)
            for variant in CASES:
                path = FIXTURES / f"{variant}.json"
                path.write_text(json.dumps(make_fixture(prover, variant), indent=2) + "\n")
                print(f"[fixtures] wrote {path.relative_to(ROOT)}")
    except ZkfedError as error:
        print(f"[fixtures] error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
