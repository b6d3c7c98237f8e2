"""A written answer graded in nbgrader's own formgrader, in headless Chromium, and back.

The class is graded with `course autograde --gradebook`; a Jupyter server with nbgrader's
formgrader extension then serves the course directory, as the command printed says to
start it: once with the submissions and the gradebook inside the course directory, once
with both outside it, where the formgrader must still list the assignment and show the
answers. In the browser the instructor sees the submissions as autograded (not "needs
autograding"), opens ada's notebook, reads her answer to explain_lecture_bug and enters
a score and a comment; the gradebook holds them, and the next `course autograde` puts
them in grades.csv, the feedback page and the summary, without flagging the cell again.
"""

from __future__ import annotations

import csv
import os
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from autograder.integrations.gradebook import formgrader_command
from autograder.integrations.manual_scores import ManualScore, read_manual_scores
from tests.browser import WebDriver, chromium, free_port, jupyter_server
from tests.conftest import ROOT, copy_course, run_course

pytestmark = pytest.mark.slow

ASSIGNMENT = "gradient-descent"
PROBLEM = "explain_lecture_bug"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C WebDriver element reference key
COMMENT = "Right: the step scales the parameters & ignores the <gradient>."
STAMP = "2026-03-02 09:30:00.000000 UTC"


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator[WebDriver]:
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as web:
        yield web


@dataclass(frozen=True)
class Layout:
    root: Path  # the course directory: nbgrader's course root, with source/ and autograded/
    submitted: Path
    gradebook: Path


@pytest.fixture(scope="module", params=["inside", "outside"])
def course_dir(request, tmp_path_factory) -> Layout:
    """A copy of the course, with submitted/ (nbgrader's timestamp.txt for ada) and the
    gradebook inside it as nbgrader keeps them, or outside it, in a folder of their own
    (a path with a space), graded by `course autograde --gradebook`."""
    base = tmp_path_factory.mktemp(f"formgrader-{request.param}")
    root = copy_course(base / "course")
    data = root if request.param == "inside" else base / "term data"
    layout = Layout(root, data / "submitted", data / "gradebook.db")
    for student in ("ada", "bob"):
        shutil.copytree(ROOT / "examples" / "submitted" / student, layout.submitted / student)
    (layout.submitted / "ada" / ASSIGNMENT / "timestamp.txt").write_text(STAMP + "\n")
    done = _autograde(layout)
    assert "needs autograding" not in done.stdout
    assert (root / "autograded" / "ada" / ASSIGNMENT / "02-seven-steps.ipynb").is_file()
    assert not (data / "autograded").exists() or data == root  # never beside the gradebook
    return layout


def _autograde(layout: Layout) -> subprocess.CompletedProcess[str]:
    done = run_course("--course", str(layout.root), "autograde", str(layout.submitted),
                      "--out", str(layout.root / "out"), "--workers", "2", "--gradebook",
                      str(layout.gradebook))
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def formgrader(course_dir) -> Iterator[Callable[..., str]]:
    """A Jupyter server with nbgrader's formgrader on COURSE_DIR: path -> its URL (with
    the token if login=True: the browser then keeps a login cookie)."""
    port = free_port()
    token = secrets.token_hex(16)
    bin_dir = Path(sys.executable).parent
    root = course_dir.root
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "JUPYTER_RUNTIME_DIR": str(root / ".runtime")}
    # The command `course autograde --gradebook` prints (docs/ecosystem.md), with the
    # options of an unattended run: a free port, a known token, root in a container.
    printed = formgrader_command(str(course_dir.gradebook), root, course_dir.submitted)
    assert printed.startswith(f"cd {root} && jupyter server ")
    options = shlex.split(printed.split(" && jupyter server ", 1)[1])
    command = [str(bin_dir / "jupyter"), "server", *options, "--no-browser", "--allow-root",
               f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1",
               f"--IdentityProvider.token={token}"]

    def url(path: str, login: bool = False) -> str:
        return f"http://127.0.0.1:{port}{path}" + (f"?token={token}" if login else "")

    with jupyter_server(command, root, env, root / "jupyter-server.log",
                        url("/api/status", login=True)):
        yield url


