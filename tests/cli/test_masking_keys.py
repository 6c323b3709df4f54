"""One-time masking keys through the CLI: the keyring, its top-up, the task's key, forgetting.

Set-up registered two keys per member and task 1 took the first, so each member starts here
with one unused key on-chain and two keys in its keyring.
"""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ape
from cli_helpers import MEMBERS, PASSWORD, TASK, Zkfed, deployment, refused, succeeded

from zkfed.babyjubjub import Point
from zkfed.keystore import add_key, forget_key, load_public_keys

ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
BOB = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"


def _keys(home: Path) -> Any:
    """The KeyRegistry of the deployment the CLI made."""
    aggregator = ape.project.FederatedAggregator.at(deployment(home)["aggregator"])
    return ape.project.KeyRegistry.at(aggregator.keys())


def _masking_key(home: Path, task_id: int, address: str) -> Point:
    assigned, x, y = _keys(home).maskingKey(task_id, address)
    assert assigned
    return (int(x), int(y))


def _second_task(zkfed: Zkfed) -> str:
    """Propose, carry and execute a one-round task 2; returns what `execute` printed."""
    succeeded(
        zkfed(
            "propose", "-m", "alice", "--dataset", "wine", "--variant", "masked_update_test",
            "--rounds", "1", "--submission-period", "60", "--reveal-period", "60",
        )
    )  # fmt: skip
    for name in MEMBERS[:3]:
        succeeded(zkfed("vote", "2", "--for", "-m", name))
    return succeeded(zkfed("execute", "2", "-m", "alice"))


def test_register_tops_the_unused_keys_up_with_fresh_keys(
    home: Path, zkfed: Zkfed, pw: Sequence[str]
) -> None:
    # Prepare
    keyring = home / "keys" / "alice.json"
    before = load_public_keys(keyring)

    # Execute
    topped = succeeded(zkfed("register", "-m", "alice", "--keys", "3", *pw))
    # Nothing to register: no password is asked for (the prompt would find no input).
    enough = succeeded(zkfed("register", "-m", "alice"))

    # Assert
    assert int(_keys(home).unusedKeys(ALICE)) == 3
    assert topped.count("registered alice's key ") == 2
    assert f"for {ALICE} (gas " in topped
    assert f"alice ({ALICE}) has 3 unused keys on-chain" in topped
    after = load_public_keys(keyring)
    assert after[:2] == before and len(after) == 4
    registry = _keys(home)
    assert all(str(registry.keyOwner(*pk)) == ALICE for pk in after)
    assert enough.strip() == f"alice ({ALICE}) has 3 unused keys on-chain"


def test_register_first_registers_the_keyring_keys_not_yet_on_chain(
    home: Path, zkfed: Zkfed, pw: Sequence[str]
) -> None:
    # Prepare: a key added to bob's keyring by another client, never registered.
    keyring = home / "keys" / "bob.json"
    added = add_key(keyring, PASSWORD)

    # Execute
    out = succeeded(zkfed("register", "-m", "bob", *pw))

    # Assert: that key makes the second unused key; no fresh key was needed.
    assert out.count("registered bob's key ") == 1
    assert f"registered bob's key {str(added[0])[:12]}… for {BOB}" in out
    assert f"bob ({BOB}) has 2 unused keys on-chain" in out
    assert len(load_public_keys(keyring)) == 3
    assert str(_keys(home).keyOwner(*added)) == BOB


def test_register_refuses_a_keyring_key_another_member_owns(
    home: Path, zkfed: Zkfed, pw: Sequence[str]
) -> None:
    # Prepare: alice's unused key copied into bob's keyring (the same password in these tests).
    alice = json.loads((home / "keys" / "alice.json").read_text())
    bob_path = home / "keys" / "bob.json"
    bob = json.loads(bob_path.read_text())
    bob["keys"].append(alice["keys"][1])
    bob_path.write_text(json.dumps(bob))

    # Execute
    result = zkfed("register", "-m", "bob", "--keys", "3", *pw)

    # Assert
    refused(result, f"is registered by {ALICE}, not by {BOB}.")
    assert int(_keys(home).unusedKeys(BOB)) == 1
    assert len(load_public_keys(bob_path)) == 3


def test_a_task_key_missing_from_the_keyring_is_refused(
    home: Path, zkfed: Zkfed, pw: Sequence[str]
) -> None:
    # Prepare: alice lost the secret of the key task 1 took.
    forget_key(home / "keys" / "alice.json", _masking_key(home, TASK, ALICE))

    # Execute
    joined = zkfed("join", str(TASK), "-m", "alice", *pw)

    # Assert
    refused(
        joined,
        "alice's keystore holds no secret for the key task 1 assigned to it (register keys "
        "before a task is created: 'zkfed register').",
    )


def test_each_task_takes_a_fresh_key_and_forget_keys_deletes_only_ended_tasks_keys(
    home: Path, zkfed: Zkfed, pw: Sequence[str]
) -> None:
    # Prepare: task 2 takes every member's last unused key; its only round ends unused.
    executed = _second_task(zkfed)
    train = succeeded(zkfed("train", str(TASK), "-m", "alice", "--dataset", "wine"))
    status = succeeded(zkfed("status"))
    succeeded(zkfed("advance", "--task", "2"))
    aggregator = ape.project.FederatedAggregator.at(deployment(home)["aggregator"])
    aggregator.abortRound(2, 1, sender=ape.accounts.test_accounts[1])
    keyring = home / "keys" / "alice.json"
    task_keys = [_masking_key(home, task, ALICE) for task in (TASK, 2)]

    # Execute
    forgotten = succeeded(zkfed("forget-keys", "-m", "alice"))
    again = succeeded(zkfed("forget-keys", "-m", "alice"))

    # Assert
    assert "task 2 with 5 members" in executed
    assert task_keys[0] != task_keys[1]
    warning = (
        f"warning: alice ({ALICE}) has no unused key registered, so the next SecAgg task will "
        "leave it out; run 'zkfed register --member alice'."
    )
    assert warning in train and warning in status
    assert status.count(" 0 unused keys ") == 5
    kept, deleted = (f"key {str(pk[0])[:12]}…" for pk in task_keys)
    assert f"task 1 is still active: keeping the secret of its {kept}" in forgotten
    assert f"task 2 has ended: deleted the secret of its {deleted}" in forgotten
    assert "forgot 1 key; alice's keyring holds 1 key" in forgotten
    assert load_public_keys(keyring) == [task_keys[0]]
    assert "forgot 0 keys; alice's keyring holds 1 key" in again
    # Training in task 1 still finds the key task 1 took.
    assert "joined task 1" in succeeded(zkfed("join", str(TASK), "-m", "alice", *pw))
