"""Scores a person entered for the manually graded problems, with their comments.

Two sources: nbgrader's gradebook (what the formgrader writes; `sqlite:///...` or a
path to the .db file), or, for courses without nbgrader, a CSV with the header
`student,assignment,problem,points,comment`. Only problems that course.yml marks as
manual are read; a score that is not a number, is negative or above the problem's
points is refused with the row that holds it. A CSV row may also carry an
`answer_digest` (the digest of the written answer it scores, as results.json records
it): it then applies to that answer only (pipeline/answer_changes.py). So does a
gradebook score whose grade the kit cleared for a changed answer, with a note naming it.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from autograder.config import Course
from autograder.errors import ConfigError
from autograder.pipeline.answer_changes import noted_answer
from autograder.results import ManualScore

__all__ = ["Key", "ManualScore", "read_manual_scores"]

Key = tuple[str, str, str]  # (student, assignment, problem)


def read_manual_scores(course: Course, source: str | Path) -> dict[Key, ManualScore]:
    """Manual scores from SOURCE: a CSV file (by its .csv suffix) or an nbgrader gradebook."""
    text = str(source)
    if text.lower().endswith(".csv"):
        return _from_csv(course, Path(text))
    return _from_gradebook(course, text)


def _manual_problems(course: Course) -> dict[tuple[str, str], float]:
    return {(a.name, g): p.points for a in course.assignments for g, p in a.problems.items()
            if p.manual}


def _checked(points: float, possible: float, where: str) -> float:
    if not math.isfinite(points) or not 0 <= points <= possible:
        raise ConfigError(f"{where}: {points:g} points is outside 0..{possible:g}")
    return points


def _from_csv(course: Course, path: Path) -> dict[Key, ManualScore]:
    manual = _manual_problems(course)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read manual scores {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the CSV as UTF-8") from None
    try:
        return _rows(manual, path, text)
    except csv.Error as exc:
        raise ConfigError(f"{path}: not a readable CSV ({exc})") from None


def _rows(manual: dict[tuple[str, str], float], path: Path, text: str
          ) -> dict[Key, ManualScore]:
    # A file object, not lines: a quoted comment may span lines and keeps its line breaks.
    rows = csv.DictReader(io.StringIO(text, newline=""))
    missing = {"student", "assignment", "problem", "points"} - set(rows.fieldnames or [])
    if missing:
        raise ConfigError(f"{path}: the header lacks {', '.join(sorted(missing))} "
                          "(expected student,assignment,problem,points,comment)")
    scores: dict[Key, ManualScore] = {}
    seen: dict[Key, int] = {}
    for row in rows:
        line = rows.line_num  # where the row ends; a row spans lines with a quoted comment
        where = f"{path}, line {line}"
        key = (_cell(row, "student"), _cell(row, "assignment"), _cell(row, "problem"))
        if not all(key):
            raise ConfigError(f"{where}: student, assignment and problem are required "
                              f"(got {','.join(key)!r})")
        if (key[1], key[2]) not in manual:
            raise ConfigError(f"{where}: {key[1]}/{key[2]} is not a manually graded problem "
                              "in course.yml")
        if key in seen:
            raise ConfigError(f"{where}: {'/'.join(key)} is already on line {seen[key]}; "
                              "keep one row per student and problem")
        seen[key] = line
        text_points = _cell(row, "points")
        if not text_points:
            continue  # not graded yet
        try:
            points = float(text_points)
        except ValueError:
            raise ConfigError(f"{where}: points {text_points!r} is not a number") from None
        scores[key] = ManualScore(_checked(points, manual[(key[1], key[2])], where),
                                  _cell(row, "comment"), _cell(row, "answer_digest"))
    return scores


def _cell(row: dict[str, str | None], column: str) -> str:
    """A CSV row's COLUMN, stripped; "" where a short row lacks it."""
    value = row.get(column)
    return value.strip() if isinstance(value, str) else ""


def _from_gradebook(course: Course, db: str) -> dict[Key, ManualScore]:
    from nbgrader.api import Gradebook, MissingEntry

    from autograder.integrations.gradebook import db_url

    url = db_url(db)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise ConfigError(f"no gradebook at {db}")
    scores: dict[Key, ManualScore] = {}
    manual = _manual_problems(course)
    with Gradebook(url) as gb:
        for assignment in course.assignments:
            for nb in assignment.notebooks:
                mine = [g for g in nb.problems if (assignment.name, g) in manual]
                if not mine:
                    continue
                for student in gb.students:
                    try:
                        submitted = gb.find_submission_notebook(nb.stem, assignment.name,
                                                                student.id)
                    except MissingEntry:
                        continue
                    grades = {g.name: g for g in submitted.grades}
                    comments = {c.name: c for c in submitted.comments}
                    for problem in mine:
                        grade = grades.get(problem)
                        if grade is None or grade.manual_score is None:
                            continue
                        comment = comments.get(problem)
                        where = f"gradebook {db}: {student.id}/{assignment.name}/{problem}"
                        scores[(student.id, assignment.name, problem)] = ManualScore(
                            _checked(float(grade.manual_score), manual[(assignment.name,
                                                                        problem)], where),
                            (comment.manual_comment or "") if comment is not None else "",
                            noted_answer(comment.auto_comment) if comment is not None else "")
    return scores