def _find(web: WebDriver, css: str, seconds: float = 30) -> str:
    """The element matching CSS once the page's scripts have made it."""
    deadline = time.monotonic() + seconds
    while True:
        found = web.command("POST", "elements", {"using": "css selector", "value": css})
        if found:
            return found[0][ELEMENT]
        assert time.monotonic() < deadline, f"no {css!r} on the page"
        time.sleep(0.3)


def _text(web: WebDriver) -> str:
    return web.run("return document.body.innerText")


def _wait_for(condition: Callable[[], Any], what: str, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)
    return value


def test_a_written_answer_is_graded_in_the_formgrader_and_comes_back(
        browser, formgrader, course_dir, course):
    from nbgrader.api import Gradebook

    db = f"sqlite:///{course_dir.gradebook}"
    shots = course_dir.root
    web = browser

    # The URL the server prints (its root, with the token) opens the formgrader.
    web.go(formgrader("/", login=True))
    assert "/formgrader" in web.command("GET", "url")
    # Manage Assignments and Manual Grading list the assignment (from the course
    # directory's source/), wherever the gradebook is.
    for page in ("manage_assignments", "gradebook"):
        web.go(formgrader(f"/formgrader/{page}"))
        _wait_for(lambda: ASSIGNMENT in _text(web), f"{page} to list {ASSIGNMENT}")
        web.screenshot(shots / f"formgrader-{page}.png")
    # The class as the formgrader lists it: autograded, with the kit's scores.
    web.go(formgrader(f"/formgrader/manage_submissions/{ASSIGNMENT}"))
    listing = _wait_for(lambda: "ada" in (t := _text(web)) and "bob" in t and t,
                        "the submissions to be listed")
    web.screenshot(shots / "formgrader-submissions.png")
    assert "needs autograding" not in listing
    assert "needs manual grading" in listing  # ada wrote an answer; bob left the stub (0)
    assert "26 / 28" in listing and "0 / 28" in listing

    # ada's notebook, with her answer, its score box and its comment field.
    with Gradebook(db) as gb:
        submission = gb.find_submission_notebook("02-seven-steps", ASSIGNMENT, "ada").id
    web.go(formgrader(f"/formgrader/submissions/{submission}/"))
    score_box = _find(web, f"input.score#{PROBLEM}")
    comment_box = _find(web, f"textarea#{PROBLEM}-comment")
    page = _text(web)
    assert "Student's answer" in page
    assert "The line never uses the gradient" in page  # her answer, rendered
    web.command("POST", f"element/{score_box}/clear", {})
    web.command("POST", f"element/{score_box}/value", {"text": "1.5"})
    web.command("POST", f"element/{comment_box}/click", {})  # leaving the box saves it
    web.command("POST", f"element/{comment_box}/value", {"text": COMMENT})
    web.command("POST", f"element/{score_box}/click", {})
    expected = {("ada", ASSIGNMENT, PROBLEM): ManualScore(1.5, COMMENT)}
    _wait_for(lambda: read_manual_scores(course, db) == expected,
              "the formgrader to save the score and the comment")
    web.screenshot(shots / "formgrader-ada.png")

    # The next run brings the score back, and does not flag the graded cell again.
    _autograde(course_dir)
    out = course_dir.root / "out"
    with (out / "grades.csv").open(encoding="utf-8") as f:
        grades = {row["student"]: row for row in csv.DictReader(f)}
    assert grades["ada"][PROBLEM] == "1.5" and grades["ada"]["total"] == "27.5"
    assert grades["bob"][PROBLEM] == "0"
    feedback = (out / "ada" / ASSIGNMENT / "feedback.html").read_text()
    assert "graded by your instructor" in feedback
    assert "the step scales the parameters &amp; ignores the &lt;gradient&gt;." in feedback
    summary = (out / "summary.html").read_text()
    assert f'id="answers-{ASSIGNMENT}-{PROBLEM}"' in summary and "1.5 / 2" in summary
    with Gradebook(db) as gb:
        grade = gb.find_grade(PROBLEM, "02-seven-steps", ASSIGNMENT, "ada")
        assert grade.manual_score == 1.5 and not grade.needs_manual_grade
        assert gb.find_submission(ASSIGNMENT, "ada").score == 27.5
