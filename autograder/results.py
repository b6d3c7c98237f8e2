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
from typing import Any, Self


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


class _Flat:
    """A dataclass of plain fields: its JSON object is its fields, read back by name
    (entries that are not fields, from other kit versions, are ignored)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class TestResult(_Flat):
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
    unlent: list[str] = field(default_factory=list)  # helpers it called that could not be
    #                                                  lent (they take a function): its own
    requires: list[str] = field(default_factory=list)  # what the problem's text says that
    #                                                    this check enforces (grading.requires)

    @property
    def label(self) -> str:
        """The check's name for students: test_mse_is_0dim -> "mse is 0dim",
        test_fit[first_5] -> "fit (first 5)"."""
        name, _, param = self.name.removeprefix("test_").partition("[")
        label = name.replace("_", " ")
        return f"{label} ({param.rstrip(']').replace('_', ' ')})" if param else label


@dataclass(frozen=True)
class ManualScore:
    """A score a person entered for a manually graded problem, with their comment."""

    points: float
    comment: str = ""


GRADED_BY_INSTRUCTOR = "instructor"


@dataclass
class ProblemScore(_Flat):
    problem: str
    points: float | None  # None: manually graded, pending
    possible: float
    passed: int
    tests: int
    rule: str = ""  # the scoring rule applied (config.Scoring), "" when nothing was scored
    summary: str = ""  # the verdict in plain words, for the student (score step)
    helpers: list[str] = field(default_factory=list)  # reference helpers used in its checks
    manual: bool = False  # graded by a person (course.yml `manual: true`)
    answer: str = ""  # manual problems: the student's written answer ("" = none given)
    comment: str = ""  # the grader's comment on a manual score
    graded_by: str = ""  # "" = the kit; GRADED_BY_INSTRUCTOR = a person's manual score

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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        read = super().from_dict(data)
        if "manual" not in data:  # results.json of older kits: their pending ones were manual
            read.manual = data.get("points") is None
        return read


@dataclass
class CellOutcome(_Flat):
    label: str  # grade_id, or "cell N" for cells without one
    status: CellStatus
    error: str = ""
    output: str = ""

    def __post_init__(self) -> None:
        self.status = CellStatus(self.status)  # read back from JSON as a plain string


@dataclass(frozen=True)
class Change(_Flat):
    """A departure from the source that the grader undid or noted, or a refused file.

    kind, with `cell` the grade_id concerned ("" for the whole notebook):
    restored           a read-only (locked, test) cell was edited or deleted; the source's used
    deleted            a solution cell is missing and no cell defines its function
    duplicated         a second cell with a solution's grade_id or function (it runs after
                       the answer), or an unmarked copy of a read-only cell (dropped)
    retyped            a cell's type was changed; the source's type restored
    metadata           nbgrader metadata or the kernelspec changed; the source's restored
    unknown_grade_id   a grade_id the source does not have; the cell runs as an added one
    reordered          graded cells were moved; source order restored
    found_by_function  no cell had a problem's grade_id; the cell defining its function used
    found_by_place     no cell had a written answer's grade_id; the markdown cell in its
                       place used
    recognised         an unmarked (perhaps edited) copy of a read-only cell; the source's used
    marks_lost         most cells had lost their grading marks and were found by content
                       (one change for the notebook instead of one per cell)
    refused            the submitted entry is a link, FIFO, device, folder, too big...: never
                       read, the notebook counts zero
    more               how many changes past the first 99 were left out (restore.MAX_CHANGES)
    """

    kind: str
    cell: str
    detail: str


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
    submitted: str = ""  # the submission's folder (its timestamp.txt says when it came in)

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
            "fingerprint": self.fingerprint, "submitted": self.submitted,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        return cls(student=data["student"], assignment=data["assignment"],
                   seed=int(data.get("seed", 0)),
                   notebooks=[NotebookResult.from_dict(nb) for nb in data["notebooks"]],
                   sandbox=data.get("sandbox", ""), fingerprint=data.get("fingerprint", ""),
                   submitted=data.get("submitted", ""))
