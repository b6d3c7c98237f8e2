"""nbgrader's own tamper cases, rebuilt here, through our restore step.

The scenarios are those of nbgrader's preprocessor tests (tests/preprocessors/ and its
files/: submitted-locked-cell-changed, submitted-grade-cell-changed,
submitted-grade-cell-type-changed, submitted-answer-cell-type-changed, points and
checksums changed, duplicate grade ids, missing cells, kernelspec changed or blanked,
a grade_id the source does not know). The notebooks are built here with cells made
the way nbgrader's test helpers make them (create_grade_cell, create_solution_cell,
create_locked_cell), not copied. Each test states nbgrader's end state and checks that
restore reaches it or a better one, and records what it did truthfully.
"""

from __future__ import annotations

import copy
import json

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.notebook_cells import grade_id
from autograder.pipeline.load import parse_notebook
from autograder.pipeline.restore import restore

KERNELSPEC = {"display_name": "Python 3", "name": "python3", "language": "python"}


def _cell(kind: str, text: str, **nbgrader) -> nbformat.NotebookNode:
    cell = new_code_cell(text) if kind == "code" else new_markdown_cell(text)
    cell.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": False,
                                 "schema_version": 3, "task": False, **nbgrader}
    return cell


def grade_cell(text, kind, gid, points):
    return _cell(kind, text, grade=True, grade_id=gid, points=points, locked=True)


def solution_cell(text, kind, gid):
    return _cell(kind, text, solution=True, grade_id=gid)


def grade_and_solution_cell(text, kind, gid, points):
    return _cell(kind, text, grade=True, solution=True, grade_id=gid, points=points)


def locked_cell(text, kind, gid):
    return _cell(kind, text, locked=True, grade_id=gid)


def source(kernelspec: dict | None = KERNELSPEC) -> nbformat.NotebookNode:
    """An nbgrader assignment: like nbgrader's test.ipynb, one cell of each kind."""
    nb = new_notebook(cells=[
        locked_cell("import math", "code", "setup"),
        solution_cell("def squared(x):\n    ### BEGIN SOLUTION\n    return x * x\n"
                      "    ### END SOLUTION", "code", "squared"),
        grade_cell("assert squared(3) == 9", "code", "test_squared", 2),
        new_markdown_cell("Explain why."),
        grade_and_solution_cell("YOUR ANSWER HERE", "markdown", "explain", 1),
        locked_cell("Read this; it is locked.", "markdown", "notice"),
    ])
    if kernelspec is not None:
        nb.metadata["kernelspec"] = kernelspec
    return nb


def submitted() -> nbformat.NotebookNode:
    """The student's notebook: answers filled in, nothing else changed."""
    nb = copy.deepcopy(source())
    by_id(nb)["squared"].source = "def squared(x):\n    return x ** 2"
    by_id(nb)["explain"].source = "Because."
    return nb


def by_id(nb) -> dict:
    return {grade_id(c): c for c in nb.cells if grade_id(c)}


def kinds(changes) -> set[tuple[str, str]]:
    return {(c.kind, c.cell) for c in changes}


def test_submitted_unchanged():
    restored, changes = restore(submitted(), source())
    assert changes == []
    assert by_id(restored)["squared"].source == "def squared(x):\n    return x ** 2"


def test_submitted_locked_cell_changed():
    """nbgrader: the locked cell's source is overwritten (code and markdown)."""
    nb = submitted()
    by_id(nb)["setup"].source = "import os"
    by_id(nb)["notice"].source = "hello"
    restored, changes = restore(nb, source())
    assert by_id(restored)["setup"].source == "import math"
    assert by_id(restored)["notice"].source == "Read this; it is locked."
    assert kinds(changes) == {("restored", "setup"), ("restored", "notice")}


def test_submitted_grade_cell_changed():
    """nbgrader: a grade cell's source and points are overwritten."""
    nb = submitted()
    by_id(nb)["test_squared"].source = "pass"
    restored, changes = restore(nb, source())
    assert by_id(restored)["test_squared"].source == "assert squared(3) == 9"
    assert kinds(changes) == {("restored", "test_squared")}


def test_points_and_checksum_changed():
    nb = submitted()
    meta = by_id(nb)["test_squared"].metadata["nbgrader"]
    meta["points"], meta["checksum"] = 100, "forged"
    restored, changes = restore(nb, source())
    assert by_id(restored)["test_squared"].metadata["nbgrader"]["points"] == 2
    assert "checksum" not in by_id(restored)["test_squared"].metadata["nbgrader"]
    assert [c.kind for c in changes] == ["metadata"] and "points: 100 -> 2" in changes[0].detail


