"""One submission through every step, on a tiny course and the fake sandbox."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from autograder.pipeline import submission
from autograder.pipeline.grade import GraderError
from autograder.pipeline.submission import grade_notebook, grade_submission
from autograder.results import CellStatus, NotebookStatus
from autograder.sandbox.fake import FakeSandbox, crashes
from autograder.sandbox.pool import WorkerPool
from tests import tiny_course
from tests.tiny_course import ASSIGNMENT, SOLUTIONS, write_course, write_submission

RIGHT = {"double": lambda x: 2 * x, "halve": lambda x: x / 2}


@pytest.fixture
def course(tmp_path):
    return write_course(tmp_path / "course")


def notebook_spec(course):
    return course.assignment(ASSIGNMENT).notebooks[0]


def points(result) -> dict[str, float | None]:
    return {p.problem: p.points for p in result.problems}


def test_a_right_submission_earns_every_point(course, tmp_path):
    path = write_submission(tmp_path / "submitted", "ada")
    fake = FakeSandbox(calls=RIGHT)
    result = grade_notebook(course, ASSIGNMENT, notebook_spec(course), path, fake.pool(), 1)
    assert result.status == NotebookStatus.GRADED and result.reason == ""
    assert points(result) == {"double": 2, "halve": 1}
    assert [(c.label, c.status) for c in result.cells] == [
        ("setup", CellStatus.OK), ("double", CellStatus.OK), ("halve", CellStatus.OK)]
    assert len(result.tests) == 3 and all(t.passed for t in result.tests)
    assert fake.workers[0].ran == [tiny_course.SETUP, *SOLUTIONS.values()]
    assert fake.workers[0].closed  # the notebook's worker goes when it is graded
    assert result.seconds > 0 and result.restarts == 0


def test_a_cell_that_kills_the_worker_costs_only_its_problem(course, tmp_path):
    bad = "def halve(x):\n    import os; os._exit(1)"
    path = write_submission(tmp_path / "submitted", "bob",
                            tiny_course.notebook_json({"halve": bad}))
    fake = FakeSandbox(cells={bad: crashes("the worker exited (exit code 1)")}, calls=RIGHT)
    result = grade_notebook(course, ASSIGNMENT, notebook_spec(course), path, fake.pool(), 1)
    assert result.status == NotebookStatus.GRADED
    assert points(result) == {"double": 2, "halve": 0}
    assert [c.status for c in result.cells] == [CellStatus.OK, CellStatus.OK, CellStatus.CRASHED]
    assert result.restarts == 1
    [halve] = [t for t in result.tests if t.problem == "halve"]
    assert "does not define a function named 'halve'" in halve.message


def test_restored_cells_run_as_the_source_wrote_them(course, tmp_path):
    tampered = tiny_course.notebook_json().replace("import math", "import math; cheat()")
    path = write_submission(tmp_path / "submitted", "eve", tampered)
    fake = FakeSandbox(calls=RIGHT)
    result = grade_notebook(course, ASSIGNMENT, notebook_spec(course), path, fake.pool(), 1)
    assert [(c.kind, c.cell) for c in result.changes] == [("restored", "setup")]
    assert fake.workers[0].ran[0] == "import math"


def test_a_missing_notebook_is_not_graded_with_zero_points(course, tmp_path):
    fake = FakeSandbox()
    result = grade_notebook(course, ASSIGNMENT, notebook_spec(course),
                            tmp_path / "ada" / "01-tiny.ipynb", fake.pool(), 1)
    assert result.status == NotebookStatus.NOT_GRADED
    assert "01-tiny.ipynb was not submitted" in result.reason
    assert points(result) == {"double": 0, "halve": 0}
    assert fake.workers == []


def test_a_kit_bug_becomes_an_error_result_not_a_crash(course, tmp_path):
    path = write_submission(tmp_path / "submitted", "ada")

    def start():
        raise OSError(24, "Too many open files")

    result = grade_notebook(course, ASSIGNMENT, notebook_spec(course), path,
                            WorkerPool(start, keep_spare=False), 1)
    assert result.status == NotebookStatus.ERROR
    assert result.reason.startswith("internal error while grading: OSError: [Errno 24] "
                                    "Too many open files\nTraceback")
    assert points(result) == {"double": 0, "halve": 0}


def test_a_kit_bug_after_execution_still_closes_the_worker(course, tmp_path, monkeypatch):
    path = write_submission(tmp_path / "submitted", "ada")

    def broken_score(*args):
        raise ZeroDivisionError("a bug in scoring")

    monkeypatch.setattr(submission, "score", broken_score)
    fake = FakeSandbox(calls=RIGHT)
    result = grade_notebook(course, ASSIGNMENT, notebook_spec(course), path, fake.pool(), 1)
    assert result.status == NotebookStatus.ERROR and "ZeroDivisionError" in result.reason
    assert fake.workers[0].closed


@pytest.fixture
def fresh_graders():
    """pytest keeps grader modules by name (a grading process imports them once): a test
    that changes the grader file imports it afresh, and leaves it for no other test."""
    name = tiny_course.grader_path(Path()).stem
    saved = sys.modules.pop(name, None)
    yield
    sys.modules.pop(name, None)
    if saved is not None:
        sys.modules[name] = saved


def test_broken_graders_stop_the_batch(course, tmp_path, fresh_graders):
    tiny_course.grader_path(course.root).write_text("def test_unmarked(student):\n    pass\n")
    path = write_submission(tmp_path / "submitted", "ada")
    with pytest.raises(GraderError, match="needs exactly one @problem"):
        grade_notebook(course, ASSIGNMENT, notebook_spec(course), path, FakeSandbox().pool(), 1)


def test_a_submission_has_a_result_per_notebook(course, tmp_path):
    write_submission(tmp_path / "submitted", "ada")
    fake = FakeSandbox(calls=RIGHT)
    directory = tmp_path / "submitted" / "ada" / ASSIGNMENT
    result = grade_submission(course, "ada", ASSIGNMENT, directory, fake.pool(), 5, fake.name)
    assert (result.student, result.seed, result.sandbox) == ("ada", 5, "fake")
    assert (result.total, result.possible) == (3, 3)
    assert result.kit_errors == []
