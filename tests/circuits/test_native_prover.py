"""zkfed's own multi-threaded Groth16 prover (zkfed.proving_native, C) against the references.

Its multi-scalar multiplications are checked against py_ecc on bases and scalars chosen to hit
every special case of the bucket arithmetic (zero and unit scalars, r - 1, repeated bases, a base
and its negation, the point at infinity, many additions to one bucket). Its roots of unity are
checked against snarkjs's own (ffjavascript). Its proofs, on the default variant, PairCommit and
with any thread count, must verify; test_fast_provers.py holds it to every check a backend must
pass to replace snarkjs. A zkey or witness it cannot use is refused with one sentence.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from circuit_harness import ROOT, built_circuit
from py_ecc.optimized_bn128 import G1, G2, Z1, Z2, add, is_inf, multiply, neg, normalize

from zkfed.circuits import DEFAULT_VARIANT, Circuit
from zkfed.exceptions import ToolchainError
from zkfed.groth16 import verify
from zkfed.proving import (
    default_prover,
    find_node_modules,
    open_prover,
)
from zkfed.proving_native import (
    BASE_FIELD,
    SCALAR_FIELD,
    NativeProver,
    ZkeyLayout,
    default_threads,
    load_native,
    read_witness,
    roots_of_unity,
)

MONTGOMERY_R = (1 << 256) % BASE_FIELD

native: Any = load_native()


def _coordinate(value: int) -> bytes:
    """A base-field element as the zkey stores it: Montgomery form, little-endian."""
    return (value * MONTGOMERY_R % BASE_FIELD).to_bytes(32, "little")


def _encode(point: Any, group: int) -> bytes:
    if is_inf(point):
        return bytes(64 * group)
    x, y = normalize(point)
    if group == 1:
        return _coordinate(int(x)) + _coordinate(int(y))
    return b"".join(_coordinate(int(c)) for c in (*x.coeffs, *y.coeffs))


def _affine(point: Any, group: int) -> list[int]:
    x, y = normalize(point)
    if group == 1:
        return [int(x), int(y)]
    return [int(c) for c in (*x.coeffs, *y.coeffs)]


def _msm(group: int, bases: list[Any], scalars: list[int], threads: int) -> list[int]:
    blob = native.msm(
        group,
        b"".join(_encode(b, group) for b in bases),
        b"".join(s.to_bytes(32, "little") for s in scalars),
        threads,
    )
    return [int.from_bytes(blob[i : i + 32], "big") for i in range(0, len(blob), 32)]


@pytest.fixture(params=["adx", "portable"])
def arithmetic(request: pytest.FixtureRequest) -> Iterator[str]:
    """Both field multiplications: mulx/adcx/adox (where the CPU has them) and portable C."""
    previous = native.use_adx(request.param == "adx")
    if request.param == "adx" and not native.use_adx():
        native.use_adx(previous)
        pytest.skip("this CPU has no BMI2/ADX")
    yield request.param
    native.use_adx(previous)


@pytest.mark.parametrize("group", [1, 2])
def test_msm_matches_py_ecc_on_every_special_case(group: int, arithmetic: str) -> None:
    # Prepare: distinct random bases, then the special cases in place.
    rng = random.Random(1000 + group)
    generator, zero = (G1, Z1) if group == 1 else (G2, Z2)
    bases = [multiply(generator, rng.randrange(1, SCALAR_FIELD)) for _ in range(24)]
    scalars = [rng.randrange(SCALAR_FIELD) for _ in range(24)]
    scalars[0] = 0
    scalars[1] = 1
    scalars[2] = SCALAR_FIELD - 1
    bases[4] = bases[3]  # the same base twice: a bucket doubles
    scalars[3] = scalars[4] = 0xABCDEF
    bases[6] = neg(bases[5])  # a base and its negation: a bucket empties
    scalars[5] = scalars[6] = 0x123456789
    bases[7] = zero  # the point at infinity
    expected = zero
    for base, scalar in zip(bases, scalars, strict=True):
        expected = add(expected, multiply(base, scalar))

    # Execute / Assert: any thread count gives the same point.
    for threads in (1, 2, 3):
        assert _msm(group, bases, scalars, threads) == _affine(expected, group)


@pytest.mark.parametrize("group", [1, 2])
def test_msm_with_many_additions_to_few_buckets(group: int, arithmetic: str) -> None:
    # Prepare: 3,000 terms over 3 bases with small scalars, so buckets collide constantly.
    rng = random.Random(7 + group)
    generator = G1 if group == 1 else G2
    distinct = [multiply(generator, k) for k in (3, 5, 7)]
    picks = [rng.randrange(3) for _ in range(3000)]
    scalars = [rng.choice([1, 2, 3, SCALAR_FIELD - 1, SCALAR_FIELD - 2]) for _ in picks]
    totals = [sum(s for p, s in zip(picks, scalars, strict=True) if p == j) for j in range(3)]
    expected = Z1 if group == 1 else Z2
    for base, total in zip(distinct, totals, strict=True):
        expected = add(expected, multiply(base, total % SCALAR_FIELD))

    # Execute
    got = _msm(group, [distinct[p] for p in picks], scalars, 2)

    # Assert
    assert got == _affine(expected, group)


def test_msm_of_nothing_is_infinity_and_bad_input_is_refused() -> None:
    # Execute / Assert
    assert native.msm(1, b"", b"", 2) == bytes(64)
    with pytest.raises(ValueError, match="below the scalar field"):
        native.msm(1, _encode(G1, 1), SCALAR_FIELD.to_bytes(32, "little"), 1)
    with pytest.raises(ValueError, match="one base per 32-byte scalar"):
        native.msm(1, _encode(G1, 1), bytes(64), 1)


def test_roots_of_unity_are_snarkjs_own() -> None:
    # Prepare: ffjavascript's Fr.w[k], the roots snarkjs's prover uses.
    script = (
        "const {buildBn128} = require('ffjavascript');"
        "buildBn128(true).then(async c => {"
        "  const out = [12, 15, 16].map(k => c.Fr.toString(c.Fr.w[k]));"
        "  console.log(JSON.stringify(out)); await c.terminate(); process.exit(0); });"
    )
    env = {"NODE_PATH": str(find_node_modules(ROOT))}
    result = subprocess.run(
        ["node", "-e", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, **env},
    )
    w12, w15, w16 = (int(v) for v in json.loads(result.stdout))

    # Execute
    omega12, inc12 = roots_of_unity(12)
    omega15, inc15 = roots_of_unity(15)

    # Assert
    assert (omega12, omega15, inc15) == (w12, w15, w16)
    assert pow(inc12, 2, SCALAR_FIELD) == omega12
    assert pow(omega15, 1 << 14, SCALAR_FIELD) == SCALAR_FIELD - 1  # order exactly 2^15


# --- proofs -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prover() -> Iterator[NativeProver]:
    with NativeProver() as made:
        yield made


@pytest.mark.parametrize("threads", [1, 3])
def test_any_thread_count_and_arithmetic_give_a_valid_proof(
    threads: int, arithmetic: str, small_circuit: Circuit, small_inputs: dict[str, Any]
) -> None:
    # Execute
    with NativeProver(threads=threads) as made:
        result = made.prove(small_circuit.wasm, small_circuit.zkey, small_inputs)

    # Assert
    assert verify(small_circuit.verification_key, result.proof, result.public_signals)


def test_default_variant_and_the_small_circuits_prove(prover: NativeProver) -> None:
    # Prepare: the default chunk circuit (a 2^15 domain) from the bench's inputs, and the
    # join and reveal circuits from the registry's fixtures.
    from zkfed.babyjubjub import public_key
    from zkfed.quantize import squared_norm_bound
    from zkfed.secagg import SecaggTask, join_inputs, mask_update

    default = built_circuit(DEFAULT_VARIANT)
    keys = [0xA11CE + 7919 * i for i in range(5)]
    packing = default.packing()
    task = SecaggTask(
        task_id=3,
        packing=packing,
        n_params=packing.params_per_chunk,
        neighbors=default.neighbors,
        bound=squared_norm_bound(1.0, packing),
        members=tuple(public_key(sk) for sk in keys),
    )
    rng = np.random.default_rng(5)
    (chunk,) = mask_update(task, 1, 0, keys[0], rng.normal(0, 0.02, task.n_params), rng)
    (_, join), *_ = join_inputs(task, 0, keys[0])
    cases = [(default, dict(chunk.inputs)), (built_circuit("pair_commit"), dict(join))]

    for made_for, case in cases:
        # Execute
        result = prover.prove(made_for.wasm, made_for.zkey, case)

        # Assert
        assert verify(made_for.verification_key, result.proof, result.public_signals)


def test_open_prover_by_name(small_circuit: Circuit, small_inputs: dict[str, Any]) -> None:
    # Execute
    with open_prover("native") as made:
        result = made.prove(small_circuit.wasm, small_circuit.zkey, small_inputs)

    # Assert
    assert made.name == "native"
    assert verify(small_circuit.verification_key, result.proof, result.public_signals)


# --- refusals ---------------------------------------------------------------------------------


def test_a_damaged_zkey_is_refused_in_one_sentence(small_circuit: Circuit, tmp_path: Path) -> None:
    # Prepare
    data = small_circuit.zkey.read_bytes()
    layout = ZkeyLayout.parse(data, small_circuit.zkey)
    truncated = data[: len(data) - 100]
    wrong_curve = bytearray(data)
    wrong_curve[layout.alpha1 - 84 + 4] ^= 1  # a bit of the stored base-field prime
    bad_coefficient = bytearray(data)
    bad_coefficient[layout.coeffs + 4 : layout.coeffs + 8] = (1 << 30).to_bytes(4, "little")
    cases = {
        "truncated": truncated,
        "not over BN254": bytes(wrong_curve),
        "points outside the circuit": bytes(bad_coefficient),
        "not a zkey file": b"wtns" + data[4:],
    }

    for message, damaged in cases.items():
        path = tmp_path / "damaged.zkey"
        path.write_bytes(damaged)

        # Execute / Assert
        with pytest.raises(ToolchainError, match=message):
            ZkeyLayout.parse(path.read_bytes(), path)


def test_a_witness_of_another_circuit_is_refused(
    prover: NativeProver, small_circuit: Circuit, small_inputs: dict[str, Any], tmp_path: Path
) -> None:
    # Prepare: a real witness of the test variant, read against the default zkey's size.
    wtns = tmp_path / "w.wtns"
    prover._worker.witness(small_circuit.wasm, small_inputs, wtns)
    default = ZkeyLayout.parse(built_circuit(DEFAULT_VARIANT).zkey.read_bytes(), wtns)

    # Execute / Assert
    with pytest.raises(ToolchainError, match=r"witness values; the proving key needs"):
        read_witness(wtns, default.n_vars)


def test_a_witness_value_outside_the_field_is_refused(small_circuit: Circuit) -> None:
    # Prepare
    data = small_circuit.zkey.read_bytes()
    layout = ZkeyLayout.parse(data, small_circuit.zkey)
    witness = bytearray(layout.n_vars * 32)
    witness[0:32] = (1).to_bytes(32, "little")
    witness[32:64] = SCALAR_FIELD.to_bytes(32, "little")
    one = (1).to_bytes(32, "little")

    # Execute / Assert
    with pytest.raises(ValueError, match="witness value 1 is not below"):
        native.prove(data, layout.as_tuple(), bytes(witness), one, one, one, one, one, 1)


def test_the_extension_refuses_a_layout_outside_the_zkey(small_circuit: Circuit) -> None:
    # Prepare: a real layout whose H section is moved past the end of the file.
    data = small_circuit.zkey.read_bytes()
    layout = list(ZkeyLayout.parse(data, small_circuit.zkey).as_tuple())
    layout[14] = len(data) - 64
    witness = bytes(32 * layout[0])
    one = (1).to_bytes(32, "little")

    # Execute / Assert
    with pytest.raises(ValueError, match="does not fit the zkey"):
        native.prove(data, tuple(layout), witness, one, one, one, one, one, 1)


def test_every_native_prover_of_a_pool_uses_every_core() -> None:
    # Execute
    with open_prover("native", workers=2) as pool:
        threads = [p.threads for p in pool._provers]  # type: ignore[attr-defined]

    # Assert
    assert threads == [default_threads()] * 2


def test_the_client_proves_natively_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    # Execute / Assert
    monkeypatch.delenv("ZKFED_PROVER", raising=False)
    assert default_prover() == "native"
    monkeypatch.setenv("ZKFED_PROVER", "snarkjs")
    assert default_prover() == "snarkjs"
    monkeypatch.setenv("ZKFED_PROVER", "rapidsnark")
    with pytest.raises(ToolchainError, match="ZKFED_PROVER='rapidsnark' is not a prover"):
        default_prover()
