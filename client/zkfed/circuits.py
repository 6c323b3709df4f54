"""The circuit registry (circuits/circuits.json) as the client reads it: artifacts and packing."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from zkfed.exceptions import ConfigurationError, ToolchainError
from zkfed.groth16 import VerificationKey
from zkfed.quantize import Packing, fitting_scale_bits

DEFAULT_VARIANT = "masked_update_default"
TEST_VARIANT = "masked_update_test"
PAIR_COMMIT = "pair_commit"
KEY_POSSESSION = "key_possession"
ESCROW_PAD = "escrow_pad"


def project_root() -> Path:
    """The repository holding circuits/: `$ZKFED_ROOT`, else the nearest one above this package
    or the working directory."""
    if configured := os.environ.get("ZKFED_ROOT"):
        return Path(configured)
    for base in (Path(__file__).resolve(), Path.cwd().resolve()):
        for folder in (base, *base.parents):
            if (folder / "circuits" / "circuits.json").is_file():
                return folder
    raise ToolchainError("circuits/circuits.json was not found; set ZKFED_ROOT to the project.")


@dataclass(frozen=True)
class Circuit:
    """One compiled variant: where its artifacts are and what it expects."""

    name: str
    root: Path
    entry: dict[str, Any]

    def _artifact(self, kind: str) -> Path:
        derived = self.entry.get("derived", {}).get("artifacts", {})
        if kind not in derived:
            raise ToolchainError(f"circuit {self.name} has no {kind}; run tools/dev.sh setup.")
        return self.root / str(derived[kind])

    @property
    def wasm(self) -> Path:
        """The witness generator."""
        return self._artifact("wasm")

    @property
    def zkey(self) -> Path:
        """The proving key."""
        return self._artifact("zkey")

    @cached_property
    def vkey_json(self) -> dict[str, Any]:
        """The verification key as snarkjs writes it."""
        data: dict[str, Any] = json.loads(self._artifact("vkey").read_text())
        return data

    @cached_property
    def vkey_hash(self) -> bytes:
        """keccak256 of the verification key's canonical JSON (sorted keys, no spaces, without
        zkfed's own `zkfed` label): the hash a deployment's `VerifierRegistry` records."""
        from eth_utils.crypto import keccak

        key = {k: v for k, v in self.vkey_json.items() if k != "zkfed"}
        return bytes(keccak(json.dumps(key, sort_keys=True, separators=(",", ":")).encode()))

    @property
    def development(self) -> bool:
        """Whether the key comes from the insecure development setup (public beacons)."""
        label = str(self.vkey_json.get("zkfed", {}).get("setup", ""))
        return label.startswith("INSECURE")

    @cached_property
    def verification_key(self) -> VerificationKey:
        """The parsed verification key."""
        return VerificationKey.from_snarkjs(self.vkey_json)

    @property
    def verifier_contract(self) -> str:
        """Name of the generated Solidity verifier."""
        return str(self.entry["verifier"])

    @property
    def parameters(self) -> dict[str, int]:
        """Template parameters (W, L, B, R, K for `MaskedUpdate`)."""
        return {k: int(v) for k, v in self.entry.get("parameters", {}).items()}

    def packing(self, scale_bits: int | None = None) -> Packing:
        """The packing of a `MaskedUpdate` variant with a task's fixed-point scale; by default
        the finest scale at which values clipped to the default norm fit (`fitting_scale_bits`)."""
        p = self.parameters
        if not {"W", "L", "B", "R"} <= p.keys():
            raise ConfigurationError(f"circuit {self.name} is not a MaskedUpdate variant.")
        if scale_bits is None:
            scale_bits = fitting_scale_bits(p["R"])
        return Packing(p["W"], p["L"], p["B"], p["R"], scale_bits)

    @property
    def neighbors(self) -> int:
        """K of a `MaskedUpdate` variant."""
        return self.parameters["K"]

    @property
    def constraints(self) -> int:
        """R1CS constraint count."""
        return int(self.entry.get("derived", {}).get("constraints", 0))

    def ready(self) -> bool:
        """Whether the wasm and zkey exist (the set-up built them)."""
        try:
            return self.wasm.is_file() and self.zkey.is_file()
        except ToolchainError:
            return False


def load_circuit(name: str, root: Path | None = None) -> Circuit:
    """A variant of the registry by name."""
    base = root or project_root()
    registry = json.loads((base / "circuits" / "circuits.json").read_text())
    variants = registry["variants"]
    if name not in variants:
        raise ConfigurationError(
            f"unknown circuit variant {name!r}; the registry has {', '.join(sorted(variants))}."
        )
    return Circuit(name, base, variants[name])


def mask_reveal_circuit(words: int, root: Path | None = None) -> Circuit:
    """The `MaskReveal` variant for chunks of `words` words (a task's W, as the chain records
    it): a dropped neighbour's mask is revealed word for word as the chunk proofs added it."""
    base = root or project_root()
    registry = json.loads((base / "circuits" / "circuits.json").read_text())
    for name, entry in registry["variants"].items():
        if entry["template"] == "MaskReveal" and entry["parameters"].get("W") == words:
            return Circuit(name, base, entry)
    raise ConfigurationError(f"no mask-reveal circuit with W = {words} is registered.")


def seed_mask_circuit(words: int, root: Path | None = None) -> Circuit:
    """The `SeedMask` variant for chunks of `words` words (a task's W): the mask of a seed the
    escrow holders recovered, word for word as the chunk proofs added it."""
    base = root or project_root()
    registry = json.loads((base / "circuits" / "circuits.json").read_text())
    for name, entry in registry["variants"].items():
        if entry["template"] == "SeedMask" and entry["parameters"].get("W") == words:
            return Circuit(name, base, entry)
    raise ConfigurationError(f"no seed-mask circuit with W = {words} is registered.")


def masked_update_variants(root: Path | None = None) -> list[str]:
    """Names of the registry's `MaskedUpdate` variants, in registry order."""
    base = root or project_root()
    registry = json.loads((base / "circuits" / "circuits.json").read_text())
    return [n for n, e in registry["variants"].items() if e["template"] == "MaskedUpdate"]


def development_keys(names: list[str], root: Path | None = None) -> bool:
    """Whether a registry of these `MaskedUpdate` variants would use any insecure development
    key: theirs, their `MaskReveal` and `SeedMask` circuits', `PairCommit`'s, `EscrowPad`'s or
    `KeyPossession`'s."""
    circuits = [load_circuit(n, root) for n in names]
    words = [c.packing(0).words for c in circuits]
    circuits += [mask_reveal_circuit(w, root) for w in words]
    circuits += [seed_mask_circuit(w, root) for w in words]
    circuits += [load_circuit(n, root) for n in (PAIR_COMMIT, ESCROW_PAD, KEY_POSSESSION)]
    return any(c.development for c in circuits)
