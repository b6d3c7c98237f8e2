"""Final grades: autograded points + manual points - late penalty, per student and assignment.

A total is written only when it is final: while a manually graded problem has no score,
the total says `pending` (never a number that will still change, which an LMS import
would publish), and `autograded`, `manual` and `late_penalty` show what is known so far.
A notebook that was not submitted (or is not a notebook) has no written answer to grade:
its manual problems count 0. A student known to the class (from the roster, or from
another assignment) with nothing collected gets 0 once their deadline has passed, and no
grade while it has not. A submission whose time cannot be known (timestamp.txt missing,
unreadable or without zone) *needs review*, with no total, unless course.yml's
`timestamps` says otherwise (lateness/late_work.py). The total is never below 0.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from autograder.config import Assignment, Course
from autograder.grades.graded import Graded
from autograder.integrations.manual_scores import ManualKey, ManualScore
from autograder.lateness.late_work import LateStatus, late_work
from autograder.lateness.rules import deadline
from autograder.results import NotebookStatus, SubmissionResult


class Status(StrEnum):
    FINAL = "final"
    PENDING = "pending"  # a manual score is missing: no total yet
    NOT_SUBMITTED = "not submitted"  # nothing collected and the deadline has passed: 0
    NOT_DUE = "not due yet"  # nothing collected, but this student's deadline is ahead
    ERROR = "error"  # unreadable results, or the kit failed on it: grade it again
    NEEDS_REVIEW = "needs review"  # when it came in is unknown: the instructor resolves it


@dataclass
class FinalGrade:
    student: str
    assignment: str
    status: Status
    possible: float
    autograded: float | None = None
    manual: float | None = None  # None: pending, or no manual problems (has_manual)
    has_manual: bool = False
    penalty: float = 0.0
    submitted_at: datetime | None = None
    due: datetime | None = None
    late_by: timedelta = timedelta(0)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # notes the instructor must act on

    @property
    def total(self) -> float | None:
        """The final total, or None while it is not known."""
        if self.status == Status.NOT_SUBMITTED:
            return 0.0
        if self.status != Status.FINAL:
            return None
        earned = (self.autograded or 0.0) + (self.manual or 0.0)
        return round(max(0.0, earned - self.penalty), 2)


def final_grades(course: Course, graded: Graded, manual: Mapping[ManualKey, ManualScore], *,
                 now: datetime, submitted: Path | None = None,
                 roster: Collection[str] = ()) -> tuple[list[FinalGrade], list[str]]:
    """One FinalGrade per student (graded, or in ROSTER) and assignment (graded for
    anyone), and the warnings an instructor must see. SUBMITTED: nbgrader's submitted/
    folder, for timestamp.txt; by default each results.json's own record of it."""
    results = {(r.student, r.assignment): r for r in graded.results}
    broken = {(s, a): why for s, a, why in graded.unreadable}
    seen = set(results) | set(broken)
    assignments = [a for a in course.assignments if any(a.name == k[1] for k in seen)]
    students = sorted({s for s, _ in seen} | set(roster))
    warnings = _unmatched(course, manual, seen, students)
    grades = []
    for student in students:
        for spec in assignments:
            key = (student, spec.name)
            if key in broken:
                grade = FinalGrade(student, spec.name, Status.ERROR, _possible(spec),
                                   notes=[broken[key]])
            elif key in results:
                grade = _graded(course, spec, results[key], manual, submitted)
            else:
                grade = _not_collected(spec, student, now, submitted)
            warnings += [f"{student}/{spec.name}: {w}" for w in grade.warnings]
            grades.append(grade)
    return grades, warnings


def _possible(spec: Assignment) -> float:
    return round(sum(p.points for p in spec.problems.values()), 6)


def _graded(course: Course, spec: Assignment, result: SubmissionResult,
            manual: Mapping[ManualKey, ManualScore], submitted: Path | None) -> FinalGrade:
    student = result.student
    grade = FinalGrade(student, spec.name, Status.FINAL, _possible(spec))
    scores = {p.problem: p for p in result.problems}
    grade.autograded = round(sum(scores[g].points or 0.0 for g, p in spec.problems.items()
                                 if not p.manual and g in scores), 6)
    notebooks = {nb.notebook: nb for nb in result.notebooks}
    pending, manual_points = [], 0.0
    for nb in spec.notebooks:
        graded_nb = notebooks.get(nb.file)
        for problem, points in ((g, p) for g, p in nb.problems.items() if p.manual):
            grade.has_manual = True
            entered = manual.get(ManualKey(student, spec.name, problem))
            if entered is not None:
                manual_points += entered.points
            elif scores.get(problem) and scores[problem].points is not None:
                manual_points += scores[problem].points or 0.0  # already in results.json
            elif graded_nb is None or graded_nb.status == NotebookStatus.NOT_GRADED:
                reason = graded_nb.reason.splitlines()[0] if graded_nb and graded_nb.reason \
                    else "missing"
                grade.notes.append(f"{problem}: 0 of {points.points:g}, {nb.file} has no "
                                   f"answer to grade ({reason})")
            else:
                pending.append(problem)
    if grade.has_manual:
        grade.manual = None if pending else round(manual_points, 6)
    if pending:
        grade.status = Status.PENDING
        grade.notes.append(f"no manual score yet for {', '.join(pending)}")
    if result.kit_errors:
        grade.status = Status.ERROR
        grade.notes += [f"the kit failed on {e.splitlines()[0]}; grade it again"
                        for e in result.kit_errors]
    _apply_lateness(course, spec, result, submitted, grade)
    return grade


