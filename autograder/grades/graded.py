"""What an autograde run left in its --out folder: OUT/<student>/<assignment>/results.json."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from autograder.config import Course
from autograder.errors import CourseKitError, ResultsUnreadable
from autograder.results import SubmissionResult, read_results


@dataclass
class Graded:
    results: list[SubmissionResult]
    unreadable: list[tuple[str, str, str]] = field(default_factory=list)  # student, assignment, why


def read_graded(course: Course, out: Path) -> Graded:
    """Every results.json under OUT for an assignment of COURSE, in student order; one
    that cannot be read is listed with the reason, never skipped silently."""
    if not out.is_dir():
        raise CourseKitError(f"{out}: no such folder; give the --out folder of course autograde")
    known = {a.name for a in course.assignments}
    graded = Graded([])
    for path in sorted(out.glob("*/*/results.json")):
        student, assignment = path.parent.parent.name, path.parent.name
        if assignment not in known:
            continue
        try:
            result = read_results(path)
        except ResultsUnreadable as exc:
            graded.unreadable.append((student, assignment, f"{exc}; grade it again"))
            continue
        if (result.student, result.assignment) != (student, assignment):
            graded.unreadable.append((student, assignment, f"{path} holds the result of "
                                      f"{result.student}/{result.assignment}; grade it again"))
            continue
        graded.results.append(result)
    if not graded.results and not graded.unreadable:
        raise CourseKitError(f"{out}: no results.json found; is it the --out folder of "
                             "course autograde?")
    return graded
