"""The written answers: the text of each manually graded problem's cell, as restored.

A person grades these, so the kit only reads them: for the summary, where an instructor
reads a class's answers side by side, and for the formgrader. An answer left as the
release's stub ("YOUR ANSWER HERE"), emptied, or deleted is no answer, which scores 0
without a person, as nbgrader does for a solution cell the student did not change.
"""

from __future__ import annotations

from typing import Any

from autograder.config import Notebook
from autograder.notebook_cells import grade_id

MAX_ANSWER = 20_000  # characters kept per answer: enough for any essay, bounded for a hostile one


def cell_text(cell: Any) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def written_answers(restored: Any, release: Any | None, spec: Notebook) -> dict[str, str]:
    """manual problem -> the student's answer in RESTORED ("" when none was given).

    RELEASE is the student version of the notebook (None if it is missing): an answer
    equal to its stub counts as none."""
    stubs = {grade_id(c): cell_text(c).strip() for c in (release.cells if release else [])}
    cells = {grade_id(c): c for c in restored.cells if grade_id(c)}
    answers = {}
    for problem, p in spec.problems.items():
        if not p.manual:
            continue
        text = cell_text(cells[problem]).strip() if problem in cells else ""
        if text == stubs.get(problem):
            text = ""
        if len(text) > MAX_ANSWER:
            text = text[:MAX_ANSWER] + f"\n\n[... {len(text) - MAX_ANSWER} more characters]"
        answers[problem] = text
    return answers
