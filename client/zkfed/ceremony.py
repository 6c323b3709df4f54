"""Groth16 trusted-setup ceremonies with snarkjs, and transcripts anyone can verify.

Phase 2 (per circuit): ``groth16 setup`` turns the circuit's r1cs and a prepared powers-of-tau
file into the initial proving key; each member then contributes in turn
(``zkey contribute``) with secret randomness of its own, optionally a public beacon closes the
chain (``zkey beacon``), and the verification key and Solidity verifier are exported from the
result. The proving key is secure if at least one contributor kept its randomness secret and
destroyed it, *and* the powers of tau came from a trustworthy phase-1 ceremony: the committed
development ptau is a public beacon (anyone knows its tau), so a phase 2 on it is a rehearsal.
For production use a ptau from a public multi-party ceremony (e.g. the Perpetual Powers of Tau
files the snarkjs README links) or run phase 1 with :func:`powers_of_tau`.

Entropy: every contribution draws 64 bytes from :mod:`secrets` and hands them to snarkjs on its
standard input (never on the command line, where ``ps`` would show them); snarkjs mixes in 64
bytes of its own OS randomness. Neither is written anywhere.

The transcript (``transcript.json`` in the ceremony folder) records, per contribution, the
contributor's name, the contribution hash exactly as snarkjs prints it, the zkey's sha256 and
UTC timestamps; at the end the sha256 of the final zkey, of the verification key (canonical JSON)
and of the verifier. :func:`verify_ceremony` re-checks everything from the r1cs, the ptau and the
final zkey: ``snarkjs zkey verify`` validates every contribution of the chain against the r1cs and
the ptau, and the chain it reports must be the transcript's.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zkfed.circuits import load_circuit, project_root
from zkfed.exceptions import ConfigurationError, ToolchainError
from zkfed.proving import find_node_modules

TRANSCRIPT = "transcript.json"
FORMAT = "zkfed phase-2 ceremony transcript v1"
PTAU_FORMAT = "zkfed powers-of-tau ceremony transcript v1"
BEACON_ITERATIONS_EXP = 10
PRODUCTION_NOTE = (
    "PRODUCTION PATH: multi-party phase-2 ceremony. The keys are sound if at least one "
    "contributor kept its randomness secret and destroyed it, and the powers of tau come from a "
    "trustworthy phase-1 ceremony."
)
REHEARSAL_NOTE = (
    "REHEARSAL ONLY: the powers of tau are the INSECURE development ptau (a public beacon, tau is "
    "known), so anyone can forge proofs for these keys whatever phase 2 did; run the ceremony "
    "again with --ptau from a public multi-party powers-of-tau ceremony for production."
)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_HASH_LINE = re.compile(r"^\s+((?:[0-9a-f]{8} ){3}[0-9a-f]{8})\s*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._@+-]{0,63}$")


def now() -> str:
    """The current UTC time, ISO 8601 to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def canonical_sha256(value: Any) -> str:
    """Hex sha256 of a JSON value in canonical form (sorted keys, no spaces)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _hash_text(lines: Sequence[str]) -> str:
    """A 64-byte hash as snarkjs prints it: four lines of four 8-digit groups, here space-joined."""
    return " ".join(lines)


def _hashes_after(output: str, label: str) -> list[str]:
    """Every hash snarkjs printed after a line ending in `label`."""
    lines = output.splitlines()
    found = []
    for i, line in enumerate(lines):
        if line.rstrip().lower().endswith(label.lower()):
            block = [m.group(1) for m in map(_HASH_LINE.match, lines[i + 1 : i + 5]) if m]
            if len(block) == 4:
                found.append(_hash_text(block))
    return found


class Snarkjs:
    """The snarkjs command line of the project's node_modules."""

    def __init__(self, node_modules: Path | None = None) -> None:
        modules = node_modules or find_node_modules()
        self.cli = modules / "snarkjs" / "build" / "cli.cjs"
        if not self.cli.is_file():
            raise ToolchainError(f"snarkjs is not installed under {modules}.")
        node = shutil.which("node")
        if node is None:
            raise ToolchainError("Node.js is required for the ceremony and 'node' is not on PATH.")
        self.node = node
        package = json.loads((modules / "snarkjs" / "package.json").read_text())
        self.version = str(package["version"])

    def run(self, *args: str | Path, what: str, stdin: str | None = None) -> str:
        """Run one snarkjs command; returns its output without colour codes.

        Raises
        ------
        ToolchainError
            When snarkjs exits with an error (the message ends with its last lines of output).
        """
        result = subprocess.run(
            [self.node, str(self.cli), *(str(a) for a in args)],
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            check=False,
        )
        output = _ANSI.sub("", result.stdout + result.stderr)
        if result.returncode != 0 or "[ERROR]" in output:
            tail = " | ".join(line.strip() for line in output.strip().splitlines()[-4:])
            raise ToolchainError(f"snarkjs {what} failed: {tail}")
        return output


