"""Manual problems: written answers read, pending or 0, and people's scores put on them."""

from __future__ import annotations

import copy

from autograder.notebook_cells import grade_id, read
from autograder.pipeline.answer_changes import answer_digest
from autograder.pipeline.answers import MAX_ANSWER, written_answers
from autograder.pipeline.restore import restore
from autograder.pipeline.score import apply_manual_scores, score
from autograder.results import GRADED_BY_INSTRUCTOR, ManualScore, ProblemScore, SubmissionResult
from tests.builders import ASSIGNMENT, synthetic_result
from tests.conftest import ROOT

PROBLEM = "explain_lecture_bug"
NOTEBOOK = "02-seven-steps.ipynb"


def _seven_steps(course):
    spec = course.assignment(ASSIGNMENT).notebook(NOTEBOOK)
    source = read(course.source_notebook(ASSIGNMENT, NOTEBOOK))
    release = read(ROOT / "release" / ASSIGNMENT / NOTEBOOK)
    return spec, source, release


def _with_answer(release, text):
    notebook = copy.deepcopy(release)
    for cell in notebook.cells:
        if grade_id(cell) == PROBLEM:
            cell.source = text
    return notebook


def test_the_written_answer_is_read_and_the_stub_is_no_answer(course):
    spec, source, release = _seven_steps(course)
    answered, _ = restore(_with_answer(release, "  It scales <params>, not the gradient.\n"),
                          source)
    assert written_answers(answered, release, spec) == {
        PROBLEM: "It scales <params>, not the gradient."}
    stub, _ = restore(copy.deepcopy(release), source)
    assert written_answers(stub, release, spec) == {PROBLEM: ""}
    deleted = copy.deepcopy(release)
    deleted.cells = [c for c in deleted.cells if grade_id(c) != PROBLEM]
    assert written_answers(restore(deleted, source)[0], release, spec) == {PROBLEM: ""}
    huge, _ = restore(_with_answer(release, "x" * (MAX_ANSWER + 5)), source)
    text = written_answers(huge, release, spec)[PROBLEM]
    assert text.startswith("x" * MAX_ANSWER) and text.endswith("[... 5 more characters]")


def test_an_answer_is_pending_and_no_answer_scores_zero(course):
    spec, _, _ = _seven_steps(course)
    by_problem = {p.problem: p for p in score(spec, [], {PROBLEM: "my answer"})}
    assert by_problem[PROBLEM] == ProblemScore(PROBLEM, None, 2, 0, 0, manual=True,
                                               answer="my answer")
    assert not by_problem["mse"].manual and by_problem["mse"].points == 0
    blank = {p.problem: p for p in score(spec, [], {PROBLEM: ""})}[PROBLEM]
    assert (blank.points, blank.manual, blank.answer) == (0.0, True, "")


def _result(course, answer: str) -> SubmissionResult:
    result = SubmissionResult.from_dict({**synthetic_result(course, {}), "student": "ada"})
    (essay,) = [p for p in result.problems if p.problem == PROBLEM]
    essay.answer, essay.points = answer, (None if answer else 0.0)
    return result


def _essay(result: SubmissionResult) -> ProblemScore:
    return next(p for p in result.problems if p.problem == PROBLEM)


def test_a_persons_score_and_comment_go_on_the_manual_problem_only(course):
    result = _result(course, "my answer")
    key = ("ada", ASSIGNMENT, PROBLEM)
    scores = {key: ManualScore(1.5, "good"), ("ada", ASSIGNMENT, "mse"): ManualScore(0, "")}
    assert apply_manual_scores(result, scores)
    essay = _essay(result)
    assert (essay.points, essay.comment, essay.graded_by) == (1.5, "good", GRADED_BY_INSTRUCTOR)
    assert next(p for p in result.problems if p.problem == "mse").points == 1  # not manual
    assert result.total == 27.5 and result.possible == 28
    assert not apply_manual_scores(result, scores)  # nothing new: no rewrite needed
    assert essay.scored_answer == answer_digest("my answer")  # bound to the answer read
    assert apply_manual_scores(result, {})  # deleted in the gradebook: pending again
    assert (_essay(result).points, _essay(result).comment, _essay(result).graded_by) == \
        (None, "", "")
    blank = _result(course, "")
    assert apply_manual_scores(blank, {key: ManualScore(1.0, "")})  # a person overrides the 0
    assert apply_manual_scores(blank, {}) and _essay(blank).points == 0.0


def test_problem_scores_round_trip_and_old_results_still_read(course):
    result = _result(course, "my answer")
    apply_manual_scores(result, {("ada", ASSIGNMENT, PROBLEM): ManualScore(2, "all right")})
    again = SubmissionResult.from_dict(result.to_dict())
    assert again == result and _essay(again).comment == "all right"
    old = synthetic_result(course, {})
    for nb in old["notebooks"]:  # results.json as kits before manual scores wrote it
        for p in nb["problems"]:
            for key in ("manual", "answer", "comment", "graded_by"):
                p.pop(key, None)
    read_back = SubmissionResult.from_dict(old)
    assert _essay(read_back).manual and _essay(read_back).points is None
    assert not any(p.manual for p in read_back.problems if p.problem != PROBLEM)
