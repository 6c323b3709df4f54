"""The web app in real headless Chromium: a member's whole journey on the embedded defaults.

One page is shared by the module's tests, which run in order as a user would: connect, upload a
broken and a valid dataset, vote and execute, train a round and watch it finish (a simulated
member drops out, so the round goes through recovery), then read the history. Each test writes
a screenshot of its view to reports/ui/. Panel renders into shadow roots; Playwright's text and
role locators pierce them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from ui.backend import dataset_csv
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


def test_upload_broken_dataset_shows_one_sentence(
    page: Page, broken_csv: Path, screenshots: Path
) -> None:
    # Execute
    page.locator("input[type=file]").set_input_files(str(broken_csv))
    expect(page.get_by_text("has 14 columns")).to_be_visible()
    page.get_by_role("button", name="Validate and use").click()

    # Assert
    expect(
        page.get_by_text("Column 'x3' has a missing value (NaN) in row 5.", exact=True)
    ).to_be_visible()
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
    page.get_by_role("button", name="Vote against 2").click()
    expect(page.get_by_text("1 for, 3 against")).to_be_visible()
    page.get_by_role("button", name="Execute 1").click()

    # Assert
    expect(page.get_by_text("executed (task 1)")).to_be_visible()
    _shot(page, screenshots, "governance")


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
    expect(page.get_by_text("you: proving chunk 1/2")).to_be_attached()
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
    _shot(page, screenshots, "history")
