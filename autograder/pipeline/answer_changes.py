"""A person's score belongs to the written answer they read.

Each manual score on a result is bound to a digest of the answer it was given for
(`ProblemScore.scored_answer`): the answer the kit had recorded, and shown in the
formgrader's autograded/ notebook, when the score first came in. When a resubmission
changes the answer, the score is retired into the problem's `history` (points, comment,
the digest of the answer they were for) and the problem goes back to pending (or 0 if
the new answer is empty), so no report shows an old score beside a new answer.

The source of scores may still hold the retired score, which then no longer applies
(same points and comment as a retired one, and not given for the current answer):
- nbgrader's gradebook: the next `--gradebook` run clears it there, flags the grade
  `needs_manual_grade` and leaves a note in the grade's autograder comment naming the
  new answer's digest (integrations/gradebook.py); a score entered after that is read
  as given for that answer (`noted_answer`), whatever its points.
- a CSV cannot be cleared: the instructor scores the new answer with a new row, or
  confirms the same score for it with the row's optional `answer_digest` column set to
  the digest the kit prints (and records in results.json).
"""

from __future__ import annotations

import hashlib
import re

from autograder.results import GRADED_BY_INSTRUCTOR, ManualScore, ProblemScore, SubmissionResult

CHANGED = "the answer changed after it was scored"
_NOTE = re.compile(r"\[course-kit answer ([0-9a-f]{12})\]")


def answer_digest(answer: str) -> str:
    """A short digest of a written answer (what a CSV's answer_digest column holds)."""
    return hashlib.sha256(answer.encode("utf-8")).hexdigest()[:12]


def _manual(result: SubmissionResult) -> list[ProblemScore]:
    return [p for p in result.problems if p.manual]


def carry_over(result: SubmissionResult, before: SubmissionResult | None) -> None:
    """Put on RESULT, graded now, the people's scores and history of BEFORE (its earlier
    grading); a score whose answer changed since is retired into the history."""
    if before is None:
        return
    earlier = {p.problem: p for p in _manual(before)}
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


def is_stale(p: ProblemScore, given: ManualScore) -> bool:
    """Whether GIVEN, a source's score for P, was given for another answer than P's:
    one for another answer's digest, or one equal to a score retired from P."""
    current = answer_digest(p.answer)
    if given.answer_digest:
        return given.answer_digest != current
    if (p.graded_by == GRADED_BY_INSTRUCTOR and p.scored_answer == current
            and (p.points, p.comment) == (given.points, given.comment)):
        return False  # already accepted for this answer
    return any((h.get("points"), h.get("comment")) == (given.points, given.comment)
               and h.get("answer_digest") != current for h in p.history)


def rescore_note(p: ProblemScore) -> str | None:
    """The gradebook's autograder comment for P while its current answer is one whose
    earlier answer's score was retired: it tells the grader why, and names the answer
    (`noted_answer` reads it back). None otherwise."""
    last = p.history[-1] if p.history else None
    current = answer_digest(p.answer)
    if last is None or last.get("answer_digest") == current:
        return None
    return (f"The answer changed after it was scored {last['points']:g}/{p.possible:g}: "
            f"score the new answer. [course-kit answer {current}]")


def noted_answer(auto_comment: str | None) -> str:
    """The answer digest a gradebook grade's autograder comment names ("" if none)."""
    found = _NOTE.search(auto_comment or "")
    return found.group(1) if found else ""


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
