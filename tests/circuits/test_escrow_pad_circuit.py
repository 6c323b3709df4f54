"""EscrowPad: a holder opens the pad of one escrow entry of a neighbour's chunk.

The pad must be Poseidon5(secret, task, round, chunk, tag) of the pair secret the owner and the
holder committed to when they joined; the contract subtracts it from the entry to get the share.
`task` is the task's domain, a full field element, so the suites use a large one (p - 5) beside
the small context of the other suites. The proof is made with every backend the client can use.
"""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from circuit_harness import (
    CHUNK,
    ROOT,
    ROUND,
    SKS,
    TASK,
    CircuitVariant,
    P,
    canonical,
    client_task,
    escrow_pad_input,
    escrow_tag,
    pair_reference,
    set_up,
    snarkjs_verifies,
)

from zkfed.circuits import ESCROW_PAD, Circuit, load_circuit
from zkfed.exceptions import ConfigurationError, ProofGenerationError
from zkfed.groth16 import verify
from zkfed.proving import Prover, open_prover
from zkfed.secagg import escrow_pad_inputs

# A task domain near the top of the field, as keccak-derived domains are.
DOMAIN = P - 5
# K = 4: twelve entries, tags 1..24.
K = 4
TAG = escrow_tag(K, 2, 1, 1)

pytestmark = pytest.mark.usefixtures("escrow_pad", "masked_update_default")


@pytest.fixture(scope="module")
def secret() -> int:
    """The pair secret of members 0 and 1."""
    return pair_reference(SKS[0], SKS[1])["secret"]


@pytest.fixture(scope="module")
def valid(secret: int) -> dict[str, Any]:
    """The opening of one pad of the pair under the large task domain."""
    return escrow_pad_input(secret, TAG, DOMAIN)


# --- witness ------------------------------------------------------------------------------------


