"""The results of grading, as types: what the pipeline makes and every report reads.

One submission (a student's assignment) has a result per notebook; a notebook's result
holds the hidden tests' outcomes, the problems' scores, each cell's outcome and every
change the restore step made. results.json is `SubmissionResult.to_dict()`, read back
with `SubmissionResult.from_dict()`; consumers read attributes, never string keys.
Status values are defined here once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any


class NotebookStatus(StrEnum):
    GRADED = "graded"
    NOT_GRADED = "not_graded"  # no usable notebook (missing, not JSON, refused)
    ERROR = "error"  # the kit failed on this notebook


class CellStatus(StrEnum):
    OK = "ok"
    ERROR = "error"  # raised an exception
    TIMEOUT = "timeout"
    CRASHED = "crashed"  # killed its worker
    SKIPPED = "skipped"  # a demo cell, not run when grading
    NOT_RUN = "not run"  # the notebook ran out of time first


BROKEN_CELL = (CellStatus.ERROR, CellStatus.TIMEOUT, CellStatus.CRASHED)


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """DATA's entries that are fields of CLS (results.json of older kits may have more)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


@dataclass
class TestResult:
    problem: str
    name: str
    passed: bool
    message: str
    duration: float
    points: float = 0.0  # score step: the share of the points this check earned (proportional
    #                      and all-or-nothing rules; 0 under the core rule, see `cost`)
    kind: str = "core"  # core: computes the right thing | contract: a side rule (weight)
    weight: float = 0.0  # contract checks: the share of the problem's points a slip costs
    cost: float = 0.0  # score step: the points this failed check cost (0 when passed)
    helpers: list[str] = field(default_factory=list)  # reference helpers the student's code
    #                                                   called instead of its own (sorted)

    @property
    def label(self) -> str:
        """The check's name for students: test_mse_is_0dim -> "mse is 0dim",
        test_fit[first_5] -> "fit (first 5)"."""
        name, _, param = self.name.removeprefix("test_").partition("[")
        label = name.replace("_", " ")
        return f"{label} ({param.rstrip(']').replace('_', ' ')})" if param else label

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TestResult:
        return cls(**_known(cls, data))


@dataclass
class ProblemScore:
    problem: str
    points: float | None  # None: manually graded, pending
    possible: float
    passed: int
    tests: int
    rule: str = ""  # the scoring rule applied (config.Scoring), "" when nothing was scored
    summary: str = ""  # the verdict in plain words, for the student (score step)
    helpers: list[str] = field(default_factory=list)  # reference helpers used in its checks

    def cost_of(self, test: TestResult) -> str:
        """What a failed check of this problem cost, for students (score step's `cost`)."""
        if test.passed:
            return ""
        if test.cost <= 0:
            return "for your information"
        if self.rule == "core" and test.kind != "contract":
            return "core check: the problem earns 0"
        if self.rule == "all_or_nothing":
            return "all-or-nothing: the problem earns 0"
        return f"costs {test.cost:g} point{'s' * (test.cost != 1)}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProblemScore:
        return cls(**_known(cls, data))


@dataclass
class CellOutcome:
    label: str  # grade_id, or "cell N" for cells without one
    status: CellStatus
    error: str = ""
    output: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CellOutcome:
        known = _known(cls, data)
        return cls(**{**known, "status": CellStatus(known["status"])})


@dataclass(frozen=True)
class Change:
    kind: str  # restored | deleted | duplicated | retyped | metadata | unknown_grade_id | ...
    cell: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Change:
        return cls(**_known(cls, data))


@dataclass
class NotebookResult:
    notebook: str
    status: NotebookStatus
    reason: str = ""
    problems: list[ProblemScore] = field(default_factory=list)
    tests: list[TestResult] = field(default_factory=list)
    cells: list[CellOutcome] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)  # from grading.attach
    restarts: int = 0
    seconds: float = 0.0

    def score_of(self, problem: str) -> ProblemScore | None:
        return next((p for p in self.problems if p.problem == problem), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook, "status": str(self.status), "reason": self.reason,
            "seconds": round(self.seconds, 3), "worker_restarts": self.restarts,
            "problems": [p.to_dict() for p in self.problems],
            "tests": [t.to_dict() for t in self.tests],
            "cells": [c.to_dict() for c in self.cells],
            "changes": [c.to_dict() for c in self.changes],
            "artifacts": self.artifacts,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NotebookResult:
        return cls(
            notebook=data["notebook"], status=NotebookStatus(data["status"]),
            reason=data.get("reason", ""),
            problems=[ProblemScore.from_dict(p) for p in data.get("problems", [])],
            tests=[TestResult.from_dict(t) for t in data.get("tests", [])],
            cells=[CellOutcome.from_dict(c) for c in data.get("cells", [])],
            changes=[Change.from_dict(c) for c in data.get("changes", [])],
            artifacts=list(data.get("artifacts", [])),
            restarts=int(data.get("worker_restarts", 0)),
            seconds=float(data.get("seconds", 0.0)),
        )


@dataclass
class SubmissionResult:
    student: str
    assignment: str
    seed: int
    notebooks: list[NotebookResult]
    sandbox: str = ""
    fingerprint: str = ""  # of the inputs graded (batch/jobs.py): a resumed run reuses it

    @property
    def problems(self) -> list[ProblemScore]:
        return [p for nb in self.notebooks for p in nb.problems]

    @property
    def total(self) -> float:
        return round(sum(p.points or 0 for p in self.problems), 2)

    @property
    def possible(self) -> float:
        return round(sum(p.possible for p in self.problems if p.points is not None), 2)

    @property
    def kit_errors(self) -> list[str]:
        return [f"{nb.notebook}: {nb.reason}" for nb in self.notebooks
                if nb.status == NotebookStatus.ERROR]

    def to_dict(self) -> dict[str, Any]:
        return {
            "student": self.student, "assignment": self.assignment, "seed": self.seed,
            "sandbox": self.sandbox, "total": self.total, "possible": self.possible,
            "notebooks": [nb.to_dict() for nb in self.notebooks],
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        return cls(student=data["student"], assignment=data["assignment"],
                   seed=int(data.get("seed", 0)),
                   notebooks=[NotebookResult.from_dict(nb) for nb in data["notebooks"]],
                   sandbox=data.get("sandbox", ""), fingerprint=data.get("fingerprint", ""))
