"""`course grades OUT`: final.csv, and with a roster the report and Canvas's import file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from autograder.config import Course
from autograder.grades.canvas import KIT_ID, canvas_csv, read_roster, roster_report
from autograder.grades.final import FinalGrade, Status, final_csv, final_grades
from autograder.grades.graded import read_graded
from autograder.integrations.manual_scores import read_manual_scores
from autograder.reports.files import write_atomic


@dataclass
class GradesWritten:
    grades: list[FinalGrade]
    files: list[Path]
    warnings: list[str] = field(default_factory=list)  # for stderr
    roster_report: list[str] = field(default_factory=list)

    def counts(self) -> dict[Status, int]:
        found = {s: 0 for s in Status}
        for g in self.grades:
            found[g.status] += 1
        return found


def write_grades(course: Course, out: Path, *, manual_scores: str | Path | None = None,
                 submitted: Path | None = None, roster: Path | None = None,
                 canvas: bool = False, now: datetime | None = None,
                 roster_id: str = KIT_ID) -> GradesWritten:
    """Write OUT/final.csv; with ROSTER also OUT/roster-report.txt, and with CANVAS
    OUT/canvas.csv. MANUAL_SCORES: an nbgrader gradebook or a CSV (manual_scores.py).
    ROSTER_ID: the roster's column of the kit's student ids."""
    if canvas and roster is None:
        from autograder.errors import CourseKitError

        raise CourseKitError("--canvas needs --roster ROSTER.csv: the roster maps the kit's "
                             "student ids to Canvas's")
    if submitted is not None and not submitted.is_dir():
        from autograder.errors import CourseKitError

        raise CourseKitError(f"{submitted}: no such folder (give nbgrader's submitted/)")
    entries = read_roster(roster, roster_id) if roster is not None else []
    manual = read_manual_scores(course, manual_scores) if manual_scores is not None else {}
    graded = read_graded(course, out)
    grades, warnings = final_grades(course, graded, manual, now=now or datetime.now(UTC),
                                    submitted=submitted, roster=[e.student for e in entries])
    written = GradesWritten(grades, [out / "final.csv"], warnings)
    write_atomic(out / "final.csv", final_csv(grades))
    if roster is not None:
        written.roster_report = roster_report(grades, entries)
        report = "".join(f"{line}\n" for line in written.roster_report) or \
            "every student in the roster has a final grade, and every graded student is in it\n"
        write_atomic(out / "roster-report.txt", report)
        written.files.append(out / "roster-report.txt")
    if canvas:
        write_atomic(out / "canvas.csv", canvas_csv(grades, entries))
        written.files.append(out / "canvas.csv")
    return written
