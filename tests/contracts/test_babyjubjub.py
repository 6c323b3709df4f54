"""The on-chain BabyJubJub key checks agree with circomlibjs' curve and subgroup."""

from typing import Any

import pytest

P = 21888242871839275222246405745257275088548364400416034343698204186575808495617


def test_valid_keys_are_accepted(baby_jubjub: Any, reference_points: dict[str, Any]) -> None:
    # Prepare
    keys = reference_points["subgroup"]

    # Execute
    verdicts = [baby_jubjub.isValidPublicKey(x, y) for x, y in keys]

    # Assert
    assert verdicts == [True] * len(keys)


def test_points_outside_the_subgroup_are_rejected(
    baby_jubjub: Any, reference_points: dict[str, Any]
) -> None:
    # Prepare: circomlib's Generator has order 8·l; (0, -1) has order 2.
    gx, gy = reference_points["generator"]

    # Execute / Assert
    assert baby_jubjub.isOnCurve(gx, gy)
    assert not baby_jubjub.isValidPublicKey(gx, gy)
    assert baby_jubjub.isOnCurve(0, P - 1)
    assert not baby_jubjub.isValidPublicKey(0, P - 1)


@pytest.mark.parametrize("offset", [1, 2, P - 1])
def test_points_off_the_curve_are_rejected(
    baby_jubjub: Any, reference_points: dict[str, Any], offset: int
) -> None:
    # Prepare
    x, y = reference_points["subgroup"][0]

    # Execute / Assert
    assert not baby_jubjub.isOnCurve(x, (y + offset) % P)
    assert not baby_jubjub.isValidPublicKey(x, (y + offset) % P)
