"""Write autograded scores into an nbgrader gradebook (`course autograde --gradebook DB`).

The gradebook then looks as if nbgrader had graded the class itself, so nbgrader's
formgrader (for the manually graded problems) and `nbgrader export` work on it:

- The assignment's notebooks and cells are recorded by nbgrader's own SaveCells
  preprocessor run on the release notebooks, which is what `nbgrader
  generate_assignment` records. nbgrader scores *grade cells*: for an autograded
  problem P that is its visible test cell `test_P`, for a written answer (a
  manual problem) the answer cell `P` itself. Each problem's score goes to that
  cell, with max_score from course.yml, so nbgrader's totals are ours.
- Every student gets a submission, with the time in its `timestamp.txt` (as
  `nbgrader autograde` records it); an autograded problem's points become the
  grade's `auto_score`. A written answer (a manual problem) gets no auto_score and
  `needs_manual_grade`, for the formgrader, until a person scores it; an answer that
  was never given scores 0 with the comment "No response.", as nbgrader does. A score
  a person entered (`manual_score`) is never overwritten, and its grade is not flagged
  again by a rerun (nbgrader's own autograde would flag it for review every time).
- With the submitted folder, nbgrader's `autograded/` notebooks are written too
  (autograded.py), so the formgrader shows each answer with its score box. They go into
  an nbgrader course directory, the course's own by default (nbgrader_root), never
  beside a gradebook kept elsewhere; the formgrader is started on that directory with
  the gradebook and the submitted folder wherever they are (formgrader_command).
"""

from __future__ import annotations

import copy
import os
import re
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from autograder.config import Course
from autograder.environment import changed_environment, path_with_python
from autograder.errors import CourseKitError
from autograder.integrations.autograded import submission_timestamp, write_autograded
from autograder.notebook_cells import grade_id, nbgrader, read
from autograder.results import NotebookStatus, ProblemScore, SubmissionResult


def db_url(db: str) -> str:
    """An SQLAlchemy URL: DB itself if it is one (sqlite:///path), else a sqlite file path."""
    if "://" in db:
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


def gradebook_file(db: str) -> Path | None:
    """The file of an sqlite gradebook DB (None for a database server's URL)."""
    url = db_url(db)
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


def nbgrader_root(course: Course, chosen: Path | None, assignments: Iterable[str]) -> Path:
    """The nbgrader course directory that gets autograded/ and that the formgrader serves:
    CHOSEN (--nbgrader-dir), else the course's own directory, which holds source/ and
    release/ as nbgrader's does, wherever the gradebook is. nbgrader's formgrader lists
    assignments from `source/` under its root (NbGraderAPI.get_source_assignments), so a
    folder without source/<assignment>/ would show empty pages: it is refused."""
    root = (chosen if chosen is not None else course.root).resolve()
    missing = [a for a in assignments if not (root / "source" / a).is_dir()]
    if missing:
        raise CourseKitError(
            f"{root} is not an nbgrader course directory (no source/{missing[0]}/): "
            "nbgrader's formgrader lists assignments from source/ under its root and would "
            f"show empty pages; leave --nbgrader-dir out to use the course directory "
            f"{course.root}")
    return root


_PATTERN = re.compile(r"[][\\^$*+?{}|()]")


def submitted_directory(root: Path, submitted: Path) -> str:
    """SUBMITTED as nbgrader's `CourseDirectory.submitted_directory` for the course
    directory ROOT: relative to it (nbgrader joins it to the root), so submissions may
    live anywhere. nbgrader also reads that path as a regular expression when it lists
    the submitted students (CourseDirectory.format_path with escape=True leaves it
    unescaped), so a path with a pattern character is refused rather than misread."""
    relative = os.path.relpath(submitted.resolve(), root)
    found = _PATTERN.search(relative)
    if found:
        raise CourseKitError(
            f"the formgrader cannot list the submissions in {submitted}: nbgrader reads its "
            f"path from {root} ({relative}) as a pattern, and {found[0]!r} would be misread; "
            "move the submitted folder to a path without []\\^$*+?{}|() characters")
    return relative


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
    with changed_environment(PATH=path_with_python()):
        yield


