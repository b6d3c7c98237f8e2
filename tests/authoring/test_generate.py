"""`course generate` and `course validate`: release and solutions in sync, nothing leaked."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.notebook_cells import grade_id, is_solution, is_test
from tests.conftest import ROOT, run_course

RELEASE = ROOT / "release" / "gradient-descent"
SOLUTIONS = ROOT / "solutions" / "gradient-descent"
LOCK_MARKER = "# 🔒 READ-ONLY"  # the first line of every locked code cell
ANSWER_HEADING = "#### ✎ Your answer"  # the first line of every written-answer cell


def _cells(path: Path) -> dict:
    return {grade_id(c): c for c in nbformat.read(str(path), as_version=4).cells if grade_id(c)}


def test_release_has_a_stub_and_a_visible_test_per_problem_and_no_solution(course):
    for spec in course.assignment("gradient-descent").notebooks:
        text = (RELEASE / spec.file).read_text()
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
        cells = _cells(RELEASE / spec.file)
        for problem, p in spec.problems.items():
            assert is_solution(cells[problem])
            stub = cells[problem].source
            assert ("raise NotImplementedError" in stub) if not p.manual else \
                (stub.startswith(ANSWER_HEADING) and "\nYOUR ANSWER HERE\n" in stub)
            if not p.manual:
                assert is_test(cells[f"test_{problem}"])
        assert all(not c.get("outputs") for c in cells.values() if c.cell_type == "code")


@pytest.mark.parametrize("folder", ["source", "release"])
def test_locked_cells_say_so_in_their_first_line(course, folder):
    """JupyterLab shows nothing special for a locked cell: its first line tells the student."""
    for spec in course.assignment("gradient-descent").notebooks:
        nb = nbformat.read(str(ROOT / folder / "gradient-descent" / spec.file), as_version=4)
        assert LOCK_MARKER in nb.cells[0].source, f"{spec.file}: the opening cell explains it"
        for cell in nb.cells:
            if cell.cell_type == "code":
                locked = cell.metadata.get("nbgrader", {}).get("locked") is True
                assert cell.source.startswith(LOCK_MARKER) == locked, \
                    f"{folder}/{spec.file}: {grade_id(cell) or cell.source[:60]!r}"
        for problem, p in spec.problems.items():
            if p.manual:
                answer = _cells(ROOT / folder / "gradient-descent" / spec.file)[problem]
                assert answer.source.startswith(ANSWER_HEADING), f"{spec.file}: {problem}"


def test_solutions_are_executed_with_a_plot_per_notebook(course):
    for spec in course.assignment("gradient-descent").notebooks:
        nb = nbformat.read(str(SOLUTIONS / spec.file), as_version=4)
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"]
        assert any("image/png" in o.get("data", {}) for o in outputs), spec.file


@pytest.mark.slow
def test_validate_quick_passes_on_the_repository():
    result = run_course("validate", "--quick")
    assert result.returncode == 0, result.stderr
    assert "course validate: OK" in result.stdout


@pytest.mark.slow
def test_a_release_that_leaks_solution_text_is_caught(course_copy):
    path = course_copy / "release" / "gradient-descent" / "02-seven-steps.ipynb"
    nb = json.loads(path.read_text())
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id")
                == "mse")
    cell["source"] = ["def mse(preds, targets):\n", "    return ((preds - targets) ** 2).mean()\n"]
    path.write_text(json.dumps(nb, indent=1))
    result = run_course("validate", "--quick", cwd=course_copy)
    assert result.returncode == 1
    assert "02-seven-steps.ipynb: cell 'mse' leaks solution text" in result.stderr
    assert "is stale" in result.stderr


@pytest.mark.slow
def test_a_stale_release_is_caught(course_copy):
    path = course_copy / "source" / "gradient-descent" / "01-gradients.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"][0]["source"].append("\nA sentence added after the release was generated.")
    path.write_text(json.dumps(nb, indent=1))
    result = run_course("validate", "--quick", cwd=course_copy)
    assert result.returncode == 1
    assert "release/gradient-descent/01-gradients.ipynb is stale" in result.stderr
    assert "run `course generate`" in result.stderr


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*"))}


@pytest.mark.slow
def test_generate_reproduces_the_committed_release_and_solutions(course_copy):
    result = run_course("generate", cwd=course_copy)
    assert result.returncode == 0, result.stderr[-3000:]
    assert _digest(course_copy / "release" / "gradient-descent") == _digest(RELEASE)
    fresh = course_copy / "solutions" / "gradient-descent"
    for name in _digest(SOLUTIONS):  # same code and outputs (plots may differ by a pixel)
        mine = nbformat.read(str(fresh / name), as_version=4)
        ours = nbformat.read(str(SOLUTIONS / name), as_version=4)
        assert [c.source for c in mine.cells] == [c.source for c in ours.cells]
        text = lambda nb: [o.get("text") for c in nb.cells if c.cell_type == "code"  # noqa: E731
                           for o in c.outputs]
        assert text(mine) == text(ours)
    again = _digest(fresh)
    assert run_course("generate", cwd=course_copy).returncode == 0
    assert _digest(fresh) == again  # a second run changes no byte


def test_check_py_carries_the_release_and_no_solution(course):
    """check.py embeds the release notebooks' cells (what students have) and nothing of the
    solutions; a check.py that carried a solution line would be caught."""
    from autograder.authoring.bundle import embedded_originals, original_cells
    from autograder.authoring.validate import check_py_leaks

    a = course.assignment("gradient-descent")
    check = RELEASE / "check.py"
    embedded = embedded_originals(check.read_text(encoding="utf-8"))
    assert embedded == {nb.file: original_cells(json.loads((RELEASE / nb.file).read_text()))
                        for nb in a.notebooks}
    assert check_py_leaks(course, a, check) == []


def test_a_check_py_that_carries_a_solution_line_is_caught(course, tmp_path):
    from autograder.authoring.validate import check_py_leaks

    a = course.assignment("gradient-descent")
    for nb in a.notebooks:
        shutil.copy(RELEASE / nb.file, tmp_path / nb.file)
    leaky = (RELEASE / "check.py").read_text(encoding="utf-8") + \
        "\n# return ((preds - targets) ** 2).mean()\n"
    (tmp_path / "check.py").write_text(leaky, encoding="utf-8")
    assert check_py_leaks(course, a, tmp_path / "check.py") == [
        "release/gradient-descent/check.py: carries solution text of 'mse': "
        "'return ((preds - targets) ** 2).mean()'"]
