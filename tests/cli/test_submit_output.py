"""What `zkfed submit` prints: one line per chunk (no carriage returns off a terminal), chunks
named by the chain's 0-based index, counts as "k of n", and times that add up."""

import re
from collections.abc import Sequence
from typing import Any

import pytest
from cli_helpers import TASK, Zkfed, refused, succeeded

from zkfed.chain import Zkfed as ChainWrapper


def test_submit_shows_one_line_per_chunk_and_honest_times(zkfed: Zkfed, pw: Sequence[str]) -> None:
    # Prepare
    succeeded(zkfed("train", str(TASK), "-m", "alice", "--dataset", "wine"))

    # Execute
    out = succeeded(zkfed("submit", str(TASK), "-m", "alice", *pw))

    # Assert: the output is not a terminal, so there is no carriage return, and every step is
    # one line with its count ("k of n" as [k/n]); the chunks carry the chain's index.
    assert "\r" not in out
    lines = out.splitlines()
    commitments = [line for line in lines if "pair commitment " in line and line.startswith("[")]
    assert [line.split("]")[0] for line in commitments] == ["[1/2", "[2/2"]
    assert "joined task 1: 2 pair commitments posted" in out
    chunks = [line for line in lines if re.match(r"\[\d/2\] chunk \d: proved in", line)]
    assert [line[:14] for line in chunks] == ["[1/2] chunk 0:", "[2/2] chunk 1:"]
    assert "chunk 2" not in out and "1/2:" not in out
    # The two chunks are proved at once; the summary counts that time once.
    summary = re.search(
        r"submitted 2 chunks of round 1 for task 1 in ([\d.]+) s "
        r"\(([\d.]+) s of it waiting for proofs\), ([\d,]+) gas",
        out,
    )
    assert summary is not None, out
    elapsed, waited = float(summary[1]), float(summary[2])
    assert 0 < waited <= elapsed


def test_ctrl_c_mid_submit_is_one_sentence_and_resumes(
    zkfed: Zkfed, pw: Sequence[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prepare: the member presses Ctrl-C once the first chunk is accepted.
    succeeded(zkfed("train", str(TASK), "-m", "alice", "--dataset", "wine"))
    original = ChainWrapper.submit_chunk

    def interrupted_after_first(self: ChainWrapper, *args: Any) -> Any:
        if args[3] > 0:
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(ChainWrapper, "submit_chunk", interrupted_after_first)

    # Execute
    result = zkfed("submit", str(TASK), "-m", "alice", *pw)
    monkeypatch.undo()
    resumed = succeeded(zkfed("submit", str(TASK), "-m", "alice", *pw))

    # Assert
    refused(
        result,
        "Interrupted; 1 of 2 chunks are on-chain and nothing is lost: "
        "'zkfed submit 1 --member alice' sends only the rest.",
    )
    assert "1 of 2 chunks already on-chain; sending the rest" in resumed
    assert "[2/2] chunk 1: proved in" in resumed and "chunk 0:" not in resumed
    assert "submitted 1 chunk of round 1 for task 1" in resumed
