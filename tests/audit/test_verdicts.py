"""Verdicts on a mutant from its gradings: killed, survived, equivalent, flaky, leaks."""

from __future__ import annotations

import math

from autograder import results
from autograder.audit.grading import Call, Grading, plain
from autograder.audit.mutants import Mutant
from autograder.audit.verdicts import Status, calls_differ, differs, judge

MUTANT = Mutant("mse", "mean for sum: a -> b", "def mse(p, t): ...\n", "--- diff")


def grading(seed, points, failed=(), contract=(), calls=None):
    tests = [results.TestResult("mse", name, name not in failed, "wrong" if name in failed else "",
                        0.0, kind="contract" if name in contract else "core",
                        weight=0.25 if name in contract else 0.0)
             for name in ("test_value", "test_shape", "test_no_mutation")]
    return Grading(seed, {"mse": points}, tests, calls or {})


def value_calls(value, after=None):
    return {"test_value": [Call("mse", [plain([1.0, 2.0]), plain([0.0, 0.0])], plain(value),
                                after or [plain([1.0, 2.0]), plain([0.0, 0.0])])]}


REFERENCE = {s: grading(s, 1.0, calls=value_calls(2.5)) for s in (1, 2, 3)}


def verdict(gradings, allowlisted=None, compare=True):
    return judge(MUTANT, gradings, REFERENCE, 1.0, compare, allowlisted)


def test_killed_on_every_seed_with_a_failed_core_check_and_zero_points():
    v = verdict([grading(s, 0.0, failed={"test_value"}) for s in (1, 2, 3)])
    assert (v.status, v.leak, v.failed) == (Status.KILLED, False, ["test_value"])
    assert v.core_wrong.startswith("seed 1: fails the core check test_value")


def test_a_failed_core_check_with_points_left_is_a_leak():
    v = verdict([grading(s, 0.67, failed={"test_value"}) for s in (1, 2, 3)])
    assert v.status == Status.KILLED and v.leak


def test_a_contract_slip_with_the_right_core_is_no_leak():
    v = verdict([grading(s, 0.75, failed={"test_no_mutation"}, contract={"test_no_mutation"},
                         calls=value_calls(2.5)) for s in (1, 2, 3)])
    assert v.status == Status.KILLED and not v.leak and v.core_wrong == ""


def test_full_marks_with_the_reference_outputs_survives_unless_allowlisted():
    same = [grading(s, 1.0, calls=value_calls(2.5 + 1e-7)) for s in (1, 2, 3)]
    assert (verdict(same).status, verdict(same).leak) == (Status.SURVIVED, False)
    v = verdict(same, allowlisted="only the progress bar changes")
    assert (v.status, v.reason) == (Status.EQUIVALENT, "only the progress bar changes")


def test_full_marks_with_other_outputs_than_the_reference_is_a_surviving_leak():
    v = verdict([grading(s, 1.0, calls=value_calls(5.0)) for s in (1, 2, 3)])
    assert v.status == Status.SURVIVED and v.leak
    assert "test_value call 1 to mse returned 5, the reference 2.5" in v.core_wrong
    # unless the contract leaves the outputs open: then only the core checks judge
    v = verdict([grading(s, 1.0, calls=value_calls(5.0)) for s in (1, 2, 3)], compare=False)
    assert not v.leak


def test_an_allowlisted_mutant_that_loses_points_is_reported_as_killed_with_its_reason():
    v = verdict([grading(s, 0.0, failed={"test_value"}) for s in (1, 2, 3)], allowlisted="x")
    assert (v.status, v.reason) == (Status.KILLED, "x")


def test_a_verdict_that_depends_on_the_seed_is_flaky_and_names_the_test():
    v = verdict([grading(1, 1.0), grading(2, 0.0, failed={"test_value"}), grading(3, 1.0)])
    assert v.status == Status.FLAKY and v.flaky_tests == ["test_value"]
    assert v.scores == [1.0, 0.0, 1.0]


