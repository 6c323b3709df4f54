"""Trusted-setup ceremony for a circuit variant (``ape run ceremony …``), no chain needed.

The keys committed under circuits/keys come from an INSECURE development setup (public beacons:
anyone can forge proofs). This is the production path: a multi-party phase-2 ceremony in which
every member contributes secret randomness in turn, with a transcript anyone can verify.

    ape run ceremony run seed_reveal --member alice --member bob --member carol
    ape run ceremony verify --out .zkfed/ceremony/seed_reveal

Members on separate machines run the steps one by one, passing the folder along:
``start`` (once), ``contribute --name …`` (each member, on its own machine), ``beacon`` (optional),
``finish``; anyone runs ``verify``. ``ptau`` runs an optional phase-1 ceremony of the members.
"""

from __future__ import annotations

from pathlib import Path

import click

from zkfed import ceremony
from zkfed.circuits import load_circuit
from zkfed.exceptions import ZkfedError

DEFAULT_OUT = Path(".zkfed/ceremony")

_out = click.option(
    "--out",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The ceremony folder (transcript, zkeys, results).",
)
_ptau = click.option(
    "--ptau",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A prepared powers-of-tau file (default: the project's development ptau if it fits).",
)


def _banner(transcript: ceremony.Transcript) -> None:
    if transcript.rehearsal:
        click.secho("!" * 100, fg="red", bold=True)
        click.secho(ceremony.REHEARSAL_NOTE, fg="red", bold=True)
        click.secho("!" * 100, fg="red", bold=True)
    else:
        click.secho(ceremony.PRODUCTION_NOTE, fg="green", bold=True)


def _show(transcript: ceremony.Transcript) -> None:
    for line in ceremony.transcript_summary(transcript):
        click.echo(line)


def _variant(name: str) -> str:
    try:
        load_circuit(name)
    except ZkfedError as error:
        raise click.BadArgumentUsage(str(error)) from error
    return name


@click.group()
def cli() -> None:
    """Phase-2 trusted-setup ceremony (the production path; the committed keys are INSECURE)."""


@cli.command("run")
@click.argument("variant")
@click.option("--member", "members", multiple=True, required=True, help="Contributor, in order.")
@_ptau
@click.option("--beacon", default=None, help="Final public beacon (hex), e.g. a future block hash.")
@click.option("--out", "folder", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--keep-intermediate", is_flag=True, help="Keep every link's zkey.")
def run_command(
    variant: str,
    members: tuple[str, ...],
    ptau: Path | None,
    beacon: str | None,
    folder: Path | None,
    keep_intermediate: bool,
) -> None:
    """A whole ceremony on this machine: every --member contributes in turn, then the exports."""
    out = folder or DEFAULT_OUT / _variant(variant)
    try:
        transcript = ceremony.run_ceremony(
            variant,
            list(members),
            out,
            ptau=ptau,
            beacon_hash=beacon,
            keep_intermediate=keep_intermediate,
        )
        report = ceremony.verify_ceremony(out, ptau=ptau)
    except ZkfedError as error:
        raise click.ClickException(str(error)) from error
    _show(transcript)
    if not report.ok:
        raise click.ClickException(f"the ceremony does not verify: {report.problems[0]}")
    assert transcript.final is not None
    click.echo(f"verified; verifier and vkey in {out}:")
    for kind in ("zkey", "vkey", "verifier"):
        click.echo(f"  {kind:8s} {out / str(transcript.final[kind])}")
    _banner(transcript)


@cli.command("start")
@click.argument("variant")
@_out
@_ptau
def start_command(variant: str, folder: Path, ptau: Path | None) -> None:
    """Create the initial zkey (groth16 setup) and the transcript."""
    try:
        transcript = ceremony.start(_variant(variant), folder, ptau)
    except ZkfedError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"started {variant} in {folder}; next: `ape run ceremony contribute --out {folder}`")
    _banner(transcript)


@cli.command("contribute")
@_out
@click.option("--name", required=True, help="Your public name, recorded in the zkey.")
@click.option(
    "--verify-first/--no-verify-first",
    default=True,
    show_default=True,
    help="Check the chain you received with `snarkjs zkey verify` before contributing.",
)
@_ptau
def contribute_command(folder: Path, name: str, verify_first: bool, ptau: Path | None) -> None:
    """Add your contribution with fresh secret randomness (never stored)."""
    try:
        entry = ceremony.contribute(folder, name, verify_previous=verify_first, ptau=ptau)
    except ZkfedError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"contribution #{entry.index} by {entry.name}; its hash (keep it to check later):")
    click.echo(f"  {entry.hash}")


@cli.command("beacon")
@_out
@click.option("--hash", "beacon_hash", required=True, help="Public randomness in hex.")
@click.option("--iterations-exp", default=ceremony.BEACON_ITERATIONS_EXP, show_default=True)
def beacon_command(folder: Path, beacon_hash: str, iterations_exp: int) -> None:
    """Close the chain with a public beacon nobody could know in advance."""
    try:
        entry = ceremony.apply_beacon(folder, beacon_hash, iterations_exp)
    except ZkfedError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"beacon #{entry.index}: {entry.hash}")


@cli.command("finish")
@_out
def finish_command(folder: Path) -> None:
    """Export the final zkey, verification key and Solidity verifier into the folder."""
    try:
        paths = ceremony.finish(folder)
        transcript = ceremony.Transcript.load(folder)
    except ZkfedError as error:
        raise click.ClickException(str(error)) from error
    _show(transcript)
    for kind, path in paths.items():
        click.echo(f"  {kind:8s} {path}")
    _banner(transcript)


@cli.command("verify")
@_out
@_ptau
def verify_command(folder: Path, ptau: Path | None) -> None:
    """Check a finished ceremony: every contribution, the transcript, the exported keys."""
    report = ceremony.verify_ceremony(folder, ptau=ptau)
    if not report.ok:
        for problem in report.problems:
            click.secho(f"FAIL {problem}", fg="red", err=True)
        raise click.ClickException(f"the ceremony in {folder} does not verify.")
    transcript = ceremony.Transcript.load(folder)
    _show(transcript)
    beacon = " and the beacon" if transcript.beacon else ""
    click.echo(
        f"OK: {len(transcript.contributions)} contributions{beacon} verified ({report.variant})."
    )
    _banner(transcript)


@cli.command("ptau")
@click.option("--power", type=click.IntRange(8, 28), required=True)
@click.option("--member", "members", multiple=True, required=True, help="Contributor, in order.")
@click.option("--beacon", default=None, help="Final public beacon (hex).")
@_out
def ptau_command(power: int, members: tuple[str, ...], beacon: str | None, folder: Path) -> None:
    """Optional phase 1: the members' own powers of tau, prepared for phase 2 (slow)."""
    click.echo(
        f"phase 1 at power {power}: `prepare phase2` alone takes ≈ 4 min at 13 and ≈ 19 min at "
        "15 on two cores"
    )
    try:
        path = ceremony.powers_of_tau(power, list(members), folder, beacon_hash=beacon)
    except ZkfedError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"wrote {path} (verified); use it with --ptau {path}")
