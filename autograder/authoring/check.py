"""`course check NOTEBOOK`: a student's local run of the visible tests (no hidden graders)."""

from __future__ import annotations

from pathlib import Path

from autograder.config import load_course
from autograder.grading import make_tensor
from autograder.notebook_cells import grade_id, is_solution, is_test, nbgrader, read
from autograder.pipeline.execute import execute
from autograder.pipeline.load import load_submission
from autograder.pipeline.restore import restore
from autograder.results import CellStatus
from autograder.sandbox.backends import choose_sandbox
from autograder.sandbox.zygote_client import worker_pool


def check_notebook(path: Path, course_root: Path) -> int:
    loaded = load_submission(path)
    if loaded.notebook is None:
        print(f"cannot check: {loaded.reason}")
        return 1
    course = load_course(course_root, check_sources=False)
    reference = _release_of(course, path)
    notebook = loaded.notebook
    written: list[str] = []  # grade_ids of the written answers the notebook should have
    if reference is not None:  # undo edits to read-only cells, as grading will
        original = read(reference)
        written = [grade_id(c) for c in original.cells if _is_written_answer(c)]
        notebook, changes = restore(notebook, original)
        for change in changes:
            print(f"note: {change.cell or 'notebook'}: {change.detail}")
    tests = {n for n, c in enumerate(notebook.cells) if is_test(c)}
    sandbox = choose_sandbox(allow_unsandboxed=True)  # your own code on your own machine
    pool = worker_pool(sandbox, course.limits, make_tensor)
    execution = execute(notebook, pool, course.limits)
    execution.close()
    pool.close()
    passed = failed = 0
    labels = {o.label: o for o in execution.outcomes}
    for n, cell in enumerate(notebook.cells):
        if n not in tests:
            continue
        gid = cell.metadata["nbgrader"]["grade_id"]
        outcome = labels.get(gid)
        if outcome is not None and outcome.status == CellStatus.OK:
            passed += 1
            print(f"PASS  {gid}")
        else:
            failed += 1
            reason = outcome.error if outcome else "not run"
            print(f"FAIL  {gid}: {reason}")
    print(f"{passed} passed, {failed} failed (visible tests only; hidden tests decide points)")
    todo = _unanswered_written_answers(notebook, written)
    if todo:
        print(f"{len(todo)} written answer(s) still to write")
    return 0 if failed == 0 and not todo else 1


ANSWER_STUB = "YOUR ANSWER HERE"  # nbgrader's stub in a written (markdown) answer cell


def _is_written_answer(cell) -> bool:
    return cell.cell_type == "markdown" and is_solution(cell) and grade_id(cell) is not None


def _unanswered_written_answers(notebook, expected: list[str]) -> list[str]:
    """Print each written answer and whether it is still nbgrader's stub (or deleted)."""
    todo = []
    present = [c for c in notebook.cells if _is_written_answer(c)]
    for gid in expected:
        if gid not in {grade_id(c) for c in present}:
            todo.append(gid)
            print(f"TODO  {gid}: the cell for this written answer is missing (deleted?); "
                  "copy it back from the release notebook")
    for cell in present:
        gid = grade_id(cell)
        points = nbgrader(cell).get("points")
        graded = "graded by hand"
        if isinstance(points, int | float) and points:
            graded = f"{points:g} point(s), {graded}"
        if ANSWER_STUB in str(cell.source):
            todo.append(gid)
            print(f"TODO  {gid}: written answer not written yet (its cell still says "
                  f"{ANSWER_STUB}); {graded}")
        else:
            print(f"DONE  {gid}: written answer present; {graded}")
    return todo


def _release_of(course, path: Path) -> Path | None:
    for a in course.assignments:
        for nb in a.notebooks:
            candidate = course.path("release") / a.name / nb.file
            if nb.file == path.name and candidate.is_file():
                return candidate
    return None
