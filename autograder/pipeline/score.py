"""Step 5, score: points per problem from course.yml, outside the sandbox.

The default rule (`scoring: core`) follows the work. A problem's hidden checks are
*core* checks (does the function compute the right thing on the grader's inputs) or
*contract* checks (no mutation, detached, dtype, ..., marked `grading.contract(weight)`).
Any failed core check: the problem earns 0. Core passed: each failed contract check
deducts its weight (a share of the points), down to 0. `all_or_nothing` and
`proportional` (the share of checks passed) remain for instructors who want them.
Each score carries its verdict in plain words (`ProblemScore.summary`), which the
feedback page and Gradescope show as they are. Rules for grader authors: docs/graders.md.
A manually graded problem is pending until a person scores it (its score then comes
from nbgrader's gradebook or a CSV, see `apply_manual_scores`), except a written answer
that was never given, which scores 0 as nbgrader scores it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from autograder.config import Notebook, Problem, Scoring
from autograder.pipeline.answer_changes import answer_digest, is_stale
from autograder.results import (
    GRADED_BY_INSTRUCTOR,
    ManualScore,
    ProblemScore,
    SubmissionResult,
    TestResult,
)


class ManualKey(NamedTuple):
    """Whose manual score: the one key of every reader and user of people's scores
    (nbgrader's gradebook, the manual-score CSV, results.json, final grades)."""

    student: str
    assignment: str
    problem: str


def manual_score(problem: str, possible: float, answer: str) -> ProblemScore:
    """A manual problem as grading leaves it: pending, or 0 when no answer was given."""
    return ProblemScore(problem, 0.0 if not answer else None, possible, 0, 0, manual=True,
                        answer=answer)


def score(notebook: Notebook, results: list[TestResult],
          answers: Mapping[str, str] | None = None) -> list[ProblemScore]:
    """One ProblemScore per problem of NOTEBOOK; fills in each result's points and cost.

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
        scores.append(score_problem(grade_id, spec, [r for r in results
                                                     if r.problem == grade_id]))
    return scores


def score_problem(grade_id: str, spec: Problem, checks: list[TestResult]) -> ProblemScore:
    for r in checks:
        r.points = r.cost = 0.0
    helpers = sorted({h for r in checks for h in r.helpers})
    result = ProblemScore(grade_id, 0.0, spec.points, sum(r.passed for r in checks),
                          len(checks), str(spec.scoring), "", helpers)
    if not checks:
        result.summary = (f"No hidden check of `{grade_id}` ran, so this problem earns 0 "
                          "(the notebook could not be graded).")
        return result
    earned, summary = _RULES[spec.scoring](grade_id, spec.points, checks)
    result.points = round(earned, 2)
    unlent = sorted({h for r in checks for h in r.unlent})
    result.summary = summary + _helpers_note(grade_id, helpers) + _unlent_note(grade_id, unlent)
    return result


def _core(grade_id: str, points: float, checks: list[TestResult]) -> tuple[float, str]:
    core = [r for r in checks if r.kind != "contract"]
    if not core:
        return 0.0, (f"The graders have no core check for `{grade_id}`, so nothing shows that "
                     "it computes the right thing and it earns 0; please tell your instructor.")
    failed_core = [r for r in core if not r.passed]
    if failed_core:
        for r in failed_core:
            r.cost = points  # each one alone makes the problem earn nothing
        first = failed_core[0]
        more = len(failed_core) - 1
        also = f" and {more} more core check{'s' * (more > 1)}" if more else ""
        return 0.0, (f"Your `{grade_id}` {_what_went_wrong(first.message)} on the grader's "
                     f"data (check “{first.label}”{also}), so this problem earns 0; the other "
                     "checks below are for your information.")
    slips = [r for r in checks if r.kind == "contract" and not r.passed]
    if not slips:
        return points, f"All {len(checks)} checks passed."
    for r in slips:
        r.cost = round(r.weight * points, 4)
    earned = max(0.0, points - sum(r.cost for r in slips))
    costs = "; ".join(f"“{r.label}” costs {r.cost:g} point{'s' * (r.cost != 1)}"
                      for r in slips)
    rules = "a rule" if len(slips) == 1 else f"{len(slips)} rules"
    return earned, (f"Your `{grade_id}` computes the right thing, but breaks {rules} of its "
                    f"contract: {costs}. It earns {round(earned, 2):g} of {points:g}.")


def _all_or_nothing(grade_id: str, points: float, checks: list[TestResult]
                    ) -> tuple[float, str]:
    passed = sum(r.passed for r in checks)
    if passed == len(checks):
        for r in checks:
            r.points = round(points / len(checks), 4)
        return points, f"All {len(checks)} checks passed."
    for r in checks:
        r.cost = 0.0 if r.passed else points
    return 0.0, (f"{passed} of {len(checks)} checks passed; `{grade_id}` is graded "
                 "all-or-nothing, so this problem earns 0.")


def _proportional(grade_id: str, points: float, checks: list[TestResult]
                  ) -> tuple[float, str]:
    share = round(points / len(checks), 4)
    for r in checks:
        r.points, r.cost = (share, 0.0) if r.passed else (0.0, share)
    passed = sum(r.passed for r in checks)
    if passed == len(checks):
        return points, f"All {len(checks)} checks passed."
    earned = points * passed / len(checks)
    return earned, (f"{passed} of {len(checks)} checks passed, each worth {share:g} of the "
                    f"{points:g} points: `{grade_id}` earns {round(earned, 2):g}.")


_RULES: dict[Scoring, Callable[[str, float, list[TestResult]], tuple[float, str]]] = {
    Scoring.CORE: _core, Scoring.ALL_OR_NOTHING: _all_or_nothing,
    Scoring.PROPORTIONAL: _proportional,
}


def _what_went_wrong(message: str) -> str:
    """The failed core check's message (grade._student_message) as a verb phrase."""
    if "NotImplementedError" in message:
        return "is not written yet (it raises NotImplementedError)"
    if "does not define a function named" in message:
        return "is not defined (did its cell fail, or was it renamed?)"
    if message.startswith("your code raised an error"):
        return "raised an error"
    if message.startswith("too slow"):
        return "did not finish in time"
    if message.startswith("your code stopped the grader's worker"):
        return "stopped the grader's worker"
    return "gives a wrong result"


def _helpers_note(grade_id: str, helpers: list[str]) -> str:
    if not helpers:
        return ""
    quoted = [f"`{h}`" for h in helpers]
    names = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
    one = len(helpers) == 1
    return (f" Your `{grade_id}` calls {names}: it was graded with the reference "
            f"version{'' if one else 's'} of {'that function' if one else 'those'} in place "
            f"of yours, so a mistake there costs points only once, in "
            f"{'its own problem' if one else 'their own problems'}.")


def _unlent_note(grade_id: str, unlent: list[str]) -> str:
    if not unlent:
        return ""
    names = ", ".join(f"`{h}`" for h in unlent)
    return (f" Your `{grade_id}` calls {names}, which takes a function and so cannot be "
            f"lent from the reference: it was graded with your own version, so a mistake "
            f"there can cost points here too.")


def apply_manual_scores(result: SubmissionResult,
                        scores: Mapping[ManualKey, ManualScore]) -> bool:
    """Put the people's SCORES on RESULT's manual problems; True if anything changed.

    SCORES is the authority: a problem it does not score goes back to what grading gave
    it (pending, or 0 for no answer), so a score deleted in the gradebook disappears. A
    score given for another answer than the problem's (answer_changes.is_stale) does not
    apply. A score applied is bound to the answer it now scores."""
    changed = False
    for nb in result.notebooks:
        for p in nb.problems:
            if not p.manual:
                continue
            given = scores.get(ManualKey(result.student, result.assignment, p.problem))
            if given is not None and is_stale(p, given):
                given = None
            if given is not None:
                new = (float(given.points), given.comment, GRADED_BY_INSTRUCTOR,
                       answer_digest(p.answer))
            elif p.graded_by == GRADED_BY_INSTRUCTOR:
                new = (manual_score(p.problem, p.possible, p.answer).points, "", "", "")
            else:
                continue
            if (p.points, p.comment, p.graded_by, p.scored_answer) != new:
                p.points, p.comment, p.graded_by, p.scored_answer = new
                changed = True
    return changed
