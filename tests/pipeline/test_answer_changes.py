"""A person's score stays with the answer it was given for (made-up results, no grading)."""

from __future__ import annotations

from autograder.pipeline.answer_changes import answer_digest, carry_over, is_stale
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


def test_a_score_is_bound_to_its_answer_and_retired_when_it_changes(course):
    before = _result(course, "old")
    assert apply_manual_scores(before, {KEY: ManualScore(1, "fine")})
    assert _essay(before).scored_answer == answer_digest("old")
    same = _result(course, "old")
    assert carry_over(same, before) == set() and _essay(same).points == 1
    changed = _result(course, "new")
    assert carry_over(changed, before) == {PROBLEM}
    essay = _essay(changed)
    assert (essay.points, essay.comment, essay.graded_by) == (None, "", "")
    assert essay.history == [{"points": 1, "comment": "fine", "answer_digest":
                              answer_digest("old"), "why": "the answer changed after it "
                              "was scored"}]
    assert changed.total == same.total - 1 and changed.possible == same.possible


def test_a_retired_score_from_a_source_does_not_come_back(course):
    before = _result(course, "old")
    apply_manual_scores(before, {KEY: ManualScore(1, "fine")})
    changed = _result(course, "new")
    retired = carry_over(changed, before)
    csv_row = ManualScore(1, "fine")
    gradebook = ManualScore(1, "fine", from_gradebook=True)
    assert not apply_manual_scores(changed, {KEY: gradebook}, retired)  # the run that clears it
    assert is_stale(_essay(changed), csv_row)  # a CSV cannot be cleared: stale for good
    assert not is_stale(_essay(changed), gradebook)  # in the gradebook after clearing: new
    assert is_stale(_essay(changed), ManualScore(1, "fine", answer_digest("old")))
    assert apply_manual_scores(changed, {KEY: ManualScore(1, "fine", answer_digest("new"))})
    assert _essay(changed).points == 1
    assert apply_manual_scores(changed, {KEY: ManualScore(2, "better")})  # a new score