# --- powers of tau -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PtauInfo:
    """What a powers-of-tau file's header says about it."""

    path: Path
    power: int
    prepared: bool
    insecure_development: bool

    @property
    def max_constraints(self) -> int:
        """Largest `constraints + public signals` a circuit may have for this ptau."""
        return (1 << self.power) - 1


def _sections(path: Path) -> dict[int, tuple[int, int]]:
    """(offset, size) of each section of an iden3 binary file (r1cs, ptau, zkey)."""
    sections: dict[int, tuple[int, int]] = {}
    with path.open("rb") as f:
        head = f.read(12)
        if len(head) < 12:
            raise ConfigurationError(f"{path} is not a powers-of-tau file.")
        offset, size = 12, path.stat().st_size
        while offset + 12 <= size:
            f.seek(offset)
            kind, length = struct.unpack("<IQ", f.read(12))
            sections.setdefault(kind, (offset + 12, length))
            offset += 12 + length
    return sections


# A snarkjs ptau contribution record (section 7): tau·G1, tau·G2, alpha·G1, beta·G1, beta·G2
# (uncompressed: 64 bytes per G1, 128 per G2 point), the contributor's public key (three
# G1, G1, G2 triples), a 216-byte partial hash and a 64-byte next challenge; then its type
# (u32: 0 a secret contribution, 1 a public beacon) and its parameters (u32 length + bytes).
_CONTRIBUTION_FIXED = 3 * 64 + 2 * 128 + 3 * (64 + 64 + 128) + 216 + 64
_BEACON = 1


def _contribution_types(section: bytes, path: Path) -> list[int]:
    """The type of every contribution recorded in a ptau's contributions section."""
    try:
        (count,) = struct.unpack_from("<I", section, 0)
        pos, types = 4, []
        for _ in range(count):
            pos += _CONTRIBUTION_FIXED
            kind, length = struct.unpack_from("<II", section, pos)
            types.append(kind)
            pos += 8 + length
    except struct.error:
        raise ConfigurationError(f"{path} has a malformed contributions section.") from None
    if pos != len(section):
        raise ConfigurationError(f"{path} has a malformed contributions section.")
    return types


def read_ptau(path: Path) -> PtauInfo:
    """Read a ptau's power, whether it is prepared for phase 2, and whether it is an insecure
    development file by its content: every contribution it records is a public beacon (so its
    tau is public), or a contributor declared it insecure in its name."""
    if not path.is_file():
        raise ConfigurationError(f"the powers-of-tau file {path} does not exist.")
    with path.open("rb") as f:
        if f.read(4) != b"ptau":
            raise ConfigurationError(f"{path} is not a powers-of-tau file.")
    sections = _sections(path)
    if 1 not in sections or 7 not in sections:
        raise ConfigurationError(f"{path} is not a complete powers-of-tau file.")
    with path.open("rb") as f:
        f.seek(sections[1][0])
        (n8,) = struct.unpack("<I", f.read(4))
        f.seek(sections[1][0] + 4 + n8)
        (power,) = struct.unpack("<I", f.read(4))
        f.seek(sections[7][0])
        contributions = f.read(sections[7][1])
    types = _contribution_types(contributions, path)
    insecure = all(kind == _BEACON for kind in types) or b"insecure" in contributions.lower()
    return PtauInfo(path, int(power), 12 in sections, insecure)


def ptau_candidates(root: Path) -> list[Path]:
    """Prepared ptaus the project has: the committed development one and any under
    circuits/build/ptau (made by tools/circuits.py)."""
    found = sorted((root / "circuits" / "setup").glob("pot*.ptau"))
    found += sorted((root / "circuits" / "build" / "ptau").glob("pot*.ptau"))
    return found


# --- phase 2 -----------------------------------------------------------------------------------