@pytest.mark.parametrize("task", [TASK, DOMAIN], ids=["small-task", "large-task"])
def test_valid_opening_satisfies_every_constraint_with_public_signals_in_order(
    escrow_pad: CircuitVariant, secret: int, task: int, tmp_path: Path
) -> None:
    # Prepare
    inputs = escrow_pad_input(secret, TAG, task)
    wtns = tmp_path / "valid.wtns"

    # Execute
    (result,) = escrow_pad.witnesses([inputs], [wtns])
    check = subprocess.run(
        ["node_modules/.bin/snarkjs", "wtns", "check", str(escrow_pad.r1cs), str(wtns)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    # Assert: task, round, chunk, commitment, tag, pad.
    expected = [task, ROUND, CHUNK, inputs["commitment"], TAG, inputs["pad"]]
    assert result["ok"], result.get("error")
    assert [int(v) for v in result["public"]] == escrow_pad.public_vector(inputs) == expected
    assert set(inputs) == {*escrow_pad.public_names, *escrow_pad.private_names}
    assert check.returncode == 0 and "WITNESS IS CORRECT" in check.stdout, check.stdout


@pytest.mark.parametrize(
    ("owner", "dropped", "holder"), [(2, 3, 1), (2, 1, 3), (4, 0, 3), (0, 4, 1)]
)
def test_client_opening_equals_the_reference_model_for_owner_and_holder(
    escrow_pad: CircuitVariant, owner: int, dropped: int, holder: int
) -> None:
    # Prepare: a 5-member task on K = 4 (every slot active, so every chunk escrows).
    task = client_task(CircuitVariant("masked_update_default"), SKS[:5], domain=DOMAIN)
    slots = task.slots(owner)
    j, h = slots.index(dropped), slots.index(holder)
    secret = pair_reference(SKS[owner], SKS[holder], DOMAIN)["secret"]

    # Execute: the holder opens it, and so can the owner (both know the pair secret).
    by_holder = escrow_pad_inputs(task, ROUND, CHUNK, SKS[holder], holder, owner, dropped)
    by_owner = escrow_pad_inputs(task, ROUND, CHUNK, SKS[owner], holder, owner, dropped)

    # Assert: the tag has the sign bit of the owner's slot h (owner below holder).
    reference = escrow_pad_input(secret, escrow_tag(K, j, h, int(owner < holder)), DOMAIN)
    assert canonical(by_holder[1]) == canonical(by_owner[1]) == canonical(reference)
    assert by_holder[0] == reference["pad"]
    assert reference["commitment"] == task.pair_commitments(owner, SKS[owner])[h]
    assert escrow_pad.accepts(by_holder[1]) == [True]


def test_nobody_else_can_open_a_pad() -> None:
    # Prepare
    task = client_task(CircuitVariant("masked_update_default"), SKS[:5], domain=DOMAIN)

    # Execute / Assert: member 0 is neither owner 2 nor holder 1; 2 and 1 are not both
    # neighbours of 2 with 3 dropped when 3 is the holder.
    with pytest.raises(ConfigurationError, match="neither"):
        escrow_pad_inputs(task, ROUND, CHUNK, SKS[0], 1, 2, 3)
    with pytest.raises(ConfigurationError):
        escrow_pad_inputs(task, ROUND, CHUNK, SKS[3], 3, 2, 3)


@pytest.mark.parametrize("name", ["task", "round", "chunk", "commitment", "tag", "pad", "secret"])
@pytest.mark.parametrize("delta", [1, -1])
def test_rejects_tampered_opening(
    escrow_pad: CircuitVariant, valid: dict[str, Any], name: str, delta: int
) -> None:
    # Prepare
    inputs = copy.deepcopy(valid)
    inputs[name] = (inputs[name] + delta) % P

    # Execute / Assert
    assert escrow_pad.accepts(inputs) == [False]


def test_rejects_the_pad_of_another_direction_or_secret_under_this_commitment(
    escrow_pad: CircuitVariant, valid: dict[str, Any], secret: int
) -> None:
    # Prepare: the pair's pad for the other direction (sign bit flipped) proves that tag only;
    # another pair's pad and secret prove under its own commitment only.
    other_direction = escrow_pad_input(secret, TAG - K * (K - 1), DOMAIN)
    other_secret = pair_reference(SKS[0], SKS[2], DOMAIN)["secret"]
    other_pair = escrow_pad_input(other_secret, TAG, DOMAIN)
    cases = [
        other_direction,
        {**valid, "pad": other_direction["pad"]},
        other_pair,
        {**other_pair, "commitment": valid["commitment"]},
        {**valid, "pad": other_pair["pad"]},
    ]

    # Execute / Assert
    assert escrow_pad.accepts(*cases) == [True, False, True, False, False]


# --- Groth16, with every backend ---------------------------------------------------------------


@pytest.fixture(scope="module")
def pad_circuit(escrow_pad: CircuitVariant) -> Circuit:
    """The set-up EscrowPad circuit as the client loads it."""
    set_up(escrow_pad)
    return load_circuit(ESCROW_PAD, ROOT)


@pytest.fixture(scope="module", params=["snarkjs", "native", "groth16py"])
def prover(request: pytest.FixtureRequest) -> Iterator[Prover]:
    if request.param == "groth16py":
        pytest.importorskip("groth16py", reason="the optional groth16py extra is not installed")
    with closing(open_prover(request.param)) as made:
        yield made


def test_every_backend_proves_an_opening_that_verifies(
    prover: Prover,
    pad_circuit: Circuit,
    escrow_pad: CircuitVariant,
    valid: dict[str, Any],
    tmp_path: Path,
) -> None:
    # Prepare
    proof = tmp_path / "proof.json"

    # Execute
    result = prover.prove(pad_circuit.wasm, pad_circuit.zkey, valid)
    proof.write_text(json.dumps(result.proof.to_snarkjs()))
    tampered = [*result.public_signals[:-1], (result.public_signals[-1] + 1) % P]

    # Assert
    assert result.public_signals == escrow_pad.public_vector(valid)
    assert verify(pad_circuit.verification_key, result.proof, result.public_signals)
    assert not verify(pad_circuit.verification_key, result.proof, tampered)
    assert snarkjs_verifies(escrow_pad, result.public_signals, proof)
    assert not snarkjs_verifies(escrow_pad, tampered, proof)


def test_no_backend_proves_a_wrong_pad(
    prover: Prover, pad_circuit: Circuit, valid: dict[str, Any]
) -> None:
    # Execute / Assert
    with pytest.raises(ProofGenerationError):
        prover.prove(pad_circuit.wasm, pad_circuit.zkey, {**valid, "pad": (valid["pad"] + 1) % P})
