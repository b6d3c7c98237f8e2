"""A submission's late work: when it came in, its due time, how late, what it costs.

The one place this is decided, so the feedback page, the summary, final.csv and Canvas
agree. The time a submission came in is the instructor's word in course.yml
(`assignments[].submitted_at`), else nbgrader's timestamp.txt in its folder. When that
time cannot be known (no file, not a time, no zone) the course's `timestamps` policy
decides (config.Timestamps): by default the grade *needs review*, which no report turns
into an on-time final; the instructor resolves it by correcting timestamp.txt or by
writing the time into `submitted_at`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from autograder.config import REVIEW, Assignment, Course, LatePolicy
from autograder.lateness.rules import deadline, lateness, policy
from autograder.lateness.submission_time import (
    TIMESTAMP_FILE,
    Unknown,
    fixed_offset,
    read_submission_time,
)
from autograder.results import SubmissionResult


class LateStatus(StrEnum):
    NO_DUE_TIME = "no due time"  # nothing to say
    ON_TIME = "on time"
    GRACE = "within the grace period"  # after the due time, counted as on time
    LATE = "late"
    NEEDS_REVIEW = "needs review"  # the time is unknown and the policy says review


# What a student is told when their submission's time is unknown: no path, no file content.
_FOR_STUDENTS = {
    Unknown.MISSING: "no record of when your work was submitted was found",
    Unknown.UNREADABLE: "the record of when your work was submitted could not be read",
    Unknown.NO_ZONE: "the record of when your work was submitted has no time zone",
}


@dataclass(frozen=True)
class LateWork:
    status: LateStatus
    due: datetime | None = None  # this student's due time (extension included)
    submitted_at: datetime | None = None
    late_by: timedelta = timedelta(0)
    periods: int = 0  # started hours or days late
    penalty: float = 0.0  # points deducted
    rule: LatePolicy | None = None
    extension: str = ""  # how this student's due time differs from the assignment's
    problem: str = ""  # NEEDS_REVIEW: why, for the instructor (may name paths)
    for_students: str = ""  # NEEDS_REVIEW: why, for the student
    notes: list[str] = field(default_factory=list)  # how the time was read, for final.csv

    @property
    def hours_late(self) -> float:
        return round(self.late_by / timedelta(hours=1), 2)

    def shown(self, at: datetime | None) -> str:
        """AT in the due time's own zone, as people read it."""
        if at is None:
            return ""
        zone = self.due.tzinfo if self.due is not None else None
        return at.astimezone(zone).isoformat(sep=" ", timespec="seconds")

    @property
    def what_it_costs(self) -> str:
        """The rule in words: "10% of the points per started hour, at most 50%"."""
        if self.rule is None:
            return "no late policy: lateness costs nothing"
        deduct = self.rule.deduct
        amount = f"{deduct.value:g}% of the points" if deduct.percent else \
            f"{deduct.value:g} point{'s' * (deduct.value != 1)}"
        cap = self.rule.cap
        most = "" if cap is None else \
            f", at most {cap.value:g}{'%' if cap.percent else ' points'}"
        return f"{amount} per started {self.rule.per}{most}"

    def after_penalty(self, total: float) -> float:
        return round(max(0.0, total - self.penalty), 2)


def late_work(course: Course, spec: Assignment, student: str, folder: Path | None,
              possible: float) -> LateWork:
    """STUDENT's late work on SPEC, whose submission is in FOLDER (None: not known), for an
    assignment of POSSIBLE points."""
    due = deadline(spec, student)
    if due.due is None:
        return LateWork(LateStatus.NO_DUE_TIME)
    rule = policy(course, spec)
    notes = [due.extension] if due.extension else []
    declared = spec.submitted_at.get(student)
    if declared is not None:
        at: datetime | None = fixed_offset(declared)
        notes.append("submission time from course.yml (submitted_at)")
    else:
        at = _time_in(course, folder, notes)
        if isinstance(at, LateWork):
            return replace(at, due=due.due, rule=rule, extension=due.extension, notes=notes)
    assert at is not None
    late = lateness(rule, due.due, at, possible)
    if late.late_by:
        status = LateStatus.LATE
    elif at.astimezone(UTC) > due.due.astimezone(UTC):
        status = LateStatus.GRACE
    else:
        status = LateStatus.ON_TIME
    return LateWork(status, due.due, at, late.late_by, late.periods, late.penalty, rule,
                    due.extension, notes=notes)


def _time_in(course: Course, folder: Path | None, notes: list[str]) -> datetime | LateWork:
    """The time FOLDER's timestamp.txt says, as course.yml's `timestamps` reads it; a
    LateWork when it stays unknown (on time, or needs review)."""
    if folder is None:
        when_problem, unknown, clock = ("the submission's folder is unknown (give "
                                        "--submitted)", Unknown.MISSING, None)
    else:
        when = read_submission_time(folder)
        if when.at is not None:
            return when.at
        when_problem, unknown, clock = when.problem, when.unknown, when.clock
    assert unknown is not None
    rule = getattr(course.timestamps, unknown.value)
    if unknown == Unknown.NO_ZONE and rule != REVIEW:
        assert clock is not None
        zone = UTC if rule.upper() in ("UTC", "Z", "GMT") else ZoneInfo(rule)
        notes.append(f"{TIMESTAMP_FILE} has no time zone: read in {rule} (course.yml "
                     "timestamps.no_zone)")
        return fixed_offset(clock.replace(tzinfo=zone))
    if rule == "on_time":
        notes.append(f"{when_problem}: counted as on time (course.yml timestamps."
                     f"{unknown.value}: on_time)")
        return LateWork(LateStatus.ON_TIME)
    return LateWork(LateStatus.NEEDS_REVIEW,
                    problem=f"{when_problem}; correct it, or write the time in course.yml "
                            f"(assignments[].submitted_at), or set timestamps.{unknown.value}",
                    for_students=_FOR_STUDENTS[unknown])


def late_work_of(course: Course, result: SubmissionResult) -> LateWork:
    """The late work of a graded submission, from the folder it was graded from."""
    spec = course.assignment(result.assignment)
    possible = round(sum(p.points for p in spec.problems.values()), 6)
    return late_work(course, spec, result.student,
                     Path(result.submitted) if result.submitted else None, possible)
