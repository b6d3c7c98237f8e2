"""What the gradings of a mutant say about the graders: killed, survived, flaky, leaking.

Definitions (also in docs/audit.md):

- killed: below full marks on every seed, with the same score on each.
- survived: full marks on every seed. A grader gap, unless the allowlist calls the mutant
  equivalent (then it counts as equivalent).
- flaky: the score differs between the seeds; the tests whose verdict differs are named
  (a verdict that changes without changing the score is listed, not a failure).
- wrong at its core, on a seed: the mutant fails one of its problem's *core* checks, or
  it passes them all although a call made by a core check returned something other than
  the reference solution returned for the same call on the same seed (the value, or an
  argument the reference changes in place, such as apply_step's params), beyond
  RTOL/ATOL. Shapes and dtypes do not count (contract matters); problems whose outputs
  the contract leaves open (random draws in an order of the student's choosing) are
  judged by their core checks alone.
- leak: wrong at its core on some seed, and more than 0 points on that seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from autograder.audit.grading import Call, Grading, Plain
from autograder.audit.mutants import Mutant

RTOL = 1e-4  # relative difference, per number, that still counts as the same output
ATOL = 1e-6  # absolute, as a share of the largest number of the reference's output


class Status:
    KILLED = "killed"
    SURVIVED = "survived"
    EQUIVALENT = "equivalent"
    FLAKY = "flaky"
    ERROR = "error"  # the kit failed on it: no verdict


@dataclass
class MutantVerdict:
    mutant: Mutant
    status: str
    scores: list[float]  # per mutant seed
    possible: float
    failed: list[str] = field(default_factory=list)  # tests failed on some seed
    flaky_tests: list[str] = field(default_factory=list)
    core_wrong: str = ""  # why its core is wrong ("" when it is not)
    leak: bool = False
    reason: str = ""  # the allowlist's reason, when it lists the mutant as equivalent
    cell_errors: list[str] = field(default_factory=list)
    error: str = ""
    fresh_seeds: list[int] = field(default_factory=list)  # graded again on fresh notebooks

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.mutant.id, "origin": self.mutant.origin,
                "family": self.mutant.family, "status": self.status,
                "scores": self.scores, "possible": self.possible, "leak": self.leak,
                "core_wrong": self.core_wrong, "failed": self.failed,
                "flaky_tests": self.flaky_tests, "allowlist_reason": self.reason,
                "cell_errors": self.cell_errors, "error": self.error,
                "fresh_seeds": self.fresh_seeds,
                "diff": self.mutant.diff}


def judge(mutant: Mutant, gradings: list[Grading], reference: dict[int, Grading],
          possible: float, compare_outputs: bool, allowlisted: str | None) -> MutantVerdict:
    """The verdict on MUTANT from its GRADINGS (one per seed) and the reference's gradings
    on the same seeds (REFERENCE: seed -> grading, with recorded calls)."""
    problem = mutant.problem
    scores = [round(g.scores.get(problem, 0.0), 4) for g in gradings]
    verdict = MutantVerdict(mutant, Status.KILLED, scores, possible, reason=allowlisted or "")
    outcomes: dict[str, set[bool]] = {}
    for g in gradings:
        for t in g.tests:
            if t.problem == problem:
                outcomes.setdefault(t.name, set()).add(t.passed)
    verdict.failed = sorted(name for name, seen in outcomes.items() if False in seen)
    verdict.flaky_tests = sorted(name for name, seen in outcomes.items() if len(seen) > 1)
    for g in gradings:
        why = _core_wrong(g, problem, reference.get(g.seed), compare_outputs)
        if why:
            verdict.core_wrong = verdict.core_wrong or f"seed {g.seed}: {why}"
            verdict.leak = verdict.leak or g.scores.get(problem, 0.0) > 0
    full = all(s >= possible for s in scores)
    if len(set(scores)) > 1:
        verdict.status = Status.FLAKY
    elif full and allowlisted is not None:
        verdict.status = Status.EQUIVALENT
    elif full:
        verdict.status = Status.SURVIVED
    return verdict


def _core_wrong(grading: Grading, problem: str, reference: Grading | None,
                compare_outputs: bool) -> str:
    core = [t for t in grading.tests if t.problem == problem and t.kind == "core"]
    failed = [t for t in core if not t.passed]
    if failed:
        first_line = (failed[0].message.strip().splitlines() or [""])[0]
        return f"fails the core check {failed[0].name}: {first_line[:300]}"
    if not compare_outputs or reference is None:
        return ""
    for test in core:
        theirs = reference.calls.get(test.name)
        if theirs is None:
            continue  # the reference's grading did not record this test
        difference = calls_differ(theirs, grading.calls.get(test.name, []))
        if difference:
            return (f"passes every core check, but in {test.name} {difference} "
                    "(a gap in the graders)")
    return ""


def calls_differ(reference: list[Call], mutant: list[Call]) -> str:
    """How MUTANT's calls differ from the REFERENCE's (same test, same seed); "" if not."""
    for number, (ref, mut) in enumerate(zip(reference, mutant), start=1):
        where = f"call {number} to {ref.function}"
        if ref.function != mut.function or ref.error != mut.error:
            return f"{where} {'raised ' + mut.error if mut.error else 'went elsewhere'}"
        if differs(ref.value, mut.value):
            return f"{where} returned {_brief(mut.value)}, the reference {_brief(ref.value)}"
        for i, (before, after) in enumerate(zip(ref.inputs, ref.after)):
            if differs(before, after) and i < len(mut.after) and differs(after, mut.after[i]):
                return (f"{where} left argument {i + 1} at {_brief(mut.after[i])}, the "
                        f"reference at {_brief(after)}")
    if len(reference) != len(mutant):
        return f"made {len(mutant)} call(s) where the reference made {len(reference)}"
    return ""


def differs(reference: Plain, other: Plain) -> bool:
    """Whether two plain outputs differ in their numbers (beyond RTOL/ATOL) or content."""
    a, b = _numbers(reference), _numbers(other)
    if a is not None or b is not None:
        if a is None or b is None or len(a) != len(b):
            return True
        scale = max((abs(x) for x in a if math.isfinite(x)), default=0.0)
        return any(_far(x, y, scale) for x, y in zip(a, b))
    if isinstance(reference, list) and isinstance(other, list):
        return len(reference) != len(other) or any(map(differs, reference, other))
    if isinstance(reference, dict) and isinstance(other, dict):
        return reference.keys() != other.keys() or any(differs(reference[k], other[k])
                                                       for k in reference)
    return reference != other


def _numbers(value: Plain) -> list[float] | None:
    """The numbers of a number, a tensor or a list of numbers (a tensor's shape and a
    number's type are contract matters)."""
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict) and set(value) == {"tensor"}:
        return value["tensor"]
    if isinstance(value, list) and value and all(_is_number(v) for v in value):
        return [x for v in value for x in _numbers(v) or []]
    return None


def _is_number(value: Plain) -> bool:
    return isinstance(value, float) or (isinstance(value, dict) and set(value) == {"tensor"}
                                         and len(value["tensor"]) == 1)


def _far(x: float, y: float, scale: float) -> bool:
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) != math.isnan(y)
    if math.isinf(x) or math.isinf(y):
        return x != y
    return abs(x - y) > RTOL * abs(x) + ATOL * scale


def _brief(value: Plain, k: int = 4) -> str:
    numbers = _numbers(value)
    if numbers is None:
        text = repr(value)
        return text if len(text) <= 80 else text[:77] + "..."
    shown = ", ".join(f"{v:.6g}" for v in numbers[:k])
    return f"[{shown}{', ...' if len(numbers) > k else ''}]" if len(numbers) != 1 else shown
