"""Step 6, report, for one submission: its feedback.html and results.json."""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from autograder.config import Course
from autograder.lateness.late_work import LateStatus, LateWork, late_work_of
from autograder.reports.feedback_view import figure_caption, notebook_view
from autograder.reports.files import templates, write_atomic
from autograder.results import SubmissionResult, results_json


def write_submission_reports(out: Path, result: SubmissionResult,
                             late: LateWork | None = None) -> None:
    """OUT/<student>/<assignment>/feedback.html (with its LATE work) and results.json."""
    folder = out / result.student / result.assignment
    write_atomic(folder / "feedback.html", render_feedback(result, late))
    # results.json last: its presence marks the submission as done for a resumed run.
    write_atomic(folder / "results.json", results_json(result))


def render_feedback(result: SubmissionResult, late: LateWork | None = None, *,
                    whole: SubmissionResult | None = None) -> str:
    """RESULT's feedback page; WHOLE: the assignment's result when RESULT holds one of
    its notebooks (course feedback), for the late work, which is the assignment's."""
    views = {nb.notebook: notebook_view(nb) for nb in result.notebooks}
    return templates.get_template("feedback.html").render(
        r=result, views=views, figures=feedback_figures(result),
        late_block=late_work_block(whole or result, late))


def late_work_block(result: SubmissionResult, late: LateWork | None) -> Markup:
    """The feedback page's part on when the work came in (empty without a due time):
    about the whole assignment, also on a page of one of its notebooks."""
    if late is None or late.status == LateStatus.NO_DUE_TIME:
        return Markup("")
    pending = any(p.points is None for p in result.problems)
    return Markup(templates.get_template("late_work.html").render(
        late=late, total=result.total, possible=result.possible, pending=pending))


def refresh_late_work(course: Course, out: Path, results: list[SubmissionResult]) -> int:
    """Rewrite the feedback pages that do not show their submission's late work as it
    is now (course.yml's due times, extensions and timestamps policy change without a
    regrade); the number rewritten. Reading a page is cheap, rendering one is not."""
    rewritten = 0
    for result in results:
        late = late_work_of(course, result)
        page = out / result.student / result.assignment / "feedback.html"
        try:
            shown = page.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            shown = ""
        if str(late_work_block(result, late)) not in shown or (
                late.status == LateStatus.NO_DUE_TIME and 'id="late-work"' in shown):
            write_submission_reports(out, result, late)
            rewritten += 1
    return rewritten


def feedback_figures(result: SubmissionResult) -> dict[str, list[dict[str, str]]]:
    """notebook -> plots drawn from what the graders attached (grading.attach)."""
    found: dict[str, list[dict[str, str]]] = {}
    for nb in result.notebooks:
        for art in nb.artifacts:
            if art.get("kind") != "fit":
                continue
            # matplotlib only when there is something to draw
            from autograder.reports.figures import fit_figure

            caption = figure_caption(nb, art["problem"])
            try:
                src = fit_figure(art["data"], art["problem"], art.get("labels"))
            except Exception as exc:  # a plot is secondary: the page and the grade go on
                src, caption = "", f"{art.get('problem')}: the plot could not be drawn " \
                                   f"({type(exc).__name__}: {str(exc)[:200]})"
            found.setdefault(nb.notebook, []).append({"src": src, "caption": caption})
    return found
