"""One submission through the steps: load -> restore -> execute -> grade -> score.

The steps, in order, are the modules of the same names; this file only wires them
and turns whatever goes wrong with one notebook into a result with a reason. Its two
halves, `execute_restored` (restore -> execute) and `grade_execution` (grade -> score
on one seed), are also what `course audit` grades its notebook variants with.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Collection
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from autograder.config import Course, Notebook
from autograder.errors import SandboxFailed
from autograder.notebook_cells import read
from autograder.pipeline.answers import written_answers
from autograder.pipeline.budgets import Budgets
from autograder.pipeline.execute import Execution, execute
from autograder.pipeline.grade import GraderError, grader_file, run_graders
from autograder.pipeline.load import Loaded, load_submission
from autograder.pipeline.reference import ReferenceHelpers, reference_helpers
from autograder.pipeline.restore import restore
from autograder.pipeline.score import manual_score, score
from autograder.results import (
    Change,
    NotebookResult,
    NotebookStatus,
    ProblemScore,
    SubmissionResult,
    TestResult,
)
from autograder.sandbox.channel import CallReply
from autograder.sandbox.pool import WorkerPool


@lru_cache(maxsize=32)
def _source(path: Path) -> Any:
    return read(path)


@lru_cache(maxsize=32)
def _references(source: Path, shipped: Path, problems: tuple[str, ...]) -> ReferenceHelpers:
    """The reference helpers from the SOURCE notebook, or from SHIPPED where a course
    without its source notebooks (the Gradescope zip) carries them beside its graders."""
    if shipped.is_file():
        return ReferenceHelpers.from_json(shipped.read_text(encoding="utf-8"))
    return reference_helpers(_source(source), problems)


def references_of(course: Course, assignment: str, spec: Notebook) -> ReferenceHelpers:
    """The reference helpers grading lends to the functions of SPEC's notebook."""
    return _references(course.source_notebook(assignment, spec.file),
                       shipped_references(course.path("graders"), assignment, spec),
                       tuple(spec.autograded))


def shipped_references(graders: Path, assignment: str, spec: Notebook) -> Path:
    """Where a course that ships no source notebooks keeps SPEC's reference helpers."""
    return graders / assignment / "reference" / f"{spec.stem}.json"


def zero_scores(spec: Notebook, answers: dict[str, str] | None) -> list[ProblemScore]:
    """Scores of a notebook that was not graded. ANSWERS: its written answers, which stay
    for a person to grade ({} when there is no notebook, so nothing to grade: 0 points;
    None when the kit failed before reading them: pending)."""
    scores = []
    for g, p in spec.problems.items():
        if not p.manual:
            scores.append(ProblemScore(g, 0.0, p.points, 0, 0))
        elif answers is None:
            scores.append(ProblemScore(g, None, p.points, 0, 0, manual=True))
        else:
            scores.append(manual_score(g, p.points, answers.get(g, "")))
    return scores


def _release(course: Course, assignment: str, spec: Notebook) -> Any | None:
    path = course.path("release") / assignment / spec.file
    return _source(path) if path.is_file() else None


class Executed(NamedTuple):
    notebook: Any  # as restored
    changes: list[Change]  # what the restore changed
    execution: Execution  # the caller closes it


def execute_restored(course: Course, assignment: str, spec: Notebook, notebook: Any,
                     pool: WorkerPool, before: Callable[[Any], None] | None = None,
                     budgets: Budgets | None = None) -> Executed:
    """NOTEBOOK restored against its source and executed in a worker of POOL. BEFORE
    (the restored notebook) runs first: what it reads is kept when the execution fails.
    BUDGETS: the CPU budgets measured from the reference (None: course.yml's)."""
    restored, changes = restore(notebook, _source(course.source_notebook(assignment, spec.file)))
    if before is not None:
        before(restored)
    return Executed(restored, changes, execute(restored, pool, course.limits, budgets))


def grade_execution(course: Course, assignment: str, spec: Notebook,
                    call: Callable[..., CallReply], seed: int, *,
                    answers: dict[str, str] | None = None,
                    artifacts: list[dict[str, Any]] | None = None,
                    problems: Collection[str] | None = None
                    ) -> tuple[list[TestResult], list[ProblemScore]]:
    """The hidden graders run on seed SEED against CALL (an execution's `call`, or one
    that wraps it), and the problems scored: (tests, scores). ANSWERS: the written ones;
    PROBLEMS: run only these problems' tests."""
    tests = run_graders(grader_file(course.path("graders"), assignment, spec.stem), call, seed,
                        artifacts, references_of(course, assignment, spec), problems)
    return tests, score(spec, tests, answers)


