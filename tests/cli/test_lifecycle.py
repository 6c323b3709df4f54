"""A whole round through the CLI: train, submit x4 (one member drops), reveal, finalize, verify."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ape
import pytest
from cli_helpers import MEMBERS, TASK, Zkfed, deployment, succeeded

from zkfed import protocol


def test_the_deployment_is_recorded_and_the_task_is_open(home: Path, zkfed: Zkfed) -> None:
    # Execute
    overview = succeeded(zkfed("status"))
    task = succeeded(zkfed("status", str(TASK)))

    # Assert
    recorded = deployment(home)
    assert set(recorded["variants"]) == {"masked_update_test"}
    assert recorded["aggregator"] in overview
    assert "1: a model (task) was executed (3 for, 0 against, of 5 members), task 1" in overview
    # Set-up registered two keys per member; task 1 took one of each.
    assert overview.count(" 1 unused key ") == 5
    assert "task 1: secagg, 42 parameters, 2 rounds, 5 members" in task
    assert "round 1: open" in task
    assert "chunk 1: 0 contributors (none), open" in task


def _neighbours(home: Path, member: int) -> list[int]:
    """Task indices of member #`member`'s neighbours on task 1's drawn ring, read from the
    aggregator the CLI deployed."""
    aggregator = ape.project.FederatedAggregator.at(deployment(home)["aggregator"])
    members = [str(a) for a in aggregator.taskMembers(TASK)]
    ring, _ = aggregator.neighbors(TASK, members[member])
    return [members.index(str(a)) for a in ring]


def test_a_round_with_a_dropout_is_recovered_and_verifies(
    home: Path, zkfed: Zkfed, pw: Sequence[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prepare: every member trains on its part of the data; erin will drop out.
    for index, name in enumerate(MEMBERS, start=1):
        out = succeeded(
            zkfed(
                "train", str(TASK), "-m", name, "--dataset", "wine", "--member-part", f"{index}/5"
            )
        )
        assert "update saved to" in out

    # Execute
    submitted = [succeeded(zkfed("submit", str(TASK), "-m", name, *pw)) for name in MEMBERS[:4]]
    open_status = succeeded(zkfed("status", str(TASK)))
    succeeded(zkfed("advance", "--task", str(TASK)))
    reveals = [succeeded(zkfed("reveal", str(TASK), "-m", name, *pw)) for name in MEMBERS[:4]]
    finalized = succeeded(zkfed("finalize", str(TASK), "-m", "bob"))
    verdict = zkfed("verify-round", str(TASK), "1")
    final_status = succeeded(zkfed("status", str(TASK)))
    # A verifier whose recomputation disagrees (here: one weight nudged) reports it and fails.
    honest = protocol.compute_round

    def skewed(*args: Any) -> Any:
        weights, *rest = honest(*args)
        weights[3] += 1e-9
        return (weights, *rest)

    monkeypatch.setattr(protocol, "compute_round", skewed)
    difference = zkfed("verify-round", str(TASK), "1")

    # Assert
    for out in submitted:
        # A member's first submission to a task joins it: one pair commitment per neighbour.
        assert "joined task 1: 2 pair commitments posted" in out
        assert "[1/2] chunk 0: proved in" in out and "[2/2] chunk 1: proved in" in out
        assert "submitted 2 chunks of round 1 for task 1" in out
    assert "chunk 0: 4 contributors (#0, #1, #2, #3), open" in open_status
    # With 2 neighbours each, erin (#4) has two neighbours on the task's drawn ring: each
    # removes the mask it shares with erin from both chunks; the other two have nothing to do.
    erin_neighbours = _neighbours(home, MEMBERS.index("erin"))
    assert len(erin_neighbours) == 2 and MEMBERS.index("erin") not in erin_neighbours
    for index, out in enumerate(reveals):
        if index in erin_neighbours:
            assert "removed 2 masks of dropped neighbours for round 1 of task 1" in out
        else:
            assert "nothing to reveal: no neighbour of" in out
    assert "finalized round 1: 2 chunks aggregated, 0 void" in finalized
    assert verdict.exit_code == 0 and verdict.output.strip() == "MATCH"
    assert "round 1: finalized" in final_status
    new_model = finalized.split("model ")[1].split(" ")[0]
    assert f"new model {new_model}" in final_status
    assert f"round 2: open; trains from {new_model}" in final_status
    assert difference.exit_code == 1
    assert difference.output.startswith("parameter 3 (chunk 0) differs: recomputed")


def test_join_posts_the_pair_commitments_once(zkfed: Zkfed, pw: Sequence[str]) -> None:
    # Execute
    joined = succeeded(zkfed("join", str(TASK), "-m", "alice", *pw))
    again = succeeded(zkfed("join", str(TASK), "-m", "alice", *pw))

    # Assert: alice registered two keys during set-up and task 1 took one, so nothing is
    # registered; joining proves and posts one commitment per neighbour (two on a ring of five
    # with K = 2), and a second join sends nothing.
    assert "alice (0x70997970C51812dc3A010C7d01b50e0d17dc79C8) has 1 unused key on-chain" in joined
    assert "registered" not in joined
    assert "alice is member #0 of task 1's 5" in joined
    assert "[2/2] pair commitment 1" in joined
    assert "joined task 1: 2 pair commitments posted" in joined
    assert "alice already joined task 1: its pair commitments are on-chain" in again
