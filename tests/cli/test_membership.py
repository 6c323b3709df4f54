"""A sixth member joins through the CLI: proposed, voted in, executed, then it creates and
registers its keys and votes; a member is voted out the same way."""

from collections.abc import Sequence

import ape
import pytest
from cli_helpers import MEMBERS, Zkfed, refused, succeeded


def _address(index: int) -> str:
    return str(ape.accounts.test_accounts[index].address)


def test_a_sixth_account_is_voted_in_registers_keys_and_votes(
    zkfed: Zkfed, pw: Sequence[str]
) -> None:
    # Prepare: test account 6 (frank) is not a member; alice proposes it (proposal 2), and
    # test account 7 (proposal 3, made before frank joins).
    frank, grace, heidi = _address(6), _address(7), _address(8)

    # Execute
    proposed = succeeded(zkfed("propose-member", "6", "-m", "alice"))
    succeeded(zkfed("propose-member", grace, "-m", "alice"))
    votes = [succeeded(zkfed("vote", "2", "--for", "-m", name)) for name in MEMBERS[:3]]
    executed = succeeded(zkfed("execute", "2", "-m", "dave"))
    keygen = succeeded(
        zkfed("keygen", "--name", "frank", "--account", "6", "--scrypt-n", "1024", *pw)
    )
    registered = succeeded(zkfed("register", "-m", "frank", *pw))
    too_late = zkfed("vote", "3", "--for", "-m", "frank")
    own = succeeded(zkfed("propose-member", "8", "-m", "frank"))
    frank_votes = succeeded(zkfed("vote", "4", "--for", "-m", "frank"))
    status = succeeded(zkfed("status"))

    # Assert
    assert proposed.splitlines()[0] == f"proposal 2: add {frank} as a member"
    assert "3 of the 5 members must vote for it ('zkfed vote 2 --for')" in proposed
    # What is voted on is shown before the vote: the account, who proposed it, the majority.
    assert votes[0].splitlines()[0] == f"proposal 2 asks to add {frank} as a member"
    assert f"proposed by {_address(1)} (alice); 3 of the 5 members" in votes[0]
    assert "voted for proposal 2: 1 for, 0 against, of 5 members; it is open for votes" in votes[0]
    assert votes[2].splitlines()[-1] == (
        "voted for proposal 2: 3 for, 0 against, of 5 members; it has succeeded: execute it "
        "with 'zkfed execute 2'"
    )
    assert executed.startswith(f"executed proposal 2: {frank} is now a member (6 members)")
    assert keygen and registered.count("registered frank's key ") == 2, registered
    assert "consortium  6 members" in status and frank in status
    refused(
        too_late,
        f"{frank} joined the consortium after proposal 3 was made, so it cannot vote on it",
    )
    assert own.splitlines()[0] == f"proposal 4: add {heidi} as a member"
    assert "4 of the 6 members must vote for it" in own
    assert "voted for proposal 4: 1 for, 0 against, of 6 members" in frank_votes


def test_a_member_is_voted_out(zkfed: Zkfed) -> None:
    # Prepare
    erin = _address(5)

    # Execute
    proposed = succeeded(zkfed("propose-member", erin, "--remove", "-m", "alice"))
    votes = [succeeded(zkfed("vote", "2", "--for", "-m", name)) for name in MEMBERS[:3]]
    executed = succeeded(zkfed("execute", "2", "-m", "bob"))
    erin_votes = zkfed("vote", "2", "--against", "-m", "erin")
    erin_proposes = zkfed("propose-member", "6", "-m", "erin")

    # Assert
    assert proposed.splitlines()[0] == f"proposal 2: remove {erin} from the members"
    assert votes[0].splitlines()[0] == f"proposal 2 asks to remove {erin} (erin) from the members"
    assert executed.strip() == (
        f"executed proposal 2: {erin} is no longer a member (4 members left)"
    )
    refused(erin_votes, "Proposal 2 was executed, so it takes no more votes.")
    refused(erin_proposes, f"{erin} is not a member of the consortium, so it cannot make")


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (("propose-member", "2", "-m", "alice"), "is a member already."),
        (
            ("propose-member", "6", "--remove", "-m", "alice"),
            "is not a member, so it cannot be removed.",
        ),
        (
            ("propose-member", "6", "-a", "7"),
            "is not a member of the consortium, so it cannot make proposals.",
        ),
        (("propose-member", "0x" + "00" * 20, "-m", "alice"), "The zero address cannot be"),
        (("propose-member", "nobody", "-m", "alice"), "There is no ape account named 'nobody'"),
    ],
    ids=["member-already", "remove-non-member", "non-member-proposes", "zero", "unknown"],
)
def test_impossible_membership_changes_are_refused(
    zkfed: Zkfed, command: tuple[str, ...], message: str
) -> None:
    # Execute
    result = zkfed(*command)

    # Assert
    refused(result, message)
