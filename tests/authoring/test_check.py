"""`course check`: the student's local check lists written answers that are still to write."""

from __future__ import annotations

import nbformat
import pytest

from autograder.authoring.check import _unanswered_written_answers
from tests.conftest import ROOT, run_course

RELEASE = ROOT / "release" / "gradient-descent" / "02-seven-steps.ipynb"
EXAMPLES = ROOT / "examples" / "submitted"


def _written(notebook: nbformat.NotebookNode, capsys) -> tuple[list[str], str]:
    todo = _unanswered_written_answers(notebook, ["explain_lecture_bug"])
    return todo, capsys.readouterr().out


def test_an_unanswered_written_answer_is_listed(capsys):
    todo, out = _written(nbformat.read(str(RELEASE), as_version=4), capsys)
    assert todo == ["explain_lecture_bug"]
    assert "TODO  explain_lecture_bug: written answer not written yet" in out
    assert "2 point(s), graded by hand" in out


def test_an_answered_or_deleted_written_answer(capsys):
    notebook = nbformat.read(str(RELEASE), as_version=4)
    answer = next(c for c in notebook.cells
                  if c.metadata.get("nbgrader", {}).get("grade_id") == "explain_lecture_bug")
    answer.source = "#### ✎ Your answer to Problem 10\n\nIt shrinks the parameters."
    todo, out = _written(notebook, capsys)
    assert todo == [] and "DONE  explain_lecture_bug: written answer present" in out
    notebook.cells.remove(answer)
    todo, out = _written(notebook, capsys)
    assert todo == ["explain_lecture_bug"] and "is missing (deleted?)" in out


@pytest.mark.slow
def test_check_lists_the_written_answer_of_a_blank_notebook():
    blank = run_course("check", str(RELEASE))
    assert blank.returncode == 1
    assert "TODO  explain_lecture_bug" in blank.stdout
    assert "1 written answer(s) still to write" in blank.stdout
    done = run_course("check", str(EXAMPLES / "ada" / "gradient-descent" / "02-seven-steps.ipynb"))
    assert done.returncode == 0, done.stdout
    assert "DONE  explain_lecture_bug" in done.stdout and "0 failed" in done.stdout
