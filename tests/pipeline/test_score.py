"""The score step on made-up check results: the core checks decide, contract slips deduct."""

from __future__ import annotations

import itertools

import pytest

from autograder.config import Notebook, Problem, Scoring
from autograder.pipeline.score import score, score_problem
from autograder.results import ProblemScore
from autograder.results import TestResult as Result  # not collected as a test class
from tests.builders import made_up_check as check

MSE = [check("mse", "test_mse_value_is_mean", True),
       check("mse", "test_mse_keeps_graph", True),
       check("mse", "test_mse_is_0dim", True, kind="contract", weight=0.25),
       check("mse", "test_mse_does_not_modify_inputs", True, kind="contract", weight=0.25)]


def _with(checks: list[Result], **failed: str) -> list[Result]:
    """CHECKS (fresh copies), the ones named in FAILED failed with that message."""
    out = []
    for c in checks:
        name = c.name.removeprefix("test_")
        fresh = Result.from_dict(c.to_dict())
        if name in failed:
            fresh.passed, fresh.message = False, failed[name]
        out.append(fresh)
    return out


def test_a_failed_core_check_earns_nothing_whatever_else_passed():
    checks = _with(MSE, mse_value_is_mean="expected 42.667, got 256")
    got = score_problem("mse", Problem(points=1), checks)
    assert got.points == 0 and got.passed == 3 and got.tests == 4 and got.rule == "core"
    assert got.summary == (
        "Your `mse` gives a wrong result on the grader's data (check “mse value is mean”), so "
        "this problem earns 0; the other checks below are for your information.")
    assert [c.cost for c in checks] == [1, 0, 0, 0]
    assert got.cost_of(checks[0]) == "core check: the problem earns 0"


def test_contract_checks_are_for_information_once_the_core_failed():
    checks = _with(MSE, mse_keeps_graph="no grad_fn", mse_is_0dim="shape (1,)")
    got = score_problem("mse", Problem(points=1), checks)
    assert got.points == 0
    assert got.cost_of(checks[1]) == "core check: the problem earns 0"
    assert got.cost_of(checks[2]) == "for your information"


def test_several_failed_core_checks_are_counted_in_the_verdict():
    checks = _with(MSE, mse_value_is_mean="wrong", mse_keeps_graph="no grad_fn")
    assert "(check “mse value is mean” and 1 more core check)" in \
        score_problem("mse", Problem(points=1), checks).summary


def test_contract_slips_deduct_their_weight_of_the_points():
    checks = _with(MSE, mse_is_0dim="shape (1,)", mse_does_not_modify_inputs="changed")
    got = score_problem("mse", Problem(points=2), checks)
    assert got.points == 1.0
    assert [c.cost for c in checks] == [0, 0, 0.5, 0.5]
    assert got.summary == (
        "Your `mse` computes the right thing, but breaks 2 rules of its contract: “mse is 0dim” "
        "costs 0.5 points; “mse does not modify inputs” costs 0.5 points. It earns 1 of 2.")
    assert got.cost_of(checks[2]) == "costs 0.5 points"


def test_deductions_stop_at_zero():
    checks = [check("p", "test_core", True),
              check("p", "test_a", False, kind="contract", weight=0.75),
              check("p", "test_b", False, kind="contract", weight=0.5)]
    assert score_problem("p", Problem(points=3), checks).points == 0


def test_points_are_rounded_to_hundredths():
    checks = [check("p", "test_core", True),
              check("p", "test_slip", False, kind="contract", weight=1 / 3)]
    assert score_problem("p", Problem(points=1), checks).points == 0.67


@pytest.mark.parametrize("message, says", [
    ("your code raised an error: NotImplementedError: ", "is not written yet"),
    ("your code raised an error: NameError: the notebook does not define a function named "
     "'mse'", "is not defined"),
    ("your code raised an error: ZeroDivisionError: division by zero", "raised an error"),
    ("too slow: mse() did not return within 20 s", "did not finish in time"),
    ("your code stopped the grader's worker: killed", "stopped the grader's worker"),
])
def test_the_verdict_says_how_the_core_went_wrong(message, says):
    checks = _with(MSE, mse_value_is_mean=message)
    assert f"Your `mse` {says}" in score_problem("mse", Problem(points=1), checks).summary