@dataclass
class Contribution:
    """One link of the chain of a phase-2 (or phase-1) ceremony."""

    index: int
    name: str
    hash: str
    file: str
    sha256: str
    started_at: str
    finished_at: str
    beacon_hash: str | None = None
    beacon_iterations_exp: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The transcript entry."""
        entry = {
            "index": self.index,
            "name": self.name,
            "hash": self.hash,
            "file": self.file,
            "sha256": self.sha256,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
        }
        if self.beacon_hash is not None:
            entry["beaconHash"] = self.beacon_hash
            entry["beaconIterationsExp"] = self.beacon_iterations_exp
        return entry

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Contribution:
        """Read a transcript entry."""
        return cls(
            int(raw["index"]),
            str(raw["name"]),
            str(raw["hash"]),
            str(raw["file"]),
            str(raw["sha256"]),
            str(raw["startedAt"]),
            str(raw["finishedAt"]),
            raw.get("beaconHash"),
            raw.get("beaconIterationsExp"),
        )


@dataclass
class Transcript:
    """The public record of a phase-2 ceremony (``transcript.json``)."""

    variant: str
    snarkjs: str
    r1cs_sha256: str
    constraints: int
    ptau: dict[str, Any]
    circuit_hash: str
    initial: dict[str, Any]
    contributions: list[Contribution] = field(default_factory=list)
    beacon: Contribution | None = None
    final: dict[str, Any] | None = None

    @property
    def rehearsal(self) -> bool:
        """Whether phase 1 is the insecure development ptau."""
        return bool(self.ptau.get("insecureDevelopment"))

    @property
    def chain(self) -> list[Contribution]:
        """Every contribution in order, the beacon last."""
        return [*self.contributions, *([self.beacon] if self.beacon else [])]

    @property
    def latest_file(self) -> str:
        """The newest zkey of the chain."""
        chain = self.chain
        return chain[-1].file if chain else str(self.initial["file"])

    def to_json(self) -> dict[str, Any]:
        """The transcript document."""
        return {
            "format": FORMAT,
            "status": REHEARSAL_NOTE if self.rehearsal else PRODUCTION_NOTE,
            "variant": self.variant,
            "snarkjs": self.snarkjs,
            "r1cs": {"sha256": self.r1cs_sha256, "constraints": self.constraints},
            "ptau": self.ptau,
            "circuitHash": self.circuit_hash,
            "initial": self.initial,
            "contributions": [c.to_json() for c in self.contributions],
            "beacon": self.beacon.to_json() if self.beacon else None,
            "final": self.final,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Transcript:
        """Read a transcript document."""
        if raw.get("format") != FORMAT:
            raise ConfigurationError(f"the file is not a {FORMAT}.")
        return cls(
            variant=str(raw["variant"]),
            snarkjs=str(raw["snarkjs"]),
            r1cs_sha256=str(raw["r1cs"]["sha256"]),
            constraints=int(raw["r1cs"]["constraints"]),
            ptau=dict(raw["ptau"]),
            circuit_hash=str(raw["circuitHash"]),
            initial=dict(raw["initial"]),
            contributions=[Contribution.from_json(c) for c in raw["contributions"]],
            beacon=Contribution.from_json(raw["beacon"]) if raw.get("beacon") else None,
            final=dict(raw["final"]) if raw.get("final") else None,
        )

    @classmethod
    def load(cls, folder: Path) -> Transcript:
        """The transcript of a ceremony folder."""
        path = folder / TRANSCRIPT
        if not path.is_file():
            raise ConfigurationError(f"{folder} holds no ceremony ({TRANSCRIPT} is missing).")
        try:
            raw = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise ConfigurationError(f"{path} is not valid JSON: {error.msg}.") from error
        return cls.from_json(raw)

    def save(self, folder: Path) -> None:
        """Write ``transcript.json`` (atomically: a crash never leaves half a transcript)."""
        partial = folder / (TRANSCRIPT + ".partial")
        partial.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        partial.replace(folder / TRANSCRIPT)


@dataclass(frozen=True)
class CircuitFiles:
    """The r1cs of a registry variant and what the registry says about it."""

    variant: str
    r1cs: Path
    r1cs_sha256: str
    constraints: int
    public_signals: int
    verifier_contract: str


def circuit_files(variant: str, root: Path | None = None) -> CircuitFiles:
    """The compiled r1cs of a variant, checked against the registry's digest."""
    base = root or project_root()
    circuit = load_circuit(variant, base)
    derived = circuit.entry.get("derived", {})
    r1cs = base / "circuits" / "build" / variant / f"{variant}.r1cs"
    if not r1cs.is_file():
        raise ConfigurationError(
            f"{variant} is not compiled; run `python tools/circuits.py compile {variant}`."
        )
    digest = sha256_file(r1cs)
    if derived.get("r1csSha256") not in (None, digest):
        raise ConfigurationError(
            f"the compiled {variant} differs from the circuit of record in circuits.json; "
            f"recompile with `python tools/circuits.py compile {variant}`."
        )
    return CircuitFiles(
        variant,
        r1cs,
        digest,
        int(derived.get("constraints", 0)),
        int(derived.get("publicSignalCount", 0)),
        circuit.verifier_contract,
    )


def required_power(files: CircuitFiles) -> int:
    """The ptau power `groth16 setup` needs: the domain must exceed constraints + publics."""
    return (files.constraints + files.public_signals).bit_length()


