"""Scores a person entered for the manually graded problems, with their comments.

Two sources: nbgrader's gradebook (what the formgrader writes; `sqlite:///...` or a
path to the .db file), or, for courses without nbgrader, a CSV with the header
`student,assignment,problem,points,comment`. Only problems that course.yml marks as
manual are read; a score that is not a number, is negative or above the problem's
points is refused with the row that holds it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import ClassVar

from pydantic import ValidationInfo, field_validator, model_validator

from autograder.config import Course
from autograder.csv_tables import Row, read_table
from autograder.errors import ConfigError
from autograder.pipeline.score import ManualKey
from autograder.results import ManualScore

__all__ = ["ManualKey", "ManualScore", "ManualScoreRow", "read_manual_scores"]

HEADER = "student,assignment,problem,points,comment"


def read_manual_scores(course: Course, source: str | Path) -> dict[ManualKey, ManualScore]:
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


class ManualScoreRow(Row):
    """A row of the manual-score CSV: a person's score and comment for one student's
    written answer. A blank `points` is not graded yet. The context holds `manual`:
    (assignment, problem) -> points of the course's manually graded problems."""

    what: ClassVar[str] = "manual-score CSV"
    header_hint: ClassVar[str] = f"expected {HEADER}"
    repeated_hint: ClassVar[str] = "keep one row per student and problem"

    student: str
    assignment: str
    problem: str
    points: float | None = None
    comment: str = ""

    @model_validator(mode="before")
    @classmethod
    def _named(cls, cells: dict[str, str]) -> dict[str, str]:
        key = [cells.get(c, "") for c in ("student", "assignment", "problem")]
        if not all(key):
            raise ValueError(f"student, assignment and problem are required (got "
                             f"{','.join(key)!r})")
        return cells

    @field_validator("points", mode="before")
    @classmethod
    def _number(cls, value: str | None) -> float | None:
        if value is None or value == "":
            return None  # not graded yet
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a number") from None

    @model_validator(mode="after")
    def _manual_and_in_range(self, info: ValidationInfo) -> ManualScoreRow:
        manual = (info.context or {}).get("manual", {})
        if (self.assignment, self.problem) not in manual:
            raise ValueError(f"{self.assignment}/{self.problem} is not a manually graded "
                             "problem in course.yml")
        if self.points is not None:
            possible = manual[(self.assignment, self.problem)]
            if not math.isfinite(self.points) or not 0 <= self.points <= possible:
                raise ValueError(f"{self.points:g} points is outside 0..{possible:g}")
        return self

    def key(self) -> ManualKey:
        return ManualKey(self.student, self.assignment, self.problem)

    def key_text(self) -> str:
        return "/".join(self.key())


def _from_csv(course: Course, path: Path) -> dict[ManualKey, ManualScore]:
    lines = read_table(path, ManualScoreRow, context={"manual": _manual_problems(course)})
    return {line.row.key(): ManualScore(line.row.points, line.row.comment)
            for line in lines if line.row.points is not None}


def _from_gradebook(course: Course, db: str) -> dict[ManualKey, ManualScore]:
    from nbgrader.api import Gradebook, MissingEntry

    from autograder.integrations.gradebook import db_url

    url = db_url(db)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise ConfigError(f"no gradebook at {db}")
    scores: dict[ManualKey, ManualScore] = {}
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
                        scores[ManualKey(student.id, assignment.name, problem)] = ManualScore(
                            _checked(float(grade.manual_score), manual[(assignment.name,
                                                                        problem)], where),
                            (comment.manual_comment or "") if comment is not None else "")
    return scores