def test_a_problem_without_core_checks_earns_nothing():
    checks = [check("p", "test_slip", True, kind="contract", weight=0.25)]
    got = score_problem("p", Problem(points=1), checks)
    assert got.points == 0 and "no core check" in got.summary


def test_a_problem_whose_checks_did_not_run_earns_nothing():
    got = score_problem("mse", Problem(points=1), [])
    assert got.points == 0 and got.tests == 0 and "No hidden check" in got.summary


def test_all_or_nothing_and_proportional_remain_for_instructors():
    one_slip = _with(MSE, mse_is_0dim="shape (1,)")
    strict = score_problem("mse", Problem(points=2, scoring=Scoring.ALL_OR_NOTHING), one_slip)
    assert strict.points == 0 and "all-or-nothing" in strict.summary
    assert strict.cost_of(one_slip[2]) == "all-or-nothing: the problem earns 0"
    one_core = _with(MSE, mse_value_is_mean="wrong")
    share = score_problem("mse", Problem(points=2, scoring=Scoring.PROPORTIONAL), one_core)
    assert share.points == 1.5 and share.rule == "proportional"
    assert "3 of 4 checks passed" in share.summary
    assert [c.points for c in one_core] == [0, 0.5, 0.5, 0.5]
    assert share.cost_of(one_core[0]) == "costs 0.5 points"


@pytest.mark.parametrize("rule", list(Scoring))
def test_all_checks_passed_is_said_only_next_to_full_marks(rule):
    # Every pattern of passed and failed checks over two core and two contract checks.
    for outcome in itertools.product([True, False], repeat=4):
        checks = [Result.from_dict({**c.to_dict(), "passed": ok})
                  for c, ok in zip(MSE, outcome)]
        got = score_problem("mse", Problem(points=2, scoring=rule), checks)
        full = got.points == got.possible
        assert ("All 4 checks passed" in got.summary) == full == all(outcome), (rule, outcome)
        assert 0 <= got.points <= got.possible
        if not all(outcome):
            assert sum(c.cost for c in checks) > 0  # a failure is never free


def test_the_verdict_names_the_reference_helpers_the_function_called():
    checks = [check("train", "test_train_first_steps", True, helpers=["apply_step"]),
              check("train", "test_train_long_run", True, helpers=["apply_step", "mse"])]
    got = score_problem("train", Problem(points=1), checks)
    assert got.helpers == ["apply_step", "mse"]
    assert ("Your `train` calls `apply_step` and `mse`: it was graded with the reference "
            "versions of those in place of yours") in got.summary


def test_the_verdict_says_when_a_helper_that_takes_a_function_was_not_lent():
    checks = [check("grad_of_square", "test_values", False, unlent=["gradient"])]
    got = score_problem("grad_of_square", Problem(points=1), checks)
    assert ("Your `grad_of_square` calls `gradient`, which takes a function and so cannot "
            "be lent from the reference: it was graded with your own version") in got.summary


def test_score_covers_every_problem_of_the_notebook_and_manual_ones_are_pending():
    spec = Notebook(file="02-seven-steps.ipynb", problems={
        "mse": Problem(points=1), "explain": Problem(points=2, manual=True),
        "train": Problem(points=1)})
    scores = {p.problem: p for p in score(spec, _with(MSE))}
    assert scores["mse"].points == 1 and scores["explain"].points is None
    assert scores["train"].points == 0 and scores["train"].tests == 0


def test_the_new_fields_round_trip_and_older_results_still_load():
    checks = _with(MSE, mse_is_0dim="shape (1,)")
    got = score_problem("mse", Problem(points=2), checks)
    assert ProblemScore.from_dict(got.to_dict()) == got
    assert Result.from_dict(checks[2].to_dict()) == checks[2]
    old = ProblemScore.from_dict({"problem": "mse", "points": 1.0, "possible": 1.0,
                                  "passed": 4, "tests": 4})
    assert old.summary == "" and old.helpers == [] and old.rule == ""
    assert Result.from_dict({"problem": "mse", "name": "test_x", "passed": True,
                                 "message": "", "duration": 0.1}).cost == 0


def test_checks_are_named_for_students():
    assert check("mse", "test_mse_is_0dim", True).label == "mse is 0dim"
    assert check("fit", "test_fit_losses[first_5]", True).label == "fit losses (first 5)"