def grade_notebook(course: Course, assignment: str, spec: Notebook, path: Path,
                   pool: WorkerPool, seed: int, refused: str = "") -> NotebookResult:
    """REFUSED: why the file was refused where it was read (the Dask client)."""
    started = time.perf_counter()
    result = NotebookResult(spec.file, NotebookStatus.GRADED)
    execution = None
    answers: dict[str, str] | None = None
    try:
        loaded = Loaded(None, refused, refused=True) if refused else load_submission(path)
        if loaded.notebook is None:
            result.status, result.reason = NotebookStatus.NOT_GRADED, loaded.reason
            result.problems = zero_scores(spec, {})
            if loaded.refused:  # listed with the tamper events, too
                result.changes = [Change("refused", spec.file, loaded.reason)]
            return result
        release = _release(course, assignment, spec)

        def read_answers(restored: Any) -> None:
            nonlocal answers
            answers = written_answers(restored, release, spec)

        budgets = reference_budgets(course, assignment, spec, pool, seed) \
            if pool.measure_reference else None
        _, result.changes, execution = execute_restored(course, assignment, spec,
                                                        loaded.notebook, pool, read_answers,
                                                        budgets)
        result.cells = execution.outcomes
        result.tests, result.problems = grade_execution(
            course, assignment, spec, execution.call, seed, answers=answers,
            artifacts=result.artifacts)
        result.restarts = execution.restarts
    except (GraderError, SandboxFailed):
        raise  # the course or the sandbox is broken, not the submission: stop loudly
    except Exception as exc:  # a kit bug met by this notebook: record it, keep the batch going
        result.status = NotebookStatus.ERROR
        result.reason = f"internal error while grading: {type(exc).__name__}: {exc}\n" + \
            "".join(traceback.format_exc(limit=6))
        result.problems = zero_scores(spec, answers)
    finally:
        if execution is not None:
            execution.close()
        result.seconds = time.perf_counter() - started
    return result


def grade_submission(course: Course, student: str, assignment: str, directory: Path,
                     pool: WorkerPool, seed: int, sandbox_name: str = "",
                     refused: dict[str, str] | None = None) -> SubmissionResult:
    """REFUSED: notebook file -> why it was refused where it was read (Dask client)."""
    spec = course.assignment(assignment)
    refused = refused or {}
    notebooks = [grade_notebook(course, assignment, nb, directory / nb.file, pool, seed,
                                refused.get(nb.file, "")) for nb in spec.notebooks]
    return SubmissionResult(student, assignment, seed, notebooks, sandbox_name)


# ------------------------------------------------------------------ the reference's cost
_MEASURED: dict[tuple[str, str, str], Budgets] = {}


def reference_budgets(course: Course, assignment: str, spec: Notebook, pool: WorkerPool,
                      seed: int) -> Budgets:
    """SPEC's CPU budgets (pipeline/budgets.py), from its reference solution graded once in
    this process on POOL (cached: the same machine, the same run). Without a source
    notebook: the fixed ones."""
    key = (str(course.root), assignment, spec.file)
    if key not in _MEASURED:
        source = course.source_notebook(assignment, spec.file)
        _MEASURED[key] = (_measure(course, assignment, spec, source, pool, seed)
                          if source.is_file() else Budgets.fixed(course.limits))
    return _MEASURED[key]


def _measure(course: Course, assignment: str, spec: Notebook, source: Path, pool: WorkerPool,
             seed: int) -> Budgets:
    """Execute the SOURCE notebook and run the hidden graders on it, recording the CPU
    time of its cells and of each call; the budgets follow from those costs."""
    _, _, execution = execute_restored(course, assignment, spec, read(source), pool,
                                       budgets=Budgets.fixed(course.limits))
    costs: dict[str, float] = {}

    def recording(name: str, args: tuple, kwargs: dict, **lend: Any) -> Any:
        reply = execution.call(name, args, kwargs, **lend)
        costs[name] = max(costs.get(name, 0.0), reply.cpu)
        return reply

    try:
        grade_execution(course, assignment, spec, recording, seed)
    finally:
        execution.close()
    return Budgets.from_costs(course.limits, costs, max(execution.cell_cpu, default=0.0),
                              sum(execution.cell_cpu))
