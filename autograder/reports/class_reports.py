"""The class's reports: grades.csv, summary.html and the terminal's summary table."""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path
from typing import Any

from autograder.config import Course
from autograder.lateness.late_work import LateStatus, late_work_of
from autograder.reports.files import write_atomic
from autograder.reports.summary import write_summary
from autograder.results import NotebookStatus, SubmissionResult


def grades_csv(course: Course, results: list[SubmissionResult]) -> str:
    """One row per (student, assignment); manual problems say 'pending', not 0."""
    columns = [g for a in course.assignments for g in a.problems]
    columns = list(dict.fromkeys(columns))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "assignment", *columns, "total", "possible"])
    for r in results:
        earned = {p.problem: p.points for nb in r.notebooks for p in nb.problems}
        row = [r.student, r.assignment]
        for g in columns:
            value = earned.get(g, "")
            row.append("pending" if value is None else _number(value) if value != "" else "")
        writer.writerow([*row, _number(r.total), _number(r.possible)])
    return buffer.getvalue()


def _number(x: float) -> str:
    return f"{x:g}"


def write_class_reports(course: Course, out: Path, results: list[SubmissionResult],
                        pairs: dict[str, list[Any]] | None = None,
                        failed: list[str] | None = None) -> list[str]:
    """grades.csv and summary.html; PAIRS from similarity.class_pairs (None: not checked).

    grades.csv comes first and always; a secondary pass that failed (FAILED: the
    similarity check, then any part of the summary) is shown on the summary page and
    returned, so that the command reports it."""
    write_atomic(out / "grades.csv", grades_csv(course, results))
    failed = list(failed or [])
    try:
        write_summary(course, out, results, pairs, failed)
    except Exception as exc:  # the page itself: write a plain one that says so
        failed.append(f"summary page not rendered: {type(exc).__name__}: {exc}")
        write_atomic(out / "summary.html", "<!doctype html>\n<title>summary</title>\n"
                     "<p>The summary page could not be rendered: "
                     f"{html.escape(failed[-1])}. grades.csv is complete.</p>\n")
    return failed


def summary_table(course: Course, results: list[SubmissionResult]) -> str:
    """A plain-text table for the terminal: one line per submission, then pass rates."""
    lines = []
    width = max([len(r.student) for r in results] + [7])
    lines.append(f"{'student':<{width}}  {'assignment':<18} {'score':>11}  notes")
    for r in results:
        notes = []
        for nb in r.notebooks:
            if nb.status != NotebookStatus.GRADED:
                notes.append(f"{nb.notebook}: {nb.reason.splitlines()[0][:60]}")
            elif any(c.kind == "marks_lost" for c in nb.changes):
                notes.append(f"{nb.notebook}: lost its grading marks; cells found by content")
            elif nb.changes:
                notes.append(f"{nb.notebook}: {len(nb.changes)} cell change(s) restored")
        late = late_work_of(course, r)
        if late.status == LateStatus.LATE:
            notes.append(f"{late.hours_late:g} h late, penalty {late.penalty:g}")
        elif late.status == LateStatus.NEEDS_REVIEW:
            notes.append("submission time needs review (see summary.html)")
        score = f"{r.total:g}/{r.possible:g}"
        lines.append(f"{r.student:<{width}}  {r.assignment:<18} {score:>11}  "
                     + "; ".join(notes))
    rates: dict[str, list[float]] = {}
    for r in results:
        for nb in r.notebooks:
            for p in nb.problems:
                if p.points is not None and p.possible:
                    rates.setdefault(p.problem, []).append(p.points / p.possible)
    if rates:
        lines.append("")
        lines.append("problem                   mean score")
        for problem, values in rates.items():
            lines.append(f"{problem:<25} {100 * sum(values) / len(values):9.0f}%")
    return "\n".join(lines)
