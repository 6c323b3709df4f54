"""BN254 scalar field helpers (zkfed.field)."""

from __future__ import annotations

import pytest
from py_ecc.bn128 import curve_order

from zkfed.exceptions import CryptoError
from zkfed.field import HALF_P, P, check_element, inv, mod, to_signed


def test_modulus_is_the_bn254_group_order() -> None:
    # Assert: py_ecc is an independent source of the constant.
    assert curve_order == P


def test_signed_round_trip() -> None:
    # Prepare
    values = [0, 1, -1, HALF_P, -HALF_P, 12345, -(2**200)]

    # Execute
    back = [to_signed(mod(v)) for v in values]

    # Assert
    assert back == values
    assert to_signed(HALF_P + 1) == HALF_P + 1 - P


def test_inverse() -> None:
    # Execute / Assert
    assert inv(3) * 3 % P == 1
    assert inv(-2) * (P - 2) % P == 1
    with pytest.raises(CryptoError, match="Zero"):
        inv(P)


@pytest.mark.parametrize("value", [-1, P, True, 1.0, "5"])
def test_non_elements_raise_crypto_error(value: object) -> None:
    # Execute / Assert
    with pytest.raises(CryptoError, match="BN254 scalar field"):
        check_element(value)  # type: ignore[arg-type]
