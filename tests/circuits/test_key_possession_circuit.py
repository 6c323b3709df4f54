"""KeyPossession: a registrant proves it holds the secret key of the key it registers.

The public `binding` is the registration's context, which the contract computes itself, so a
proof copied from the mempool is useless to any other account, chain or contract. The witness
accepts every binding (it is the contract's choice, not the prover's); what must hold is that a
proof made for one binding verifies for no other, which only a real Groth16 proof shows.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from circuit_harness import (
    IDENTITY,
    ROOT,
    SKS,
    SUBGROUP_ORDER,
    CircuitVariant,
    P,
    Proven,
    key_possession_input,
    prove,
    public_key,
    public_keys,
    py_ecc_verifies,
    set_up,
    snarkjs_verifies,
)
from Crypto.Hash import keccak

from zkfed.babyjubjub import public_key as client_public_key

CHAIN_ID = 31337
AGGREGATOR = bytes.fromhex("5FbDB2315678afecb367f032d93F642f64180aa3")
SENDER = bytes.fromhex("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
OTHER = bytes.fromhex("70997970C51812dc3A010C7d01b50e0d17dc79C8")


def registration_binding(chain_id: int, aggregator: bytes, sender: bytes) -> int:
    """The binding the contract passes for a registration.

    Parameters
    ----------
    chain_id : int
        ``block.chainid``.
    aggregator, sender : bytes
        The 20-byte addresses of the aggregator contract and of ``msg.sender``.

    Returns
    -------
    int
        ``uint256(keccak256(abi.encode(block.chainid, address(aggregator), msg.sender))) mod p``;
        ``abi.encode`` of a ``uint256`` and two addresses is three left-padded 32-byte words.
    """
    encoded = chain_id.to_bytes(32, "big") + aggregator.rjust(32, b"\0") + sender.rjust(32, b"\0")
    digest = keccak.new(digest_bits=256, data=encoded).digest()
    return int.from_bytes(digest, "big") % P


BINDING = registration_binding(CHAIN_ID, AGGREGATOR, SENDER)


@pytest.fixture(scope="module")
def valid() -> dict[str, Any]:
    """SKS[0]'s registration from SENDER on the local chain."""
    return key_possession_input(SKS[0], BINDING)


