"""A person's score belongs to the written answer they read.

Each manual score on a result is bound to a digest of the answer it was given for
(`ProblemScore.scored_answer`): the answer the kit had recorded, and shown in the
formgrader's autograded/ notebook, when the score first came in. When a resubmission
changes the answer, the score is retired into the problem's `history` (points, comment,
the digest of the answer they were for) and the problem goes back to pending (or 0 if
the new answer is empty), so no report shows an old score beside a new answer.

The source of scores may still hold the retired score:
- nbgrader's gradebook: the run that retires a score clears it there and flags the
  grade `needs_manual_grade` (integrations/gradebook.py), so any score it holds later
  was given in the formgrader for the new answer.
- a CSV cannot be cleared: a row equal to a retired score (same points and comment) no
  longer applies. The instructor scores the new answer with a new row, or confirms the
  same score for it with the row's optional `answer_digest` column set to the digest
  the kit prints (and records in results.json).
"""

from __future__ import annotations

import hashlib

from autograder.results import GRADED_BY_INSTRUCTOR, ManualScore, ProblemScore, SubmissionResult

CHANGED = "the answer changed after it was scored"


def answer_digest(answer: str) -> str:
    """A short digest of a written answer (what a CSV's answer_digest column holds)."""
    return hashlib.sha256(answer.encode("utf-8")).hexdigest()[:12]


def _manual(result: SubmissionResult) -> list[ProblemScore]:
    return [p for p in result.problems if p.manual]


def carry_over(result: SubmissionResult, before: SubmissionResult | None) -> set[str]:
    """Put on RESULT, graded now, the people's scores and history of BEFORE (its earlier
    grading); a score whose answer changed since is retired. The problems retired."""
    if before is None:
        return set()
    earlier = {p.problem: p for p in _manual(before)}
    retired = set()
    for p in _manual(result):
        old = earlier.get(p.problem)
        if old is None:
            continue
        p.history = [dict(h) for h in old.history]
        if old.graded_by != GRADED_BY_INSTRUCTOR or old.points is None:
            continue
        scored = old.scored_answer or answer_digest(old.answer)  # older kits: its answer
        if scored == answer_digest(p.answer):
            p.points, p.comment, p.graded_by = old.points, old.comment, GRADED_BY_INSTRUCTOR
            p.scored_answer = scored
        else:
            p.history.append({"points": old.points, "comment": old.comment,
                              "answer_digest": scored, "why": CHANGED})
            retired.add(p.problem)
    return retired


def is_stale(p: ProblemScore, given: ManualScore, retired_now: bool = False) -> bool:
    """Whether GIVEN, a source's score for P, was given for another answer than P's.
    RETIRED_NOW: P's score was retired by this very run (the gradebook still holds it)."""
    current = answer_digest(p.answer)
    if given.answer_digest:
        return given.answer_digest != current
    if (p.graded_by == GRADED_BY_INSTRUCTOR and p.scored_answer == current
            and (p.points, p.comment) == (given.points, given.comment)):
        return False  # already accepted for this answer
    retired = any((h.get("points"), h.get("comment")) == (given.points, given.comment)
                  and h.get("answer_digest") != current for h in p.history)
    return retired and (retired_now or not given.from_gradebook)


def retired_here(p: ProblemScore, held: float | None) -> bool:
    """Whether a gradebook's score HELD for P is the one retired when P's answer changed
    (then the gradebook clears it and flags the grade for the formgrader)."""
    if held is None or p.graded_by == GRADED_BY_INSTRUCTOR or not p.history:
        return False
    last = p.history[-1]
    return last.get("answer_digest") != answer_digest(p.answer) and \
        float(last.get("points", -1)) == float(held)


def awaiting_rescore(results: list[SubmissionResult]) -> list[str]:
    """One line per written answer whose score was retired and that nobody scored since."""
    lines = []
    for r in results:
        for p in _manual(r):
            last = p.history[-1] if p.history else None
            if last is None or p.graded_by == GRADED_BY_INSTRUCTOR or not p.answer:
                continue
            lines.append(f"{r.student}/{r.assignment}/{p.problem}: {CHANGED} "
                         f"({last['points']:g}/{p.possible:g} kept as history in results.json);"
                         f" pending until scored again (answer_digest {answer_digest(p.answer)})")
    return lines