def test_submitted_grade_cell_type_changed():
    """nbgrader: the cell type of a grade cell is overwritten. We also say it was retyped
    (not "edited")."""
    nb = submitted()
    cell = by_id(nb)["test_squared"]
    cell.cell_type = "markdown"
    cell.pop("outputs")
    cell.pop("execution_count")
    restored, changes = restore(nb, source())
    assert by_id(restored)["test_squared"].cell_type == "code"
    assert kinds(changes) == {("retyped", "test_squared")}
    assert "retyped to markdown" in changes[0].detail


def test_submitted_answer_cell_type_changed():
    """nbgrader: a solution cell's type is overwritten; the student's text is kept."""
    nb = submitted()
    cell = by_id(nb)["squared"]
    cell.cell_type = "markdown"
    cell.pop("outputs")
    cell.pop("execution_count")
    restored, changes = restore(nb, source())
    assert by_id(restored)["squared"].cell_type == "code"
    assert by_id(restored)["squared"].source == "def squared(x):\n    return x ** 2"
    assert kinds(changes) == {("retyped", "squared")}


def test_duplicate_grade_ids():
    """nbgrader (DeduplicateIds) keeps one cell per grade_id and strips the other's
    metadata, so it runs as an ordinary cell; so do we, and without a spurious
    "reordered"."""
    for gid in ("squared", "test_squared", "setup"):
        nb = submitted()
        index = nb.cells.index(by_id(nb)[gid])
        twin = copy.deepcopy(nb.cells[index])
        twin.id = "twin"
        nb.cells.insert(index + 1, twin)
        restored, changes = restore(nb, source())
        assert kinds(changes) == {("duplicated", gid)}, changes
        assert [grade_id(c) for c in restored.cells if grade_id(c)] == list(by_id(source()))


def test_missing_cells():
    """nbgrader (add_missing_cells) puts deleted grade cells back in place; so do we, for
    every read-only cell. A deleted answer stays deleted and is recorded."""
    nb = submitted()
    nb.cells = [c for c in nb.cells if grade_id(c) not in ("test_squared", "notice", "explain")]
    restored, changes = restore(nb, source())
    assert [grade_id(c) for c in restored.cells if grade_id(c)] == \
        ["setup", "squared", "test_squared", "notice"]
    assert kinds(changes) == {("restored", "test_squared"), ("restored", "notice"),
                              ("deleted", "explain")}


def test_kernelspec_changed():
    nb = submitted()
    nb.metadata["kernelspec"] = {"display_name": "blarg", "name": "bash", "language": "bash"}
    restored, changes = restore(nb, source())
    assert restored.metadata["kernelspec"] == KERNELSPEC
    assert kinds(changes) == {("metadata", "kernelspec")}


def test_kernelspec_blanked():
    """nbgrader (OverwriteKernelspec) restores a blanked kernelspec; load used to refuse
    the notebook as invalid before restore could."""
    nb = submitted()
    nb.metadata["kernelspec"] = {}
    loaded = parse_notebook("test.ipynb", json.dumps(nb).encode())
    assert loaded.notebook is not None, loaded.reason
    restored, changes = restore(loaded.notebook, source())
    assert restored.metadata["kernelspec"] == KERNELSPEC
    assert kinds(changes) == {("metadata", "kernelspec")}
    assert changes[0].detail == "kernelspec changed; source's restored"


def test_kernelspec_in_the_submission_only():
    """The source has none (nbgrader's null spec case): we do not claim to restore one."""
    restored, changes = restore(submitted(), source(kernelspec=None))
    assert "kernelspec" not in restored.metadata
    assert [c.detail for c in changes] == ["kernelspec added; removed, as the assignment has none"]


def test_nonexistent_grade_id():
    """nbgrader strips a grade_id it does not know; the cell runs as an ordinary one."""
    nb = submitted()
    nb.cells.append(grade_cell("assert True", "code", "foo", 1))
    restored, changes = restore(nb, source())
    assert kinds(changes) == {("unknown_grade_id", "foo")}
    added = restored.cells[-1]
    assert added.source == "assert True" and "nbgrader" not in added.metadata


def test_unlocked_ungraded_cell_with_a_grade_id_keeps_the_students_text():
    """nbgrader overwrites only locked and grade cells; a cell that merely carries a
    grade_id is the student's."""
    src = source()
    src.cells.append(_cell("code", "# scratch space", grade_id="scratch"))
    nb = copy.deepcopy(src)
    by_id(nb)["scratch"].source = "x = 1  # mine"
    restored, changes = restore(nb, src)
    assert by_id(restored)["scratch"].source == "x = 1  # mine"
    assert changes == []
