"""Step 5, score: points per problem from course.yml, outside the sandbox."""

from __future__ import annotations

from autograder.config import Notebook
from autograder.results import ProblemScore, TestResult


def score(notebook: Notebook, results: list[TestResult]) -> list[ProblemScore]:
    """Share of a problem's tests passed times its points (or all-or-nothing)."""
    scores = []
    for grade_id, spec in notebook.problems.items():
        if spec.manual:
            scores.append(ProblemScore(grade_id, None, spec.points, 0, 0))
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
