"""Groth16 with snarkjs end to end: development setup, prove, verify (slow)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from circuit_harness import (
    ROOT,
    CircuitVariant,
    Member,
    P,
    masked_update_inputs,
    seed_reveal_input,
    tools,
)

pytestmark = pytest.mark.slow

SNARKJS = str(ROOT / "node_modules" / ".bin" / "snarkjs")


def _set_up(variant: CircuitVariant) -> None:
    result = tools("setup", variant.name)
    assert result.returncode == 0, result.stderr


def _prove(variant: CircuitVariant, inputs: dict[str, Any], tmp: Path) -> tuple[Path, Path]:
    (tmp / "input.json").write_text(json.dumps({k: _dec(v) for k, v in inputs.items()}))
    proof, public = tmp / "proof.json", tmp / "public.json"
    command = [SNARKJS, "groth16", "fullprove", tmp / "input.json", variant.wasm, variant.zkey]
    subprocess.run(
        [*command, proof, public],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return proof, public


def _verify(variant: CircuitVariant, public: Path, proof: Path) -> bool:
    result = subprocess.run(
        [SNARKJS, "groth16", "verify", variant.vkey, public, proof],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0 and "OK!" in result.stdout


def _dec(value: Any) -> Any:
    return [_dec(v) for v in value] if isinstance(value, list) else str(int(value) % P)


@pytest.mark.parametrize(
    "fixture", ["masked_update", "seed_reveal"], ids=["masked_update_test", "seed_reveal"]
)
def test_proof_verifies_with_the_committed_key_and_public_order(
    fixture: str, member: Member, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # Prepare
    variant: CircuitVariant = request.getfixturevalue(fixture)
    _set_up(variant)
    if fixture == "masked_update":
        (inputs,) = masked_update_inputs(variant, [member])
    else:
        inputs = seed_reveal_input(sk=0xA11CE, neighbor_sk=0xB0B)

    # Execute
    proof, public = _prove(variant, inputs, tmp_path)

    # Assert: public.json is exactly the registry order of the inputs, and it verifies.
    assert [int(v) for v in json.loads(public.read_text())] == variant.public_vector(inputs)
    assert _verify(variant, public, proof)


def test_proof_does_not_verify_for_other_public_signals(
    masked_update: CircuitVariant, member: Member, tmp_path: Path
) -> None:
    # Prepare
    _set_up(masked_update)
    (inputs,) = masked_update_inputs(masked_update, [member])
    proof, public = _prove(masked_update, inputs, tmp_path)
    signals = json.loads(public.read_text())
    y0 = masked_update.public_vector(inputs).index(inputs["y"][0])
    signals[y0] = str((int(signals[y0]) + 1) % P)
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(signals))

    # Execute / Assert
    assert not _verify(masked_update, tampered, proof)


def test_default_variant_proves_one_chunk(tmp_path: Path) -> None:
    # Prepare: the committed zkey, so no 2^15 ceremony runs here.
    variant = CircuitVariant("masked_update_default")
    assert tools("compile", variant.name).returncode == 0
    _set_up(variant)
    params = variant.params
    q = [(t * 37) % 4096 - 2048 for t in range(params["W"] * params["L"])]
    member = Member(0x1F2E3D4C5B6A7988, [0xBEEF01, 0xBEEF02, 0xBEEF03, 0xBEEF04], 0b0101, q)
    (inputs,) = masked_update_inputs(variant, [member])

    # Execute
    proof, public = _prove(variant, inputs, tmp_path)

    # Assert
    assert [int(v) for v in json.loads(public.read_text())] == variant.public_vector(inputs)
    assert _verify(variant, public, proof)
