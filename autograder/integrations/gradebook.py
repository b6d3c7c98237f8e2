"""Write autograded scores into an nbgrader gradebook (`course autograde --gradebook DB`).

The gradebook then looks as if nbgrader had graded the class itself, so nbgrader's
formgrader (for the manually graded problems) and `nbgrader export` work on it:

- The assignment's notebooks and cells are recorded by nbgrader's own SaveCells
  preprocessor run on the release notebooks, which is what `nbgrader
  generate_assignment` records. nbgrader scores *grade cells*: for an autograded
  problem P that is its visible test cell `test_P`, for a written answer (a
  manual problem) the answer cell `P` itself. Each problem's score goes to that
  cell, with max_score from course.yml, so nbgrader's totals are ours.
- Every student gets a submission; an autograded problem's points become the
  grade's `auto_score`; a manual problem keeps no auto_score and
  `needs_manual_grade`, for the formgrader. A score a person already entered
  (`manual_score`) is never overwritten, and such a grade stays flagged for review,
  as nbgrader itself does.
"""

from __future__ import annotations

import copy
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from autograder.config import Course
from autograder.errors import CourseKitError
from autograder.notebook_cells import grade_id, nbgrader, read
from autograder.results import NotebookStatus, SubmissionResult


def db_url(db: str) -> str:
    """An SQLAlchemy URL: DB itself if it is one (sqlite:///path), else a sqlite file path."""
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


def grade_cell_name(release: Any, problem: str) -> str:
    """The nbgrader grade cell of a release notebook that holds PROBLEM's score."""
    graded = {grade_id(c) for c in release.cells if nbgrader(c).get("grade") is True}
    for name in (problem, f"test_{problem}"):
        if name in graded:
            return name
    raise CourseKitError(f"the release notebook has no nbgrader grade cell for {problem!r} "
                         f"(expected 'test_{problem}'); run `course generate`")


def record_assignment(course: Course, assignment: str, url: str) -> dict[tuple[str, str], str]:
    """Record the assignment, notebooks and cells as nbgrader does; (notebook, problem) -> cell."""
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import SaveCells

    spec = course.assignment(assignment)
    with Gradebook(url) as gb:
        gb.update_or_create_assignment(assignment)
    cells: dict[tuple[str, str], str] = {}
    for nb in spec.notebooks:
        release = course.path("release") / assignment / nb.file
        if not release.is_file():
            raise CourseKitError(f"{release} is missing; run `course generate`")
        notebook = read(release)
        resources = {"nbgrader": {"notebook": nb.stem, "assignment": assignment, "db_url": url}}
        try:
            SaveCells().preprocess(copy.deepcopy(notebook), resources)
        except RuntimeError as exc:  # cells changed after submissions were recorded
            raise CourseKitError(f"gradebook {url}: {exc}") from None
        for problem in nb.problems:
            cells[(nb.file, problem)] = grade_cell_name(notebook, problem)
    with Gradebook(url) as gb:  # course.yml is the authority for points
        for nb in spec.notebooks:
            for problem, p in nb.problems.items():
                gb.update_or_create_grade_cell(cells[(nb.file, problem)], nb.stem, assignment,
                                               max_score=float(p.points))
    return cells


@contextmanager
def _alembic_on_path() -> Iterator[None]:
    """nbgrader runs the `alembic` command to create a new gradebook; it sits beside this
    Python, which is not on PATH when `course` is run as .venv/bin/course."""
    old = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), old])
    try:
        yield
    finally:
        os.environ["PATH"] = old


def write_gradebook(course: Course, results: list[SubmissionResult], db: str) -> list[str]:
    """Put the class's results into the nbgrader gradebook DB; returns the submissions
    that could not be written (each with why), after writing all the others."""
    with _alembic_on_path():
        return _write(course, results, db_url(db))


def _write(course: Course, results: list[SubmissionResult], url: str) -> list[str]:
    from nbgrader.api import Gradebook

    cells = {a: record_assignment(course, a, url)
             for a in dict.fromkeys(r.assignment for r in results)}
    with Gradebook(url) as gb, warnings.catch_warnings():
        # nbgrader's add_submission builds its objects in a way SQLAlchemy 2 warns about
        # ("not in session, add operation ... will not proceed"); the rows are written.
        warnings.filterwarnings("ignore", message=".*not in session.*")
        failed = []
        for r in results:
            try:  # one submission at a time: one that fails costs only itself
                _write_submission(gb, cells[r.assignment], r)
                gb.db.commit()
            except Exception as exc:
                gb.db.rollback()
                failed.append(f"gradebook: {r.student}/{r.assignment} not written: "
                              f"{type(exc).__name__}: {str(exc)[:300]}")
    return failed


def _write_submission(gb: Any, cells: dict[tuple[str, str], str], r: SubmissionResult) -> None:
    gb.update_or_create_student(r.student)
    gb.update_or_create_submission(r.assignment, r.student)
    for nb in r.notebooks:
        stem = nb.notebook.removesuffix(".ipynb")
        for p in nb.problems:
            cell = cells[(nb.notebook, p.problem)]
            grade = gb.find_grade(cell, stem, r.assignment, r.student)
            grade.auto_score = None if p.points is None else float(p.points)
            grade.needs_manual_grade = (grade.auto_score is None
                                        or grade.manual_score is not None
                                        or nb.status == NotebookStatus.ERROR)