def _apply_lateness(course: Course, spec: Assignment, result: SubmissionResult,
                    submitted: Path | None, grade: FinalGrade) -> None:
    folder = submitted / grade.student / spec.name if submitted else \
        Path(result.submitted) if result.submitted else None
    late = late_work(course, spec, grade.student, folder, grade.possible)
    grade.due, grade.notes = late.due, grade.notes + late.notes
    if late.status == LateStatus.NEEDS_REVIEW:
        if grade.status != Status.ERROR:
            grade.status = Status.NEEDS_REVIEW
        grade.warnings.append(f"submission time needs review: {late.problem}")
        return
    grade.submitted_at, grade.late_by, grade.penalty = late.submitted_at, late.late_by, \
        late.penalty
    if late.status == LateStatus.GRACE:
        grade.notes.append("submitted within the grace period")
    elif late.status == LateStatus.LATE and late.rule is None:
        grade.notes.append(f"{_hours(late.late_by)} h late; no late policy in course.yml")
    elif late.status == LateStatus.LATE:
        assert late.rule is not None
        grade.notes.append(f"{_hours(late.late_by)} h late: {late.periods} started "
                           f"{late.rule.per}(s), -{late.penalty:g}")


def _not_collected(spec: Assignment, student: str, now: datetime,
                   submitted: Path | None) -> FinalGrade:
    due = deadline(spec, student)
    grade = FinalGrade(student, spec.name, Status.NOT_SUBMITTED, _possible(spec), due=due.due)
    if due.extension:
        grade.notes.append(due.extension)
    if submitted is not None and (submitted / student / spec.name).is_dir():
        grade.status = Status.ERROR
        grade.notes.append(f"{submitted / student / spec.name} exists but was not graded: "
                           "run course autograde")
    elif due.due is not None and now.astimezone(UTC) < due.due.astimezone(UTC):
        grade.status = Status.NOT_DUE
        grade.notes.append(f"nothing collected yet; due {due.due.isoformat()}")
    else:
        grade.notes.append("nothing collected")
    return grade


def _unmatched(course: Course, manual: Mapping[ManualKey, ManualScore], seen: set[tuple[str, str]],
               students: list[str]) -> list[str]:
    """Typos that would otherwise silently change nothing: an extension or a manual score
    for a student who is not in the class."""
    warnings = []
    known = set(students)
    for spec in course.assignments:
        for student in spec.extensions:
            if student not in known:
                warnings.append(f"course.yml: {spec.name} has an extension for {student!r}, "
                                "who has no submission and is not in the roster")
    for student, assignment, problem in sorted(manual):
        if (student, assignment) not in seen:
            warnings.append(f"manual score for {student}/{assignment}/{problem} has no graded "
                            "submission: not used")
    return warnings


def _hours(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.2f}".rstrip("0").rstrip(".")


def number(x: float | None) -> str:
    """Points as people write them: 2, 1.5, 0.33."""
    if x is None:
        return ""
    return f"{round(x, 2):.2f}".rstrip("0").rstrip(".")


COLUMNS = ["student", "assignment", "autograded", "manual", "late_penalty", "total",
           "possible", "status", "submitted_at", "due", "hours_late", "notes"]


def final_csv(grades: list[FinalGrade]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for g in grades:
        shown_in = g.due.tzinfo if g.due else None  # times in the deadline's own zone
        writer.writerow([
            g.student, g.assignment, number(g.autograded),
            "pending" if g.has_manual and g.manual is None else number(g.manual),
            number(g.penalty) if g.autograded is not None and
            g.status != Status.NEEDS_REVIEW else "",
            "pending" if g.status == Status.PENDING else number(g.total),
            number(g.possible), str(g.status),
            g.submitted_at.astimezone(shown_in).isoformat(timespec="seconds")
            if g.submitted_at else "",
            g.due.isoformat(timespec="seconds") if g.due else "",
            _hours(g.late_by) if g.submitted_at else "",
            "; ".join(g.notes + g.warnings),
        ])
    return buffer.getvalue()
