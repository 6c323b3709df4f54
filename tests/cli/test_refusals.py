"""Every bad input ends in one sentence and a non-zero exit, and nothing a member made is lost."""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import TASK, Zkfed, refused, succeeded

from zkfed.chain import Zkfed as ChainWrapper
from zkfed.exceptions import ChainError

ALICE_UPDATE = "updates/0x70997970c51812dc3a010c7d01b50e0d17dc79c8/task-1-round-1.json"


def _edit_deployment(home: Path, **changes: Any) -> None:
    path = home / "deployment.json"
    document = json.loads(path.read_text())
    document.update(changes)
    path.write_text(json.dumps(document))


@pytest.mark.parametrize(
    "command",
    [
        ("status", "9"),
        ("train", "9", "-m", "alice", "--dataset", "wine"),
        ("submit", "9", "-m", "alice"),
        ("reveal", "9", "-m", "alice"),
        ("finalize", "9", "-m", "alice"),
        ("verify-round", "9", "1"),
    ],
    ids=lambda command: command[0],
)
def test_an_unknown_task_is_refused(zkfed: Zkfed, command: tuple[str, ...]) -> None:
    # Execute
    result = zkfed(*command)

    # Assert
    refused(result, "Task 9 does not exist on this deployment (it has task 1).")


def test_a_wrong_password_is_refused_and_the_update_is_kept(
    home: Path, zkfed: Zkfed, wrong_password_file: Path
) -> None:
    # Prepare
    succeeded(zkfed("train", str(TASK), "-m", "alice", "--dataset", "wine"))
    saved = (home / ALICE_UPDATE).read_text()

    # Execute
    result = zkfed("submit", str(TASK), "-m", "alice", "--password-file", str(wrong_password_file))

    # Assert
    refused(result, "The keystore password is wrong, or the file was modified.")
    assert (home / ALICE_UPDATE).read_text() == saved
    assert "chunk 0: 0 contributors (none)" in succeeded(zkfed("status", str(TASK)))


def test_a_wrong_password_at_registration_is_refused(
    zkfed: Zkfed, wrong_password_file: Path
) -> None:
    # Execute
    result = zkfed("register", "-m", "bob", "--password-file", str(wrong_password_file))

    # Assert
    refused(result, "The keystore password is wrong")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "a,b,label\n" + "1,2,x\n3,oops,y\n" * 6,
            "Column 'b' is not numeric: line 3 of 'data.csv' holds 'oops'.",
        ),
        ("a,b,label\n" + "1,2,x\n3,4\n" * 6, "Line 3 of 'data.csv' has 2 cells"),
        ("a,b,c,label\n" + "1,2,3,x\n3,4,5,y\n" * 6, "has 3 features; task 1's model expects 13."),
        ("a,b,label\n", "has 0 rows; at least 10 are needed."),
    ],
    ids=["non-numeric", "ragged", "wrong-width", "empty"],
)
def test_a_malformed_dataset_is_refused_before_anything_is_saved(
    home: Path, zkfed: Zkfed, tmp_path: Path, content: str, message: str
) -> None:
    # Prepare
    data = tmp_path / "data.csv"
    data.write_text(content)

    # Execute
    result = zkfed("train", str(TASK), "-m", "alice", "--dataset", str(data))

    # Assert
    refused(result, message)
    assert not (home / ALICE_UPDATE).exists()


def test_labels_outside_the_tasks_classes_are_refused(zkfed: Zkfed, tmp_path: Path) -> None:
    # Prepare: 13 features like wine, but labels the task never heard of.
    data = tmp_path / "other.csv"
    header = ",".join(f"f{i}" for i in range(13))
    rows = [",".join(str(i + j) for j in range(13)) + f",{'ab'[i % 2]}" for i in range(20)]
    data.write_text(f"{header},label\n" + "\n".join(rows) + "\n")

    # Execute
    result = zkfed("train", str(TASK), "-m", "alice", "--dataset", str(data))

    # Assert
    refused(result, "has label 'a', which is not one of task 1's classes (class_0, class_1")


def test_an_unknown_network_name_is_refused(zkfed: Zkfed) -> None:
    # Execute
    result = zkfed("--network", "ethereum:nosuchnet", "status")

    # Assert: the group option comes after --home, as a user would type it.
    refused(result, "Unknown network 'ethereum:nosuchnet'", "choose from", "local")


def test_a_deployment_of_another_chain_is_refused(home: Path, zkfed: Zkfed) -> None:
    # Prepare
    _edit_deployment(home, chain_id=11155111)

    # Execute
    result = zkfed("status")

    # Assert
    refused(result, "is on chain 11155111, but ethereum:local:foundry is chain 31337")


