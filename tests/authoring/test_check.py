"""The student's check lists a written answer that is still to write."""

from __future__ import annotations

import nbformat
import pytest

from autograder.authoring.student_check import report
from tests.conftest import ROOT, run_course

RELEASE = ROOT / "release" / "gradient-descent" / "02-seven-steps.ipynb"
EXAMPLES = ROOT / "examples" / "submitted"
TODO = "cell 41 (Problem 8: the lecture's first update) (written answer)"


def _answer(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return next(c for c in notebook.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "explain_lecture_bug")


def test_an_unanswered_written_answer_is_listed():
    lines = report(nbformat.read(str(RELEASE), as_version=4)).lines
    assert any(line.startswith("not answered yet:") and TODO in line for line in lines)


def test_an_answered_or_deleted_written_answer():
    notebook = nbformat.read(str(RELEASE), as_version=4)
    _answer(notebook).source = "#### ✎ Your answer to Problem 8\n\nIt shrinks the parameters."
    assert not any(TODO in line for line in report(notebook).lines)
    notebook.cells.remove(_answer(notebook))  # deleted: nothing to answer in, nothing listed
    assert not any(TODO in line for line in report(notebook).lines)


@pytest.mark.slow
def test_check_lists_the_written_answer_of_a_blank_notebook():
    blank = run_course("check", str(RELEASE))
    assert blank.returncode == 1
    assert TODO in blank.stdout
    done = run_course("check", str(EXAMPLES / "ada" / "gradient-descent" / "02-seven-steps.ipynb"))
    assert done.returncode == 0, done.stdout
    assert TODO not in done.stdout and "0 failed" in done.stdout
