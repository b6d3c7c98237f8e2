"""The students' check (release/<assignment>/check.py): what it reports, on a bare notebook."""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys

import nbformat
import pytest
from build_examples import completed

from autograder.authoring.student_check import report
from tests.conftest import ROOT
from tests.fixtures.build_fixtures import strip_marks

NB = "02-seven-steps.ipynb"


def _error(ename: str, evalue: str) -> dict:
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])


def _executed(errors: dict[str, tuple[str, str]], nb=None) -> nbformat.NotebookNode:
    """A completed 02 as if run, with ERRORS (grade_id -> (ename, evalue)) in its outputs."""
    nb = copy.deepcopy(nb or completed(NB))
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in errors and cell.cell_type == "code":
            cell.outputs = [_error(*errors[gid])]
    return nb


def test_a_clean_run_passes():
    r = report(_executed({}))
    assert r.failed == 0 and r.passed == 9
    assert r.lines[-1].startswith("9 passed, 0 failed")


def test_a_syntax_error_in_an_answer_shows_as_itself_not_as_name_errors():
    missing = ("NameError", "name 'quadratic' is not defined")
    r = report(_executed({"quadratic": ("SyntaxError", "invalid syntax (3591.py, line 3)"),
                          "test_quadratic": missing, "test_loss_and_grad": missing}))
    assert "ERROR quadratic: your answer cell fails when it runs: SyntaxError: invalid " \
        "syntax (3591.py, line 3)" in r.lines
    fail = next(line for line in r.lines if line.startswith("FAIL  test_quadratic"))
    assert "because your answer cell quadratic failed, above" in fail
    assert r.failed == 3


def test_unanswered_problems_and_written_questions_are_listed():
    release = nbformat.read(str(ROOT / "release" / "gradient-descent" / NB), as_version=4)
    r = report(_executed({"test_mse": ("NotImplementedError", "")}, release))
    unanswered = next(line for line in r.lines if line.startswith("not answered yet"))
    assert "mse" in unanswered and "to_original_units" in unanswered
    assert "explain_lecture_bug (written answer)" in unanswered
    assert r.failed >= 1


def test_a_deleted_answer_shows_as_missing():
    nb = completed(NB)
    nb.cells = [c for c in nb.cells
                if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != "mse"]
    r = report(_executed({"test_mse": ("NameError", "name 'mse' is not defined")}, nb))
    fail = next(line for line in r.lines if line.startswith("FAIL  test_mse"))
    assert "no cell that ran defines `mse`: was it deleted?" in fail


def test_lost_grading_marks_are_warned_about():
    r = report(_executed({}, strip_marks(completed(NB))))
    assert r.lines[0].startswith("WARNING  this notebook has lost its grading marks")


@pytest.mark.slow
def test_check_py_runs_on_a_bare_notebook_outside_any_course(tmp_path):
    """What a student does: the notebook and check.py in a folder, no course.yml."""
    shutil.copy(ROOT / "release" / "gradient-descent" / "check.py", tmp_path / "check.py")
    nb = completed("01-gradients.ipynb", {"sum_of_squares": "def sum_of_squares(x)\n    return 0"})
    nbformat.write(nb, str(tmp_path / "01-gradients.ipynb"))
    done = subprocess.run([sys.executable, "check.py", "01-gradients.ipynb"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "PASS  test_grad_of_square" in lines
    assert any(line.startswith("ERROR sum_of_squares") and "SyntaxError" in line for line in lines)
    assert any(line.startswith("FAIL  test_sum_of_squares") and "because your answer cell "
               "sum_of_squares failed" in line for line in lines)
    nbformat.write(completed("01-gradients.ipynb"), str(tmp_path / "01-gradients.ipynb"))
    good = subprocess.run([sys.executable, "check.py", "01-gradients.ipynb"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert good.returncode == 0 and "3 passed, 0 failed" in good.stdout, good.stdout
