"""The students' check (release/<assignment>/check.py): what it reports, on a bare notebook.

Fast tests give report() notebooks as if run (errors written into their outputs) and
prepare() notebooks as a student left them; the slow ones run the shipped check.py,
with the kit out of reach, on real notebooks in a real kernel."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys

import nbformat
import pytest
from build_examples import completed

from autograder.authoring.bundle import original_cells
from autograder.authoring.student_check import (
    EDITED,
    nbgrader_checksum,
    prepare,
    report,
)
from autograder.cell_names import cell_names
from tests.conftest import ROOT
from tests.fixtures.build_fixtures import strip_marks

NB = "02-seven-steps.ipynb"
RELEASE = ROOT / "release" / "gradient-descent"
SIGN_ERROR = '''def apply_step(params, t, y, lr):
    loss = mse(quadratic(t, params), y)
    loss.backward()
    params.data += lr * params.grad
    params.grad = None
    return loss.item()
'''


def _originals(notebook: str = NB) -> list[dict]:
    return original_cells(json.loads((RELEASE / notebook).read_text(encoding="utf-8")))


def _cell(nb, gid: str):
    return next(c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {})
                .get("grade_id") == gid)


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


def test_a_clean_run_passes_and_names_cells_as_jupyterlab_shows_them():
    r = report(_executed({}))
    assert r.failed == 0 and r.passed == 9
    assert "PASS  cell 27 (Problem 5: apply_step)" in r.lines  # JupyterLab's cell 27
    assert r.lines[-1].startswith("9 passed, 0 failed")


def test_cell_numbers_count_every_cell_and_name_the_heading_above():
    names = cell_names(completed(NB).cells)
    assert names[0] == "cell 1"  # no heading above the title
    assert names[26] == "cell 27 (Problem 5: apply_step)"
    assert names[40] == "cell 41 (Problem 8: the lecture's first update)"  # no "(2 points)"


def test_a_syntax_error_in_an_answer_shows_as_itself_not_as_name_errors():
    missing = ("NameError", "name 'quadratic' is not defined")
    r = report(_executed({"quadratic": ("SyntaxError", "invalid syntax (3591.py, line 3)"),
                          "test_quadratic": missing, "test_loss_and_grad": missing}))
    assert "ERROR cell 13 (Problem 2: quadratic): your answer cell fails when it runs: " \
        "SyntaxError: invalid syntax (3591.py, line 3)" in r.lines
    fail = next(line for line in r.lines if line.startswith("FAIL  cell 14 (Problem 2"))
    assert "because your answer to cell 13 (Problem 2: quadratic) fails when it runs" in fail
    assert r.failed == 3


def test_unanswered_problems_and_written_questions_are_listed():
    release = nbformat.read(str(RELEASE / NB), as_version=4)
    r = report(_executed({"test_mse": ("NotImplementedError", "")}, release))
    unanswered = next(line for line in r.lines if line.startswith("not answered yet"))
    assert "Problem 3: mse" in unanswered and "Problem 10: to_original_units" in unanswered
    assert "(Problem 8: the lecture's first update) (written answer)" in unanswered
    fail = next(line for line in r.lines if line.startswith("FAIL  cell 19 (Problem 3"))
    assert "likely cause" not in fail  # its own problem is not written: no knock-on hint
    assert r.failed >= 1


def test_a_deleted_answer_shows_as_missing():
    nb = completed(NB)
    nb.cells.remove(_cell(nb, "mse"))
    r = report(_executed({"test_mse": ("NameError", "name 'mse' is not defined")}, nb))
    fail = next(line for line in r.lines if "(Problem 3: mse)" in line)
    assert fail.startswith("FAIL") and "no cell that ran defines `mse`: was it deleted?" in fail


def test_a_knock_on_failure_names_the_earlier_problem_as_the_likely_cause():
    nb = completed(NB, {"apply_step": SIGN_ERROR})
    r = report(_executed({
        "test_apply_step": ("AssertionError", "expected params - lr * grad = [...]"),
        "test_train": ("AssertionError", "losses[1] should be about 27884.7, got 352190.06"),
    }, nb))
    fail = next(i for i, line in enumerate(r.lines) if line.startswith("FAIL  cell 31"))
    assert "losses[1] should be about 27884.7" in r.lines[fail]
    assert ("likely cause: cell 26 (Problem 5: apply_step), above, fails its test, and "
            "`apply_step` is called here: fix that first") in r.lines[fail]
    own = next(line for line in r.lines if line.startswith("FAIL  cell 27"))
    assert "likely cause" not in own  # apply_step's own failure is no knock-on


@pytest.mark.slow  # importing nbgrader takes seconds
def test_nbgrader_checksum_is_nbgraders():
    from nbgrader.utils import compute_checksum

    nb = nbformat.read(str(RELEASE / NB), as_version=4)
    marked = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")]
    assert marked
    for cell in marked:
        assert nbgrader_checksum(cell) == compute_checksum(cell)
        if "checksum" in cell.metadata.nbgrader:
            assert nbgrader_checksum(cell) == cell.metadata.nbgrader.checksum
    _cell(nb, "test_apply_step").source = "pass"
    assert nbgrader_checksum(_cell(nb, "test_apply_step")) == \
        compute_checksum(_cell(nb, "test_apply_step"))


def test_an_edited_test_cell_is_reported_and_its_original_runs():
    nb = completed(NB)
    original = _cell(nb, "test_apply_step").source
    _cell(nb, "test_apply_step").source = "# I removed the asserts\n"
    p = prepare(nb, _originals())
    assert [n for n in p.notes if n.startswith("EDITED")] == [
        f"EDITED cell 27 (Problem 5: apply_step): {EDITED}, and so does this check (to undo "
        "your edit, copy the cell back from a fresh copy of the notebook)"]
    assert _cell(p, "test_apply_step").source == original
    assert p.names[p.cells.index(_cell(p, "test_apply_step"))] == \
        "cell 27 (Problem 5: apply_step)"


def test_an_edited_data_cell_is_reported_and_its_original_runs():
    nb = completed(NB)
    _cell(nb, "data").source = _cell(nb, "data").source.replace("set_seed(42)", "set_seed(7)")
    p = prepare(nb, _originals())
    assert p.notes == [f"EDITED cell 5 (A toy problem: a noisy parabola): {EDITED}, and so "
                       "does this check (to undo your edit, copy the cell back from a fresh "
                       "copy of the notebook)"]
    assert "set_seed(42)" in _cell(p, "data").source


def test_an_edit_is_found_by_the_checksum_without_the_original():
    nb = completed(NB)
    _cell(nb, "test_mse").source += "\nassert True"
    notes = prepare(nb, None).notes
    assert notes == [f"EDITED cell 19 (Problem 3: mse): {EDITED}, which this check does not "
                     "have; copy the cell back from a fresh copy of the notebook"]


def test_a_deleted_test_cell_is_put_back():
    nb = completed(NB)
    nb.cells.remove(_cell(nb, "test_mse"))
    p = prepare(nb, _originals())
    assert any(n.startswith("DELETED a read-only cell under Problem 3: mse") for n in p.notes)
    at = p.cells.index(_cell(p, "test_mse"))
    assert p.cells[at - 1].metadata.nbgrader["grade_id"] == "mse"


def test_a_notebook_without_marks_is_checked_by_content():
    nb = strip_marks(completed(NB, {"mse": "def mse(preds, targets):\n    return 0\n"}))
    p = prepare(nb, _originals())
    assert p.notes[-1].startswith("NOTE  this notebook has lost its grading marks")
    assert "init_params, quadratic, mse" in p.notes[-1]
    tests = [n for c, n in zip(p.cells, p.names, strict=True)
             if c.metadata.get("nbgrader", {}).get("grade")]
    assert "cell 19 (Problem 3: mse)" in tests and len(tests) == 10  # 9 tests, 1 written
    r = report(_executed({"test_mse": ("AssertionError", "expected 4/3")},
                         nbformat.v4.new_notebook(cells=p.cells)), p.names)
    assert "FAIL  cell 19 (Problem 3: mse): AssertionError: expected 4/3" in r.lines


def test_a_notebook_that_matches_nothing_cannot_be_checked():
    r = report(_executed({}, strip_marks(completed(NB))), None)
    assert r.lines[0].startswith("CANNOT CHECK  this notebook has lost its grading marks")
    assert r.failed == 1
    unrelated = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    assert prepare(unrelated, _originals()).cells == unrelated.cells  # nothing put back


def _shipped_check(tmp_path, notebook: str, nb) -> subprocess.CompletedProcess:
    """The shipped check.py, run as a student runs it, where the kit cannot be imported."""
    shutil.copy(RELEASE / "check.py", tmp_path / "check.py")
    nbformat.write(nb, str(tmp_path / notebook))
    hide_kit = ("import sys; sys.modules['autograder'] = None; sys.argv = ['check.py', "
                f"{notebook!r}]; import runpy; runpy.run_path('check.py', run_name='__main__')")
    return subprocess.run([sys.executable, "-c", hide_kit], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
def test_check_py_runs_on_a_bare_notebook_outside_any_course(tmp_path):
    """What a student does: the notebook and check.py in a folder, no course.yml."""
    nb = completed("01-gradients.ipynb", {"sum_of_squares": "def sum_of_squares(x)\n    return 0"})
    done = _shipped_check(tmp_path, "01-gradients.ipynb", nb)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "PASS  cell 16 (Problem 1: grad_of_square)" in lines
    assert any(line.startswith("ERROR cell 20 (Problem 2: sum_of_squares)") and "SyntaxError"
               in line for line in lines)
    assert any(line.startswith("FAIL  cell 21 (Problem 2: sum_of_squares)") and "because "
               "your answer to cell 20" in line for line in lines)
    good = _shipped_check(tmp_path, "01-gradients.ipynb", completed("01-gradients.ipynb"))
    assert good.returncode == 0 and "3 passed, 0 failed" in good.stdout, good.stdout
    assert not [line for line in (good.stdout + good.stderr).splitlines()
                if "warn" in line.lower()], good.stdout + good.stderr


@pytest.mark.slow
def test_check_py_runs_the_original_of_an_edited_test_cell_and_points_back(tmp_path):
    """The issue's cases: deleting the asserts of test_apply_step gave PASS; a sign error in
    apply_step made test_train fail with no hint of the cause."""
    nb = completed(NB, {"apply_step": SIGN_ERROR})
    _cell(nb, "test_apply_step").source = "# the asserts were here\n"
    done = _shipped_check(tmp_path, "renamed copy.ipynb", nb)  # found by its content
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert f"EDITED cell 27 (Problem 5: apply_step): {EDITED}" in out
    assert "FAIL  cell 27 (Problem 5: apply_step): AssertionError" in out
    assert "likely cause: cell 26 (Problem 5: apply_step), above, fails its test" in out
    assert "warn" not in (out + done.stderr).lower(), out + done.stderr


@pytest.mark.slow
def test_check_py_exits_non_zero_on_a_notebook_it_cannot_match(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    done = _shipped_check(tmp_path, "mine.ipynb", nb)
    assert done.returncode == 1 and "CANNOT CHECK" in done.stdout, done.stdout + done.stderr
