"""The audit's results: per problem, the seed sweep and every mutant's verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from autograder.audit.mutants import FAMILIES
from autograder.audit.verdicts import MutantVerdict, Status


@dataclass
class SeedScores:
    seed: int
    reference: float
    blank: float


class Tally:
    """Verdicts counted over a group of mutants: a problem's, or an operator family's."""

    verdicts: list[MutantVerdict]

    def count(self, status: str) -> int:
        return sum(v.status == status for v in self.verdicts)

    @property
    def leaks(self) -> int:
        return sum(v.leak for v in self.verdicts)

    @property
    def kill_rate(self) -> float | None:
        """Killed among the mutants that are not equivalent (None: there are none)."""
        judged = len(self.verdicts) - self.count(Status.EQUIVALENT) - self.count(Status.ERROR)
        return round(self.count(Status.KILLED) / judged, 4) if judged else None

    def counts(self) -> dict[str, Any]:
        return {"mutants": len(self.verdicts), "killed": self.count(Status.KILLED),
                "survived": self.count(Status.SURVIVED),
                "equivalent": self.count(Status.EQUIVALENT), "leaks": self.leaks,
                "flaky": self.count(Status.FLAKY), "errors": self.count(Status.ERROR),
                "kill_rate": self.kill_rate}


@dataclass
class Family(Tally):
    verdicts: list[MutantVerdict] = field(default_factory=list)


@dataclass
class ProblemAudit(Tally):
    problem: str
    notebook: str
    possible: float
    outputs_open: str = ""  # why outputs are not compared with the reference ("" if they are)
    seeds: list[SeedScores] = field(default_factory=list)
    verdicts: list[MutantVerdict] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook, "possible": self.possible, **self.counts(),
            "outputs_open": self.outputs_open,
            "seeds": [{"seed": s.seed, "reference": s.reference, "blank": s.blank}
                      for s in self.seeds],
            "details": [v.to_dict() for v in self.verdicts],
        }


@dataclass
class AuditResult:
    assignment: str
    seeds: list[int]
    mutant_seeds: list[int]
    workers: int
    problems: list[ProblemAudit] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    gradings: int = 0  # notebook executions, each graded on one or more seeds
    executing: float = 0.0  # seconds the grading processes spent executing notebooks
    grading: float = 0.0  # ... and running the hidden graders on them

    @property
    def ok(self) -> bool:
        return not self.failures

    def families(self) -> dict[str, Family]:
        """Every operator family (mutants.FAMILIES, then the typical mistakes) with the
        verdicts of its mutants over all problems; a family that made no mutant is there
        too, with none."""
        tallies = {name: Family() for name in [*FAMILIES, "typical mistake"]}
        for p in self.problems:
            for v in p.verdicts:
                tallies.setdefault(v.mutant.family or "other", Family()).verdicts.append(v)
        return tallies

    def to_dict(self) -> dict[str, Any]:
        return {
            "assignment": self.assignment, "ok": self.ok, "seconds": round(self.seconds, 1),
            "workers": self.workers, "executions": self.gradings,
            "executing_seconds": round(self.executing, 1),
            "grading_seconds": round(self.grading, 1), "seeds": self.seeds,
            "mutant_seeds": self.mutant_seeds, "failures": self.failures,
            "warnings": self.warnings,
            "families": {name: {"description": FAMILIES.get(name, ""), **tally.counts()}
                         for name, tally in self.families().items()},
            "problems": {p.problem: p.to_dict() for p in self.problems},
        }
