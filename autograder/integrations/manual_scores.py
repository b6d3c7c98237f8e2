"""Scores a person entered for the manually graded problems, with their comments.

Two sources: nbgrader's gradebook (what the formgrader writes; `sqlite:///...` or a
path to the .db file), or, for courses without nbgrader, a CSV with the header
`student,assignment,problem,points,comment`. Only problems that course.yml marks as
manual are read; a score that is not a number, is negative or above the problem's
points is refused with the row that holds it.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from autograder.config import Course
from autograder.errors import ConfigError

Key = tuple[str, str, str]  # (student, assignment, problem)


@dataclass(frozen=True)
class ManualScore:
    points: float
    comment: str = ""


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
    rows = csv.DictReader(text.splitlines())
    missing = {"student", "assignment", "problem", "points"} - set(rows.fieldnames or [])
    if missing:
        raise ConfigError(f"{path}: the header lacks {', '.join(sorted(missing))} "
                          "(expected student,assignment,problem,points,comment)")
    scores: dict[Key, ManualScore] = {}
    for line, row in enumerate(rows, start=2):
        where = f"{path}, line {line}"
        key = (row["student"].strip(), row["assignment"].strip(), row["problem"].strip())
        if (key[1], key[2]) not in manual:
            raise ConfigError(f"{where}: {key[1]}/{key[2]} is not a manually graded problem "
                              "in course.yml")
        if not (row["points"] or "").strip():
            continue  # not graded yet
        try:
            points = float(row["points"])
        except ValueError:
            raise ConfigError(f"{where}: points {row['points']!r} is not a number") from None
        scores[key] = ManualScore(_checked(points, manual[(key[1], key[2])], where),
                                  (row.get("comment") or "").strip())
    return scores


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
                            (comment.manual_comment or "") if comment is not None else "")
    return scores
