"""The batch, `autograde()`, on a tiny course and the scripted fake sandbox: what it writes,
what a rerun reuses, and that one broken notebook never stops the class."""

from __future__ import annotations

import csv
import json

import pytest

from autograder.batch.grade_class import autograde
from autograder.errors import CourseKitError
from autograder.results import NotebookStatus
from autograder.sandbox.fake import FakeSandbox, hangs, ok
from tests import tiny_course
from tests.tiny_course import ASSIGNMENT, write_course, write_submission

WRONG_DOUBLE = "def double(x):\n    return 3 * x"
HANGING_HALVE = "def halve(x):\n    while True: pass"


@pytest.fixture
def course(tmp_path):
    return write_course(tmp_path / "course")


@pytest.fixture
def submitted(tmp_path):
    folder = tmp_path / "submitted"
    write_submission(folder, "ada")
    write_submission(folder, "bob", tiny_course.notebook_json({"double": WRONG_DOUBLE}))
    write_submission(folder, "cy", tiny_course.notebook_json({"halve": HANGING_HALVE}))
    return folder


def fake_sandbox() -> FakeSandbox:
    """The class's notebooks as the script: each student's cells say what they define."""
    return FakeSandbox(
        cells={WRONG_DOUBLE: ok(defines={"double": lambda x: 3 * x}),
               HANGING_HALVE: ok(defines={"halve": hangs()})},
        calls={"double": lambda x: 2 * x, "halve": lambda x: x / 2})


def grade(course, submitted, out, fake: FakeSandbox | None = None):
    fake = fake or fake_sandbox()
    pool = fake.pool()
    try:
        return autograde(course, submitted, out, seed=11, progress=False, pool=pool), fake
    finally:
        pool.close()


def rows(out) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv", newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def test_the_class_is_graded_and_every_report_written(course, submitted, tmp_path):
    out = tmp_path / "out"
    batch, fake = grade(course, submitted, out)
    assert (batch.graded, batch.reused, batch.kit_errors) == (3, 0, [])
    assert [(r.student, r.total, r.possible) for r in batch.results] == [
        ("ada", 3, 3), ("bob", 1, 3), ("cy", 2, 3)]
    grades = rows(out)
    assert {s: (g["double"], g["halve"], g["total"]) for s, g in grades.items()} == {
        "ada": ("2", "1", "3"), "bob": ("0", "1", "1"), "cy": ("2", "0", "2")}
    for student in ("ada", "bob", "cy"):
        folder = out / student / ASSIGNMENT
        assert (folder / "feedback.html").is_file()
        saved = json.loads((folder / "results.json").read_text())
        assert saved["seed"] == 11 and saved["fingerprint"]
    assert (out / "summary.html").is_file()
    # One fresh worker per notebook; the hanging call cost cy's worker, not the batch.
    assert len(fake.workers) == 3 and all(w.closed for w in fake.workers)
    cy = json.loads((out / "cy" / ASSIGNMENT / "results.json").read_text())
    [halve] = [t for t in cy["notebooks"][0]["tests"] if t["problem"] == "halve"]
    assert halve["message"].startswith("too slow: halve() used more than 1.67 s of CPU time")
    page = (out / "bob" / ASSIGNMENT / "feedback.html").read_text()
    assert "double(2) should be 4" in page and "@problem" not in page


def test_a_rerun_reuses_what_is_finished_and_regrades_what_changed(course, submitted, tmp_path):
    out = tmp_path / "out"
    first, _ = grade(course, submitted, out)
    again, fake = grade(course, submitted, out)
    assert (again.graded, again.reused) == (0, 3) and fake.workers == []
    assert [r.to_dict() for r in again.results] == [r.to_dict() for r in first.results]
    # bob fixes his notebook, and cy's results.json is damaged: those two, and only those.
    write_submission(submitted, "bob")
    (out / "cy" / ASSIGNMENT / "results.json").write_text('{"student": "cy", "tot')
    again, fake = grade(course, submitted, out)
    assert (again.graded, again.reused) == (2, 1) and len(fake.workers) == 2
    assert rows(out)["bob"]["total"] == "3" and rows(out)["cy"]["total"] == "2"
    # A change to the graders regrades everyone.
    grader = tiny_course.grader_path(course.root)
    grader.write_text(grader.read_text() + "\n")
    again, _ = grade(course, submitted, out)
    assert (again.graded, again.reused) == (3, 0)


def test_half_written_files_of_a_killed_run_are_removed(course, submitted, tmp_path):
    out = tmp_path / "out"
    litter = out / "ada" / ASSIGNMENT / ".results.json.abc.tmp"
    litter.parent.mkdir(parents=True)
    litter.write_text("{")
    grade(course, submitted, out)
    assert not litter.exists()


def test_a_kit_bug_in_one_notebook_does_not_stop_the_batch(course, submitted, tmp_path):
    class Flaky(FakeSandbox):
        def start(self):
            if len(self.workers) == 1:  # bob's worker
                self.workers.append(None)
                raise RuntimeError("the fork failed")
            return super().start()

    fake = Flaky(calls={"double": lambda x: 2 * x, "halve": lambda x: x / 2})
    batch, _ = grade(course, submitted, tmp_path / "out", fake)
    assert batch.graded == 3
    [bob] = [r for r in batch.results if r.student == "bob"]
    assert bob.notebooks[0].status == NotebookStatus.ERROR and bob.total == 0
    assert len(batch.kit_errors) == 1
    assert batch.kit_errors[0].startswith(
        "bob/tiny/01-tiny.ipynb: internal error while grading: RuntimeError: the fork failed")
    assert rows(tmp_path / "out")["cy"]["total"] == "3"


def test_a_missing_folder_of_submissions_is_a_clear_error(course, tmp_path):
    with pytest.raises(CourseKitError, match="no such directory of submissions"):
        grade(course, tmp_path / "nowhere", tmp_path / "out")
