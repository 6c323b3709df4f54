"""What the governance commands say reads as English: full help texts, proposal states ("has
succeeded", "was defeated", ...), and a one-sentence refusal for a vote that can change nothing."""

import re

import click
import pytest
from cli_helpers import MEMBERS, Zkfed, refused, succeeded
from click.testing import CliRunner

from zkfed.cli import cli

GOVERNANCE_COMMANDS = ("propose", "propose-member", "vote", "execute")
# "Proposal 3 is succeeded", "(executed)", "1 rounds": a state's name, or a plural, for English.
BAD_ENGLISH = re.compile(
    r"\b[Pp]roposal \d+ is (succeeded|executed|defeated|active)\b"
    r"|\((succeeded|executed|defeated|active)\)"
    r"|\b1 (rounds|members|proposals|votes|chunks|keys)\b"
)


def _help(*args: str) -> str:
    result = CliRunner().invoke(cli, [*args, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", GOVERNANCE_COMMANDS)
def test_every_option_has_a_help_text(name: str) -> None:
    # Prepare
    command = cli.commands[name]

    # Execute
    text = _help(name)

    # Assert
    options = [p for p in command.params if isinstance(p, click.Option)]
    assert options
    for option in options:
        assert option.help, f"zkfed {name} {option.opts[0]} has no help text"
        # The whole text is shown (wrapped at 80 columns, never cut).
        assert " ".join(option.help.split()[-3:]) in " ".join(text.split()), option.opts[0]
    assert max(len(line) for line in text.splitlines()) <= 80


def test_the_command_list_shows_governance_commands_whole() -> None:
    # Execute
    text = _help()

    # Assert: each one-line summary fits at 80 columns without an ellipsis.
    listed = {line.split()[0]: line for line in text.splitlines() if line.startswith("  ")}
    for name in GOVERNANCE_COMMANDS:
        assert name in listed, f"zkfed {name} is not a command"
        assert not listed[name].endswith("..."), listed[name]


def test_proposal_states_read_as_english(zkfed: Zkfed) -> None:
    # Prepare: proposal 2 (add test account 6) is voted through; proposal 3 (add test account 7)
    # gets one vote and runs out of time; proposal 1 (the model) was executed by the fixture.
    succeeded(zkfed("propose-member", "6", "-m", "alice"))
    succeeded(zkfed("propose-member", "7", "-m", "alice"))
    first = succeeded(zkfed("vote", "3", "--for", "-m", "alice"))
    early = zkfed("execute", "3", "-m", "alice")
    for name in MEMBERS[:3]:
        succeeded(zkfed("vote", "2", "--for", "-m", name))

    # Execute
    carried = zkfed("vote", "2", "--for", "-m", "dave")
    outsider = zkfed("vote", "3", "--for", "-a", "9")
    succeeded(zkfed("advance", "--seconds", "700"))
    defeated_vote = zkfed("vote", "3", "--against", "-m", "bob")
    defeated_execute = zkfed("execute", "3", "-m", "bob")
    executed_vote = zkfed("vote", "1", "--for", "-m", "dave")
    executed_execute = zkfed("execute", "1", "-m", "bob")

    # Assert
    assert first.splitlines()[-1].startswith(
        "voted for proposal 3: 1 for, 0 against, of 5 members; it is open for votes until "
    )
    assert first.splitlines()[-1].endswith("and carries with 3 votes for")
    refused(
        early,
        "Proposal 3 cannot be executed yet: it has 1 for, 0 against, of 5 members and needs "
        "3 votes for, until ",
    )
    refused(
        carried,
        "Proposal 2 has succeeded already (3 for, 0 against, of 5 members), so it takes no more "
        "votes; any member can execute it.",
    )
    refused(outsider, "is not a member of the consortium, so it cannot vote.")
    refused(
        defeated_vote,
        "Proposal 3 was defeated (1 for, 0 against, of 5 members when its vote ended), so it "
        "takes no more votes.",
    )
    refused(
        defeated_execute,
        "Proposal 3 was defeated (1 for, 0 against, of 5 members when its vote ended), so it "
        "cannot be executed.",
    )
    refused(executed_vote, "Proposal 1 was executed, so it takes no more votes.")
    refused(executed_execute, "Proposal 1 was executed already (3 for, 0 against, of 5 members).")
    for result in (early, carried, defeated_vote, defeated_execute, executed_vote):
        # One sentence: one line, one full stop at its end.
        line = result.output.strip()
        assert "\n" not in line and line.count(". ") == 0, line
        assert not BAD_ENGLISH.search(line), line


def test_a_one_round_proposal_reads_in_the_singular(zkfed: Zkfed) -> None:
    # Prepare
    succeeded(
        zkfed(
            "propose", "-m", "bob", "--dataset", "wine", "--variant", "masked_update_test",
            "--rounds", "1",
        )
    )  # fmt: skip

    # Execute
    shown = succeeded(zkfed("vote", "2", "--for", "-m", "carol"))

    # Assert
    assert "  1 round, 3600 s to submit" in shown
    assert "those of the 5 consortium members with keys" in shown
    assert not BAD_ENGLISH.search(shown), shown
