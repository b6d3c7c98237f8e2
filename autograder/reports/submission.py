"""Step 6, report, for one submission: its feedback.html and results.json."""

from __future__ import annotations

import json
from pathlib import Path

from autograder.reports.feedback_view import figure_caption, notebook_view
from autograder.reports.files import templates, write_atomic
from autograder.results import SubmissionResult


def write_submission_reports(out: Path, result: SubmissionResult) -> None:
    folder = out / result.student / result.assignment
    write_atomic(folder / "feedback.html", render_feedback(result))
    # results.json last: its presence marks the submission as done for a resumed run.
    write_atomic(folder / "results.json",
                 json.dumps(result.to_dict(), indent=2, ensure_ascii=False))


def render_feedback(result: SubmissionResult) -> str:
    views = {nb.notebook: notebook_view(nb) for nb in result.notebooks}
    return templates.get_template("feedback.html").render(r=result, views=views,
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

            caption = figure_caption(nb, art["problem"])
            try:
                src = fit_figure(art["data"], art["problem"], art.get("labels"))
            except Exception as exc:  # a plot is secondary: the page and the grade go on
                src, caption = "", f"{art.get('problem')}: the plot could not be drawn " \
                                   f"({type(exc).__name__}: {str(exc)[:200]})"
            found.setdefault(nb.notebook, []).append({"src": src, "caption": caption})
    return found
