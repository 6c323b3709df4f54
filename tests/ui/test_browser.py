"""The web app in real headless Chromium: a member's whole journey on the embedded defaults.

One page is shared by the module's tests, which run in order as a user would: connect, upload a
file over the page's limit, an empty, a broken and a valid dataset, vote and execute, train a
round and watch it finish (a simulated member drops out, so the round goes through recovery),
read the history, load a dataset of the wrong width, run a second round while a second tab
tries to start one too, then open a fresh browser session while a third round runs. Each test
writes a screenshot of its view to reports/ui/. Panel renders into shadow roots; Playwright's
text and role locators pierce them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from ui.backend import MAX_UPLOAD_BYTES, dataset_csv
from zkfed.datasets import load_dataset, split_non_iid

ROUND_SECONDS = 240_000  # ms: training and proving for four members on a shared 2-core machine
expect.set_options(timeout=60_000)  # the shared 2-core machine may be busy with other jobs
EXTERNAL = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:", "about:")


@pytest.fixture(scope="module")
def page(browser: Browser, app_url: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = context.new_page()
    page.set_default_timeout(60_000)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(app_url)
    yield page
    outside = [url for url in requests if not url.startswith(EXTERNAL)]
    context.close()
    assert not outside, f"the page asked for resources off this machine: {outside[:3]}"


@pytest.fixture(scope="module")
def member_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page member's share of the demo data, as a member would export it."""
    data = load_dataset("wine", seed=0)
    part = split_non_iid(data.y_train, 4, seed=0)[0]
    path = tmp_path_factory.mktemp("data") / "clinic_wine.csv"
    path.write_bytes(dataset_csv(data, part))
    return path


@pytest.fixture(scope="module")
def broken_csv(member_csv: Path) -> Path:
    """The same table with one feature cell emptied."""
    lines = member_csv.read_text().splitlines()
    cells = lines[5].split(",")
    cells[3] = ""
    lines[5] = ",".join(cells)
    path = member_csv.with_name("clinic_wine_broken.csv")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def narrow_csv(member_csv: Path) -> Path:
    """The same table without its last feature column: readable, but not the task's width."""
    lines = [line.split(",") for line in member_csv.read_text().splitlines()]
    path = member_csv.with_name("clinic_wine_12.csv")
    path.write_text("\n".join(",".join(cells[:12] + cells[13:]) for cells in lines) + "\n")
    return path


def _fresh_page(browser: Browser, app_url: str) -> tuple[Any, Page]:
    """A new browser context (its own cookies and session) on the same server, connected."""
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(app_url)
    expect(page.get_by_text("test account 1 (0x").first).to_be_attached(timeout=120_000)
    page.get_by_placeholder("demo: zkfed-demo").fill("zkfed-demo")
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_text("Connected as you (test account 1).")).to_be_visible()
    _tab(page, "Training")
    expect(page.locator("select").filter(has_text="task 1: Logistic regression")).to_be_attached()
    join = page.get_by_role("button", name="Join task")
    expect(join).to_be_enabled()  # a click on a busy page would be lost
    join.click()
    # Joined once the task's round status shows (the page polls the chain's events)
    expect(page.get_by_text(re.compile(r"Task 1, round \d+: \w+")).first).to_be_visible()
    return context, page


def _tab(page: Page, name: str) -> None:
    page.get_by_text(name, exact=True).first.click()


def _shot(page: Page, screenshots: Path, name: str) -> None:
    page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


def test_connect(page: Page, screenshots: Path) -> None:
    # Prepare: the embedded consortium is deployed when the account selector fills
    expect(page.get_by_text("test account 1 (0x").first).to_be_attached(timeout=120_000)

    # Execute
    page.get_by_placeholder("demo: zkfed-demo").fill("wrong password")
    page.get_by_role("button", name="Connect").click()
    expect(
        page.get_by_text("The keystore password is wrong, or the file was modified.", exact=True)
    ).to_be_visible()
    page.get_by_placeholder("demo: zkfed-demo").fill("zkfed-demo")
    page.get_by_role("button", name="Connect").click()

    # Assert
    expect(page.get_by_text("Connected as you (test account 1).")).to_be_visible()


def test_a_file_over_the_limit_is_refused_before_it_is_sent(
    page: Page, member_csv: Path, tmp_path: Path, screenshots: Path
) -> None:
    # Prepare: a file a little over the page's limit (sparse: no disk is spent on it)
    huge = tmp_path / "all_patients.csv"
    with huge.open("wb") as handle:
        handle.truncate(MAX_UPLOAD_BYTES + 2**20)

    # Execute
    page.locator("input[type=file]").set_input_files(str(huge))

    # Assert: one sentence naming the limit, and the page still works (the websocket is open)
    expect(
        page.get_by_text("File 'all_patients.csv' has 51.0 MiB, over this page's limit of 50 MiB")
    ).to_be_visible()
    _shot(page, screenshots, "member-too-large")
    page.locator("input[type=file]").set_input_files(str(member_csv))
    expect(page.get_by_text("'clinic_wine.csv' has 14 columns")).to_be_visible()


