"""One command at a time sends a member's transactions for a task: a second one waits a moment,
then refuses in one sentence; a submission that loses a race says what the chain holds."""

import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ape
import pytest
from cli_helpers import TASK, Zkfed, refused, succeeded
from filelock import FileLock

from zkfed import protocol
from zkfed.chain import Zkfed as ChainWrapper
from zkfed.commands.rounds import LOCK_WAIT_SECONDS
from zkfed.exceptions import ChainError

ALICE = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("command", "after_deadline"),
    [
        (("submit", str(TASK), "-m", "alice"), False),
        (("join", str(TASK), "-m", "alice"), False),
        (("reveal", str(TASK), "-m", "alice"), True),
        (("finalize", str(TASK), "-m", "alice"), True),
    ],
    ids=lambda value: value[0] if isinstance(value, tuple) else "",
)
def test_a_second_command_for_a_member_and_task_waits_then_refuses(
    home: Path,
    zkfed: Zkfed,
    pw: Sequence[str],
    command: tuple[str, ...],
    after_deadline: bool,
) -> None:
    # Prepare: another zkfed command holds alice's lock for task 1.
    if after_deadline:
        succeeded(zkfed("advance", "--task", str(TASK)))
    lock_path = home / "locks" / f"{ALICE}-{TASK}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)

    # Execute
    with FileLock(lock_path, thread_local=False):
        started = time.perf_counter()
        result = zkfed(*command, *(pw if command[0] != "finalize" else ()))
        waited = time.perf_counter() - started

    # Assert
    refused(
        result,
        f"Another zkfed command is sending transactions for alice in task 1 (lock {lock_path}); "
        "wait for it to finish, then run this one again.",
    )
    assert waited >= LOCK_WAIT_SECONDS
    assert "pair commitment" not in result.output and "chunk 0" not in result.output


def test_a_submission_that_lost_a_race_counts_what_the_chain_holds(
    zkfed: Zkfed, pw: Sequence[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prepare: alice's chunk 0 reaches the chain; then a submission reads her pending chunks
    # before that (as a second client would have), so it sends chunk 0 again and the chain
    # refuses it.
    succeeded(zkfed("train", str(TASK), "-m", "alice", "--dataset", "wine"))
    original_submit = ChainWrapper.submit_chunk

    def first_only(self: ChainWrapper, *args: Any) -> Any:
        if args[3] > 0:
            raise ChainError("the node stopped answering.")
        return original_submit(self, *args)

    monkeypatch.setattr(ChainWrapper, "submit_chunk", first_only)
    refused(zkfed("submit", str(TASK), "-m", "alice", *pw), "1 of 2 chunks are on-chain")
    monkeypatch.undo()
    original_pending = protocol.pending_chunks
    reads: list[int] = []

    def read_before_the_other(*args: Any) -> list[int]:
        reads.append(1)
        return [0, 1] if len(reads) == 1 else original_pending(*args)

    monkeypatch.setattr(protocol, "pending_chunks", read_before_the_other)

    # Execute
    result = zkfed("submit", str(TASK), "-m", "alice", *pw)

    # Assert: one sentence, the chain's count (1, not the 0 this run sent), no call trace.
    refused(
        result,
        "The chain refused the transaction",
        "; 1 of 2 chunks are on-chain and nothing is lost: 'zkfed submit 1 --member alice' "
        "sends only the rest.",
    )
    assert len(result.output.strip().splitlines()) <= 3, result.output
    assert "Traceback" not in result.output and 'File "' not in result.output


def test_two_submits_at_once_send_each_chunk_once(
    home: Path, zkfed: Zkfed, pw: Sequence[str]
) -> None:
    # Prepare: two `zkfed submit` processes for alice, started together against the test's node.
    succeeded(zkfed("train", str(TASK), "-m", "alice", "--dataset", "wine"))
    command = [
        shutil.which("zkfed") or str(Path(sys.executable).with_name("zkfed")),
        "--home",
        str(home),
        "--network",
        str(ape.chain.provider.uri),
        "submit",
        str(TASK),
        "-m",
        "alice",
        *pw,
    ]

    # Execute
    processes = [
        subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    outputs = [(p.communicate(timeout=600)[0], p.returncode) for p in processes]

    # Assert: one sends both chunks; the other either gave up waiting for the lock or found
    # them on-chain, in one sentence either way.
    sent = [out for out, code in outputs if code == 0 and "submitted 2 chunks of round 1" in out]
    assert len(sent) == 1, outputs
    other, code = next((out, code) for out, code in outputs if out is not sent[0])
    assert "Traceback" not in other and 'File "' not in other, other
    if code == 0:
        assert "all 2 chunks of round 1 are already on-chain" in other, other
    else:
        assert (
            other.strip()
            .splitlines()[-1]
            .startswith("Error: Another zkfed command is sending transactions for alice in task 1")
        ), other
    status = succeeded(zkfed("status", str(TASK)))
    assert "chunk 0: 1 contributors (#0)" in status and "chunk 1: 1 contributors (#0)" in status
