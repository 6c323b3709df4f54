"""Groth16 proofs and verification keys in snarkjs' JSON format, and an off-chain verifier.

The verifier is independent of snarkjs: it checks the pairing equation with py_ecc,

    e(A, B) = e(alpha, beta) * e(vk_x, gamma) * e(C, delta),  vk_x = IC_0 + sum_i s_i * IC_i,

as one product of four Miller loops followed by a single final exponentiation (a quarter of the
work of four full pairings).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from py_ecc.fields import optimized_bn128_FQ as FQ
from py_ecc.fields import optimized_bn128_FQ2 as FQ2
from py_ecc.fields import optimized_bn128_FQ12 as FQ12
from py_ecc.optimized_bn128.optimized_curve import (
    add,
    b,
    b2,
    curve_order,
    field_modulus,
    is_on_curve,
    multiply,
    neg,
)
from py_ecc.optimized_bn128.optimized_pairing import final_exponentiate, pairing
from py_ecc.typing import Optimized_Point3D

from zkfed.exceptions import CryptoError

G1Point = tuple[int, int]
G2Point = tuple[tuple[int, int], tuple[int, int]]  # ((x.c0, x.c1), (y.c0, y.c1))


def _g1(raw: list[str]) -> G1Point:
    if len(raw) != 3 or int(raw[2]) != 1:
        raise CryptoError("a G1 point must be given in affine form [x, y, 1].")
    return int(raw[0]), int(raw[1])


def _g2(raw: list[list[str]]) -> G2Point:
    if len(raw) != 3 or [int(c) for c in raw[2]] != [1, 0]:
        raise CryptoError("a G2 point must be given in affine form [x, y, [1, 0]].")
    return (int(raw[0][0]), int(raw[0][1])), (int(raw[1][0]), int(raw[1][1]))


@dataclass(frozen=True)
class Proof:
    """A Groth16 proof (A in G1, B in G2, C in G1)."""

    a: G1Point
    b: G2Point
    c: G1Point

    @classmethod
    def from_snarkjs(cls, raw: dict[str, Any]) -> Proof:
        """Read the `proof` object snarkjs prints."""
        return cls(_g1(raw["pi_a"]), _g2(raw["pi_b"]), _g1(raw["pi_c"]))

    def to_snarkjs(self) -> dict[str, Any]:
        """The `proof` object snarkjs reads."""
        (bx, by) = self.b
        return {
            "pi_a": [str(self.a[0]), str(self.a[1]), "1"],
            "pi_b": [[str(bx[0]), str(bx[1])], [str(by[0]), str(by[1])], ["1", "0"]],
            "pi_c": [str(self.c[0]), str(self.c[1]), "1"],
            "protocol": "groth16",
            "curve": "bn128",
        }

    def solidity_arguments(self) -> tuple[list[int], list[list[int]], list[int]]:
        """(pA, pB, pC) for a snarkjs Solidity verifier.

        The EVM's pairing precompile takes G2 coordinates as (imaginary, real), the reverse of
        snarkjs' JSON order.
        """
        (bx, by) = self.b
        return (
            [self.a[0], self.a[1]],
            [[bx[1], bx[0]], [by[1], by[0]]],
            [self.c[0], self.c[1]],
        )

    def flat(self) -> list[int]:
        """The proof as eight words, in the order of `solidity_arguments`."""
        a, b, c = self.solidity_arguments()
        return [*a, *b[0], *b[1], *c]


@dataclass(frozen=True)
class VerificationKey:
    """A Groth16 verification key."""

    alpha: G1Point
    beta: G2Point
    gamma: G2Point
    delta: G2Point
    ic: tuple[G1Point, ...]

    @property
    def n_public(self) -> int:
        """Number of public signals the key expects."""
        return len(self.ic) - 1

    @classmethod
    def from_snarkjs(cls, raw: dict[str, Any]) -> VerificationKey:
        """Read a `*.vkey.json` exported by `snarkjs zkey export verificationkey`."""
        if raw.get("protocol") != "groth16" or raw.get("curve") != "bn128":
            raise CryptoError("the verification key is not a Groth16 key over bn128.")
        ic = tuple(_g1(point) for point in raw["IC"])
        if len(ic) != int(raw["nPublic"]) + 1:
            raise CryptoError("the verification key's IC length does not match nPublic.")
        return cls(
            _g1(raw["vk_alpha_1"]),
            _g2(raw["vk_beta_2"]),
            _g2(raw["vk_gamma_2"]),
            _g2(raw["vk_delta_2"]),
            ic,
        )

    @classmethod
    def load(cls, path: Path) -> VerificationKey:
        """Load a verification key file."""
        return cls.from_snarkjs(json.loads(path.read_text()))


def _to_g1(point: G1Point) -> Optimized_Point3D[FQ]:
    p = (FQ(point[0]), FQ(point[1]), FQ.one())
    if not is_on_curve(p, b):
        raise CryptoError("a G1 point of the proof or key is not on the curve.")
    return p


def _to_g2(point: G2Point) -> Optimized_Point3D[FQ2]:
    (x, y) = point
    p = (FQ2([x[0], x[1]]), FQ2([y[0], y[1]]), FQ2.one())
    if not is_on_curve(p, b2):
        raise CryptoError("a G2 point of the proof or key is not on the curve.")
    return p


def verify(key: VerificationKey, proof: Proof, public_signals: list[int]) -> bool:
    """Check a Groth16 proof against a key and its public signals.

    Parameters
    ----------
    key
        The circuit's verification key.
    proof
        The proof to check.
    public_signals
        The public signals in the circuit's order.

    Returns
    -------
    bool
        True when the pairing equation holds.

    Raises
    ------
    CryptoError
        When the signal count is wrong, a signal is not a field element, or a point is off the
        curve.
    """
    if len(public_signals) != key.n_public:
        raise CryptoError(
            f"the key expects {key.n_public} public signals, {len(public_signals)} were given."
        )
    if any(not 0 <= s < curve_order for s in public_signals):
        raise CryptoError("every public signal must be a field element below the curve order.")
    if any(not 0 <= c < field_modulus for c in (*proof.a, *proof.c)):
        raise CryptoError("a proof coordinate is not reduced modulo the base field.")
    vk_x = _to_g1(key.ic[0])
    for signal, point in zip(public_signals, key.ic[1:], strict=True):
        if signal:
            vk_x = add(vk_x, multiply(_to_g1(point), signal))
    product = FQ12.one()
    for g2, g1 in (
        (_to_g2(proof.b), neg(_to_g1(proof.a))),
        (_to_g2(key.beta), _to_g1(key.alpha)),
        (_to_g2(key.gamma), vk_x),
        (_to_g2(key.delta), _to_g1(proof.c)),
    ):
        product = product * pairing(g2, g1, final_exponentiate=False)
    return bool(final_exponentiate(product) == FQ12.one())
