"""A saved update is bound to the chain, the aggregator, the task, the round and the global
model it was trained on: `zkfed submit` refuses, before posting anything, one trained for
another (a chain restarted and redeployed at the same addresses, a round finalized otherwise)."""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ape
import pytest
from cli_helpers import MEMBERS, TASK, Zkfed, refused, succeeded

from zkfed.chain import Zkfed as ChainWrapper
from zkfed.exceptions import ChainError

ALICE = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
OTHER_MODEL = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"


def _round_one(zkfed: Zkfed, pw: Sequence[str], members: Sequence[str]) -> str:
    """`members` submit their saved round-1 updates and remove the masks they share with the
    others, then round 1 is finalized; returns the new model's CID."""
    for name in members:
        succeeded(zkfed("submit", str(TASK), "-m", name, *pw))
    succeeded(zkfed("advance", "--task", str(TASK)))
    for name in members:
        succeeded(zkfed("reveal", str(TASK), "-m", name, *pw))
    finalized = succeeded(zkfed("finalize", str(TASK), "-m", members[0]))
    assert "finalized round 1: 2 chunks aggregated" in finalized
    return finalized.split("model ")[1].split(" ")[0]


def test_an_update_trained_on_another_global_model_is_refused(
    home: Path, zkfed: Zkfed, pw: Sequence[str]
) -> None:
    # Prepare: round 1 is finalized without erin, and alice trains for round 2. Then the chain
    # goes back to before round 1 (as a restarted node with the contracts deployed again at the
    # same addresses would be) and round 1 is finalized without alice instead: round 2 now
    # trains from another model, and alice's update is stale.
    before = ape.chain.snapshot()
    for part, name in enumerate(MEMBERS, start=1):
        succeeded(
            zkfed("train", str(TASK), "-m", name, "--dataset", "wine", "--member-part", f"{part}/5")
        )
    first = _round_one(zkfed, pw, MEMBERS[:4])
    succeeded(zkfed("train", str(TASK), "-m", "alice", "--dataset", "wine"))
    ape.chain.restore(before)
    second = _round_one(zkfed, pw, MEMBERS[1:])

    # Execute
    result = zkfed("submit", str(TASK), "-m", "alice", *pw)

    # Assert
    assert first != second
    refused(
        result,
        f"The update saved for task 1 round 2 was trained on another global model ({first}; "
        f"the round's is {second}); train again: zkfed train 1 --member alice --dataset wine "
        "--force.",
    )
    status = succeeded(zkfed("status", str(TASK)))
    assert "round 2: open" in status
    assert "chunk 0: 0 contributors (none)" in status.split("round 2:")[1]
    # Training again, as told, gives an update that goes through.
    succeeded(zkfed("train", str(TASK), "-m", "alice", "--dataset", "wine", "--force"))
    assert "submitted 2 chunks of round 2" in succeeded(
        zkfed("submit", str(TASK), "-m", "alice", *pw)
    )


def test_a_stale_update_already_signed_is_not_replaced(
    home: Path, zkfed: Zkfed, pw: Sequence[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Prepare: alice's update has been signed for chunk 0 (the transaction never landed);
    # then the round's global model turns out to be another one than the update's.
    succeeded(zkfed("train", str(TASK), "-m", "alice", "--dataset", "wine"))

    def stuck(self: ChainWrapper, *args: Any) -> Any:
        raise ChainError("the transaction was not mined in time.")

    monkeypatch.setattr(ChainWrapper, "submit_chunk", stuck)
    refused(zkfed("submit", str(TASK), "-m", "alice", *pw), "0 of 2 chunks are on-chain")
    monkeypatch.undo()
    path = home / "updates" / ALICE / "task-1-round-1.json"
    document = json.loads(path.read_text())
    document["global_model"] = OTHER_MODEL
    path.write_text(json.dumps(document))

    # Execute
    result = zkfed("submit", str(TASK), "-m", "alice", *pw)
    retrain = zkfed("train", str(TASK), "-m", "alice", "--dataset", "wine", "--force")

    # Assert: neither command offers the other as the way out.
    refused(
        result,
        f"The update saved for task 1 round 1 was trained on another global model ({OTHER_MODEL}; "
        "the round's is ",
        "and chunk 0 of it was signed under this round's masks, so training again would reveal "
        "the difference of two updates: alice sits round 1 out and trains for the next one.",
    )
    refused(retrain, "has been signed for submission")
    assert "chunk 0: 0 contributors (none)" in succeeded(zkfed("status", str(TASK)))


def test_an_update_saved_before_the_binding_is_refused(
    home: Path, zkfed: Zkfed, pw: Sequence[str]
) -> None:
    # Prepare: an update as zkfed wrote them before it recorded the global model's hash.
    succeeded(zkfed("train", str(TASK), "-m", "alice", "--dataset", "wine"))
    path = home / "updates" / ALICE / "task-1-round-1.json"
    document = json.loads(path.read_text())
    del document["model_hash"]
    document["version"] = 1
    path.write_text(json.dumps(document))

    # Execute
    result = zkfed("submit", str(TASK), "-m", "alice", *pw)

    # Assert
    refused(
        result,
        f"The update saved for task 1 round 1 ({path}) predates the binding of updates to their "
        "global model, so it cannot be checked against the round; train again: zkfed train 1 "
        "--member alice --dataset wine --force.",
    )
    assert "chunk 0: 0 contributors (none)" in succeeded(zkfed("status", str(TASK)))