def test_outputs_compare_numbers_not_shapes_or_types_within_tolerance():
    assert not differs(plain(2.5), {"tensor": [2.5]})  # float or 0-dim tensor: contract
    assert not differs({"tensor": [1.0, 2.0]}, {"tensor": [1.0, 2.0 + 1e-6]})
    assert differs({"tensor": [1.0, 2.0]}, {"tensor": [1.0, 2.001]})
    assert differs({"tensor": [1.0, 2.0]}, {"tensor": [1.0, 2.0, 3.0]})
    assert not differs([math.nan, 1.0], [math.nan, 1.0])
    assert differs([1.0], [math.nan]) and differs(math.inf, -math.inf)
    assert differs([{"tensor": [1.0]}, [1.0, 2.0]], [{"tensor": [1.0]}, [1.0]])
    assert differs("a", "b") and not differs(None, None)
    # small numbers next to large ones are judged on the output's scale
    assert not differs({"tensor": [1e4, 1e-9]}, {"tensor": [1e4, 2e-9]})


def test_an_argument_counts_only_where_the_reference_changes_it_in_place():
    before, updated = plain([1.0, 2.0]), plain([0.5, 1.5])
    reference = [Call("apply_step", [before], 3.0, [updated])]
    assert calls_differ(reference, [Call("apply_step", [before], 3.0, [updated])]) == ""
    assert "left argument 1 at [1, 2], the reference at [0.5, 1.5]" in calls_differ(
        reference, [Call("apply_step", [before], 3.0, [before])])
    untouched = [Call("mse", [before], 3.0, [before])]
    assert calls_differ(untouched, [Call("mse", [before], 3.0, [updated])]) == ""
    assert "raised CallTimeout" in calls_differ(
        untouched, [Call("mse", [before], None, [], error="CallTimeout")])
    assert "made 2 call(s) where the reference made 1" in calls_differ(
        untouched, untouched * 2)


def test_a_verdict_that_changes_without_changing_the_score_is_named_not_failed():
    v = verdict([grading(1, 0.0, failed={"test_value"}),
                 grading(2, 0.0, failed={"test_value", "test_shape"}),
                 grading(3, 0.0, failed={"test_value"})])
    assert v.status == Status.KILLED and v.flaky_tests == ["test_shape"]


def test_a_list_of_one_number_tensors_compares_with_a_list_of_floats():
    assert not differs([1.0, 2.0], [{"tensor": [1.0]}, {"tensor": [2.0]}])
    assert differs([1.0, 2.0], [{"tensor": [1.0]}, {"tensor": [2.5]}])
    assert differs([1.0, 2.0], [{"tensor": [1.0, 2.0]}])


def test_the_report_gives_kill_rates_per_operator_family():
    from autograder.audit.report import family_table, render_audit
    from autograder.audit.results import AuditResult, ProblemAudit

    def mutant(family, n):
        return Mutant("mse", f"{family} {n}", "", "--- diff", family=family)

    verdicts = [judge(mutant("call changes", 1), [grading(s, 0.0, failed=("test_value",))
                                                  for s in (1, 2, 3)], REFERENCE, 1.0, True,
                      None),
                judge(mutant("call changes", 2), [grading(s, 1.0, calls=value_calls(2.5))
                                                  for s in (1, 2, 3)], REFERENCE, 1.0, True,
                      None),
                judge(mutant("expression wrapping", 1), [grading(s, 1.0, calls=value_calls(2.5))
                                                         for s in (1, 2, 3)], REFERENCE, 1.0,
                      True, "abs of a mean of squares changes nothing")]
    result = AuditResult("a", [1, 2, 3], [1, 2, 3], 1,
                         [ProblemAudit("mse", "nb.ipynb", 1.0, verdicts=verdicts)])
    families = result.to_dict()["families"]
    assert families["call changes"] | {"description": ""} == {
        "description": "", "mutants": 2, "killed": 1, "survived": 1, "equivalent": 0,
        "leaks": 0, "flaky": 0, "errors": 0, "kill_rate": 0.5}
    assert families["expression wrapping"]["kill_rate"] is None  # all equivalent
    assert families["loop iterations"]["mutants"] == 0  # every family is listed
    assert result.to_dict()["problems"]["mse"]["details"][0]["family"] == "call changes"
    assert "call changes" in family_table(result) and "50%" in family_table(result)
    html = render_audit(result)
    assert '<table id="families">' in html and "<td>expression wrapping</td>" in html
