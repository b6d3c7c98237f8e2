"""Step 6, report, for one submission: its feedback.html and results.json."""

from __future__ import annotations

from pathlib import Path

from autograder.reports.files import templates, write_atomic
from autograder.results import SubmissionResult, results_json


def write_submission_reports(out: Path, result: SubmissionResult) -> None:
    folder = out / result.student / result.assignment
    write_atomic(folder / "feedback.html", render_feedback(result))
    # results.json last: its presence marks the submission as done for a resumed run.
    write_atomic(folder / "results.json", results_json(result))


def render_feedback(result: SubmissionResult) -> str:
    return templates.get_template("feedback.html").render(r=result,
                                                          figures=feedback_figures(result))


def feedback_figures(result: SubmissionResult) -> dict[str, list[dict[str, str]]]:
    """notebook -> plots drawn from what the graders attached (grading.attach)."""
    found: dict[str, list[dict[str, str]]] = {}
    for nb in result.notebooks:
        for art in nb.artifacts:
            if art.get("kind") != "fit":
                continue
            # matplotlib only when there is something to draw
            from autograder.reports.figures import fit_figure

            passed = {t.name: t.passed for t in nb.tests}.get(art.get("test"))
            caption = (f"{art['problem']}: your fit (blue) against the data and the "
                       "least-squares fit (green, dashed), on the grader's data"
                       + ("" if passed is None else " (this check passed)" if passed
                          else " (this check failed)"))
            try:
                src = fit_figure(art["data"], art["problem"], art.get("labels"))
            except Exception as exc:  # a plot is secondary: the page and the grade go on
                src, caption = "", f"{art.get('problem')}: the plot could not be drawn " \
                                   f"({type(exc).__name__}: {str(exc)[:200]})"
            found.setdefault(nb.notebook, []).append({"src": src, "caption": caption})
    return found