def choose_ptau(files: CircuitFiles, ptau: Path | None, root: Path | None = None) -> PtauInfo:
    """The given ptau, checked, or the smallest prepared one the project has that fits."""
    need = required_power(files)
    if ptau is not None:
        info = read_ptau(ptau)
        if not info.prepared:
            raise ConfigurationError(
                f"{ptau} is not prepared for phase 2; run `snarkjs powersoftau prepare phase2` "
                "on it first."
            )
        if info.power < need:
            raise ConfigurationError(
                f"{files.variant} needs a powers-of-tau file of power ≥ {need}, and {ptau} has "
                f"power {info.power}."
            )
        return info
    fitting = []
    for path in ptau_candidates(root or project_root()):
        info = read_ptau(path)
        if info.prepared and info.power >= need:
            fitting.append(info)
    if not fitting:
        raise ConfigurationError(
            f"{files.variant} needs a prepared powers-of-tau file of power ≥ {need} (making one "
            f"takes ≈ 19 min at power 15 on two cores); pass it with --ptau PATH."
        )
    return min(fitting, key=lambda i: i.power)


def _zkey_name(variant: str, index: int) -> str:
    return f"{variant}_{index:04d}.zkey"


def _check_name(name: str, taken: Sequence[str]) -> str:
    if not _NAME.fullmatch(name):
        raise ConfigurationError(
            f"contributor name {name!r} must be 1-64 letters, digits, spaces or ._@+- and start "
            "with a letter or digit."
        )
    if name in taken:
        raise ConfigurationError(f"{name!r} has already contributed to this ceremony.")
    return name


def start(
    variant: str,
    folder: Path,
    ptau: Path | None = None,
    *,
    root: Path | None = None,
    snarkjs: Snarkjs | None = None,
) -> Transcript:
    """Create the initial phase-2 zkey (``groth16 setup``) and the transcript in `folder`."""
    tool = snarkjs or Snarkjs()
    files = circuit_files(variant, root)
    info = choose_ptau(files, ptau, root)
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / TRANSCRIPT).exists():
        raise ConfigurationError(f"{folder} already holds a ceremony; choose another --out.")
    initial = folder / _zkey_name(variant, 0)
    started = now()
    output = tool.run("groth16", "setup", files.r1cs, info.path, initial, what="groth16 setup")
    circuit_hash = _hashes_after(output, "Circuit Hash:")
    transcript = Transcript(
        variant=variant,
        snarkjs=tool.version,
        r1cs_sha256=files.r1cs_sha256,
        constraints=files.constraints,
        ptau={
            "file": info.path.name,
            "sha256": sha256_file(info.path),
            "power": info.power,
            "insecureDevelopment": info.insecure_development,
        },
        circuit_hash=circuit_hash[0] if circuit_hash else "",
        initial={
            "file": initial.name,
            "sha256": sha256_file(initial),
            "startedAt": started,
            "finishedAt": now(),
        },
    )
    transcript.save(folder)
    return transcript


def contribute(
    folder: Path,
    name: str,
    *,
    verify_previous: bool = True,
    ptau: Path | None = None,
    root: Path | None = None,
    snarkjs: Snarkjs | None = None,
) -> Contribution:
    """Add one member's contribution, with fresh secret entropy, to the ceremony in `folder`.

    Parameters
    ----------
    folder
        The ceremony folder (transcript and zkeys).
    name
        The contributor's public name, recorded in the zkey and the transcript.
    verify_previous
        Check the whole chain so far with ``snarkjs zkey verify`` before contributing (what a
        careful member does with a zkey it received from someone else); on by default, turned
        off only by a caller that has just made the previous zkey itself.
    ptau
        The ptau the ceremony started from, for `verify_previous` (default: found by name).
    """
    tool = snarkjs or Snarkjs()
    transcript = Transcript.load(folder)
    if transcript.beacon is not None or transcript.final is not None:
        raise ConfigurationError("the ceremony is closed: its beacon or final keys exist.")
    _check_name(name, [c.name for c in transcript.contributions])
    previous = folder / transcript.latest_file
    expected = transcript.chain[-1].sha256 if transcript.chain else transcript.initial["sha256"]
    if not previous.is_file() or sha256_file(previous) != expected:
        raise ConfigurationError(
            f"{previous.name} is missing or is not the zkey the transcript names."
        )
    if verify_previous and transcript.chain:
        problems = _snarkjs_chain_problems(transcript, previous, ptau, root, tool)[0]
        if problems:
            raise ConfigurationError(f"the chain so far does not verify: {problems[0]}")
    index = len(transcript.chain) + 1
    target = folder / _zkey_name(transcript.variant, index)
    started = now()
    # 64 bytes of fresh secret randomness per contribution, on stdin so no `ps` ever shows it.
    entropy = secrets.token_hex(64)
    output = tool.run(
        "zkey",
        "contribute",
        previous,
        target,
        f"--name={name}",
        what="zkey contribute",
        stdin=entropy + "\n",
    )
    del entropy
    hashes = _hashes_after(output, "Contribution Hash:")
    if not hashes:
        raise ToolchainError("snarkjs did not print the contribution hash.")
    entry = Contribution(index, name, hashes[-1], target.name, sha256_file(target), started, now())
    transcript.contributions.append(entry)
    transcript.save(folder)
    return entry


