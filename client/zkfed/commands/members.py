"""A member's identity: a BabyJubJub keystore bound to an account, registered on the aggregator.

A task's members are the consortium members whose keys are registered when its proposal is
executed (the aggregator takes that snapshot). ``zkfed join`` registers the key if needed and,
given a secure-aggregation task, posts the member's pair commitments for it (one proof per
neighbour, once per task); ``zkfed submit`` does that itself when it was not done.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from zkfed.babyjubjub import public_key
from zkfed.chain import Mode
from zkfed.commands._session import (
    Session,
    Settings,
    account_option,
    member_option,
    open_session,
    pass_settings,
    password_file_option,
    read_password,
    say,
)
from zkfed.config import check_name
from zkfed.exceptions import ConfigurationError, KeystoreError
from zkfed.keystore import DEFAULT_SCRYPT_N, create_keystore, load_public_key, load_secret_key


@click.command()
@click.option("--name", required=True, help="Member name: the keystore is HOME/keys/NAME.json.")
@account_option()
@password_file_option()
@click.option("--scrypt-n", default=DEFAULT_SCRYPT_N, hidden=True, type=int)
@pass_settings
def keygen(
    settings: Settings,
    name: str,
    account: str | None,
    password_file: Path | None,
    scrypt_n: int,
) -> None:
    """Create a member's BabyJubJub key, encrypted with a password, bound to an account."""
    if account is None:
        raise click.UsageError(
            "Bind the key to the account it transacts with: --account INDEX|ADDRESS|ALIAS."
        )
    path = settings.home.keystore(check_name(name))
    if path.exists():
        raise KeystoreError(f"A keystore already exists at {path}; choose another --name.")
    password = read_password(password_file, confirm=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    pk = create_keystore(path, password, scrypt_n=scrypt_n)
    settings.home.bind_member(name, account)
    say(f"member {name}: keystore {path}, account {account}")
    say(f"public key ({pk[0]}, {pk[1]})")


def _unlock(session: Session, member: str, password_file: Path | None) -> int:
    """The member's secret key, after checking it against the keystore's public key."""
    path = session.home.keystore(member)
    pk = load_public_key(path)
    sk = load_secret_key(path, read_password(password_file))
    if public_key(sk) != pk:
        raise KeystoreError(f"The keystore {path} holds a key that does not match its public key.")
    return sk


def _register(session: Session, member: str, account: Any, sk: int) -> None:
    from contextlib import closing

    from zkfed.protocol import register_key
    from zkfed.proving import open_prover

    zk = session.zk
    pk = public_key(sk)
    address = str(account.address)
    if not bool(zk.governance.isMember(address)):
        raise ConfigurationError(
            f"{member} ({address}) is not a member of the consortium; a membership proposal "
            "must pass before it can register a key."
        )
    registered = zk.public_key(address)
    if registered is not None:
        if registered != pk:
            raise KeystoreError(
                f"{address} already registered a different key than {member}'s keystore holds."
            )
        say(f"{member} ({address}) is already registered with this key")
        return
    with closing(open_prover()) as prover:
        receipt = register_key(zk, prover, account, sk)
    say(f"registered {member}'s key for {address} (gas {int(receipt.gas_used):,})")


@click.command()
@member_option(required=True)
@password_file_option()
@pass_settings
def register(settings: Settings, member: str, password_file: Path | None) -> None:
    """Register a member's public key on the aggregator (once per member)."""
    with open_session(settings) as session:
        account = session.member_account(member)
        _register(session, member, account, _unlock(session, member, password_file))


@click.command()
@click.argument("task_id", metavar="[TASK]", required=False, type=int)
@member_option(required=True)
@password_file_option()
@pass_settings
def join(settings: Settings, task_id: int | None, member: str, password_file: Path | None) -> None:
    """Register if needed; with TASK, check membership and post the pair commitments.

    A task's members are fixed when its proposal is executed: every consortium member whose key
    is registered by then. Register before the proposal you want to train on executes; then join
    the task (once) to commit to the secrets shared with your neighbours.
    """
    from zkfed.commands.rounds import ensure_joined

    with open_session(settings) as session:
        account = session.member_account(member)
        sk = _unlock(session, member, password_file)
        _register(session, member, account, sk)
        if task_id is None:
            return
        session.require_task(task_id)
        members = session.zk.task_members(task_id)
        address = str(account.address)
        if address not in members:
            raise ConfigurationError(
                f"{member} ({address}) is not a member of task {task_id}: its members were fixed "
                "when its proposal executed; a later task will include this key."
            )
        say(f"{member} is member #{members.index(address)} of task {task_id}'s {len(members)}")
        if session.zk.task_mode(task_id) != Mode.SECAGG:
            return
        if session.zk.has_joined(task_id, account):
            say(f"{member} already joined task {task_id}: its pair commitments are on-chain")
            return
        ensure_joined(session, session.zk.secagg_task(task_id), account, sk)
