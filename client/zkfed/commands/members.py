"""A member's identity: a BabyJubJub keystore bound to an account, registered on the aggregator.

Joining a task needs no transaction of its own: a task's members are the consortium members
whose keys are registered when its proposal is executed (the aggregator takes that snapshot).
So ``zkfed join`` registers the key if needed and, given a task, confirms the member is in it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from zkfed.babyjubjub import Point, public_key
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


def _unlock(session: Session, member: str, password_file: Path | None) -> Point:
    """The member's public key, after checking that the password opens the keystore."""
    path = session.home.keystore(member)
    pk = load_public_key(path)
    if public_key(load_secret_key(path, read_password(password_file))) != pk:
        raise KeystoreError(f"The keystore {path} holds a key that does not match its public key.")
    return pk


def _register(session: Session, member: str, account: Any, pk: Point) -> None:
    zk = session.zk
    address = str(account.address)
    if not bool(zk.governance.isMember(address)):
        raise ConfigurationError(
            f"{member} ({address}) is not a member of the consortium; a membership proposal "
            "must pass before it can register a key."
        )
    registered, x, y = zk.aggregator.publicKey(address)
    if registered:
        if (int(x), int(y)) != pk:
            raise KeystoreError(
                f"{address} already registered a different key than {member}'s keystore holds."
            )
        say(f"{member} ({address}) is already registered with this key")
        return
    receipt = zk.register_key(account, pk)
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
    """Register if needed; with TASK, confirm the member is one of the task's members.

    A task's members are fixed when its proposal is executed: every consortium member whose key
    is registered by then. Join (register) before the proposal you want to train on executes.
    """
    with open_session(settings) as session:
        account = session.member_account(member)
        _register(session, member, account, _unlock(session, member, password_file))
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