def apply_beacon(
    folder: Path,
    beacon_hash: str,
    iterations_exp: int = BEACON_ITERATIONS_EXP,
    *,
    name: str = "final beacon",
    snarkjs: Snarkjs | None = None,
) -> Contribution:
    """Close the chain with a public beacon: randomness nobody could know in advance, e.g. the
    hash of an Ethereum block announced before the ceremony started."""
    tool = snarkjs or Snarkjs()
    transcript = Transcript.load(folder)
    if transcript.beacon is not None or transcript.final is not None:
        raise ConfigurationError("the ceremony already has its beacon or final keys.")
    if not transcript.contributions:
        raise ConfigurationError("a beacon closes a chain of contributions; nobody contributed.")
    clean = beacon_hash.lower().removeprefix("0x")
    if not re.fullmatch(r"([0-9a-f]{2}){16,64}", clean):
        raise ConfigurationError("the beacon must be 16 to 64 bytes of hex.")
    if not 1 <= iterations_exp <= 63:
        raise ConfigurationError("the beacon's iteration exponent must lie in 1..63.")
    index = len(transcript.chain) + 1
    target = folder / _zkey_name(transcript.variant, index)
    started = now()
    output = tool.run(
        "zkey",
        "beacon",
        folder / transcript.latest_file,
        target,
        clean,
        str(iterations_exp),
        f"--name={name}",
        what="zkey beacon",
    )
    hashes = _hashes_after(output, "Contribution Hash:")
    if not hashes:
        raise ToolchainError("snarkjs did not print the beacon's contribution hash.")
    entry = Contribution(
        index,
        name,
        hashes[-1],
        target.name,
        sha256_file(target),
        started,
        now(),
        beacon_hash=clean,
        beacon_iterations_exp=iterations_exp,
    )
    transcript.beacon = entry
    transcript.save(folder)
    return entry


def final_names(transcript: Transcript, verifier_contract: str) -> dict[str, str]:
    """File names of the ceremony's results."""
    return {
        "zkey": f"{transcript.variant}.ceremony.zkey",
        "vkey": f"{transcript.variant}.ceremony.vkey.json",
        "verifier": f"{verifier_contract}.sol",
    }


