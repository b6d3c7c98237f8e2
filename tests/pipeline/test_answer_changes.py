"""A person's score stays with the answer it was given for (made-up results, no grading)."""

from __future__ import annotations

from autograder.pipeline.answer_changes import (
    answer_digest,
    carry_over,
    is_stale,
    noted_answer,
    rescore_note,
)
from autograder.pipeline.score import apply_manual_scores
from autograder.results import ManualScore, SubmissionResult
from tests.builders import ASSIGNMENT, synthetic_result

PROBLEM = "explain_lecture_bug"
KEY = ("s", ASSIGNMENT, PROBLEM)


def _result(course, answer: str, graded=None) -> SubmissionResult:
    return SubmissionResult.from_dict(synthetic_result(course, {}, answers={PROBLEM: answer},
                                                       graded=graded))


def _essay(result: SubmissionResult):
    return next(p for p in result.problems if p.problem == PROBLEM)


def _scored(course, answer: str) -> SubmissionResult:
    result = _result(course, answer)
    assert apply_manual_scores(result, {KEY: ManualScore(1, "fine")})
    return result


def test_a_score_is_bound_to_its_answer_and_retired_when_it_changes(course):
    before = _scored(course, "old")
    assert _essay(before).scored_answer == answer_digest("old")
    same = _result(course, "old")
    carry_over(same, before)
    assert _essay(same).points == 1 and rescore_note(_essay(same)) is None
    changed = _result(course, "new")
    carry_over(changed, before)
    essay = _essay(changed)
    assert (essay.points, essay.comment, essay.graded_by) == (None, "", "")
    assert essay.history == [{"points": 1, "comment": "fine", "answer_digest":
                              answer_digest("old"), "why": "the answer changed after it "
                              "was scored"}]
    # one denominator: the pending answer's points stay in `possible`
    assert changed.total == same.total - 1 and changed.possible == same.possible
    assert changed.pending == 2 and same.pending == 0


def test_a_retired_score_does_not_come_back_until_given_for_the_new_answer(course):
    changed = _result(course, "new")
    carry_over(changed, _scored(course, "old"))
    essay = _essay(changed)
    assert is_stale(essay, ManualScore(1, "fine"))  # the source still holds it
    assert not apply_manual_scores(changed, {KEY: ManualScore(1, "fine")})
    assert is_stale(essay, ManualScore(1, "fine", answer_digest("old")))
    # the gradebook's note, once the kit cleared the grade, names the new answer
    note = rescore_note(essay)
    assert note is not None and "scored 1/2" in note and noted_answer(note) == \
        answer_digest("new")
    assert apply_manual_scores(changed, {KEY: ManualScore(1, "fine", noted_answer(note))})
    assert (_essay(changed).points, _essay(changed).scored_answer) == (1, answer_digest("new"))
    assert apply_manual_scores(changed, {KEY: ManualScore(2, "better")})  # a new score
    assert noted_answer("No response.") == noted_answer(None) == ""
