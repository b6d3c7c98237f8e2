"""The batch's jobs: discovery, fingerprints and what a resumed run may reuse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.batch.jobs import discover, fingerprint, finished, results_path
from autograder.config import load_course
from autograder.results import NotebookResult, NotebookStatus, SubmissionResult
from tests import tiny_course
from tests.tiny_course import ASSIGNMENT, NOTEBOOK, write_course, write_submission


@pytest.fixture
def course(tmp_path):
    return write_course(tmp_path / "course")


@pytest.fixture
def submitted(tmp_path):
    folder = tmp_path / "submitted"
    for student in ("bob", "ada"):
        write_submission(folder, student)
    return folder


def test_discover_finds_each_students_assignments_in_order(course, submitted):
    (submitted / ".ipynb_checkpoints" / ASSIGNMENT).mkdir(parents=True)
    (submitted / "cy" / "another-assignment").mkdir(parents=True)
    (submitted / "stray-file.txt").write_text("")
    jobs = discover(course, submitted)
    assert [(j.student, j.assignment) for j in jobs] == [("ada", ASSIGNMENT), ("bob", ASSIGNMENT)]
    assert jobs[0].directory == submitted / "ada" / ASSIGNMENT
    assert jobs[0].fingerprint == jobs[1].fingerprint  # same inputs, same fingerprint


def test_the_fingerprint_covers_notebooks_graders_and_course_yml(course, submitted):
    directory = submitted / "ada" / ASSIGNMENT
    seen = {fingerprint(course, ASSIGNMENT, directory)}
    assert fingerprint(course, ASSIGNMENT, directory) in seen  # stable

    def changed() -> bool:
        new = fingerprint(load_course(course.root), ASSIGNMENT, directory)
        fresh = new not in seen
        seen.add(new)
        return fresh

    (directory / NOTEBOOK).write_text(tiny_course.notebook_json({"halve": "def halve(x): ..."}))
    assert changed()
    grader = tiny_course.grader_path(course.root)
    grader.write_text(grader.read_text() + "\n# a new check\n")
    assert changed()
    (grader.parent / "helpers.py").write_text("TOLERANCE = 1e-6\n")  # graders' helpers too
    assert changed()
    more_points = tiny_course.COURSE_YML.replace("points: 2", "points: 3")
    (course.root / "course.yml").write_text(more_points)
    assert changed()
    (directory / NOTEBOOK).unlink()  # a notebook withdrawn
    assert changed()
    assert not changed()


def test_the_fingerprint_ignores_other_assignments_graders_and_caches(course, submitted):
    directory = submitted / "ada" / ASSIGNMENT
    before = fingerprint(course, ASSIGNMENT, directory)
    graders = course.path("graders")
    (graders / "other" / "test_other.py").parent.mkdir()
    (graders / "other" / "test_other.py").write_text("")
    (graders / ASSIGNMENT / "__pycache__").mkdir()
    (graders / ASSIGNMENT / "__pycache__" / "x.pyc").write_bytes(b"\0")
    (directory / "notes.txt").write_text("not a notebook of the course")
    assert fingerprint(course, ASSIGNMENT, directory) == before


def _write_result(out: Path, job, **changes) -> Path:
    result = SubmissionResult(job.student, job.assignment, 3,
                              [NotebookResult(NOTEBOOK, NotebookStatus.GRADED)],
                              "fake", job.fingerprint)
    data = {**result.to_dict(), **changes}
    path = results_path(out, job.student, job.assignment)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def test_a_result_of_the_same_inputs_is_finished(course, submitted, tmp_path):
    job = discover(course, submitted)[0]
    _write_result(tmp_path / "out", job)
    done = finished(tmp_path / "out", job)
    assert done is not None and (done.student, done.seed, done.sandbox) == ("ada", 3, "fake")


@pytest.mark.parametrize("damage", [
    "missing", "not JSON", "truncated", "a list", "no fingerprint", "another fingerprint",
    "an older kit's result", "an unknown status",
])
def test_anything_else_is_graded_again(course, submitted, tmp_path, damage):
    out = tmp_path / "out"
    job = discover(course, submitted)[0]
    path = _write_result(out, job)
    text = path.read_text()
    if damage == "missing":
        path.unlink()
    elif damage == "not JSON":
        path.write_bytes(b"\x89PNG\r\n")
    elif damage == "truncated":
        path.write_text(text[: len(text) // 2])
    elif damage == "a list":
        path.write_text("[]")
    elif damage == "no fingerprint":
        _write_result(out, job, fingerprint="")
    elif damage == "another fingerprint":
        _write_result(out, job, fingerprint="0" * 64)
    elif damage == "an older kit's result":  # before notebooks were typed: no "notebooks"
        data = json.loads(text)
        del data["notebooks"]
        path.write_text(json.dumps(data))
    elif damage == "an unknown status":
        data = json.loads(text)
        data["notebooks"][0]["status"] = "perfect"
        path.write_text(json.dumps(data))
    assert finished(out, job) is None


def test_a_result_for_other_inputs_is_not_reused_when_the_notebook_changes(course, submitted,
                                                                           tmp_path):
    job = discover(course, submitted)[0]
    _write_result(tmp_path / "out", job)
    write_submission(submitted, "ada", tiny_course.notebook_json(extra=["print(1)"]))
    [again, _] = discover(course, submitted)
    assert finished(tmp_path / "out", again) is None
