"""nbgrader's autograded/ notebooks and submission records, as its formgrader reads them."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.errors import CourseKitError
from autograder.integrations.autograded import autograded_notebook, cell_outputs
from autograder.integrations.gradebook import (
    db_url,
    formgrader_command,
    submitted_directory,
    write_gradebook,
)
from autograder.notebook_cells import grade_id
from autograder.results import CellOutcome, CellStatus, NotebookResult, SubmissionResult
from tests.builders import ASSIGNMENT, synthetic_result
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples" / "submitted"
STAMP = "2026-03-02 09:30:00.000000 UTC"


def test_printed_text_and_errors_become_notebook_outputs():
    (stream,) = cell_outputs(CellOutcome("c", CellStatus.OK, "", "loss 3.5\nOut[0]: 2\n"))
    assert (stream.output_type, stream.name, stream.text) == ("stream", "stdout",
                                                              "loss 3.5\nOut[0]: 2\n")
    printed = ("step 1\nTraceback (most recent call last):\n  Cell In[1], line 2\n"
               "    mse(a, b)\nValueError: shapes differ\n\n")
    stream, error = cell_outputs(CellOutcome("c", CellStatus.ERROR,
                                             "ValueError: shapes differ", printed))
    assert stream.text == "step 1\n"
    assert (error.ename, error.evalue) == ("ValueError", "shapes differ")
    assert error.traceback[0] == "Traceback (most recent call last):"
    assert error.traceback[-1] == "ValueError: shapes differ"
    (error,) = cell_outputs(CellOutcome("c", CellStatus.ERROR, "SyntaxError: bad", ""))
    assert error.traceback == ["SyntaxError: bad"]
    (note,) = cell_outputs(CellOutcome("c", CellStatus.TIMEOUT, "ran past 60 s", ""))
    assert note.name == "stderr" and "time limit (ran past 60 s)" in note.text
    (note,) = cell_outputs(CellOutcome("c", CellStatus.SKIPPED, "demo cell", ""))
    assert "a demo cell, skipped when grading" in note.text


def test_the_autograded_notebook_is_the_restored_one_with_its_outputs(course):
    outcomes = [CellOutcome("test_mse", CellStatus.OK, "", "mse ok\n"),
                CellOutcome("test_train", CellStatus.ERROR, "AssertionError: slow", "")]
    result = NotebookResult("02-seven-steps.ipynb", "graded", cells=outcomes)
    notebook = autograded_notebook(course, ASSIGNMENT, EXAMPLES / "ada" / ASSIGNMENT, result)
    nbformat.validate(notebook)
    cells = {grade_id(c): c for c in notebook.cells if grade_id(c)}
    assert cells["test_mse"].outputs[0].text == "mse ok\n"
    assert cells["test_mse"].execution_count == 1 and cells["test_train"].execution_count == 2
    assert cells["test_train"].outputs[0].ename == "AssertionError"
    assert cells["mse"].outputs == [] and cells["mse"].execution_count is None  # no outcome
    assert "never uses the gradient" in cells["explain_lecture_bug"].source
    assert cells["explain_lecture_bug"].metadata.nbgrader.points == 2  # the score box
    missing = NotebookResult("02-seven-steps.ipynb", "not_graded")
    assert autograded_notebook(course, ASSIGNMENT, EXAMPLES / "frank" / "nowhere",
                               missing) is None


@pytest.fixture
def nbgrader_course(tmp_path, gradebook) -> Path:
    """An nbgrader course directory (source/<assignment>/, as nbgrader's formgrader needs)
    with ada (timestamped) and bob (blank) submitted, and an empty gradebook.db."""
    shutil.copytree(ROOT / "source" / ASSIGNMENT, tmp_path / "source" / ASSIGNMENT)
    for student in ("ada", "bob"):
        shutil.copytree(EXAMPLES / student, tmp_path / "submitted" / student)
    (tmp_path / "submitted" / "ada" / ASSIGNMENT / "timestamp.txt").write_text(STAMP + "\n")
    return tmp_path


def _results(course) -> list[SubmissionResult]:
    return [SubmissionResult.from_dict({**synthetic_result(course, {}), "student": "ada"}),
            SubmissionResult.from_dict({**synthetic_result(
                course, {g: 0.0 for g in course.assignment(ASSIGNMENT).problems},
                answers={"explain_lecture_bug": ""}), "student": "bob"})]


def _formgrader_api(root: Path):
    """nbgrader's own API object, which the formgrader's handlers ask."""
    from nbgrader.apps.api import NbGraderAPI
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = db_url(str(root / "gradebook.db"))
    return NbGraderAPI(config=config)


def test_the_formgrader_sees_the_class_autograded_with_each_notebook(course, nbgrader_course):
    root = nbgrader_course
    written, failed = write_gradebook(course, _results(course), str(root / "gradebook.db"),
                                      root / "submitted", root)
    assert failed == []
    assert written == root
    folder = root / "autograded" / "ada" / ASSIGNMENT
    assert sorted(p.name for p in folder.iterdir()) == [
        "01-gradients.ipynb", "02-seven-steps.ipynb", "03-linear-regression.ipynb",
        "timestamp.txt"]
    api = _formgrader_api(root)
    submissions = {s["student"]: s for s in api.get_submissions(ASSIGNMENT)}
    assert all(s["autograded"] for s in submissions.values()), submissions
    assert submissions["ada"]["display_timestamp"] == "2026-03-02 09:30:00 UTC"
    assert submissions["ada"]["needs_manual_grade"]  # her written answer
    assert not submissions["bob"]["needs_manual_grade"]  # no answer: 0, nothing to read
    listed = api.get_notebook_submissions(ASSIGNMENT, "02-seven-steps")
    assert sorted(s["student"] for s in listed) == ["ada", "bob"]

    # bob resubmits a broken notebook: his old autograded copy must not stay on show
    (root / "submitted" / "bob" / ASSIGNMENT / "02-seven-steps.ipynb").write_text("{")
    write_gradebook(course, _results(course), str(root / "gradebook.db"), root / "submitted",
                    root)
    assert not (root / "autograded" / "bob" / ASSIGNMENT / "02-seven-steps.ipynb").exists()
    assert (root / "autograded" / "ada" / ASSIGNMENT / "02-seven-steps.ipynb").is_file()


def test_autograded_notebooks_go_into_the_course_directory_by_default(
        nbgrader_course, course_copy, tmp_path):
    """The gradebook and the submissions elsewhere: autograded/ still goes into an nbgrader
    course directory, the course's own (source/, release/), never beside the gradebook."""
    from autograder.config import load_course

    course = load_course(course_copy)
    db = str(nbgrader_course / "gradebook.db")
    written, _ = write_gradebook(course, _results(course)[:1], db,
                                 nbgrader_course / "submitted")
    assert written == course_copy.resolve()
    assert (course_copy / "autograded" / "ada" / ASSIGNMENT / "01-gradients.ipynb").is_file()
    assert write_gradebook(course, _results(course)[:1], db)[0] is None  # scores only


def test_a_folder_the_formgrader_cannot_serve_is_refused_before_writing(
        course, nbgrader_course, tmp_path):
    elsewhere = tmp_path / "not-a-course"
    db = nbgrader_course / "gradebook.db"
    before = db.read_bytes()
    with pytest.raises(CourseKitError, match=r"not-a-course is not an nbgrader course "
                                             r"directory \(no source/gradient-descent/\): "
                                             "nbgrader's formgrader lists assignments"):
        write_gradebook(course, _results(course)[:1], str(db), nbgrader_course / "submitted",
                        elsewhere)
    assert not elsewhere.exists() and db.read_bytes() == before


def test_the_formgrader_command_finds_submissions_and_gradebook_anywhere(tmp_path):
    root, data = tmp_path / "course", tmp_path / "term data"
    command = formgrader_command(str(data / "gradebook.db"), root, data / "submitted")
    assert command.startswith(f"cd {root} && jupyter server ")
    assert f"--CourseDirectory.db_url='sqlite:///{data}/gradebook.db'" in command
    assert "--CourseDirectory.submitted_directory='../term data/submitted'" in command
    inside = formgrader_command(str(root / "gradebook.db"), root, root / "submitted")
    assert "submitted_directory" not in inside  # nbgrader's default
    with pytest.raises(CourseKitError, match=r"nbgrader reads its path .* as a pattern, and "
                                             r"'\+' would be misread"):
        submitted_directory(root, tmp_path / "c++" / "submitted")


