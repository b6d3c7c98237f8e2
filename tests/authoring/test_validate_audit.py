"""`course validate` runs `course audit` with the same failure rules."""

from __future__ import annotations

from autograder.audit.mutants import Mutant
from autograder.audit.results import AuditResult, ProblemAudit
from autograder.audit.verdicts import MutantVerdict, Status
from autograder.authoring import validate


def test_validate_fails_with_every_failure_of_the_audit(course, monkeypatch):
    mutant = Mutant("mse", "mean for sum: a -> b", "", "")
    audited = ProblemAudit("mse", "02-seven-steps.ipynb", 1.0, verdicts=[
        MutantVerdict(mutant, Status.KILLED, [0.75] * 3, 1.0, leak=True),
        MutantVerdict(mutant, Status.KILLED, [0.0] * 3, 1.0)])
    fake = AuditResult("gradient-descent", [5, 6, 7], [5, 6, 7], 2, [audited],
                       failures=["mse: credit leak: mean for sum", "train: flaky test(s) x"],
                       seconds=42.0)
    asked = {}

    def audit(course, assignment, **options):
        asked.update(options, assignment=assignment)
        return fake

    monkeypatch.setattr("autograder.audit.run.audit", audit)
    line, failures = validate.check_audit(course, course.assignment("gradient-descent"))
    assert asked["assignment"] == "gradient-descent"
    assert asked["seeds"] == validate.VALIDATE_SEEDS and asked["workers"] == 2
    assert line == "gradient-descent: audit of the graders: 2 of 2 mutants killed, seeds 5..7, 42 s"
    assert failures == [
        "audit: mse: credit leak: mean for sum (details: course audit gradient-descent --seed 5)",
        "audit: train: flaky test(s) x"]


def test_a_broken_allowlist_fails_validate_quick(course_copy):
    from autograder.config import load_course

    (course_copy / "autograder" / "graders" / "gradient-descent" / "audit-allowlist.yml"
     ).write_text("equivalent:\n  msee: {x: y}\n")
    course = load_course(course_copy)
    problems = validate.check_allowlist(course, course.assignment("gradient-descent"))
    assert len(problems) == 1 and "did you mean 'mse'?" in problems[0]
    assert "audit-allowlist.yml" in problems[0]
