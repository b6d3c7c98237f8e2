"""One submission through the steps: load -> restore -> execute -> grade -> score.

The steps, in order, are the modules of the same names; this file only wires them
and turns whatever goes wrong with one notebook into a result with a reason.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from autograder.config import Course, Notebook
from autograder.notebook_cells import read
from autograder.pipeline.execute import CellOutcome, execute
from autograder.pipeline.grade import GraderError, TestResult, grader_file, run_graders
from autograder.pipeline.load import load_submission
from autograder.pipeline.restore import Change, restore
from autograder.pipeline.score import ProblemScore, score
from autograder.sandbox.pool import WorkerPool


@dataclass
class NotebookResult:
    notebook: str
    status: str  # graded | not_graded (no usable notebook) | error (the kit failed)
    reason: str = ""
    problems: list[ProblemScore] = field(default_factory=list)
    tests: list[TestResult] = field(default_factory=list)
    cells: list[CellOutcome] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)  # from grading.attach
    restarts: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook, "status": self.status, "reason": self.reason,
            "seconds": round(self.seconds, 3), "worker_restarts": self.restarts,
            "problems": [p.to_dict() for p in self.problems],
            "tests": [t.to_dict() for t in self.tests],
            "cells": [c.to_dict() for c in self.cells],
            "changes": [c.to_dict() for c in self.changes],
            "artifacts": self.artifacts,
        }


@dataclass
class SubmissionResult:
    student: str
    assignment: str
    seed: int
    notebooks: list[NotebookResult]
    sandbox: str = ""

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
        return [f"{nb.notebook}: {nb.reason}" for nb in self.notebooks if nb.status == "error"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "student": self.student, "assignment": self.assignment, "seed": self.seed,
            "sandbox": self.sandbox, "total": self.total, "possible": self.possible,
            "notebooks": [nb.to_dict() for nb in self.notebooks],
        }


@lru_cache(maxsize=32)
def _source(path: Path) -> Any:
    return read(path)


def zero_scores(spec: Notebook) -> list[ProblemScore]:
    return [ProblemScore(g, None if p.manual else 0.0, p.points, 0, 0)
            for g, p in spec.problems.items()]


def grade_notebook(course: Course, assignment: str, spec: Notebook, path: Path,
                   pool: WorkerPool, seed: int) -> NotebookResult:
    started = time.perf_counter()
    result = NotebookResult(spec.file, "graded")
    execution = None
    try:
        loaded = load_submission(path)
        if loaded.notebook is None:
            result.status, result.reason = "not_graded", loaded.reason
            result.problems = zero_scores(spec)
            return result
        notebook, result.changes = restore(loaded.notebook,
                                           _source(course.source_notebook(assignment, spec.file)))
        execution = execute(notebook, pool, course.limits)
        result.cells = execution.outcomes
        tests = grader_file(course.path("graders"), assignment, spec.stem)
        result.tests = run_graders(tests, execution.call, seed, result.artifacts)
        result.problems = score(spec, result.tests)
        result.restarts = execution.restarts
    except GraderError:
        raise  # the course is broken, not the submission: stop loudly
    except Exception as exc:  # a kit bug met by this notebook: record it, keep the batch going
        result.status = "error"
        result.reason = f"internal error while grading: {type(exc).__name__}: {exc}\n" + \
            "".join(traceback.format_exc(limit=6))
        result.problems = zero_scores(spec)
    finally:
        if execution is not None:
            execution.close()
        result.seconds = time.perf_counter() - started
    return result


def grade_submission(course: Course, student: str, assignment: str, directory: Path,
                     pool: WorkerPool, seed: int, sandbox_name: str = "") -> SubmissionResult:
    spec = course.assignment(assignment)
    notebooks = [grade_notebook(course, assignment, nb, directory / nb.file, pool, seed)
                 for nb in spec.notebooks]
    return SubmissionResult(student, assignment, seed, notebooks, sandbox_name)
