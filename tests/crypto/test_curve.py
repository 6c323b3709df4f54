"""BabyJubJub (zkfed.babyjubjub) against circomlibjs' babyjub."""

from __future__ import annotations

import pytest
from reference_vectors import Cases

from zkfed import babyjubjub as bjj
from zkfed.exceptions import CryptoError
from zkfed.field import P
from zkfed.prg import pair_commitment, pair_seed


def _point(raw: list[str]) -> bjj.Point:
    return int(raw[0]), int(raw[1])


def test_constants_match_circomlibjs(circomlibjs: Cases) -> None:
    # Prepare
    [(_, constants)] = circomlibjs["constants"]
    [(_, base8)] = circomlibjs["base8"]

    # Execute
    ours = {
        "order": bjj.CURVE_ORDER,
        "subOrder": bjj.SUBGROUP_ORDER,
        "A": bjj.A,
        "D": bjj.D,
    }

    # Assert
    assert {k: str(v) for k, v in ours.items()} == constants
    assert _point(base8) == bjj.BASE8
    assert bjj.mul(bjj.GENERATOR, 8) == bjj.BASE8


def test_mul_matches_circomlibjs(circomlibjs: Cases) -> None:
    for request, expected in circomlibjs["mul"]:
        # Execute
        product = bjj.mul(_point(request["point"]), int(request["scalar"]))

        # Assert
        assert product == _point(expected), request


def test_add_matches_circomlibjs(circomlibjs: Cases) -> None:
    for request, expected in circomlibjs["add"]:
        # Execute
        total = bjj.add(_point(request["a"]), _point(request["b"]))

        # Assert
        assert total == _point(expected), request


def test_curve_and_subgroup_checks_match_circomlibjs(circomlibjs: Cases) -> None:
    # Prepare
    in_curve = circomlibjs["in_curve"]
    in_subgroup = circomlibjs["in_subgroup"]
    assert {answer for _, answer in in_curve} == {True, False}
    assert {answer for _, answer in in_subgroup} == {True, False}

    # Execute / Assert
    for request, expected in in_curve:
        assert bjj.is_on_curve(_point(request["point"])) is expected, request
    for request, expected in in_subgroup:
        assert bjj.is_in_subgroup(_point(request["point"])) is expected, request


def test_public_key_and_seed_match_circomlibjs(circomlibjs: Cases) -> None:
    for request, expected in circomlibjs["seed"]:
        # Prepare
        sk, other_sk = int(request["sk"]), int(request["otherSk"])
        context = (int(request["task"]), int(request["round"]), int(request["chunk"]))

        # Execute
        seed = pair_seed(sk, bjj.public_key(other_sk), *context)

        # Assert
        assert str(seed) == expected


def test_pair_commitments_match_circomlibjs_from_both_sides(circomlibjs: Cases) -> None:
    cases = circomlibjs["commitment"]
    assert len(cases) >= 8
    for request, expected in cases:
        # Prepare
        sk, other_sk = int(request["sk"]), int(request["otherSk"])

        # Execute
        commitment = pair_commitment(bjj.ecdh_x(sk, bjj.public_key(other_sk)), int(request["task"]))

        # Assert
        assert str(commitment) == expected
    # Both members of a pair commit to the same value (requests come in swapped pairs).
    assert all(a[1] == b[1] for a, b in zip(cases[::2], cases[1::2], strict=True))


def test_ecdh_is_symmetric() -> None:
    # Prepare
    sk_i, sk_j = bjj.generate_secret_key(), bjj.generate_secret_key()
    pk_i, pk_j = bjj.public_key(sk_i), bjj.public_key(sk_j)

    # Execute
    shared_ij, shared_ji = bjj.ecdh_x(sk_i, pk_j), bjj.ecdh_x(sk_j, pk_i)

    # Assert
    assert shared_ij == shared_ji
    assert shared_ij == bjj.mul(bjj.BASE8, sk_i * sk_j % bjj.SUBGROUP_ORDER)[0]


def test_generated_keys_are_in_range_and_distinct() -> None:
    # Execute
    keys = [bjj.generate_secret_key() for _ in range(8)]

    # Assert
    assert all(1 <= sk < bjj.SUBGROUP_ORDER for sk in keys)
    assert len(set(keys)) == len(keys)
    assert all(bjj.is_in_subgroup(bjj.public_key(sk)) for sk in keys[:2])


@pytest.mark.parametrize(
    ("pk", "message"),
    [
        ((1, 2), "not on the BabyJubJub curve"),
        (bjj.IDENTITY, "identity"),
        ((0, P - 1), "not in the prime-order subgroup"),
        (bjj.GENERATOR, "not in the prime-order subgroup"),
        ((P, 1), "not an element of the BN254 scalar field"),
        ((1, 2, 3), "must be a pair"),
    ],
)
def test_bad_public_key_raises_crypto_error(pk: bjj.Point, message: str) -> None:
    # Execute / Assert
    with pytest.raises(CryptoError, match=message):
        bjj.ecdh_x(1, pk)


@pytest.mark.parametrize("sk", [0, -1, bjj.SUBGROUP_ORDER, True])
def test_bad_secret_key_raises_crypto_error(sk: int) -> None:
    # Execute / Assert
    with pytest.raises(CryptoError, match=r"\[1, l\)"):
        bjj.public_key(sk)


def test_bad_operands_raise_crypto_error() -> None:
    # Execute / Assert
    with pytest.raises(CryptoError, match="not on the BabyJubJub curve"):
        bjj.add(bjj.BASE8, (1, 2))
    with pytest.raises(CryptoError, match="non-negative"):
        bjj.mul(bjj.BASE8, -3)
