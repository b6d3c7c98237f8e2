"""course.yml: load, validate, and explain every mistake.

The schema is a tree of pydantic models that forbid unknown keys, so a typo such
as `piont` is refused instead of silently ignored. After the schema, the course is
checked against its source notebooks: every problem must have its solution cell,
and every solution cell must be a problem in course.yml.
"""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from autograder.errors import ConfigError

CONFIG_NAME = "course.yml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scoring(StrEnum):
    """How a problem's hidden checks become points (pipeline/score.py, docs/graders.md)."""

    CORE = "core"  # any failed core check: 0; else each failed contract check deducts its weight
    ALL_OR_NOTHING = "all_or_nothing"  # every check passed: the points; otherwise 0
    PROPORTIONAL = "proportional"  # the points times the share of checks passed


class Problem(_Strict):
    points: float = Field(ge=0)
    manual: bool = False  # graded by a person, reported as pending
    scoring: Scoring = Scoring.CORE

    @model_validator(mode="before")
    @classmethod
    def _old_all_or_nothing(cls, data: Any) -> Any:
        """`all_or_nothing: true` (the key of earlier kits) still means scoring: all_or_nothing;
        `false` meant the default rule. Both keys at once are refused: which one wins?"""
        if not isinstance(data, dict) or "all_or_nothing" not in data:
            return data
        data = dict(data)
        old = data.pop("all_or_nothing")
        if not isinstance(old, bool):
            raise ValueError(f"all_or_nothing must be true or false, not {old!r}; better, "
                             "write scoring: all_or_nothing (or proportional, or core)")
        if "scoring" in data:
            raise ValueError("give either scoring or the older all_or_nothing, not both; "
                             "keep scoring: " + str(data["scoring"]))
        if old:
            data["scoring"] = Scoring.ALL_OR_NOTHING
        return data

    @property
    def all_or_nothing(self) -> bool:
        return self.scoring == Scoring.ALL_OR_NOTHING


class Notebook(_Strict):
    file: str
    problems: dict[str, Problem]

    @field_validator("file")
    @classmethod
    def _is_ipynb(cls, v: str) -> str:
        if not v.endswith(".ipynb") or "/" in v:
            raise ValueError("must be a notebook file name such as 01-gradients.ipynb")
        return v

    @property
    def stem(self) -> str:
        return self.file[: -len(".ipynb")]

    @property
    def autograded(self) -> dict[str, Problem]:
        return {k: p for k, p in self.problems.items() if not p.manual}


class Amount(_Strict):
    """A deduction: `10%` of the assignment's points, or `1.5` points."""

    value: float = Field(ge=0)
    percent: bool = False

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError("must be points (a number such as 1.5) or a percentage "
                             "(such as 10%)")
        if isinstance(v, int | float):
            return {"value": v}
        if isinstance(v, str):
            match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(%?)\s*", v)
            if not match:
                raise ValueError("must be points (a number such as 1.5) or a percentage "
                                 "(such as 10%)")
            return {"value": float(match[1]), "percent": bool(match[2])}
        return v

    @model_validator(mode="after")
    def _at_most_all(self) -> Amount:
        if self.percent and self.value > 100:
            raise ValueError(f"{self.value:g}% is more than all of the points")
        return self

    def points(self, possible: float) -> float:
        return possible * self.value / 100 if self.percent else self.value


class LatePolicy(_Strict):
    """What lateness costs: every started hour or day after the due time deducts
    `deduct`, at most `cap`; a submission within the grace period counts as on time."""

    per: Literal["hour", "day"]
    deduct: Amount
    cap: Amount | None = None  # default: up to all of the points
    grace_minutes: float = Field(default=0, ge=0)


def _aware(v: Any) -> Any:
    """A due time must say its time zone: 23:59 means nothing without one."""
    if isinstance(v, date) and not isinstance(v, datetime):
        raise ValueError(f"{v} is a date without a time; write the time and its zone, "
                         f"e.g. {v}T23:59:00+01:00")
    if isinstance(v, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", v):
        raise ValueError(f"{v.strip()} is a date without a time; write the time and its "
                         f"zone, e.g. {v.strip()}T23:59:00+01:00")
    return v


def _has_zone(v: datetime) -> datetime:
    if v.tzinfo is None or v.utcoffset() is None:
        raise ValueError(f"{v.isoformat()} has no time zone; add its offset, e.g. "
                         f"{v.isoformat()}+01:00, or Z for UTC")
    return v


# ISO 8601 with its zone; YAML reads such a value as a datetime itself.
DueTime = Annotated[datetime, BeforeValidator(_aware), AfterValidator(_has_zone)]


class Extension(_Strict):
    """One student's extension: a new due time, or extra time after the assignment's."""

    due: DueTime | None = None
    extra_hours: float | None = Field(default=None, gt=0)
    extra_days: float | None = Field(default=None, gt=0)  # days of 24 hours

    @model_validator(mode="after")
    def _exactly_one(self) -> Extension:
        given = [k for k in ("due", "extra_hours", "extra_days") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of due, extra_hours or extra_days "
                             f"(got {', '.join(given) or 'none'})")
        return self


REVIEW = "review"


def _zone_or_review(v: str) -> str:
    if v == REVIEW or v.upper() in ("UTC", "Z", "GMT"):
        return v
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{v!r} is neither `review` nor a time zone such as UTC or "
                         "Europe/Berlin") from None
    return v


