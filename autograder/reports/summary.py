"""OUT_DIR/summary.html: the instructor's view of a graded class.

Per assignment: a histogram of the scores and the share of full marks per problem
(matplotlib figures embedded as PNG), the slowest notebooks, the notebooks that were
not graded and why, every change the restore step undid and every cell that failed,
with its student, the pairs of submissions whose solution code is near-identical
(see similarity.py; needs the submitted folder), each manually graded problem's
written answers side by side, with the scores and comments people gave them, and, for an
assignment with a due time, the submissions that came in late or whose time needs review.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from autograder.config import Assignment, Course
from autograder.lateness.late_work import LateStatus, late_work_of
from autograder.reports.figures import histogram, pass_rates
from autograder.reports.files import templates, write_atomic
from autograder.reports.similarity import Pair
from autograder.results import BROKEN_CELL, NotebookStatus, ProblemScore, SubmissionResult

SLOWEST = 10


def write_summary(course: Course, out: Path, results: list[SubmissionResult],
                  pairs: dict[str, list[Pair]] | None = None,
                  failed: list[str] | None = None) -> None:
    write_atomic(out / "summary.html", render_summary(course, results, pairs, failed))


def render_summary(course: Course, results: list[SubmissionResult],
                   pairs: dict[str, list[Pair]] | None = None,
                   failed: list[str] | None = None) -> str:
    """PAIRS: assignment -> similar pairs, from similarity.class_pairs (None: not checked).
    FAILED: secondary passes that failed; a figure that fails to draw is added to it."""
    failed = failed if failed is not None else []
    sections = []
    for a in course.assignments:
        mine = [r for r in results if r.assignment == a.name]
        if mine:
            sections.append(assignment_summary(
                course, a, mine, None if pairs is None else pairs.get(a.name, []), failed))
    return templates.get_template("summary.html").render(
        course=course, sections=sections, submissions=len(results),
        threshold=course.similarity_threshold, failed=failed)


def _figure(failed: list[str], what: str, draw: Callable[[], str]) -> str:
    """A figure's data URI, or "" (and a line in FAILED) when it cannot be drawn."""
    try:
        return draw()
    except Exception as exc:  # a plot is secondary: the page goes on without it
        failed.append(f"figure not drawn ({what}): {type(exc).__name__}: {exc}")
        return ""


def assignment_summary(course: Course, a: Assignment, results: list[SubmissionResult],
                       pairs: list[Pair] | None, failed: list[str] | None = None
                       ) -> dict[str, Any]:
    failed = failed if failed is not None else []
    totals = [r.total for r in results]
    possible = sum(p.points for p in a.problems.values())
    pending = sum(p.points is None for r in results for p in r.problems)
    problems = _problem_rows(a, results)
    rates = {p["problem"]: p["full_share"] for p in problems if not p["manual"]}
    notebooks = [(r.student, nb) for r in results for nb in r.notebooks]
    return {
        "name": a.name,
        "count": len(results),
        "possible": possible,
        "pending": pending,
        "mean": statistics.fmean(totals),
        "median": statistics.median(totals),
        "histogram": _figure(failed, f"{a.name} histogram", lambda: histogram(
            totals, possible, f"{a.name}: scores of {len(results)} submission(s)")),
        "rates_figure": _figure(failed, f"{a.name} pass rates", lambda: pass_rates(
            rates, f"{a.name}: full marks per problem")) if rates else "",
        "problems": problems,
        "answers": _written_answers(a, results),
        "late": _late_work(course, a, results),
        "slowest": sorted(({"student": s, "notebook": nb.notebook,
                            "seconds": nb.seconds,
                            "restarts": nb.restarts}
                           for s, nb in notebooks),
                          key=lambda row: -row["seconds"])[:SLOWEST],
        "not_graded": [{"student": s, "notebook": nb.notebook, "status": nb.status,
                        "reason": nb.reason}
                       for s, nb in notebooks if nb.status != NotebookStatus.GRADED],
        "changes": [{"student": s, "notebook": nb.notebook, **ch.to_dict()}
                    for s, nb in notebooks for ch in nb.changes],
        "cell_errors": [{"student": s, "notebook": nb.notebook, **c.to_dict()}
                        for s, nb in notebooks for c in nb.cells
                        if c.status in BROKEN_CELL],
        "pairs": [vars(p) for p in pairs or []],
        "similarity_checked": pairs is not None,
    }


def _late_work(course: Course, a: Assignment, results: list[SubmissionResult]
               ) -> dict[str, Any] | None:
    """When each submission came in against its due time (None: no due time): the late
    ones, those within the grace period and those whose time needs review, and a count
    of the others, on time."""
    if a.due is None:
        return None
    rows = []
    for r in results:
        late = late_work_of(course, r)
        if late.status != LateStatus.ON_TIME or late.notes:
            rows.append({"student": r.student, "late": late})
    on_time = len(results) - len(rows)
    review = sum(row["late"].status == LateStatus.NEEDS_REVIEW for row in rows)
    return {"rows": rows, "on_time": on_time, "review": review}


def _written_answers(a: Assignment, results: list[SubmissionResult]
                     ) -> list[dict[str, Any]]:
    """Per manual problem, every student's answer with its score and comment."""
    found = []
    for problem, spec in a.problems.items():
        if not spec.manual:
            continue
        rows = [{"student": r.student, "answer": p.answer, "points": p.points,
                 "possible": p.possible, "comment": p.comment, "graded_by": p.graded_by}
                for r in results for p in r.problems if p.problem == problem]
        found.append({"problem": problem, "points": spec.points, "rows": rows,
                      "pending": sum(row["points"] is None for row in rows)})
    return found


def _problem_rows(a: Assignment, results: list[SubmissionResult]) -> list[dict[str, Any]]:
    scores: dict[str, list[ProblemScore]] = {p: [] for p in a.problems}
    for r in results:
        for nb in r.notebooks:
            for p in nb.problems:
                scores.setdefault(p.problem, []).append(p)
    rows = []
    for problem, found in scores.items():
        spec = a.problems.get(problem)
        graded = [p for p in found if p.points is not None]
        full = [p for p in graded if p.points >= p.possible]
        rows.append({
            "problem": problem,
            "points": spec.points if spec else (found[0].possible if found else 0),
            "manual": bool(spec and spec.manual),
            "pending": len(found) - len(graded),
            "mean": statistics.fmean(p.points for p in graded) if graded else None,
            "full_share": len(full) / len(graded) if graded else 0.0,
            "zero_share": sum(p.points == 0 for p in graded) / len(graded) if graded else 0.0,
        })
    return rows
