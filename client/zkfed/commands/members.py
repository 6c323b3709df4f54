"""A member's identity: a keyring of one-time BabyJubJub masking keys, bound to an account.

Each SecAgg task takes one unused registered key of every consortium member when its proposal
is executed, and leaves out a member that has none; the task's masks are derived from the keys
it took, so a leaked secret exposes that task only. A member therefore keeps a few keys
registered ahead: ``zkfed register`` tops its pool of unused keys up (``--keys``, default 2),
adding fresh keys to its keyring. ``zkfed join TASK`` posts, for a SecAgg task, the member's
pair commitments made with the key that task took (once per task; ``zkfed submit`` does it when
it was not done), and ``zkfed forget-keys`` deletes the secrets of keys whose task has ended.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import click

from zkfed.chain import Mode, TaskStatus
from zkfed.commands._session import (
    Session,
    Settings,
    account_option,
    key_label,
    lazy_password,
    member_option,
    open_session,
    pass_settings,
    password_file_option,
    plural,
    read_password,
    say,
)
from zkfed.config import check_name
from zkfed.exceptions import ConfigurationError, KeystoreError
from zkfed.keystore import (
    DEFAULT_SCRYPT_N,
    add_key,
    forget_key,
    load_public_keys,
)

DEFAULT_SPARE_KEYS = 2
"""Unused keys `zkfed register` keeps on-chain: enough for the next two tasks."""


@click.command()
@click.option("--name", required=True, help="Member name: the keyring is HOME/keys/NAME.json.")
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
    """Create a member's keyring with a first BabyJubJub key, bound to an account."""
    if account is None:
        raise click.UsageError(
            "Bind the key to the account it transacts with: --account INDEX|ADDRESS|ALIAS."
        )
    path = settings.home.keystore(check_name(name))
    if path.exists():
        raise KeystoreError(f"A keystore already exists at {path}; choose another --name.")
    password = read_password(password_file, confirm=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    pk = add_key(path, password, scrypt_n=scrypt_n)
    settings.home.bind_member(name, account)
    say(f"member {name}: keystore {path}, account {account}")
    say(f"public key ({pk[0]}, {pk[1]})")


def ensure_keys(
    session: Session, member: str, account: Any, password: Callable[[], str], wanted: int
) -> int:
    """Register the keyring's keys that are not on-chain yet, then add fresh keys to the
    keyring and register them until the member has `wanted` unused keys
    (:func:`zkfed.protocol.top_up_masking_keys`); returns how many it has. The password is
    asked for only when a key must be registered."""
    from zkfed.protocol import top_up_masking_keys
    from zkfed.proving import open_prover

    zk = session.zk
    address = str(account.address)
    if not bool(zk.governance.isMember(address)):
        raise ConfigurationError(
            f"{member} ({address}) is not a member of the consortium; a membership proposal "
            "must pass before it can register a key."
        )
    registered = top_up_masking_keys(
        zk,
        lambda: closing(open_prover()),
        account,
        session.home.keystore(member),
        password,
        wanted,
    )
    for pk, receipt in registered:
        say(f"registered {member}'s {key_label(pk)} for {address} (gas {int(receipt.gas_used):,})")
    unused = zk.unused_keys(address)
    say(f"{member} ({address}) has {plural(unused, 'unused key')} on-chain")
    return unused


@click.command()
@member_option(required=True)
@click.option(
    "--keys",
    "wanted",
    default=DEFAULT_SPARE_KEYS,
    show_default=True,
    type=click.IntRange(1),
    help="Unused keys to keep on-chain: each SecAgg task takes one, and leaves out a member "
    "with none.",
)
@password_file_option()
@pass_settings
def register(settings: Settings, member: str, wanted: int, password_file: Path | None) -> None:
    """Register keys until the member has --keys unused ones on-chain (one per future task)."""
    with open_session(settings) as session:
        account = session.member_account(member)
        ensure_keys(session, member, account, lazy_password(password_file), wanted)


@click.command()
@click.argument("task_id", metavar="[TASK]", required=False, type=int)
@member_option(required=True)
@password_file_option()
@pass_settings
def join(settings: Settings, task_id: int | None, member: str, password_file: Path | None) -> None:
    """Register a key if the member has none unused; with TASK, post the pair commitments.

    A SecAgg task's members are fixed when its proposal is executed: every consortium member
    with an unused registered key, which the task takes. Register keys before the proposal you
    want to train on executes; then join the task (once) to commit, with the key it took, to
    the secrets shared with your neighbours.
    """
    from zkfed.commands.rounds import ensure_joined, member_lock, task_secret_key

    password = lazy_password(password_file)
    with open_session(settings) as session:
        account = session.member_account(member)
        ensure_keys(session, member, account, password, 1)
        if task_id is None:
            return
        session.require_task(task_id)
        members = session.zk.task_members(task_id)
        address = str(account.address)
        if address not in members:
            raise ConfigurationError(
                f"{member} ({address}) is not a member of task {task_id}: its members were fixed "
                "when its proposal executed, from those with an unused registered key; a later "
                "task will take one of this member's keys."
            )
        me = members.index(address)
        say(f"{member} is member #{me} of task {task_id}'s {len(members)}")
        if session.zk.task_mode(task_id) != Mode.SECAGG:
            return
        with member_lock(session.home, member, address, task_id):
            if session.zk.has_joined(task_id, account):
                say(f"{member} already joined task {task_id}: its pair commitments are on-chain")
                return
            task = session.zk.secagg_task(task_id)
            sk = task_secret_key(session, member, password, task, me)
            ensure_joined(session, task, account, sk)


@click.command("forget-keys")
@member_option(required=True)
@pass_settings
def forget_keys(settings: Settings, member: str) -> None:
    """Delete from the member's keyring the secrets of keys whose task has ended.

    A key serves the one task that took it; once that task is no longer active its secret only
    endangers the task's pair secrets if the keyring leaks. Keys of running tasks and keys no
    task has taken yet are kept. No password is needed.
    """
    with open_session(settings) as session:
        zk = session.zk
        address = str(session.member_account(member).address)
        path = session.home.keystore(member)
        held = set(load_public_keys(path))
        forgotten = 0
        for task_id in range(1, int(zk.aggregator.taskCount()) + 1):
            pk = zk.masking_key(task_id, address)
            if pk is None or pk not in held:
                continue
            if zk.task_status(task_id) == TaskStatus.ACTIVE:
                say(f"task {task_id} is still active: keeping the secret of its {key_label(pk)}")
                continue
            forget_key(path, pk)
            held.discard(pk)
            forgotten += 1
            say(f"task {task_id} has ended: deleted the secret of its {key_label(pk)}")
        say(
            f"forgot {plural(forgotten, 'key')}; {member}'s keyring holds "
            f"{plural(len(held), 'key')}"
        )
