"""The seed sweep: the reference earns full marks on every seed, the blank notebook zero.

A test that fails the reference on some seeds and not on others is flaky: whether a
correct answer gets its points would depend on the luck of the draw. The control (the
reference's normalised code, graded the way mutants are) must be indistinguishable from
the reference, or the mutants' verdicts could not be trusted.
"""

from __future__ import annotations

from autograder.audit.grading import Grading
from autograder.audit.results import ProblemAudit, SeedScores
from autograder.audit.verdicts import calls_differ


def record_sweep(problem: ProblemAudit, reference: dict[int, Grading],
                 blank: dict[int, Grading]) -> list[str]:
    """Fill PROBLEM's per-seed scores; the failures found (seed -> grading, per side)."""
    name, possible = problem.problem, problem.possible
    for seed in sorted(reference):
        problem.seeds.append(SeedScores(seed, reference[seed].scores.get(name, 0.0),
                                        blank[seed].scores.get(name, 0.0)
                                        if seed in blank else float("nan")))
    failures = []
    for test, seeds in _seeds_where(reference, name, passed=False).items():
        flaky = f" of {len(reference)} (a flaky test: its verdict depends on the seed)" \
            if len(seeds) < len(reference) else ""
        failures.append(f"{name}: the reference solution fails {test} on seed(s) "
                        f"{_list(seeds)}{flaky}: {_message(reference, seeds[0], test)}")
    low = [s.seed for s in problem.seeds if s.reference < possible]
    if low and not failures:
        failures.append(f"{name}: the reference solution earns less than {possible:g} on "
                        f"seed(s) {_list(low)}")
    for test, seeds in _seeds_where(blank, name, passed=True).items():
        failures.append(f"{name}: the blank notebook passes {test} on seed(s) {_list(seeds)}")
    rich = [s.seed for s in problem.seeds if s.blank > 0]
    if rich:
        failures.append(f"{name}: the blank notebook earns more than 0 on seed(s) "
                        f"{_list(rich)}")
    return failures


def check_control(problem: str, control: list[Grading], reference: dict[int, Grading],
                  possible: float) -> list[str]:
    """Failures if the control does not grade exactly like the reference."""
    failures = []
    for grading in control:
        points = grading.scores.get(problem, 0.0)
        failed = [t.name for t in grading.tests if t.problem == problem and not t.passed]
        if points < possible or failed:
            failures.append(f"{problem}: control (the reference, normalised and graded like a "
                            f"mutant) earns {points:g}/{possible:g} with seed {grading.seed}, "
                            f"failing {', '.join(failed) or 'nothing'}: the audit cannot judge "
                            "this problem's mutants")
        theirs = reference.get(grading.seed)
        if theirs is None:
            continue
        for test, calls in grading.calls.items():
            difference = calls_differ(theirs.calls.get(test, []), calls)
            if difference and test in theirs.calls:
                failures.append(f"{problem}: control differs from the reference with seed "
                                f"{grading.seed} in {test}: {difference} (is the reference "
                                "deterministic?)")
    return failures


def _seeds_where(gradings: dict[int, Grading], problem: str, passed: bool
                 ) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for seed, grading in sorted(gradings.items()):
        for t in grading.tests:
            if t.problem == problem and t.passed == passed:
                found.setdefault(t.name, []).append(seed)
    return found


def _message(gradings: dict[int, Grading], seed: int, test: str) -> str:
    for t in gradings[seed].tests:
        if t.name == test:
            return (t.message.strip().splitlines() or [""])[0][:300]
    return ""


def _list(seeds: list[int], k: int = 8) -> str:
    shown = ", ".join(str(s) for s in seeds[:k])
    return shown + (f", ... ({len(seeds)} in all)" if len(seeds) > k else "")
