"""What a feedback page shows of a notebook, so that a student reads it in one sitting.

- A problem not attempted yet (every check it failed, failed on NotImplementedError)
  is one line, not its checks' tracebacks, and the cells that stopped at the same
  NotImplementedError are counted, not listed.
- Cells are named as the student knows them (check.py names them the same way): a test
  cell as the test of its problem, an answer cell as the answer, others by number.
- A figure's caption states its problem's verdict, never "passed" under a problem that
  earned 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from autograder.results import BROKEN_CELL, CellOutcome, NotebookResult, TestResult

NOT_WRITTEN = "NotImplementedError"


def _not_written(message: str) -> bool:
    return NOT_WRITTEN in message


@dataclass
class NotebookView:
    unattempted: list[str] = field(default_factory=list)  # problems, in the notebook's order
    to_fix: list[TestResult] = field(default_factory=list)  # failed checks of attempted ones
    broken: list[tuple[str, CellOutcome, str]] = field(default_factory=list)  # name, cell, hint
    not_run: int = 0  # cells that stopped at an unwritten function's NotImplementedError


def unattempted(nb: NotebookResult) -> list[str]:
    """Problems whose every failed check failed on NotImplementedError and none passed."""
    found = []
    for p in nb.problems:
        checks = [t for t in nb.tests if t.problem == p.problem]
        if not p.manual and checks and not any(t.passed for t in checks) \
                and all(_not_written(t.message) for t in checks):
            found.append(p.problem)
    return found


def cell_label(label: str, problems: set[str]) -> str:
    """LABEL (a grade_id, or execute.py's "cell N (heading)") as the student knows it."""
    if label in problems:
        return f"your answer to `{label}`"
    if label.startswith("test_") and label.removeprefix("test_") in problems:
        return f"the test cell of `{label.removeprefix('test_')}`"
    return label if label.startswith("cell ") else f"the read-only cell `{label}`"


def notebook_view(nb: NotebookResult) -> NotebookView:
    view = NotebookView(unattempted=unattempted(nb))
    skipped = set(view.unattempted)
    view.to_fix = [t for t in nb.tests if not t.passed and t.problem not in skipped]
    names = {p.problem for p in nb.problems}
    for cell in nb.cells:
        if cell.status not in BROKEN_CELL:
            continue
        last = (cell.error.strip().splitlines() or [""])[-1]
        if skipped and last.startswith(NOT_WRITTEN):  # the stub's error: listed above
            view.not_run += 1
        else:
            view.broken.append((cell_label(cell.label, names), cell, knock_on(nb, cell.label)))
    return view


def knock_on(nb: NotebookResult, label: str) -> str:
    """For a failed test cell: the problems its own problem calls that lost points, the
    likely cause of a failure that grading (with reference helpers) did not charge."""
    own = nb.score_of(label.removeprefix("test_")) if label.startswith("test_") else None
    if own is None:
        return ""
    lost = [h for h in own.helpers if (p := nb.score_of(h)) is not None
            and p.points is not None and p.points < p.possible]
    if not lost:
        return ""
    names = ", ".join(f"`{h}`" for h in lost)
    return (f"Likely cause: {names}, which `{own.problem}` calls and which lost points above; "
            "fix that first.")


def figure_caption(nb: NotebookResult, problem: str) -> str:
    """The caption of PROBLEM's fit plot: what it shows and the problem's verdict."""
    shows = (f"{problem}: your fit (blue) against the data and the least-squares fit "
             "(green, dashed), on the grader's data")
    p = nb.score_of(problem)
    if p is None or p.points is None:
        return shows
    if p.points >= p.possible:
        return f"{shows}. Full marks for this problem ({p.points:g} / {p.possible:g})."
    return (f"{shows}. This problem earned {p.points:g} of {p.possible:g} points: see its "
            "verdict above.")