def _export_vkey(tool: Snarkjs, zkey: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "vkey.json"
        tool.run("zkey", "export", "verificationkey", zkey, out, what="export verificationkey")
        vkey: dict[str, Any] = json.loads(out.read_text())
    return vkey


def _export_verifier_source(tool: Snarkjs, zkey: Path, contract: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "verifier.sol"
        tool.run("zkey", "export", "solidityverifier", zkey, out, what="export solidityverifier")
        source = out.read_text()
    source, renamed = re.subn(r"\bcontract Groth16Verifier\b", f"contract {contract}", source)
    if renamed != 1:
        raise ToolchainError("snarkjs's verifier template no longer declares `Groth16Verifier`.")
    return source


def _verifier_header(transcript: Transcript) -> str:
    rule = "// " + "-" * 97
    status = (
        [
            "// REHEARSAL ONLY: phase 1 is the INSECURE development ptau, so anyone can forge",
            "// proofs for this key. Never deploy it with real value.",
        ]
        if transcript.rehearsal
        else [
            "// PRODUCTION PATH: sound if at least one contributor destroyed its randomness and",
            "// the powers of tau come from a trustworthy phase-1 ceremony.",
        ]
    )
    names = ", ".join(c.name for c in transcript.chain)
    return "\n".join(
        [
            rule,
            f"// GENERATED by `ape run ceremony` (snarkjs {transcript.snarkjs}) for variant "
            f"`{transcript.variant}`:",
            f"// phase-2 ceremony with {len(transcript.contributions)} contribution(s) ({names}).",
            *status,
            "// Verify: ape run ceremony verify --out <this folder>   (checks every contribution)",
            rule,
            "",
        ]
    )


def finish(
    folder: Path, *, root: Path | None = None, snarkjs: Snarkjs | None = None
) -> dict[str, Path]:
    """Export the final zkey, verification key and Solidity verifier into `folder`."""
    tool = snarkjs or Snarkjs()
    transcript = Transcript.load(folder)
    if not transcript.contributions:
        raise ConfigurationError("nobody has contributed yet; a ceremony needs contributions.")
    if transcript.final is not None:
        raise ConfigurationError("the ceremony is already finished.")
    files = circuit_files(transcript.variant, root)
    names = final_names(transcript, files.verifier_contract)
    latest = folder / transcript.latest_file
    if sha256_file(latest) != transcript.chain[-1].sha256:
        raise ConfigurationError(f"{latest.name} is not the zkey the transcript names.")
    zkey = folder / names["zkey"]
    shutil.copyfile(latest, zkey)
    vkey = _export_vkey(tool, zkey)
    document = {
        "zkfed": {
            "variant": transcript.variant,
            "setup": REHEARSAL_NOTE if transcript.rehearsal else PRODUCTION_NOTE,
            "transcript": TRANSCRIPT,
            "contributors": [c.name for c in transcript.chain],
        },
        **vkey,
    }
    (folder / names["vkey"]).write_text(json.dumps(document, indent=1) + "\n")
    source = _verifier_header(transcript) + _export_verifier_source(
        tool, zkey, files.verifier_contract
    )
    (folder / names["verifier"]).write_text(source)
    transcript.final = {
        "zkey": names["zkey"],
        "zkeySha256": sha256_file(zkey),
        "vkey": names["vkey"],
        "vkeySha256": canonical_sha256(vkey),
        "verifier": names["verifier"],
        "verifierSha256": hashlib.sha256(source.encode()).hexdigest(),
        "finishedAt": now(),
    }
    transcript.save(folder)
    return {kind: folder / name for kind, name in names.items()}


def run_ceremony(
    variant: str,
    contributors: Sequence[str],
    folder: Path,
    *,
    ptau: Path | None = None,
    beacon_hash: str | None = None,
    keep_intermediate: bool = False,
    root: Path | None = None,
) -> Transcript:
    """A whole phase-2 ceremony on one machine: start, every contributor in turn, the optional
    beacon, the exports. (Members on separate machines use the steps one by one instead.)"""
    if not contributors:
        raise ConfigurationError("a ceremony needs at least one contributor.")
    for i, name in enumerate(contributors):
        _check_name(name, contributors[:i])
    tool = Snarkjs()
    start(variant, folder, ptau, root=root, snarkjs=tool)
    for name in contributors:
        # This process made the previous zkey itself a moment ago: nothing to re-verify.
        contribute(folder, name, verify_previous=False, root=root, snarkjs=tool)
    if beacon_hash is not None:
        apply_beacon(folder, beacon_hash, snarkjs=tool)
    finish(folder, root=root, snarkjs=tool)
    transcript = Transcript.load(folder)
    if not keep_intermediate:
        for link in [transcript.initial["file"], *(c.file for c in transcript.chain)]:
            (folder / str(link)).unlink(missing_ok=True)
    return transcript


# --- verification (anyone) ---------------------------------------------------------------------


@dataclass
class CeremonyReport:
    """Outcome of :func:`verify_ceremony`: empty `problems` means the ceremony checks out."""

    variant: str
    rehearsal: bool
    contributors: list[str]
    problems: list[str]

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return not self.problems


@dataclass(frozen=True)
class _ListedContribution:
    name: str
    hash: str
    beacon_hash: str | None
    iterations_exp: int | None


def _parse_zkey_verify(output: str) -> list[_ListedContribution]:
    """The chain `snarkjs zkey verify` prints (newest first), oldest first."""
    lines = output.splitlines()
    listed: list[_ListedContribution] = []
    for i, line in enumerate(lines):
        match = re.search(r"contribution #(\d+) (.*):\s*$", line)
        if not match:
            continue
        block = [m.group(1) for m in map(_HASH_LINE.match, lines[i + 1 : i + 5]) if m]
        beacon, iterations = None, None
        for follow in lines[i + 5 : i + 7]:
            if m := re.search(r"Beacon generator: ([0-9a-f]+)", follow):
                beacon = m.group(1)
            if m := re.search(r"Beacon iterations Exp: (\d+)", follow):
                iterations = int(m.group(1))
        listed.append(_ListedContribution(match.group(2), _hash_text(block), beacon, iterations))
    return list(reversed(listed))


def _find_ptau(transcript: Transcript, ptau: Path | None, root: Path | None) -> Path | None:
    if ptau is not None:
        return ptau
    for path in ptau_candidates(root or project_root()):
        if path.name == transcript.ptau.get("file"):
            return path
    return None


def _snarkjs_chain_problems(
    transcript: Transcript, zkey: Path, ptau: Path | None, root: Path | None, tool: Snarkjs
) -> tuple[list[str], list[_ListedContribution]]:
    """Check `zkey` (the newest link) with `snarkjs zkey verify` and compare the chain it holds
    with the transcript's."""
    problems: list[str] = []
    ptau_path = _find_ptau(transcript, ptau, root)
    if ptau_path is None or not ptau_path.is_file():
        return [f"the ptau {transcript.ptau.get('file')} was not found; pass it with --ptau"], []
    if sha256_file(ptau_path) != transcript.ptau.get("sha256"):
        problems.append(f"{ptau_path.name} is not the ptau the ceremony started from")
    try:
        files = circuit_files(transcript.variant, root)
    except ConfigurationError as error:
        return [str(error)], []
    if files.r1cs_sha256 != transcript.r1cs_sha256:
        problems.append("the compiled circuit is not the one the ceremony was run for")
    try:
        output = tool.run("zkey", "verify", files.r1cs, ptau_path, zkey, what="zkey verify")
    except ToolchainError as error:
        return [*problems, f"snarkjs zkey verify rejects {zkey.name}: {error}"], []
    if "ZKey Ok!" not in output:
        return [*problems, f"snarkjs zkey verify does not accept {zkey.name}"], []
    listed = _parse_zkey_verify(output)
    chain = transcript.chain
    if len(listed) != len(chain):
        problems.append(
            f"snarkjs finds {len(listed)} contributions in {zkey.name}, the transcript lists "
            f"{len(chain)}"
        )
    for entry, found in zip(chain, listed, strict=False):
        if entry.name != found.name:
            problems.append(
                f"contribution {entry.index} is by {found.name!r} in the zkey, "
                f"{entry.name!r} in the transcript"
            )
        if entry.hash != found.hash:
            problems.append(f"contribution {entry.index}'s hash differs from the zkey's")
        if entry.beacon_hash is not None and (
            found.beacon_hash != entry.beacon_hash
            or found.iterations_exp != entry.beacon_iterations_exp
        ):
            problems.append("the beacon in the zkey is not the transcript's")
    return problems, listed


def verify_ceremony(
    folder: Path, *, ptau: Path | None = None, root: Path | None = None
) -> CeremonyReport:
    """Re-check a finished ceremony from its folder, the r1cs and the ptau.

    Checks: ``snarkjs zkey verify`` accepts the final zkey for the circuit of record and the ptau
    (so every contribution in it is a valid update of the previous one); the chain it reports
    (names, contribution hashes, beacon) is exactly the transcript's; the final zkey, the
    verification key (re-exported from the zkey) and the verifier match the transcript's digests;
    every intermediate zkey still present matches its digest; timestamps never go backwards.
    """
    tool = Snarkjs()
    try:
        transcript = Transcript.load(folder)
    except (ConfigurationError, KeyError, TypeError, ValueError) as error:
        return CeremonyReport("?", False, [], [f"the transcript cannot be read: {error}"])
    report = CeremonyReport(
        transcript.variant, transcript.rehearsal, [c.name for c in transcript.chain], []
    )
    problems = report.problems
    if not transcript.contributions:
        problems.append("the transcript lists no contributions")
    if transcript.final is None:
        problems.append("the ceremony has not been finished (no final keys)")
        return report
    final = transcript.final
    zkey = folder / str(final["zkey"])
    if not zkey.is_file():
        problems.append(f"{zkey.name} is missing")
        return report
    if sha256_file(zkey) != final.get("zkeySha256"):
        problems.append(f"{zkey.name} is not the final zkey the transcript names")
    if transcript.chain and transcript.chain[-1].sha256 != final.get("zkeySha256"):
        problems.append("the final zkey is not the last link of the transcript's chain")
    chain_problems, _ = _snarkjs_chain_problems(transcript, zkey, ptau, root, tool)
    problems += chain_problems
    if not chain_problems:
        vkey = _export_vkey(tool, zkey)
        if canonical_sha256(vkey) != final.get("vkeySha256"):
            problems.append("the zkey's verification key does not match the transcript's hash")
        vkey_file = folder / str(final.get("vkey"))
        if vkey_file.is_file():
            written = json.loads(vkey_file.read_text())
            written.pop("zkfed", None)
            if written != vkey:
                problems.append(f"{vkey_file.name} is not the zkey's verification key")
        else:
            problems.append(f"{vkey_file.name} is missing")
        verifier = folder / str(final.get("verifier"))
        if not verifier.is_file():
            problems.append(f"{verifier.name} is missing")
        elif hashlib.sha256(verifier.read_bytes()).hexdigest() != final.get("verifierSha256"):
            problems.append(f"{verifier.name} does not match the transcript's hash")
        else:
            contract = verifier.stem
            source = _export_verifier_source(tool, zkey, contract)
            if not verifier.read_text().endswith(source):
                problems.append(f"{verifier.name} is not the verifier of the final zkey")
    for entry in transcript.chain:
        link = folder / entry.file
        if link.is_file() and sha256_file(link) != entry.sha256:
            problems.append(f"{entry.file} does not match its digest in the transcript")
    times = [str(transcript.initial.get("startedAt", ""))]
    for entry in transcript.chain:
        times += [entry.started_at, entry.finished_at]
    times.append(str(final.get("finishedAt", "")))
    if times != sorted(times):
        problems.append("the transcript's timestamps go backwards")
    return report


# --- phase 1 (optional): a powers-of-tau ceremony of the members themselves -------------------


def powers_of_tau(
    power: int,
    contributors: Sequence[str],
    folder: Path,
    *,
    beacon_hash: str | None = None,
    snarkjs: Snarkjs | None = None,
) -> Path:
    """A multi-party powers-of-tau ceremony, prepared for phase 2.

    Each contributor adds secret entropy in turn (``powersoftau contribute``), an optional public
    beacon closes the chain, ``prepare phase2`` computes the Lagrange bases (the slow step: ≈ 4 min
    at power 13, ≈ 19 min at 15 on two cores) and ``powersoftau verify`` checks the result.
    Writes ``pot<power>.ptau`` and ``ptau-transcript.json`` into `folder`; returns the ptau.
    """
    tool = snarkjs or Snarkjs()
    if not 8 <= power <= 28:
        raise ConfigurationError("the power of tau must lie in 8..28.")
    if not contributors:
        raise ConfigurationError("a powers-of-tau ceremony needs at least one contributor.")
    for i, name in enumerate(contributors):
        _check_name(name, contributors[:i])
    folder.mkdir(parents=True, exist_ok=True)
    current = folder / f"pot{power}_0000.ptau"
    tool.run("powersoftau", "new", "bn128", str(power), current, what="powersoftau new")
    links: list[dict[str, Any]] = []
    for index, name in enumerate(contributors, start=1):
        target = folder / f"pot{power}_{index:04d}.ptau"
        started = now()
        entropy = secrets.token_hex(64)
        output = tool.run(
            "powersoftau",
            "contribute",
            current,
            target,
            f"--name={name}",
            what="powersoftau contribute",
            stdin=entropy + "\n",
        )
        del entropy
        response = _hashes_after(output, "Response Hash imported:")
        challenge = _hashes_after(output, "Next Challenge Hash:")
        if not response:
            raise ToolchainError("snarkjs did not print the contribution's response hash.")
        links.append(
            {
                "index": index,
                "name": name,
                "responseHash": response[-1],
                "nextChallengeHash": challenge[-1] if challenge else "",
                "startedAt": started,
                "finishedAt": now(),
            }
        )
        current.unlink()
        current = target
    if beacon_hash is not None:
        clean = beacon_hash.lower().removeprefix("0x")
        target = folder / f"pot{power}_beacon.ptau"
        tool.run(
            "powersoftau",
            "beacon",
            current,
            target,
            clean,
            str(BEACON_ITERATIONS_EXP),
            "--name=final beacon",
            what="powersoftau beacon",
        )
        links.append({"index": len(links) + 1, "name": "final beacon", "beaconHash": clean})
        current.unlink()
        current = target
    final = folder / f"pot{power}.ptau"
    tool.run("powersoftau", "prepare", "phase2", current, final, what="prepare phase2")
    current.unlink()
    if "Powers Of tau file OK!" not in tool.run(
        "powersoftau", "verify", final, what="powersoftau verify"
    ):
        raise ToolchainError(f"snarkjs powersoftau verify does not accept {final.name}.")
    record = {
        "format": PTAU_FORMAT,
        "power": power,
        "snarkjs": tool.version,
        "contributions": links,
        "ptau": {"file": final.name, "sha256": sha256_file(final)},
        "verify": f"snarkjs powersoftau verify {final.name}",
    }
    (folder / "ptau-transcript.json").write_text(json.dumps(record, indent=2) + "\n")
    return final


def transcript_summary(transcript: Transcript) -> list[str]:
    """Human-readable lines of a transcript (what `ape run ceremony` prints)."""
    lines = [
        f"variant {transcript.variant}: {transcript.constraints} constraints, ptau "
        f"{transcript.ptau['file']} (power {transcript.ptau['power']})",
    ]
    for entry in transcript.chain:
        kind = f"beacon {entry.beacon_hash[:16]}…" if entry.beacon_hash else "contribution"
        lines.append(f"  #{entry.index} {entry.name} ({kind}) at {entry.finished_at}")
        lines.append(f"      {entry.hash}")
    if transcript.final:
        lines.append(f"  final vkey sha256 {transcript.final['vkeySha256']}")
    return lines