def test_a_network_without_the_contracts_is_refused(
    home: Path, zkfed: Zkfed, accounts: Any
) -> None:
    # Prepare: an address with no code, as on a node restarted since the deployment.
    _edit_deployment(home, aggregator=str(accounts[9].address))

    # Execute
    result = zkfed("status", str(TASK))

    # Assert
    refused(result, f"There is no zkfed aggregator at {accounts[9].address}")


def test_no_deployment_is_refused(tmp_path: Path) -> None:
    # Prepare
    from cli_helpers import run_cli

    # Execute
    result = run_cli(tmp_path / "empty", "status")

    # Assert
    refused(result, "There is no deployment in", "run 'zkfed deploy'")


def test_verify_round_refuses_a_round_that_is_not_finalized(zkfed: Zkfed) -> None:
    # Execute
    open_round = zkfed("verify-round", str(TASK), "1")
    future_round = zkfed("verify-round", str(TASK), "2")

    # Assert
    refused(open_round, "Round 1 of task 1 is open, not finalized")
    refused(future_round, "Task 1 has no round 2 yet (the current round is 1).")


def test_reveal_and_finalize_wait_for_the_deadline(zkfed: Zkfed, pw: Sequence[str]) -> None:
    # Execute
    reveal = zkfed("reveal", str(TASK), "-m", "alice", *pw)
    finalize = zkfed("finalize", str(TASK), "-m", "alice")

    # Assert
    refused(reveal, "Round 1 of task 1 takes submissions until", "masks are revealed after that")
    refused(finalize, "Round 1 of task 1 takes submissions until", "finalize after that")


def test_submit_without_a_trained_update_is_refused(zkfed: Zkfed, pw: Sequence[str]) -> None:
    # Execute
    result = zkfed("submit", str(TASK), "-m", "carol", *pw)

    # Assert
    refused(result, "No trained update of", "run 'zkfed train 1' first.")


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (("vote", "7", "--for", "-m", "bob"), "Proposal 7 does not exist on this deployment"),
        (
            ("vote", "1", "--for", "-m", "dave"),
            "Proposal 1 was executed, so it takes no more votes.",
        ),
        (
            ("execute", "1", "-m", "bob"),
            "Proposal 1 was executed already (3 for, 0 against, of 5 members).",
        ),
        (("register", "-m", "zed"), "No member named 'zed'"),
        (("status", "1"), None),
        (("keygen", "--name", "alice", "--account", "1"), "A keystore already exists"),
        (("deploy", "--founders", "1"), "already records aggregator"),
        (("vote", "1", "--for", "-a", "99"), "There are 20 test accounts (0 to 19)"),
    ],
    ids=lambda value: value[0] if isinstance(value, tuple) else "",
)
def test_bad_arguments_are_refused(
    zkfed: Zkfed, pw: Sequence[str], command: tuple[str, ...], message: str | None
) -> None:
    # Execute
    result = zkfed(*command, *(pw if command[0] in ("register", "keygen") else ()))

    # Assert
    if message is None:
        succeeded(result)
    else:
        refused(result, message)


