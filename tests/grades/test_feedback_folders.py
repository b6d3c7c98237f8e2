"""`course feedback OUT --to DIR`: nbgrader's feedback/<student>/<assignment>/ layout, a page
per notebook beside timestamp.txt and submission_secret.txt, which `nbgrader
release_feedback` (run for real here) turns into the pages students fetch."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.errors import CourseKitError
from autograder.grades.feedback import write_feedback
from tests.batch.test_grade_class import grade
from tests.batch.test_late_work_pages import _class, _course
from tests.conftest import run_course
from tests.tiny_course import ASSIGNMENT, NOTEBOOK

SECRET = "ab" * 64  # nbgrader submit writes secrets.token_hex(64)


@pytest.fixture
def graded(tmp_path):
    """The tiny course graded (fake sandbox); ada's and dan's submissions hold what
    `nbgrader submit` writes, timestamp.txt and submission_secret.txt."""
    course, submitted, out = _course(tmp_path / "course"), _class(tmp_path), tmp_path / "out"
    for student in ("ada", "dan"):
        (submitted / student / ASSIGNMENT / "submission_secret.txt").write_text(SECRET)
    grade(course, submitted, out)
    return course, submitted, out


def test_feedback_is_laid_out_as_nbgrader_s(graded, tmp_path):
    course, submitted, out = graded
    to = tmp_path / "nbgrader" / "feedback"
    done = run_course("--course", str(course.root), "feedback", str(out), "--to", str(to))
    assert done.returncode == 0, done.stderr
    assert "wrote 4 page(s) of 4 submission(s)" in done.stdout
    assert "nbgrader release_feedback" in done.stdout
    dan = to / "dan" / ASSIGNMENT
    assert sorted(p.name for p in dan.iterdir()) == [
        "01-tiny.html", "submission_secret.txt", "timestamp.txt"]
    assert (dan / "submission_secret.txt").read_text() == SECRET
    assert (dan / "timestamp.txt").read_text() == \
        (submitted / "dan" / ASSIGNMENT / "timestamp.txt").read_text()
    page = (dan / "01-tiny.html").read_text()
    assert "01-tiny.ipynb" in page and "late penalty" in page  # the assignment's late work
    # erin and frank never ran `nbgrader submit`: no secret, so release_feedback skips them.
    assert sorted(p.name for p in (to / "erin" / ASSIGNMENT).iterdir()) == [
        "01-tiny.html", "timestamp.txt"]
    assert "nbgrader release_feedback tiny --CourseDirectory.student_id_exclude=erin,frank" \
        in done.stdout
    assert "tiny: erin, frank did not submit through `nbgrader submit`" in done.stderr


@pytest.mark.parametrize("where, words", [
    ("out", "is the --out folder"),
    ("submitted", "is inside the submissions"),
    ("submitted/ada/feedback", "is inside the submissions"),
])
def test_feedback_refuses_to_mix_into_out_or_the_submissions(graded, tmp_path, where, words):
    course, _, out = graded
    with pytest.raises(CourseKitError, match=words):
        write_feedback(course, out, tmp_path / where)
    assert not (tmp_path / "submitted" / "ada" / "feedback").exists()
    assert {p.name for p in out.glob("*/*/*.html")} == {"feedback.html"}


def test_a_refusal_is_one_line_and_non_zero(graded, tmp_path):
    course, _, out = graded
    done = run_course("--course", str(course.root), "feedback", str(out), "--to", str(out))
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert "is the --out folder; give nbgrader's feedback/ folder" in line


@pytest.mark.slow
def test_nbgrader_release_feedback_releases_the_pages(graded, tmp_path):
    """nbgrader's own release_feedback finds each page and names it by the submission's
    secret, as fetch_feedback on the student's side looks for it."""
    course, _, out = graded
    nbgrader_dir = tmp_path / "nbgrader"
    done = run_course("--course", str(course.root), "feedback", str(out), "--to",
                      str(nbgrader_dir / "feedback"))
    assert done.returncode == 0, done.stderr
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    nbgrader = Path(sys.executable).parent / "nbgrader"
    command = done.stdout.splitlines()[1].split()  # the command course feedback printed
    assert command[:3] == ["nbgrader", "release_feedback", ASSIGNMENT]
    released = subprocess.run(
        [str(nbgrader), *command[1:], "--course=tiny-course",
         f"--Exchange.root={exchange}", f"--CourseDirectory.root={nbgrader_dir}"],
        cwd=nbgrader_dir, capture_output=True, text=True, timeout=300,
        env={**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config")})
    assert released.returncode == 0, released.stderr
    stem = NOTEBOOK.removesuffix(".ipynb")
    expected = hashlib.md5((SECRET + stem).encode()).hexdigest()  # nbgrader's notebook_hash
    pages = sorted(p.name for p in (exchange / "tiny-course" / "feedback").iterdir())
    assert pages == [f"{expected}.html"]  # ada and dan share the secret: one name
