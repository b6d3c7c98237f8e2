"""Late work: a student's due time (extensions included) and what lateness costs.

All arithmetic is on instants in UTC, never on wall-clock readings (Python subtracts two
times of the same named zone by their clocks), so time zones and summer time cannot
shift a deadline: a day is 24 hours, an extension of 2 days is 48 hours
after the assignment's due time. Lateness counts from the due time, not from the end
of the grace period: a submission 20 minutes late with 15 minutes of grace is one
started hour (or day) late. Each started hour or day deducts the policy's amount, at
most its cap; a percentage is of the assignment's points.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from autograder.config import Assignment, Course, LatePolicy

PERIOD = {"hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass(frozen=True)
class Deadline:
    due: datetime | None  # None: the assignment has no due time
    extension: str = ""  # how this student's due time differs from the assignment's


@dataclass(frozen=True)
class Lateness:
    late_by: timedelta  # zero when on time or within the grace period
    periods: int  # started hours or days late
    penalty: float  # points deducted


ON_TIME = Lateness(timedelta(0), 0, 0.0)


def deadline(assignment: Assignment, student: str) -> Deadline:
    """STUDENT's due time for ASSIGNMENT, with their extension if they have one."""
    if assignment.due is None:
        return Deadline(None)
    ext = assignment.extensions.get(student)
    if ext is None:
        return Deadline(assignment.due)
    if ext.due is not None:
        return Deadline(ext.due, f"extension to {ext.due.isoformat()}")
    due = assignment.due.astimezone(UTC)
    if ext.extra_hours is not None:
        extra, said = timedelta(hours=ext.extra_hours), f"extension of {ext.extra_hours:g} h"
    else:
        assert ext.extra_days is not None  # the config allows exactly one of the three
        extra, said = timedelta(days=ext.extra_days), f"extension of {ext.extra_days:g} day(s)"
    # Shown in the zone the due time was written in.
    return Deadline((due + extra).astimezone(assignment.due.tzinfo), said)


def policy(course: Course, assignment: Assignment) -> LatePolicy | None:
    """The assignment's own late policy, else the course's."""
    return assignment.late or course.late


def lateness(rule: LatePolicy | None, due: datetime | None, submitted_at: datetime | None,
             possible: float) -> Lateness:
    """What a submission at SUBMITTED_AT costs under RULE, for an assignment of POSSIBLE
    points due at DUE. Unknown times and a missing rule or due time cost nothing."""
    if due is None or submitted_at is None:
        return ON_TIME
    late_by = submitted_at.astimezone(UTC) - due.astimezone(UTC)
    grace = timedelta(minutes=rule.grace_minutes) if rule else timedelta(0)
    if late_by <= grace:
        return ON_TIME
    if rule is None:  # late, but the course deducts nothing for it
        return Lateness(late_by, 0, 0.0)
    period = PERIOD[rule.per]
    periods = -(-late_by // period)  # started periods: exact, on whole microseconds
    cap = rule.cap.points(possible) if rule.cap is not None else possible
    penalty = min(periods * rule.deduct.points(possible), cap, possible)
    return Lateness(late_by, periods, round(penalty, 6))
