"""summary.html and feedback.html as a person sees them: rendered by headless Chromium
(see tests/browser.py; skipped without Chromium, except in CI)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import WebDriver, chromium
from tests.conftest import ROOT, run_course

pytestmark = pytest.mark.slow

ASSIGNMENT = "gradient-descent"
PAGE_FACTS = """
return {
  text: document.body.innerText,
  images: Array.from(document.images).map(img => {
    const box = img.getBoundingClientRect();
    return {id: img.id, cls: img.className, alt: img.alt, complete: img.complete,
            width: img.naturalWidth, height: img.naturalHeight,
            shown: box.width > 50 && box.height > 50 &&
                   getComputedStyle(img).visibility !== "hidden"};
  }),
};
"""


class Pages:
    """Open local HTML files and read what they show."""

    def __init__(self, web: WebDriver):
        self.web = web

    def open(self, page: Path) -> dict[str, Any]:
        self.web.go(page.resolve().as_uri())
        return self.web.run(PAGE_FACTS)

    def screenshot(self, path: Path) -> None:
        self.web.screenshot(path)


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[Pages]:
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as web:
        yield Pages(web)


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("graded-for-browser")
    for student in ("ada", "bob", "erin"):  # complete, blank, mistaken
        shutil.copytree(ROOT / "examples" / "submitted" / student, tmp / "submitted" / student)
    done = run_course("autograde", str(tmp / "submitted"), "--out", str(tmp / "out"),
                      "--workers", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    return tmp / "out"


def _assert_images_loaded(facts: dict[str, Any]) -> None:
    assert facts["images"], "the page shows no image"
    for img in facts["images"]:
        assert img["complete"] and img["width"] > 0 and img["height"] > 0, img
        assert img["shown"], f"image {img['alt']!r} is not visible"


def test_summary_page_shows_scores_and_histogram(browser, graded):
    facts = browser.open(graded / "summary.html")
    browser.screenshot(graded / "summary.png")
    _assert_images_loaded(facts)
    ids = {img["id"] for img in facts["images"]}
    assert {f"histogram-{ASSIGNMENT}", f"pass-rates-{ASSIGNMENT}"} <= ids
    text = facts["text"]
    assert "grading summary" in text
    assert ("3 submission(s); mean 15.7, median 21 of 28 points (2 manual score(s) pending, "
            "not included).") in text
    assert "NotImplementedError" in text  # bob's failing cells are listed with his name
    assert "bob" in text and "Slowest notebooks" in text


def test_feedback_page_shows_total_and_fit_plots(browser, graded):
    facts = browser.open(graded / "ada" / ASSIGNMENT / "feedback.html")
    browser.screenshot(graded / "ada-feedback.png")
    _assert_images_loaded(facts)
    assert "Autograded score: 26 / 26" in facts["text"]
    plots = [img["alt"] for img in facts["images"]]
    assert any(alt.startswith("train:") for alt in plots), plots
    assert any(alt.startswith("fit_linear_regression:") for alt in plots), plots


# A screen a student reads on: a laptop's browser window, 800 px of page in view.
SCREEN = 800
PAGE_SIZE = """
return {height: document.documentElement.scrollHeight,
        width: document.documentElement.clientWidth,
        captions: Array.from(document.querySelectorAll("figcaption")).map(f => f.innerText),
        rows: Array.from(document.querySelectorAll("tr")).map(r => r.innerText)};
"""


def test_a_blank_submissions_feedback_fits_in_two_screens(browser, graded):
    """One line per unattempted problem, not the NotImplementedError traceback per check."""
    browser.open(graded / "bob" / ASSIGNMENT / "feedback.html")
    page = browser.web.run(PAGE_SIZE)
    text = browser.web.run("return document.body.innerText")
    assert page["height"] <= 2 * SCREEN, f"the blank page is {page['height']} px tall"
    assert text.count("not attempted yet:") == 16  # every autograded problem, once
    assert "Traceback" not in text and "What to fix" not in text
    assert "stopped at the NotImplementedError of a problem not attempted yet" in text


def test_a_mistaken_submissions_captions_state_each_problems_verdict(browser, graded):
    facts = browser.open(graded / "erin" / ASSIGNMENT / "feedback.html")
    browser.screenshot(graded / "erin-feedback.png")
    _assert_images_loaded(facts)
    page = browser.web.run(PAGE_SIZE)
    assert page["height"] <= 5 * SCREEN, f"the page is {page['height']} px tall"
    captions = {c.split(":")[0]: c for c in page["captions"]}
    assert set(captions) == {"train", "fit_linear_regression"}
    for caption in captions.values():
        assert "passed" not in caption, caption  # a check passing says nothing of the problem
    # erin's fit_linear_regression earns 0 (her closed-form answer is not gradient descent)
    assert "This problem earned 0 of 3 points" in captions["fit_linear_regression"]
    row = next(r for r in page["rows"] if r.startswith("fit_linear_regression"))
    assert "0 / 3" in row
    assert "cell cell" not in facts["text"]
