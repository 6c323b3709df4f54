#!/usr/bin/env python3
"""Build the zkfed circuits from the registry circuits/circuits.json (stdlib only).

    python tools/circuits.py compile [VARIANT ...]   circom2 -> circuits/build/<variant>/
    python tools/circuits.py setup   [VARIANT ...]   development Groth16 setup -> <variant>.zkey
    python tools/circuits.py export  [VARIANT ...]   vkeys, Solidity verifiers, committed setup
                                                     artifacts and the registry's derived fields
    python tools/circuits.py check   [VARIANT ...]   regenerate all of that in a temporary folder
                                                     and fail on any difference

Without VARIANT names a command covers every variant of the registry. Run from anywhere; the
script works in the repository root because circom2 (WebAssembly) cannot read parent folders.

The setup is a DEVELOPMENT setup and INSECURE: every contribution is a public beacon, so anyone can
recompute the toxic waste and forge proofs. It exists so that CI and a fresh clone get
byte-identical keys. snarkjs's `contribute -e` mixes 64 bytes of OS randomness into the given
entropy (misc.getRandomRng), so only beacons make a reproducible setup. The powers of tau are the
same points at every power (the beacon draws tau, alpha, beta first), so a zkey does not depend
on which power of the development ptau it was made from.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import lzma
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from math import prod
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CIRCUITS = Path("circuits")
REGISTRY = CIRCUITS / "circuits.json"
BUILD = CIRCUITS / "build"
PTAU_BUILD = BUILD / "ptau"
KEYS = CIRCUITS / "keys"
SETUP_ARTIFACTS = CIRCUITS / "setup"
VERIFIERS = Path("contracts") / "verifiers"
NODE_BIN = Path("node_modules") / ".bin"
CIRCOM_PRAGMA = "2.1.6"

BEACON_ITERATIONS_EXP = 10
PTAU_BEACON_TEXT = "zkfed insecure development setup: powers of tau"
ZKEY_BEACON_TEXT = "zkfed insecure development setup: "
INSECURE_NOTE = (
    "INSECURE development setup: every contribution is a public beacon, so anyone can forge "
    "proofs. Never use these keys with real value; run the phase-2 ceremony for production."
)


class BuildError(Exception):
    """A build step failed; the message is one sentence for the user."""


@dataclass(frozen=True)
class Variant:
    """One registry entry, with the paths derived from its name."""

    name: str
    spec: dict[str, Any]

    @property
    def parameters(self) -> list[int]:
        return [int(v) for v in self.spec.get("parameters", {}).values()]

    @property
    def public_signals(self) -> list[dict[str, Any]]:
        return list(self.spec["publicSignals"])

    @property
    def verifier_contract(self) -> str:
        return str(self.spec["verifier"])

    def build_dir(self, build: Path = BUILD) -> Path:
        return build / self.name

    def r1cs(self, build: Path = BUILD) -> Path:
        return self.build_dir(build) / f"{self.name}.r1cs"

    def sym(self, build: Path = BUILD) -> Path:
        return self.build_dir(build) / f"{self.name}.sym"

    def wasm(self, build: Path = BUILD) -> Path:
        return self.build_dir(build) / f"{self.name}_js" / f"{self.name}.wasm"

    def zkey(self, build: Path = BUILD) -> Path:
        return self.build_dir(build) / f"{self.name}.zkey"

    def vkey(self, keys: Path = KEYS) -> Path:
        return keys / f"{self.name}.vkey.json"

    def verifier(self, verifiers: Path = VERIFIERS) -> Path:
        return verifiers / f"{self.verifier_contract}.sol"

    @property
    def committed_zkey(self) -> Path | None:
        """Where the registry keeps this variant's zkey in git, if it does."""
        path = self.spec.get("committedZkey")
        return Path(path) if path else None


# --- registry and small helpers ----------------------------------------------------------------


def load_registry() -> dict[str, Any]:
    registry: dict[str, Any] = json.loads(REGISTRY.read_text())
    return registry