def write_gradebook(course: Course, results: list[SubmissionResult], db: str,
                    submitted: Path | None = None, root: Path | None = None
                    ) -> tuple[Path | None, list[str]]:
    """Put the class's results into the nbgrader gradebook DB. With SUBMITTED (the folder
    they were graded from), also record each submission's timestamp and write nbgrader's
    autograded/ notebooks into the nbgrader course directory ROOT (default: the course's,
    see nbgrader_root; checked before anything is written). Returns that folder (None
    without SUBMITTED) and the submissions that could not be written (each with why),
    after writing all the others."""
    if submitted is not None:
        root = nbgrader_root(course, root, {r.assignment for r in results})
        submitted_directory(root, submitted)
    with _alembic_on_path():
        failed = _write(course, results, db_url(db), submitted)
    if submitted is None or root is None:
        return None, failed
    write_autograded(course, results, submitted, root)
    return root, failed


def _auto_score(p: ProblemScore, status: NotebookStatus) -> float | None:
    """What nbgrader's autograde would record: a manual problem's person-given points
    are its manual_score, never its auto_score."""
    if not p.manual:
        return None if p.points is None else float(p.points)
    no_answer = not p.answer and status != NotebookStatus.ERROR and (
        p.points is not None or p.graded_by)
    return 0.0 if no_answer else None


def _write(course: Course, results: list[SubmissionResult], url: str,
           submitted: Path | None) -> list[str]:
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
                _write_submission(gb, cells[r.assignment], r, submitted)
                gb.db.commit()
            except Exception as exc:
                gb.db.rollback()
                failed.append(f"gradebook: {r.student}/{r.assignment} not written: "
                              f"{type(exc).__name__}: {str(exc)[:300]}")
    return failed


def _write_submission(gb: Any, cells: dict[tuple[str, str], str], r: SubmissionResult,
                      submitted: Path | None) -> None:
    gb.update_or_create_student(r.student)
    when = {} if submitted is None else {
        "timestamp": submission_timestamp(submitted / r.student / r.assignment)}
    gb.update_or_create_submission(r.assignment, r.student, **when)
    for nb in r.notebooks:
        stem = nb.notebook.removesuffix(".ipynb")
        for p in nb.problems:
            cell = cells[(nb.notebook, p.problem)]
            grade = gb.find_grade(cell, stem, r.assignment, r.student)
            grade.auto_score = _auto_score(p, nb.status)
            grade.needs_manual_grade = grade.manual_score is None and (
                grade.auto_score is None or nb.status == NotebookStatus.ERROR)
            if p.manual:
                comment = gb.find_comment(cell, stem, r.assignment, r.student)
                comment.auto_comment = "No response." if grade.auto_score == 0 else None


def formgrader_command(db: str, root: Path, submitted: Path | None = None) -> str:
    """The shell command that starts nbgrader's formgrader on the nbgrader course directory
    ROOT, with the gradebook DB and the SUBMITTED folder wherever they are (nbgrader
    enables its server extension when it is installed); the URL the server prints then
    opens the formgrader. It serves ROOT, the course directory, and nothing above it."""
    import shlex

    file = gradebook_file(db)
    url = f"sqlite:///{file.resolve()}" if file is not None else db_url(db)
    command = (f"cd {shlex.quote(str(root))} && jupyter server "
               f"--ServerApp.default_url=/formgrader --CourseDirectory.root=. "
               f"--CourseDirectory.db_url={shlex.quote(url)}")
    where = submitted_directory(root, submitted) if submitted is not None else "submitted"
    if where != "submitted":  # nbgrader's default
        command += f" --CourseDirectory.submitted_directory={shlex.quote(where)}"
    return command
