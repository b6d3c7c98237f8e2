"""The results of grading, as types: what the pipeline makes and every report reads.

One submission (a student's assignment) has a result per notebook; a notebook's result
holds the hidden tests' outcomes, the problems' scores, each cell's outcome and every
change the restore step made. The types are pydantic dataclasses, so results.json is
their JSON (`SubmissionResult.to_dict()`, `write_results`) and is validated when read
back (`read_results`, the one reader): a file that does not fit is refused with one
`ResultsUnreadable` that says where, never half-read. Keys of older kits' files are read
through aliases. Consumers read attributes, never string keys. Status values are
defined here once.
"""

from __future__ import annotations

from dataclasses import field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Self

from pydantic import (
    AliasChoices,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    computed_field,
    field_serializer,
    model_validator,
)
from pydantic.dataclasses import dataclass

from autograder.errors import ResultsUnreadable


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


# Fields are filled by name or by alias (an older kit's key); keys that are no field, from
# other kit versions, are ignored.
_READ = ConfigDict(validate_by_name=True, validate_by_alias=True, extra="ignore")


@cache
def _adapter(cls: type) -> TypeAdapter:
    return TypeAdapter(cls)


class _Json:
    """The JSON object of a result type, and back (validated)."""

    def to_dict(self) -> dict[str, Any]:
        return _adapter(type(self)).dump_python(self, mode="json", by_alias=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Raises pydantic's ValidationError (read_results turns it into words)."""
        return _adapter(cls).validate_python(data)


@dataclass(config=_READ)
class TestResult(_Json):
    __test__ = False  # not a test class, for pytest

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
    answer_digest: str = ""  # given for this answer only (pipeline/answer_changes.py)


GRADED_BY_INSTRUCTOR = "instructor"


@dataclass(config=_READ)
class ProblemScore(_Json):
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
    scored_answer: str = ""  # digest of the answer a person's score was given for
    history: list[dict[str, Any]] = field(default_factory=list)  # scores retired because
    #   the answer changed: points, comment, answer_digest, why (pipeline/answer_changes.py)

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

    @model_validator(mode="before")
    @classmethod
    def _older(cls, data: Any) -> Any:
        if isinstance(data, dict) and "manual" not in data:
            # results.json of kits before written answers: their pending ones were manual
            return {**data, "manual": data.get("points") is None}
        return data


@dataclass(config=_READ)
class CellOutcome(_Json):
    label: str  # grade_id, or "cell N" for cells without one
    status: CellStatus
    error: str = ""
    output: str = ""


@dataclass(frozen=True, config=_READ)
class Change(_Json):
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


@dataclass(config=_READ)
class NotebookResult(_Json):
    notebook: str
    status: NotebookStatus
    reason: str = ""
    problems: list[ProblemScore] = field(default_factory=list)
    tests: list[TestResult] = field(default_factory=list)
    cells: list[CellOutcome] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)  # from grading.attach
    # worker restarts during its execution; "worker_restarts" in results.json
    restarts: int = Field(default=0, validation_alias=AliasChoices("restarts", "worker_restarts"),
                          serialization_alias="worker_restarts")
    seconds: float = 0.0

    def score_of(self, problem: str) -> ProblemScore | None:
        return next((p for p in self.problems if p.problem == problem), None)

    @field_serializer("seconds")
    def _rounded(self, seconds: float) -> float:
        return round(seconds, 3)


@dataclass(config=_READ)
class SubmissionResult(_Json):
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

    @computed_field  # type: ignore[prop-decorator]  (written for readers of the file)
    @property
    def total(self) -> float:
        return round(sum(p.points or 0 for p in self.problems), 2)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def possible(self) -> float:
        """Every problem's points, those still pending with a person included: one
        denominator for every student and every report."""
        return round(sum(p.possible for p in self.problems), 2)

    @property
    def pending(self) -> float:
        """The points of the problems still waiting for a person's score."""
        return round(sum(p.possible for p in self.problems if p.points is None), 2)

    @property
    def kit_errors(self) -> list[str]:
        return [f"{nb.notebook}: {nb.reason}" for nb in self.notebooks
                if nb.status == NotebookStatus.ERROR]


def results_json(result: SubmissionResult) -> str:
    """RESULT as the text of its results.json."""
    return _adapter(SubmissionResult).dump_json(result, indent=2, by_alias=True).decode()


def read_results(path: Path) -> SubmissionResult:
    """The results.json at PATH, validated; raises ResultsUnreadable, which says what is
    wrong with it (OSError too: a file that cannot be read is unreadable)."""
    try:
        return _adapter(SubmissionResult).validate_json(path.read_bytes())
    except OSError as exc:
        raise ResultsUnreadable(f"{path}: cannot be read ({exc.strerror or exc})") from None
    except ValidationError as exc:
        raise ResultsUnreadable(f"{path}: {_explain(exc)}") from None


def _explain(exc: ValidationError, most: int = 3) -> str:
    """pydantic's errors in one line: the first few, each where and what."""
    said = []
    for err in exc.errors()[:most]:
        where = ".".join(str(part) for part in err["loc"]) or "the file"
        said.append(f"{where}: {err['msg']}")
    more = exc.error_count() - len(said)
    return "not a results.json of this kit (" + "; ".join(said) + \
        (f"; and {more} more" if more > 0 else "") + ")"