@pytest.fixture(scope="module")
def proven(
    key_possession: CircuitVariant, valid: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Proven:
    """One snarkjs proof of `valid`."""
    set_up(key_possession)
    return prove(key_possession, valid, tmp_path_factory.mktemp("key_possession"))


# --- witness ------------------------------------------------------------------------------------


def test_valid_key_satisfies_every_constraint_with_public_signals_in_order(
    key_possession: CircuitVariant, valid: dict[str, Any], tmp_path: Path
) -> None:
    # Prepare
    wtns = tmp_path / "valid.wtns"

    # Execute
    (result,) = key_possession.witnesses([valid], [wtns])
    check = subprocess.run(
        ["node_modules/.bin/snarkjs", "wtns", "check", str(key_possession.r1cs), str(wtns)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    # Assert: pk[0], pk[1], binding.
    assert result["ok"], result.get("error")
    assert [int(v) for v in result["public"]] == [*valid["pk"], BINDING]
    assert key_possession.public_vector(valid) == [*valid["pk"], BINDING]
    assert set(valid) == {*key_possession.public_names, *key_possession.private_names}
    assert check.returncode == 0 and "WITNESS IS CORRECT" in check.stdout, check.stdout


def test_reference_keys_equal_the_client_keys() -> None:
    # Prepare: the test keys and the largest key, l - 1.
    sks = [*SKS, SUBGROUP_ORDER - 1]

    # Execute
    reference = public_keys(sks)

    # Assert
    assert reference == [client_public_key(sk) for sk in sks]


def test_every_key_and_binding_give_a_witness(key_possession: CircuitVariant) -> None:
    # Prepare: keys up to l - 1; bindings at the ends of the field, and the binding of another
    # sender, chain and contract.
    bindings = [
        0,
        1,
        P - 1,
        registration_binding(CHAIN_ID, AGGREGATOR, OTHER),
        registration_binding(1, AGGREGATOR, SENDER),
        registration_binding(CHAIN_ID, OTHER, SENDER),
    ]
    sks = [SKS[1], SKS[7], SUBGROUP_ORDER - 1, 1, SKS[2], SKS[3]]
    inputs = [key_possession_input(sk, b) for sk, b in zip(sks, bindings, strict=True)]

    # Execute
    results = key_possession.witnesses(inputs)

    # Assert
    assert [r["ok"] for r in results] == [True] * len(inputs)
    assert [int(r["public"][2]) for r in results] == bindings


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("sk", SKS[1]),
        ("sk", "plus_one"),
        ("pk", "other"),
        ("pk", "x_plus_one"),
        ("pk", "y_plus_one"),
        ("pk", "swapped"),
        ("pk", "negated"),
        ("pk", "identity"),
    ],
    ids=["sk", "sk-plus-one", "pk", "pk-x", "pk-y", "pk-swapped", "pk-negated", "pk-identity"],
)
def test_rejects_a_key_that_is_not_sk_times_base8(
    key_possession: CircuitVariant, valid: dict[str, Any], name: str, value: Any
) -> None:
    # Prepare: (-x, y) is the key of -sk, another scalar.
    x, y = valid["pk"]
    tampered = {
        "plus_one": valid["sk"] + 1,
        "other": list(public_key(0xC0FFEE)),
        "x_plus_one": [(x + 1) % P, y],
        "y_plus_one": [x, (y + 1) % P],
        "swapped": [y, x],
        "negated": [(-x) % P, y],
        "identity": list(IDENTITY),
    }
    inputs = {**valid, name: tampered.get(value, value)}

    # Execute / Assert
    assert key_possession.accepts(inputs) == [False]


def test_rejects_zero_secret_key(key_possession: CircuitVariant, valid: dict[str, Any]) -> None:
    # Prepare: 0·Base8 is the identity, which would otherwise be a consistent key.
    inputs = {**valid, "sk": 0, "pk": list(IDENTITY)}

    # Execute / Assert
    assert key_possession.accepts(inputs) == [False]


def test_rejects_secret_key_of_more_than_251_bits(
    key_possession: CircuitVariant, valid: dict[str, Any]
) -> None:
    # Prepare: sk + 2^251 does not fit the key's bit decomposition, nor does sk - l (mod p).
    too_long = {**valid, "sk": valid["sk"] + (1 << 251)}
    wrapped = {**valid, "sk": (valid["sk"] - SUBGROUP_ORDER) % P}

    # Execute / Assert
    assert key_possession.accepts(too_long, wrapped) == [False, False]


def test_secret_key_plus_subgroup_order_proves_the_same_statement(
    key_possession: CircuitVariant, valid: dict[str, Any]
) -> None:
    # Documented in circuits/lib/keys.circom: sk + l < 2^251 has the same pk, so it proves
    # possession of the same key.
    # Prepare
    inputs = {**valid, "sk": valid["sk"] + SUBGROUP_ORDER}

    # Execute
    (result,) = key_possession.witnesses([inputs])

    # Assert
    assert result["ok"], result.get("error")
    assert [int(v) for v in result["public"]] == key_possession.public_vector(valid)


# --- Groth16 ------------------------------------------------------------------------------------


def test_proof_verifies_in_snarkjs_and_py_ecc(proven: Proven) -> None:
    # Prepare
    variant = proven.variant
    public = proven.public_signals

    # Execute
    by_snarkjs = snarkjs_verifies(variant, public, proven.proof)
    by_py_ecc = py_ecc_verifies(variant, public, proven.proof)

    # Assert
    assert public == variant.public_vector(proven.inputs) == [*proven.inputs["pk"], BINDING]
    assert by_snarkjs and by_py_ecc


@pytest.mark.parametrize(
    "binding",
    [
        registration_binding(CHAIN_ID, AGGREGATOR, OTHER),
        registration_binding(1, AGGREGATOR, SENDER),
        registration_binding(CHAIN_ID, OTHER, SENDER),
        (BINDING + 1) % P,
        0,
    ],
    ids=["other-sender", "other-chain", "other-contract", "plus-one", "zero"],
)
def test_proof_does_not_verify_for_another_binding(proven: Proven, binding: int) -> None:
    # Prepare: the same proof, replayed by another account, on another chain or contract.
    public = [*proven.public_signals[:2], binding]
    assert binding != BINDING

    # Execute / Assert
    assert not snarkjs_verifies(proven.variant, public, proven.proof)
    assert not py_ecc_verifies(proven.variant, public, proven.proof)


def test_proof_does_not_verify_for_another_key(proven: Proven) -> None:
    # Prepare
    public = [*public_key(SKS[1]), BINDING]

    # Execute / Assert
    assert not snarkjs_verifies(proven.variant, public, proven.proof)
    assert not py_ecc_verifies(proven.variant, public, proven.proof)