def test_an_empty_file_is_refused(page: Page, tmp_path: Path) -> None:
    # Prepare
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")

    # Execute
    page.locator("input[type=file]").set_input_files(str(empty))

    # Assert
    expect(page.get_by_text("File 'empty.csv' is empty.", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Validate and use")).to_be_disabled()


def test_upload_broken_dataset_shows_one_sentence(
    page: Page, broken_csv: Path, screenshots: Path
) -> None:
    # Execute
    page.locator("input[type=file]").set_input_files(str(broken_csv))
    expect(page.get_by_text("has 14 columns")).to_be_visible()
    page.get_by_role("button", name="Validate and use").click()

    # Assert
    expect(page.get_by_text("Column 'x3' has a missing value").first).to_be_visible()
    _shot(page, screenshots, "member-broken-dataset")


def test_upload_wrong_format_then_valid_dataset(
    page: Page, member_csv: Path, tmp_path: Path, screenshots: Path
) -> None:
    # Prepare
    notes = tmp_path / "notes.txt"
    notes.write_text("not a table\n")

    # Execute
    page.locator("input[type=file]").set_input_files(str(notes))
    expect(
        page.get_by_text("File 'notes.txt' is not a .csv or .npz file.", exact=True)
    ).to_be_visible()
    page.locator("input[type=file]").set_input_files(str(member_csv))
    expect(page.get_by_text("has 14 columns")).to_be_visible()
    page.get_by_role("button", name="Validate and use").click()

    # Assert: the page kept working after both errors
    verdict = page.get_by_text("'clinic_wine.csv' is valid:")
    expect(verdict).to_be_visible()
    expect(verdict).to_contain_text("13 features, 3 classes")
    _shot(page, screenshots, "member")


def test_vote_and_execute(page: Page, screenshots: Path) -> None:
    # Prepare
    _tab(page, "Governance")
    expect(page.get_by_text("Proposal 1: Logistic regression on wine")).to_be_visible()
    expect(page.get_by_text("2 for, 0 against, 3 of 4 needed")).to_be_visible()

    # Execute
    page.get_by_role("button", name="Vote for 1").click()
    expect(page.get_by_text("3 for, 0 against, 3 of 4 needed")).to_be_visible()
    page.get_by_role("button", name="Execute 1").click()

    # Assert: proposal 2 can no longer carry, so it offers no vote
    expect(page.get_by_text("executed (task 1)")).to_be_visible()
    expect(page.get_by_text("1 for, 2 against")).to_be_visible()
    expect(page.get_by_text("enough members voted against that it cannot carry")).to_be_visible()
    expect(page.get_by_role("button", name="Vote against 2")).to_have_count(0)
    expect(page.get_by_role("button", name="Vote for 2")).to_have_count(0)
    _shot(page, screenshots, "governance")


def test_propose_a_member_and_vote(page: Page, screenshots: Path) -> None:
    # Prepare
    from ape import accounts

    newcomer = str(accounts.test_accounts[9].address)

    # Execute
    page.get_by_placeholder("0x…").fill("0x12")
    page.get_by_role("button", name="Propose member").click()
    refused = "error: '0x12' is not an address (0x and 40 hex digits)."
    expect(page.get_by_text(refused)).to_be_attached()
    page.get_by_placeholder("0x…").fill(newcomer)
    page.get_by_role("button", name="Propose member").click()
    expect(page.get_by_text(f"Proposal 3: Add member {newcomer}")).to_be_visible()
    page.get_by_role("button", name="Vote for 3").click()

    # Assert
    expect(page.get_by_text("1 for, 0 against, 3 of 4 needed · you voted")).to_be_visible()
    expect(page.get_by_text(f"executing it adds {newcomer}", exact=False)).to_be_visible()
    _shot(page, screenshots, "governance-membership")


def test_round_runs_live_to_a_verified_model(page: Page, screenshots: Path) -> None:
    # Prepare
    _tab(page, "Training")
    expect(page.locator("select").filter(has_text="task 1: Logistic regression")).to_be_attached()
    page.get_by_role("button", name="Join task").click()
    expect(page.get_by_text("your dataset 'clinic_wine' (", exact=False)).to_be_visible()
    expect(page.get_by_text("Simulate a dropout", exact=False)).to_be_visible()
    dropout = page.locator("input[type=checkbox]")  # Bokeh leaves it unnamed; it is the only one
    expect(dropout).to_have_count(1)
    dropout.check()
    expect(dropout).to_be_checked()

    # Execute
    page.get_by_role("button", name="Start training for round 1").click()

    # Assert: progress arrives while the round runs, then the events show the outcome
    expect(page.get_by_text("you: proving chunk 0 (1 of 2)")).to_be_attached()
    expect(page.get_by_text("verify: MATCH", exact=False)).to_be_attached(timeout=ROUND_SECONDS)
    expect(page.get_by_text("Task 1, round 1: finalized", exact=False)).to_be_visible()
    expect(page.get_by_text("Dropouts member 4 (simulated)", exact=False)).to_be_visible()
    expect(page.get_by_text("Task 1, round 2: open", exact=False)).to_be_visible()
    _shot(page, screenshots, "training")


def test_history_plot(page: Page, screenshots: Path) -> None:
    # Execute
    _tab(page, "History")

    # Assert
    expect(page.get_by_text("MATCH", exact=True)).to_be_visible()
    expect(page.locator("canvas").first).to_be_visible()
    rows: Any = page.get_by_role("row")
    expect(rows).to_have_count(2)
    expect(page.get_by_text("gas (every member's transactions)")).to_be_visible()
    _shot(page, screenshots, "history")
    # Nothing runs: the busy spinner stops (it once spun forever, driven by the event poll)
    spinner = page.locator(".pn-busy-container .loader").first
    idle = 0
    for _ in range(150):
        idle = 0 if "spin" in (spinner.get_attribute("class") or "") else idle + 1
        if idle == 15:
            break
        page.wait_for_timeout(100)
    assert idle == 15, "the busy spinner did not stop within 15 s of the round's end"


def test_a_dataset_of_the_wrong_width_keeps_start_disabled(
    page: Page, narrow_csv: Path, member_csv: Path, screenshots: Path
) -> None:
    # Prepare
    _tab(page, "Member")

    # Execute
    page.locator("input[type=file]").set_input_files(str(narrow_csv))
    expect(page.get_by_text("'clinic_wine_12.csv' has 13 columns")).to_be_visible()
    page.get_by_role("button", name="Validate and use").click()

    # Assert: the Member view says why, and so does the Start button's line
    why = "The task's model takes 13 features; the selected columns give 12."
    expect(page.get_by_text("task 1 cannot use it: " + why)).to_be_visible()
    _shot(page, screenshots, "member-wrong-width")
    _tab(page, "Training")
    expect(page.get_by_role("button", name="Start training for round 2")).to_be_disabled()
    expect(page.get_by_text("Your dataset cannot be used for task 1: " + why)).to_be_visible()
    _shot(page, screenshots, "training-wrong-width")
    _tab(page, "Member")
    page.locator("input[type=file]").set_input_files(str(member_csv))
    expect(page.get_by_text("'clinic_wine.csv' has 14 columns")).to_be_visible()
    page.get_by_role("button", name="Validate and use").click()
    expect(page.get_by_text("'clinic_wine.csv' is valid:")).to_contain_text("fits task 1")
    _tab(page, "Training")
    expect(page.get_by_role("button", name="Start training for round 2")).to_be_enabled()


def test_a_second_tab_cannot_start_a_second_round(
    page: Page, browser: Browser, app_url: str, screenshots: Path
) -> None:
    # Prepare
    context, second = _fresh_page(browser, app_url)
    expect(second.get_by_role("button", name="Start training for round 2")).to_be_enabled()

    # Execute: the first tab starts round 2, then the second tab looks at it
    page.get_by_role("button", name="Start training for round 2").click()

    # Assert: the second tab shows the running round and refuses a second one
    expect(
        second.get_by_text("A round is already running for you (started in another tab)")
    ).to_be_visible()
    expect(second.get_by_role("button", name="Start training for round 2")).to_be_disabled()
    expect(second.get_by_text(re.compile(r"(you|simulated\)): \w+")).first).to_be_attached()
    _shot(second, screenshots, "training-second-tab")
    expect(page.get_by_text("Task 1, round 2: finalized", exact=False)).to_be_visible(
        timeout=ROUND_SECONDS
    )
    expect(second.get_by_role("button", name="Start training for round 3")).to_be_enabled()
    expect(second.get_by_text("Task 1, round 2: finalized", exact=False)).to_be_visible()
    context.close()


def test_a_fresh_session_after_several_rounds_shows_them_all(
    page: Page, browser: Browser, app_url: str, screenshots: Path
) -> None:
    # Prepare: two rounds finalized, the third with a submission
    page.get_by_role("button", name="Start training for round 3").click()
    expect(page.get_by_text("you: submitted", exact=False)).to_be_attached(timeout=ROUND_SECONDS)

    # Execute
    context, fresh = _fresh_page(browser, app_url)

    # Assert
    expect(fresh.get_by_text(re.compile(r"Task 1, round 3: \w+"))).to_be_visible()
    expect(fresh.get_by_text("Task 1, round 2: finalized", exact=False)).to_be_visible()
    _tab(fresh, "History")
    rows: Any = fresh.get_by_role("row")
    expect(rows.nth(2)).to_be_attached()  # the header, rounds 1 and 2 (3 if it finished)
    expect(fresh.get_by_text("MATCH", exact=True).nth(1)).to_be_visible()
    expect(fresh.get_by_text("could not refresh", exact=False)).to_have_count(0)
    _shot(fresh, screenshots, "history-fresh-session")
    context.close()
    expect(page.get_by_text("Task 1, round 3: finalized", exact=False)).to_be_visible(
        timeout=ROUND_SECONDS
    )