class Timestamps(_Strict):
    """What a submission time the kit cannot take as an instant means (nbgrader's
    timestamp.txt missing, unreadable, or without its zone), for an assignment with a due
    time. `review` (the default of each): the grade is "needs review", with no total, until
    the instructor corrects timestamp.txt or writes the time in the assignment's
    `submitted_at`; `on_time`: counted as on time (nbgrader's own reading of a missing
    file); for a time without zone, a zone (UTC, Europe/Berlin) to read it in."""

    missing: Literal["review", "on_time"] = REVIEW
    unreadable: Literal["review", "on_time"] = REVIEW
    no_zone: Annotated[str, AfterValidator(_zone_or_review)] = REVIEW


class Assignment(_Strict):
    name: str
    notebooks: list[Notebook]
    due: DueTime | None = None  # ISO 8601 with its time zone
    late: LatePolicy | None = None  # default: the course's `late`
    extensions: dict[str, Extension] = {}  # student id -> extension
    # student id -> when their submission came in, in the instructor's word: replaces the
    # timestamp.txt (resolves a grade that needs review)
    submitted_at: dict[str, DueTime] = {}

    @model_validator(mode="after")
    def _deadline_first(self) -> Assignment:
        if self.due is None and (self.late or self.extensions or self.submitted_at):
            raise ValueError("late, extensions and submitted_at need the assignment's due "
                             "time; add due: (e.g. 2025-03-14T23:59:00+01:00)")
        for student, ext in self.extensions.items():
            if ext.due is not None and self.due is not None and ext.due <= self.due:
                raise ValueError(f"extensions.{student}.due {ext.due.isoformat()} is not after "
                                 f"the assignment's due time {self.due.isoformat()}")
        return self

    def notebook(self, file: str) -> Notebook:
        for nb in self.notebooks:
            if nb.file == file:
                return nb
        raise KeyError(file)

    @property
    def problems(self) -> dict[str, Problem]:
        return {k: p for nb in self.notebooks for k, p in nb.problems.items()}


class Paths(_Strict):
    source: str = "source"
    release: str = "release"
    solutions: str = "solutions"
    graders: str = "autograder/graders"


class Limits(_Strict):
    call_seconds: float = Field(default=20, gt=0)
    cell_seconds: float = Field(default=60, gt=0)
    notebook_seconds: float = Field(default=180, gt=0)
    # CPU budgets (pipeline/budgets.py): this many times the reference solution's CPU time,
    # never less than cpu_floor_seconds for a call (a third of cell_seconds and of
    # notebook_seconds for executing a notebook; the seconds above are wall-clock backstops).
    cpu_multiple: float = Field(default=20, ge=1)
    cpu_floor_seconds: float = Field(default=5, gt=0)
    memory_mb: int = Field(default=3072, ge=256)
    processes: int = Field(default=256, ge=16)
    file_size_mb: int = Field(default=64, ge=1)
    output_kb: int = Field(default=256, ge=1)


class Course(_Strict):
    title: str
    paths: Paths = Paths()
    limits: Limits = Limits()
    similarity_threshold: float = Field(default=0.9, ge=0, le=1)
    late: LatePolicy | None = None  # for every assignment with a due time, unless it has its own
    timestamps: Timestamps = Timestamps()  # a submission time that cannot be read
    assignments: list[Assignment]

    # Set by load_course; not part of the file.
    root: Path = Field(default=Path("."), exclude=True)

    def assignment(self, name: str) -> Assignment:
        for a in self.assignments:
            if a.name == name:
                return a
        known = ", ".join(a.name for a in self.assignments)
        raise ConfigError(f"{CONFIG_NAME}: no assignment named {name!r} (known: {known})")

    def path(self, which: str) -> Path:
        return self.root / getattr(self.paths, which)

    def source_notebook(self, assignment: str, file: str) -> Path:
        return self.path("source") / assignment / file


