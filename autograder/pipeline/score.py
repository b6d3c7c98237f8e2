"""Step 5, score: points per problem from course.yml, outside the sandbox.

A manually graded problem is pending until a person scores it (its score then comes
from nbgrader's gradebook or a CSV, see `apply_manual_scores`), except a written answer
that was never given, which scores 0 as nbgrader scores it.
"""

from __future__ import annotations

from collections.abc import Mapping

from autograder.config import Notebook
from autograder.results import (
    GRADED_BY_INSTRUCTOR,
    ManualScore,
    ProblemScore,
    SubmissionResult,
    TestResult,
)

ManualKey = tuple[str, str, str]  # (student, assignment, problem)


def manual_score(problem: str, possible: float, answer: str) -> ProblemScore:
    """A manual problem as grading leaves it: pending, or 0 when no answer was given."""
    return ProblemScore(problem, 0.0 if not answer else None, possible, 0, 0, manual=True,
                        answer=answer)


def score(notebook: Notebook, results: list[TestResult],
          answers: Mapping[str, str] | None = None) -> list[ProblemScore]:
    """Share of a problem's tests passed times its points (or all-or-nothing).

    ANSWERS holds the written answers of the manual problems (answers.written_answers);
    without it they are all pending."""
    scores = []
    for grade_id, spec in notebook.problems.items():
        if spec.manual:
            if answers is None:
                scores.append(ProblemScore(grade_id, None, spec.points, 0, 0, manual=True))
            else:
                scores.append(manual_score(grade_id, spec.points, answers.get(grade_id, "")))
            continue
        mine = [r for r in results if r.problem == grade_id]
        passed = sum(r.passed for r in mine)
        if not mine:
            earned = 0.0
        elif spec.all_or_nothing:
            earned = spec.points if passed == len(mine) else 0.0
        else:
            earned = round(spec.points * passed / len(mine), 2)
        counts = not spec.all_or_nothing or passed == len(mine)
        for r in mine:
            r.points = round(spec.points / len(mine), 4) if r.passed and counts else 0.0
        scores.append(ProblemScore(grade_id, earned, spec.points, passed, len(mine)))
    return scores


def apply_manual_scores(result: SubmissionResult,
                        scores: Mapping[ManualKey, ManualScore]) -> bool:
    """Put the people's SCORES on RESULT's manual problems; True if anything changed.

    SCORES is the authority: a problem it does not score goes back to what grading gave
    it (pending, or 0 for no answer), so a score deleted in the gradebook disappears."""
    changed = False
    for nb in result.notebooks:
        for p in nb.problems:
            if not p.manual:
                continue
            given = scores.get((result.student, result.assignment, p.problem))
            if given is not None:
                new = (float(given.points), given.comment, GRADED_BY_INSTRUCTOR)
            elif p.graded_by == GRADED_BY_INSTRUCTOR:
                new = (manual_score(p.problem, p.possible, p.answer).points, "", "")
            else:
                continue
            if (p.points, p.comment, p.graded_by) != new:
                p.points, p.comment, p.graded_by = new
                changed = True
    return changed


def recorded_manual_scores(result: SubmissionResult) -> dict[ManualKey, ManualScore]:
    """The people's scores RESULT already carries (a results.json of an earlier run)."""
    return {(result.student, result.assignment, p.problem): ManualScore(p.points, p.comment)
            for p in result.problems
            if p.manual and p.graded_by == GRADED_BY_INSTRUCTOR and p.points is not None}
