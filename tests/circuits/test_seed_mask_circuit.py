"""SeedMask: anyone proves the W mask words of a seed the escrow holders recovered.

Once every holder opened its pad, the contract sums the shares into the pair's seed; the words
it then removes must be exactly PRG(seed, w), the words the owner's chunk proof added. The
circuit has no private input at all, an edge case every proving backend must handle, so the
proof is made with each. The module ends with a dropout recovered through the escrow alone:
no contributor reveals anything, and the sum is exact.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from circuit_harness import (
    CHUNK,
    ROOT,
    ROUND,
    SKS,
    CircuitVariant,
    P,
    chunk_values,
    client_task,
    escrow_index,
    packed_words,
    pair_reference,
    seed_mask_input,
    set_up,
    snarkjs_verifies,
)

from zkfed.circuits import Circuit, seed_mask_circuit
from zkfed.exceptions import ProofGenerationError
from zkfed.groth16 import verify
from zkfed.masking import neighbor_sign
from zkfed.proving import Prover, open_prover
from zkfed.secagg import (
    chunk_inputs,
    escrow_pad_inputs,
    mask_reveal_inputs,
    recovered_seed,
    seed_mask_inputs,
    share_holders,
    share_of,
)

# A seed near the top of the field.
SEED = P - 12345

pytestmark = pytest.mark.usefixtures(
    "seed_mask", "seed_mask_default", "escrow_pad", "masked_update_default"
)


# --- witness ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["seed_mask", "seed_mask_default"])
def test_valid_mask_satisfies_every_constraint_with_public_signals_in_order(
    fixture: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # Prepare
    variant: CircuitVariant = request.getfixturevalue(fixture)
    inputs = seed_mask_input(SEED, variant.params["W"])
    wtns = tmp_path / "valid.wtns"

    # Execute
    (result,) = variant.witnesses([inputs], [wtns])
    check = subprocess.run(
        ["node_modules/.bin/snarkjs", "wtns", "check", str(variant.r1cs), str(wtns)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    # Assert: seed, mask[0..W-1]; no private input.
    assert result["ok"], result.get("error")
    assert [int(v) for v in result["public"]] == variant.public_vector(inputs)
    assert [int(v) for v in result["public"]] == [SEED, *inputs["mask"]]
    assert set(inputs) == set(variant.public_names) and variant.private_names == []
    assert check.returncode == 0 and "WITNESS IS CORRECT" in check.stdout, check.stdout


@pytest.mark.parametrize("words", [2, 64])
def test_client_inputs_equal_the_reference_model(words: int) -> None:
    # Execute
    masks, inputs = seed_mask_inputs(SEED, words)

    # Assert
    assert inputs == seed_mask_input(SEED, words)
    assert masks == inputs["mask"]


def test_recovered_mask_is_the_mask_the_pair_reveals() -> None:
    # Prepare: member 0's seed with member 1, as the escrow recovers it.
    task = client_task(CircuitVariant("masked_update_default"), SKS[:5])
    seed = pair_reference(SKS[0], SKS[1])["seed"]

    # Execute
    masks, _ = seed_mask_inputs(seed, task.packing.words)
    revealed, _ = mask_reveal_inputs(task, ROUND, CHUNK, SKS[0], 1)

    # Assert
    assert masks == revealed


@pytest.mark.parametrize("position", [0, 1, 2], ids=["seed", "mask-0", "mask-1"])
@pytest.mark.parametrize("delta", [1, -1])
def test_rejects_tampered_words(seed_mask: CircuitVariant, position: int, delta: int) -> None:
    # Prepare
    inputs = seed_mask_input(SEED, seed_mask.params["W"])
    if position == 0:
        inputs["seed"] = (inputs["seed"] + delta) % P
    else:
        inputs["mask"][position - 1] = (inputs["mask"][position - 1] + delta) % P

    # Execute / Assert
    assert seed_mask.accepts(inputs) == [False]


@pytest.mark.parametrize("index", [0, 15, 16, 47, 63])
def test_default_variant_rejects_any_wrong_word(
    seed_mask_default: CircuitVariant, index: int
) -> None:
    # Prepare: words of the first and last of the four PRG blocks, and at a block boundary.
    inputs = seed_mask_input(SEED, seed_mask_default.params["W"])
    inputs["mask"][index] = (inputs["mask"][index] + 1) % P

    # Execute / Assert
    assert seed_mask_default.accepts(inputs) == [False]


def test_escrow_alone_recovers_a_dropped_members_masks(
    masked_update_default: CircuitVariant,
    escrow_pad: CircuitVariant,
    seed_mask_default: CircuitVariant,
) -> None:
    """Member 4 of 5 (K = 4, every slot active) drops out and no contributor reveals anything.

    For each contributor i, its three other neighbours open their pads of the entries holding
    i's seed with 4; the shares they yield sum to the seed, whose SeedMask words are removed
    with the sign i's chunk gave them, and the accumulator is the exact sum of the packed words.
    """
    # Prepare
    params = masked_update_default.params
    n, dropped, contributors = 5, 4, [0, 1, 2, 3]
    task = client_task(masked_update_default, SKS[:n])
    qs = {i: chunk_values(params, 500 + i) for i in contributors}
    chunks = {i: chunk_inputs(task, ROUND, CHUNK, i, SKS[i], qs[i]) for i in contributors}
    accumulator = [sum(c.words[w] for c in chunks.values()) % P for w in range(params["W"])]
    pads, masks = [], []

    # Execute
    for owner in contributors:
        slots = task.slots(owner)
        shares = []
        for holder in share_holders(task, owner, dropped):
            pad, inputs = escrow_pad_inputs(task, ROUND, CHUNK, SKS[holder], holder, owner, dropped)
            pads.append(inputs)
            e = escrow_index(params["K"], slots.index(dropped), slots.index(holder))
            shares.append(share_of(chunks[owner].escrow[e], pad))
        seed = recovered_seed(shares)
        words, inputs = seed_mask_inputs(seed, params["W"])
        masks.append(inputs)
        assert seed == pair_reference(SKS[owner], SKS[dropped])["seed"]
        sign = neighbor_sign(owner, dropped)
        accumulator = [(a - sign * m) % P for a, m in zip(accumulator, words, strict=True)]

    # Assert
    assert masked_update_default.accepts(*(c.inputs for c in chunks.values())) == [True] * 4
    assert escrow_pad.accepts(*pads) == [True] * 12
    assert seed_mask_default.accepts(*masks) == [True] * 4
    assert accumulator == [
        sum(packed_words(qs[i], params)[w] for i in contributors) % P for w in range(params["W"])
    ]


# --- Groth16, with every backend ---------------------------------------------------------------


@pytest.fixture(scope="module")
def mask_circuit(seed_mask: CircuitVariant) -> Circuit:
    """The set-up small SeedMask circuit as the client loads it (chosen by W)."""
    set_up(seed_mask)
    return seed_mask_circuit(seed_mask.params["W"], ROOT)


@pytest.fixture(scope="module", params=["snarkjs", "native", "groth16py"])
def prover(request: pytest.FixtureRequest) -> Iterator[Prover]:
    if request.param == "groth16py":
        pytest.importorskip("groth16py", reason="the optional groth16py extra is not installed")
    with closing(open_prover(request.param)) as made:
        yield made


def test_every_backend_proves_a_mask_that_verifies(
    prover: Prover, mask_circuit: Circuit, seed_mask: CircuitVariant, tmp_path: Path
) -> None:
    # Prepare
    _, inputs = seed_mask_inputs(SEED, seed_mask.params["W"])
    proof = tmp_path / "proof.json"

    # Execute
    result = prover.prove(mask_circuit.wasm, mask_circuit.zkey, inputs)
    proof.write_text(json.dumps(result.proof.to_snarkjs()))
    tampered = [(result.public_signals[0] + 1) % P, *result.public_signals[1:]]

    # Assert
    assert mask_circuit.name == seed_mask.name
    assert result.public_signals == seed_mask.public_vector(inputs)
    assert verify(mask_circuit.verification_key, result.proof, result.public_signals)
    assert not verify(mask_circuit.verification_key, result.proof, tampered)
    assert snarkjs_verifies(seed_mask, result.public_signals, proof)
    assert not snarkjs_verifies(seed_mask, tampered, proof)


def test_no_backend_proves_a_wrong_word(
    prover: Prover, mask_circuit: Circuit, seed_mask: CircuitVariant
) -> None:
    # Prepare
    _, inputs = seed_mask_inputs(SEED, seed_mask.params["W"])
    wrong = {**inputs, "mask": [inputs["mask"][0], (inputs["mask"][1] + 1) % P]}

    # Execute / Assert
    with pytest.raises(ProofGenerationError):
        prover.prove(mask_circuit.wasm, mask_circuit.zkey, wrong)