def load_course(root: str | Path = ".", *, check_sources: bool = True) -> Course:
    """Read and validate ROOT/course.yml; raise ConfigError with an actionable message."""
    root = Path(root).resolve()
    path = root / CONFIG_NAME
    if not path.is_file():
        raise ConfigError(f"{path}: not found. Run the command from the course directory.")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with 'title' and 'assignments'.")
    try:
        course = Course.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_explain(path, exc)) from None
    course = course.model_copy(update={"root": root})
    problems = _check_unique(course)
    if check_sources:
        problems += _check_against_sources(course)
    if problems:
        raise ConfigError(f"{path}:\n" + "\n".join(f"  - {p}" for p in problems))
    return course


def _explain(path: Path, exc: ValidationError) -> str:
    lines = [f"{path}: {exc.error_count()} mistake(s):"]
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            key = str(err["loc"][-1])
            allowed = _allowed_keys(err["loc"][:-1])
            hint = difflib.get_close_matches(key, allowed, n=1)
            fix = f"did you mean {hint[0]!r}?" if hint else f"allowed keys: {', '.join(allowed)}"
            lines.append(f"  - {where}: unknown key {key!r}; {fix}")
        elif err["type"] == "missing":
            lines.append(f"  - {where}: required key is missing; add it")
        else:
            lines.append(f"  - {where}: {error_message(err)}")
    return "\n".join(lines)


def error_message(err: Any) -> str:
    """One pydantic error (an item of ValidationError.errors()) in words: our own
    validators' messages say it all; pydantic's get the value that was refused. The CSV
    readers (csv_tables.py) word their errors with it too."""
    if err["type"] == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    return f"{err['msg']} (got {err.get('input')!r})"


class _DictOf:
    """Under this key, a mapping of names (problems, students) to MODEL."""

    def __init__(self, model: type) -> None:
        self.model = model


# Which model sits under which key, to list the keys allowed where a typo was made.
_CHILDREN: dict[tuple[type, str], Any] = {
    (Course, "paths"): Paths,
    (Course, "limits"): Limits,
    (Course, "late"): LatePolicy,
    (Course, "timestamps"): Timestamps,
    (Course, "assignments"): Assignment,
    (Assignment, "notebooks"): Notebook,
    (Assignment, "late"): LatePolicy,
    (Assignment, "extensions"): _DictOf(Extension),  # student id -> Extension
    (Notebook, "problems"): _DictOf(Problem),  # problem name -> Problem
}


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: Any = Course
    for part in loc:
        if isinstance(part, int):
            continue  # a list index
        model = model.model if isinstance(model, _DictOf) else _CHILDREN.get((model, part))
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [k for k in model.model_fields if k != "root"]
    return []


def _check_unique(course: Course) -> list[str]:
    problems: list[str] = []
    seen_assignments: set[str] = set()
    for a in course.assignments:
        if a.name in seen_assignments:
            problems.append(f"assignment {a.name!r} is listed twice; keep one")
        seen_assignments.add(a.name)
        seen: dict[str, str] = {}
        for nb in a.notebooks:
            for grade_id in nb.problems:
                if grade_id in seen:
                    problems.append(
                        f"{a.name}: problem {grade_id!r} is in both {seen[grade_id]} and "
                        f"{nb.file}; a grade_id must be unique within an assignment"
                    )
                seen[grade_id] = nb.file
    return problems


def _check_against_sources(course: Course) -> list[str]:
    from autograder.notebook_cells import solution_cells

    problems: list[str] = []
    for a in course.assignments:
        for nb in a.notebooks:
            src = course.source_notebook(a.name, nb.file)
            if not src.is_file():
                problems.append(
                    f"assignments.{a.name}.notebooks.{nb.file}: {src} does not exist; "
                    "fix the file name or add the notebook"
                )
                continue
            try:
                found = solution_cells(src)
            except ValueError:
                problems.append(f"{a.name}/{nb.file}: {src} is not a notebook (not valid "
                                "JSON); restore it from version control")
                continue
            for grade_id in nb.problems:
                if grade_id not in found:
                    problems.append(
                        f"{a.name}/{nb.file}: problem {grade_id!r} has no solution cell with "
                        f"that grade_id in {src.name}; add one or remove the problem"
                    )
            for grade_id in found:
                if grade_id not in nb.problems:
                    problems.append(
                        f"{a.name}/{nb.file}: solution cell {grade_id!r} is not a problem in "
                        f"{CONFIG_NAME}; add it under problems: with its points"
                    )
    return problems
