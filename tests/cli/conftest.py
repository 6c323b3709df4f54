"""A consortium set up through the `zkfed` CLI itself, on the chain the test run provides.

Under ``ape test`` (or plain pytest, which loads ape's plugin) a provider is already connected;
the CLI sees it and uses it instead of opening a connection of its own. The consortium: five
founding members (test accounts 1-5) with two registered keys each, one proposal (logistic
regression on scikit-learn's wine data, 42 parameters = 2 chunks of the small
`masked_update_test` variant) voted through and executed as task 1, which took one key of
each. Each test gets its own copy of the CLI's home directory, and ape reverts the chain after
each test, so tests do not see each other's rounds.
"""

import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from cli_helpers import MEMBERS, PASSWORD, Zkfed, run_cli, succeeded
from click.testing import Result

from zkfed.circuits import TEST_VARIANT, load_circuit


@pytest.fixture(scope="session")
def circuits_built() -> None:
    for name in (TEST_VARIANT, "mask_reveal_test", "key_possession", "pair_commit"):
        if not load_circuit(name).ready():
            pytest.skip(f"circuit {name} is not built; run tools/dev.sh setup")


@pytest.fixture(scope="session")
def password_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secrets") / "password"
    path.write_text(PASSWORD + "\n")
    return path


@pytest.fixture
def wrong_password_file(tmp_path: Path) -> Path:
    path = tmp_path / "wrong-password"
    path.write_text("not the password\n")
    return path


def _setup(home: Path, password_file: Path) -> None:
    pw = ["--password-file", str(password_file)]
    succeeded(
        run_cli(
            home,
            "deploy",
            "--founders",
            "1,2,3,4,5",
            "--variant",
            TEST_VARIANT,
            "--voting-period",
            "600",
        )
    )
    for index, name in enumerate(MEMBERS, start=1):
        keygen = ["keygen", "--name", name, "--account", str(index), "--scrypt-n", "1024"]
        if name == "erin":  # one member types the password at the prompt, twice
            succeeded(run_cli(home, *keygen, input=f"{PASSWORD}\n{PASSWORD}\n"))
        else:
            succeeded(run_cli(home, *keygen, *pw))
        out = succeeded(run_cli(home, "register", "--member", name, *pw))
        assert out.count(f"registered {name}'s key ") == 2, out
    out = succeeded(
        run_cli(
            home,
            "propose",
            "--member",
            "alice",
            "--dataset",
            "wine",
            "--variant",
            TEST_VARIANT,
            "--rounds",
            "2",
        )
    )
    assert out.startswith("proposal 1: logreg on wine (42 parameters, 2 chunks")
    votes = [
        succeeded(run_cli(home, "vote", "1", "--for", "--member", name)) for name in MEMBERS[:3]
    ]
    # What is voted on is shown before the vote is cast.
    assert "proposal 1: a secagg task" in votes[0]
    assert "model logreg: 13 features, 3 classes" in votes[0]
    assert "circuit masked_update_test (registry id 0): W = 2 words of L = 15 lanes" in votes[0]
    assert "2 rounds" in votes[0] and "bound sum(q^2) <=" in votes[0]
    assert "WARNING: this deployment's keys are the insecure development keys" in votes[0]
    out = succeeded(run_cli(home, "execute", "1", "--member", "alice"))
    assert "task 1 with 5 members" in out


@pytest.fixture(scope="session")
def consortium_home(
    circuits_built: None, tmp_path_factory: pytest.TempPathFactory, password_file: Path
) -> Path:
    """The CLI home after deploy, keygen + register (two keys) x5, propose, 3 votes and
    execute (task 1 takes one key of each)."""
    home = tmp_path_factory.mktemp("consortium") / ".zkfed"
    _setup(home, password_file)
    return home


@pytest.fixture
def home(consortium_home: Path, tmp_path: Path) -> Path:
    """This test's own copy of the consortium's home (the store stays shared: it is
    content-addressed)."""
    copy = tmp_path / ".zkfed"
    shutil.copytree(consortium_home, copy)
    return copy


@pytest.fixture
def zkfed(home: Path) -> Zkfed:
    """Run `zkfed` on this test's home."""

    def invoke(*args: str, input: str | None = None) -> Result:
        return run_cli(home, *args, input=input)

    return invoke


@pytest.fixture
def pw(password_file: Path) -> Sequence[str]:
    return ["--password-file", str(password_file)]