def test_an_interrupted_submission_loses_nothing_and_resumes(
    home: Path, zkfed: Zkfed, pw: Sequence[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prepare: the node goes away after the first chunk is accepted.
    succeeded(zkfed("train", str(TASK), "-m", "alice", "--dataset", "wine"))
    original = ChainWrapper.submit_chunk
    calls = []

    def flaky(self: ChainWrapper, *args: Any) -> Any:
        calls.append(args[3])
        if len(calls) > 1:
            raise ChainError("the node stopped answering.")
        return original(self, *args)

    monkeypatch.setattr(ChainWrapper, "submit_chunk", flaky)

    # Execute
    interrupted = zkfed("submit", str(TASK), "-m", "alice", *pw)
    monkeypatch.undo()
    between = succeeded(zkfed("status", str(TASK)))
    retrain = zkfed("train", str(TASK), "-m", "alice", "--dataset", "wine", "--force")
    resumed = succeeded(zkfed("submit", str(TASK), "-m", "alice", *pw))
    again = succeeded(zkfed("submit", str(TASK), "-m", "alice", *pw))

    # Assert
    refused(
        interrupted,
        "the node stopped answering; 1 of 2 chunks are on-chain and nothing is lost",
        "'zkfed submit 1 --member alice' sends only the rest.",
    )
    assert calls == [0, 1]
    assert (home / ALICE_UPDATE).is_file()
    assert "chunk 0: 1 contributors (#0)" in between
    assert "chunk 1: 0 contributors (none)" in between
    refused(retrain, "alice's update for round 1 has been signed for submission")
    assert "1 of 2 chunks already on-chain; sending the rest" in resumed
    assert "chunk 0:" not in resumed and "[2/2] chunk 1: proved in" in resumed
    assert "all 2 chunks of round 1 are already on-chain" in again
    status = succeeded(zkfed("status", str(TASK)))
    assert "chunk 1: 1 contributors (#0)" in status


@pytest.mark.adversarial
def test_no_second_update_is_signed_under_the_same_masks(
    home: Path, zkfed: Zkfed, pw: Sequence[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prepare: alice's first chunk is signed and sent, but the transaction never lands (the node
    # drops it, or it waits in the mempool): nothing of alice's is on-chain yet.
    succeeded(zkfed("train", str(TASK), "-m", "alice", "--dataset", "wine"))
    saved = (home / ALICE_UPDATE).read_text()

    def stuck(self: ChainWrapper, *args: Any) -> Any:
        raise ChainError("the transaction was not mined in time.")

    monkeypatch.setattr(ChainWrapper, "submit_chunk", stuck)
    interrupted = zkfed("submit", str(TASK), "-m", "alice", *pw)
    monkeypatch.undo()

    # Execute: training again would put a second update under the same (task, round, chunk)
    # masks, and the difference of the two posted words is the difference of the updates.
    retrain = zkfed("train", str(TASK), "-m", "alice", "--dataset", "wine", "--force")

    # Assert
    refused(interrupted, "the transaction was not mined in time")
    assert "chunk 0: 0 contributors (none)" in succeeded(zkfed("status", str(TASK)))
    refused(retrain, "has been signed for submission", "run 'zkfed submit' to send the rest.")
    assert (home / ALICE_UPDATE).read_text() == saved
    resumed = succeeded(zkfed("submit", str(TASK), "-m", "alice", *pw))
    assert "submitted 2 chunks of round 1" in resumed


def test_an_outsider_cannot_register_or_join(zkfed: Zkfed, pw: Sequence[str]) -> None:
    # Prepare: test account 6 is not among the founders.
    succeeded(zkfed("keygen", "--name", "frank", "--account", "6", "--scrypt-n", "1024", *pw))

    # Execute
    register = zkfed("register", "-m", "frank", *pw)
    join = zkfed("join", str(TASK), "-m", "frank", *pw)

    # Assert
    refused(register, "frank (0x976EA74026E726554dB657fA54763abd0C3a0aa9) is not a member of the")
    refused(join, "a membership proposal must pass before it can register a key.")


def test_keygen_needs_the_account_it_signs_with(zkfed: Zkfed, pw: Sequence[str]) -> None:
    # Execute
    result = zkfed("keygen", "--name", "gina", *pw)

    # Assert
    assert result.exit_code == 2
    assert "Bind the key to the account it transacts with" in result.output


def test_finalize_refuses_a_round_nobody_submitted_to(zkfed: Zkfed, pw: Sequence[str]) -> None:
    # Prepare
    succeeded(zkfed("advance", "--task", str(TASK)))

    # Execute
    submit = zkfed("submit", str(TASK), "-m", "alice", *pw)
    finalize = zkfed("finalize", str(TASK), "-m", "alice")

    # Assert
    refused(submit, "Round 1 of task 1 no longer takes submissions")
    refused(finalize, "No chunk of round 1 reached 3 contributors, so there is nothing to finalize")


def test_advance_needs_exactly_one_target(zkfed: Zkfed) -> None:
    # Execute
    result = zkfed("advance")

    # Assert
    assert result.exit_code == 2
    assert "Give exactly one of --seconds and --task." in result.output


@pytest.mark.adversarial
def test_development_keys_are_refused_beyond_a_local_chain_unless_rehearsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prepare: the chain under test counts as a public network.
    from cli_helpers import run_cli

    monkeypatch.setattr("zkfed.commands.setup.LOCAL_CHAIN_IDS", ())
    home = tmp_path / ".zkfed"
    args = ("deploy", "--founders", "1,2,3", "--variant", "masked_update_test")

    # Execute
    refusal = run_cli(home, *args)
    rehearsal = run_cli(home, *args, "--rehearsal")

    # Assert
    refused(refusal, "insecure development keys", "pass --rehearsal")
    out = succeeded(rehearsal)
    assert "REHEARSAL: deploying the insecure development keys" in out
    assert json.loads((home / "deployment.json").read_text())["variants"] == ["masked_update_test"]