def format_json(value: Any, indent: int = 0, width: int = 100) -> str:
    """JSON with two-space indentation, keeping flat lists and objects on one line if they fit."""
    flat = json.dumps(value)
    if not isinstance(value, dict | list):
        return flat
    members = list(value.values() if isinstance(value, dict) else value)
    nested = any(isinstance(m, dict) or (isinstance(m, list) and m) for m in members)
    if indent + len(flat) + 1 <= width and not (isinstance(value, list) and nested):
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = [
            f"{pad}{json.dumps(k)}: {format_json(v, indent + 2, width)}" for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + format_json(v, indent + 2, width) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def write_registry(registry: dict[str, Any]) -> None:
    REGISTRY.write_text(format_json(registry) + "\n")


def variants(registry: dict[str, Any], names: Sequence[str]) -> list[Variant]:
    known = registry["variants"]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise BuildError(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(known)}.")
    return [Variant(n, known[n]) for n in (names or list(known))]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def beacon_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def log(message: str) -> None:
    print(f"[circuits] {message}", flush=True)


def run(args: Sequence[str | Path], what: str) -> str:
    """Run a tool from the repository root; on failure raise with its last lines of output."""
    started = time.monotonic()
    result = subprocess.run(
        [str(a) for a in args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise BuildError(f"{what} failed (exit {result.returncode}):\n{tail}")
    log(f"{what}: {time.monotonic() - started:.1f} s")
    return result.stdout


def snarkjs(*args: str | Path, what: str) -> str:
    return run([NODE_BIN / "snarkjs", *args], what)


def snarkjs_version() -> str:
    package = json.loads((Path("node_modules") / "snarkjs" / "package.json").read_text())
    return str(package["version"])


# --- circuit facts read back from circom's outputs --------------------------------------------


@dataclass(frozen=True)
class R1csInfo:
    wires: int
    public_outputs: int
    public_inputs: int
    private_inputs: int
    constraints: int

    @property
    def public_count(self) -> int:
        return self.public_outputs + self.public_inputs

    @property
    def ptau_power(self) -> int:
        """Power `groth16 setup` needs: domain > constraints + public signals (zkey_new.js)."""
        return (self.constraints + self.public_count).bit_length()


def read_r1cs_header(path: Path) -> R1csInfo:
    """The header section of an iden3 r1cs file (https://github.com/iden3/r1csfile)."""
    data = path.read_bytes()
    if data[:4] != b"r1cs":
        raise BuildError(f"{path} is not an r1cs file.")
    (n_sections,) = struct.unpack_from("<I", data, 8)
    offset = 12
    for _ in range(n_sections):
        section_type, size = struct.unpack_from("<IQ", data, offset)
        offset += 12
        if section_type == 1:
            (field_size,) = struct.unpack_from("<I", data, offset)
            fields = struct.unpack_from("<IIIIQI", data, offset + 4 + field_size)
            wires, outputs, pub_inputs, prv_inputs, _labels, constraints = fields
            return R1csInfo(wires, outputs, pub_inputs, prv_inputs, constraints)
        offset += size
    raise BuildError(f"{path} has no header section.")


def expand_signals(signals: Sequence[dict[str, Any]]) -> list[str]:
    """Flat names in snarkjs order (row-major) of registry signal entries."""
    names: list[str] = []
    for signal in signals:
        shape = [int(d) for d in signal["shape"]]
        if signal.get("length") != prod(shape):
            raise BuildError(
                f"circuits.json: {signal['name']} has shape {shape} but length "
                f"{signal.get('length')}."
            )
        indices: list[str] = [""]
        for dim in shape:
            indices = [f"{prefix}[{i}]" for prefix in indices for i in range(dim)]
        names.extend(f"{signal['name']}{suffix}" for suffix in indices)
    return names


def public_wire_names(sym: Path, info: R1csInfo) -> list[str]:
    """Names of wires 1..n_public from circom's .sym file (`label,wire,component,name`)."""
    by_wire: dict[int, str] = {}
    for line in sym.read_text().splitlines():
        _label, wire, _component, name = line.split(",", 3)
        if 1 <= int(wire) <= info.public_count and name.startswith("main."):
            by_wire.setdefault(int(wire), name.removeprefix("main."))
    return [by_wire.get(w, "?") for w in range(1, info.public_count + 1)]


# --- compile ------------------------------------------------------------------------------------


def main_source(variant: Variant) -> str:
    public = ", ".join(s["name"] for s in variant.public_signals)
    args = ", ".join(str(p) for p in variant.parameters)
    return (
        f"// GENERATED by tools/circuits.py from circuits/circuits.json (variant {variant.name}).\n"
        f"pragma circom {CIRCOM_PRAGMA};\n\n"
        f'include "{variant.spec["file"]}";\n\n'
        f"component main {{public [{public}]}} = {variant.spec['template']}({args});\n"
    )


def source_digest(variant: Variant) -> str:
    """Digest of everything a compile reads, so an unchanged variant is not recompiled."""
    digest = hashlib.sha256(main_source(variant).encode())
    sources = sorted(CIRCUITS.glob("*.circom")) + sorted((CIRCUITS / "lib").rglob("*.circom"))
    for path in sources:
        digest.update(str(path).encode() + b"\0" + path.read_bytes())
    circom2 = json.loads((Path("node_modules") / "circom2" / "package.json").read_text())
    circomlib = json.loads((Path("node_modules") / "circomlib" / "package.json").read_text())
    digest.update(f"circom2 {circom2['version']} circomlib {circomlib['version']}".encode())
    return digest.hexdigest()


def compile_variant(variant: Variant, build: Path = BUILD, force: bool = False) -> R1csInfo:
    out = variant.build_dir(build)
    stamp = out / "sources.sha256"
    digest = source_digest(variant)
    if (
        not force
        and stamp.is_file()
        and stamp.read_text() == digest
        and variant.r1cs(build).is_file()
        and variant.wasm(build).is_file()
    ):
        log(f"{variant.name}: up to date")
    else:
        if out.exists():
            shutil.rmtree(out / f"{variant.name}_js", ignore_errors=True)
        out.mkdir(parents=True, exist_ok=True)
        main = out / f"{variant.name}.circom"
        main.write_text(main_source(variant))
        # circom2 runs in WebAssembly with the working directory as its only file system root,
        # so every path stays relative to the repository root.
        run(
            [
                NODE_BIN / "circom2",
                main,
                "--r1cs",
                "--wasm",
                "--sym",
                "--O2",
                "-l",
                CIRCUITS,
                "-l",
                "node_modules",
                "-o",
                out,
            ],
            f"{variant.name}: circom2 --O2",
        )
        stamp.write_text(digest)
    info = read_r1cs_header(variant.r1cs(build))
    check_public_order(variant, info, build)
    return info


def check_public_order(variant: Variant, info: R1csInfo, build: Path = BUILD) -> None:
    if info.public_outputs:
        raise BuildError(f"{variant.name}: the template has outputs; public order needs none.")
    expected = expand_signals(variant.public_signals)
    actual = public_wire_names(variant.sym(build), info)
    if expected != actual:
        first = next(
            (i for i, (e, a) in enumerate(zip(expected, actual, strict=False)) if e != a),
            min(len(expected), len(actual)),
        )
        raise BuildError(
            f"{variant.name}: public signal {first} is {actual[first : first + 1]} in the circuit "
            f"but {expected[first : first + 1]} in circuits.json ({len(actual)} vs "
            f"{len(expected)} public signals)."
        )


# --- development trusted setup ----------------------------------------------------------------


def ptau_candidates(power: int) -> Iterator[Path]:
    """Prepared development ptaus usable at `power`, smallest first."""
    found: list[tuple[int, Path]] = []
    for path in sorted(PTAU_BUILD.glob("pot*.ptau")) + sorted(SETUP_ARTIFACTS.glob("pot*.ptau")):
        match = re.fullmatch(r"pot(\d+)(\.insecure-dev)?\.ptau", path.name)
        if match and int(match.group(1)) >= power:
            found.append((int(match.group(1)), path))
    for _, path in sorted(found):
        yield path


def make_ptau(power: int) -> Path:
    """The development powers of tau at `power`: new, one public beacon, prepare phase 2."""
    PTAU_BUILD.mkdir(parents=True, exist_ok=True)
    final = PTAU_BUILD / f"pot{power}.ptau"
    fresh = PTAU_BUILD / f"pot{power}_0000.ptau"
    beacon = PTAU_BUILD / f"pot{power}_beacon.ptau"
    log(
        f"making the development ptau at power {power}; `prepare phase2` alone takes ~4 min at "
        "13, ~18 min at 15, ~27 min at 16 on two cores"
    )
    snarkjs("powersoftau", "new", "bn128", str(power), fresh, what=f"ptau {power}: new")
    snarkjs(
        "powersoftau",
        "beacon",
        fresh,
        beacon,
        beacon_hash(PTAU_BEACON_TEXT),
        str(BEACON_ITERATIONS_EXP),
        "-n=zkfed insecure development beacon",
        what=f"ptau {power}: beacon",
    )
    partial = final.with_suffix(".partial")
    snarkjs("powersoftau", "prepare", "phase2", beacon, partial, what=f"ptau {power}: prepare")
    partial.rename(final)
    fresh.unlink()
    beacon.unlink()
    return final


def find_or_make_ptau(power: int) -> Path:
    return next(ptau_candidates(power), None) or make_ptau(power)


def setup_from_ptau(variant: Variant, ptau: Path, build: Path = BUILD) -> Path:
    """groth16 setup, then one public beacon as the phase-2 contribution."""
    zkey = variant.zkey(build)
    initial = zkey.with_name(f"{variant.name}_0000.zkey")
    snarkjs("groth16", "setup", variant.r1cs(build), ptau, initial, what=f"{variant.name}: setup")
    snarkjs(
        "zkey",
        "beacon",
        initial,
        zkey,
        beacon_hash(ZKEY_BEACON_TEXT + variant.name),
        str(BEACON_ITERATIONS_EXP),
        f"-n=zkfed insecure development beacon ({variant.name})",
        what=f"{variant.name}: beacon",
    )
    initial.unlink()
    return zkey


def setup_variant(variant: Variant, build: Path = BUILD, regenerate: bool = False) -> Path:
    """Make build/<variant>/<variant>.zkey, from the committed zkey when it is current."""
    info = read_r1cs_header(variant.r1cs(build))
    r1cs_digest = sha256_file(variant.r1cs(build))
    derived = variant.spec.get("derived", {})
    zkey = variant.zkey(build)
    stamp = zkey.with_suffix(".r1cs.sha256")
    if not regenerate and zkey.is_file() and stamp.is_file() and stamp.read_text() == r1cs_digest:
        log(f"{variant.name}: zkey up to date")
        return zkey
    committed = variant.committed_zkey
    usable = (
        not regenerate
        and committed is not None
        and committed.is_file()
        and derived.get("r1csSha256") == r1cs_digest
    )
    if usable and unpack_committed_zkey(variant, zkey) == derived.get("zkeySha256"):
        log(f"{variant.name}: zkey from the committed {committed}")
    else:
        if usable:
            log(f"{variant.name}: the committed zkey does not match circuits.json; regenerating")
        setup_from_ptau(variant, find_or_make_ptau(info.ptau_power), build)
    stamp.write_text(r1cs_digest)
    return zkey


# --- committed zkeys (xz: the coefficient half of a zkey compresses about six-fold) -----------


def unpack_committed_zkey(variant: Variant, out: Path) -> str:
    """Decompress the committed zkey of `variant` to `out`; return the sha256 of `out`."""
    assert variant.committed_zkey is not None
    with lzma.open(variant.committed_zkey) as packed, out.open("wb") as plain:
        shutil.copyfileobj(packed, plain, 1 << 20)
    return sha256_file(out)


def pack_committed_zkey(variant: Variant, zkey: Path) -> None:
    target = variant.committed_zkey
    assert target is not None
    if target.is_file():
        with tempfile.TemporaryDirectory(dir=BUILD) as tmp:
            if unpack_committed_zkey(variant, Path(tmp) / "zkey") == sha256_file(zkey):
                return
    target.parent.mkdir(parents=True, exist_ok=True)
    with zkey.open("rb") as plain, lzma.open(target, "wb", preset=9) as packed:
        shutil.copyfileobj(plain, packed, 1 << 20)
    log(f"{variant.name}: wrote {target} ({target.stat().st_size} bytes)")


# --- export ------------------------------------------------------------------------------------


def regenerate_command(variant: Variant) -> str:
    return (
        f"python tools/circuits.py compile {variant.name} && "
        f"python tools/circuits.py setup {variant.name} && "
        f"python tools/circuits.py export {variant.name}"
    )


def export_vkey(variant: Variant, zkey: Path, out: Path) -> None:
    raw = out.with_suffix(".snarkjs.json")
    snarkjs("zkey", "export", "verificationkey", zkey, raw, what=f"{variant.name}: export vkey")
    vkey: dict[str, Any] = {
        "zkfed": {
            "variant": variant.name,
            "setup": INSECURE_NOTE,
            "generatedBy": regenerate_command(variant),
        },
        **json.loads(raw.read_text()),
    }
    raw.unlink()
    out.write_text(json.dumps(vkey, indent=1) + "\n")


def export_verifier(variant: Variant, zkey: Path, out: Path) -> None:
    raw = out.with_suffix(".snarkjs.sol")
    snarkjs(
        "zkey",
        "export",
        "solidityverifier",
        zkey,
        raw,
        what=f"{variant.name}: export verifier",
    )
    source = raw.read_text()
    raw.unlink()
    source, renamed = re.subn(
        r"\bcontract Groth16Verifier\b", f"contract {variant.verifier_contract}", source
    )
    if renamed != 1:
        raise BuildError("snarkjs's verifier template no longer declares `Groth16Verifier`.")
    rule = "// " + "-" * 97
    header = "\n".join(
        [
            rule,
            f"// GENERATED by tools/circuits.py with snarkjs {snarkjs_version()} from "
            f"circuits/circuits.json, variant",
            f"// `{variant.name}` ({variant.spec['file']}); do not edit by hand, CI fails "
            "on any difference.",
            "// INSECURE DEVELOPMENT SETUP: every contribution is a public beacon, so anyone "
            "can forge proofs",
            "// for this key. Never deploy it with real value; run the phase-2 ceremony for "
            "production.",
            "// Regenerate:",
            f"//   {regenerate_command(variant)}",
            rule,
            "",
        ]
    )
    out.write_text(header + source)


def derived_fields(variant: Variant, info: R1csInfo, build: Path, zkey: Path) -> dict[str, Any]:
    return {
        "artifacts": {
            "wasm": str(variant.wasm()),
            "zkey": str(variant.zkey()),
            "vkey": str(variant.vkey()),
            "verifier": str(variant.verifier()),
        },
        "constraints": info.constraints,
        "wires": info.wires,
        "publicSignalCount": info.public_count,
        "ptauPower": info.ptau_power,
        "r1csSha256": sha256_file(variant.r1cs(build)),
        "zkeySha256": sha256_file(zkey),
        "zkeyBytes": zkey.stat().st_size,
    }


def export_variants(selected: list[Variant], registry: dict[str, Any]) -> None:
    KEYS.mkdir(parents=True, exist_ok=True)
    VERIFIERS.mkdir(parents=True, exist_ok=True)
    for variant in selected:
        info = read_r1cs_header(variant.r1cs())
        zkey = variant.zkey()
        if not zkey.is_file():
            raise BuildError(f"{zkey} is missing; run `python tools/circuits.py setup` first.")
        export_vkey(variant, zkey, variant.vkey())
        export_verifier(variant, zkey, variant.verifier())
        registry["variants"][variant.name]["derived"] = derived_fields(variant, info, BUILD, zkey)
        if variant.committed_zkey is not None:
            pack_committed_zkey(variant, zkey)
    publish_small_ptau(registry)
    write_registry(registry)


def publish_small_ptau(registry: dict[str, Any]) -> None:
    """Commit a truncated development ptau for the variants that fit it (see circuits.json)."""
    power = registry.get("committedPtauPower")
    if power is None:
        return
    target = SETUP_ARTIFACTS / f"pot{power}.insecure-dev.ptau"
    if target.is_file():
        return
    source = next((p for p in ptau_candidates(power) if p.parent == PTAU_BUILD), None)
    if source is None:
        source = make_ptau(power)
    SETUP_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    match = re.fullmatch(r"pot(\d+)\.ptau", source.name)
    if match and int(match.group(1)) > power:
        with tempfile.TemporaryDirectory(dir=PTAU_BUILD) as tmp:
            copy = Path(tmp) / "pot.ptau"
            shutil.copyfile(source, copy)
            snarkjs("powersoftau", "truncate", copy, what=f"truncate ptau to {power}")
            shutil.copyfile(Path(tmp) / f"pot_{power:02d}.ptau", target)
    else:
        shutil.copyfile(source, target)
    log(f"wrote {target}")


# --- check -------------------------------------------------------------------------------------


def check_variants(selected: list[Variant], registry: dict[str, Any]) -> list[str]:
    """Regenerate every generated artifact in a temporary folder; return the differences."""
    problems: list[str] = []
    BUILD.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="check-", dir=BUILD) as tmp_name:
        # Relative to the repository root: circom2 only sees the working directory.
        tmp = Path(tmp_name).resolve().relative_to(ROOT)
        for variant in selected:
            build = tmp / "build"
            info = compile_variant(variant, build, force=True)
            derived = variant.spec.get("derived", {})
            r1cs_digest = sha256_file(variant.r1cs(build))
            if derived.get("r1csSha256") != r1cs_digest:
                problems.append(
                    f"{variant.name}: the circuit compiles to a different r1cs than the one the "
                    "committed keys were made from"
                )
                continue
            ptau = next(ptau_candidates(info.ptau_power), None)
            committed = variant.committed_zkey
            if ptau is not None:
                zkey = setup_from_ptau(variant, ptau, build)
                how = f"regenerated from {ptau}"
            elif committed is not None and committed.is_file():
                zkey = variant.zkey(build)
                unpack_committed_zkey(variant, zkey)
                how = f"committed (no power-{info.ptau_power} ptau here to regenerate it)"
            else:
                problems.append(f"{variant.name}: no ptau of power {info.ptau_power} and no zkey")
                continue
            log(f"{variant.name}: zkey {how}")
            fresh = derived_fields(variant, info, build, zkey)
            for key, value in fresh.items():
                if derived.get(key) != value:
                    problems.append(
                        f"{variant.name}: {key} is {value}, circuits.json says {derived.get(key)}"
                    )
            if committed is not None and (
                not committed.is_file()
                or unpack_committed_zkey(variant, build / "committed.zkey") != fresh["zkeySha256"]
            ):
                problems.append(f"{variant.name}: {committed} differs from the regenerated zkey")
            pairs = [
                (variant.vkey(), variant.vkey(tmp / "keys"), export_vkey),
                (variant.verifier(), variant.verifier(tmp / "verifiers"), export_verifier),
            ]
            for committed_file, regenerated, export in pairs:
                regenerated.parent.mkdir(parents=True, exist_ok=True)
                export(variant, zkey, regenerated)
                if not committed_file.is_file():
                    problems.append(f"{committed_file} is missing")
                elif committed_file.read_bytes() != regenerated.read_bytes():
                    problems.append(f"{committed_file} differs from its regeneration")
        power = registry.get("committedPtauPower")
        if power is not None and not (SETUP_ARTIFACTS / f"pot{power}.insecure-dev.ptau").is_file():
            problems.append(f"the committed ptau of power {power} is missing")
    return problems


# --- command line ------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python tools/circuits.py",
        description="Compile, set up (INSECURE development setup), export and check circuits.",
    )
    parser.add_argument("command", choices=["compile", "setup", "export", "check"])
    parser.add_argument("variants", nargs="*", help="registry variants (default: all)")
    parser.add_argument(
        "--force", action="store_true", help="compile: recompile; setup: ignore committed zkeys"
    )
    # Intermixed, so options may come before or after the variant names (`setup --force NAME`).
    args = parser.parse_intermixed_args(argv)
    try:
        os.chdir(ROOT)
        registry = load_registry()
        selected = variants(registry, args.variants)
        if args.command == "compile":
            for variant in selected:
                info = compile_variant(variant, force=args.force)
                log(
                    f"{variant.name}: {info.constraints} constraints, {info.public_count} public, "
                    f"ptau power {info.ptau_power}"
                )
        elif args.command == "setup":
            for variant in selected:
                compile_variant(variant)
                setup_variant(variant, regenerate=args.force)
        elif args.command == "export":
            export_variants(selected, registry)
        else:
            problems = check_variants(selected, registry)
            if problems:
                for problem in problems:
                    print(f"[circuits] DIFF {problem}", file=sys.stderr)
                print(
                    "[circuits] generated circuit artifacts are stale; regenerate with "
                    "`python tools/circuits.py compile && python tools/circuits.py setup && "
                    "python tools/circuits.py export` and commit the result.",
                    file=sys.stderr,
                )
                return 1
            log("generated circuit artifacts match their sources")
    except BuildError as error:
        print(f"[circuits] error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
