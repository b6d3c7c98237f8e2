"""Grade one variant of a reference notebook with the real engine, in a grading process.

A variant is the source notebook with solution cells replaced (a mutant), the source
itself (the reference) or the release (the blank notebook). It goes through the same
steps as a submission (restore -> execute in the sandbox -> hidden graders -> score),
on the batch's zygote. The notebook executes once and is then graded on each seed: a
seed only changes the graders' random inputs, and the execution is the expensive part.

While the graders run, every call into the notebook is recorded as plain numbers (what
it returned, and the arguments afterwards), so that verdicts.py can compare a mutant's
outputs with the reference's on the very same inputs.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from autograder.results import CellOutcome, TestResult

Plain = Any  # numbers, strings, None, lists and dicts of them; tensors as {"tensor": [...]}


@dataclass(frozen=True)
class Variant:
    key: str  # names it in the run: "reference", "blank", or the mutant's index
    assignment: str
    notebook: str  # file name, as in course.yml
    seeds: tuple[int, ...]
    cells: tuple[tuple[str, str], ...] = ()  # (grade_id, replacement source)
    blank: bool = False  # the release notebook instead of the source
    problems: tuple[str, ...] | None = None  # grade only these problems' tests
    record: bool = False  # keep the calls' outputs


@dataclass
class Call:
    """One call into the notebook made by a hidden test, as plain data."""

    function: str
    inputs: list[Plain]  # the arguments as the grader passed them
    value: Plain = None
    after: list[Plain] = field(default_factory=list)  # the arguments after the call
    error: str = ""  # the exception's type, when the call did not return


@dataclass
class Grading:
    """A variant graded on one seed."""

    seed: int
    scores: dict[str, float]  # problem -> points earned
    tests: list[TestResult]
    calls: dict[str, list[Call]] = field(default_factory=dict)  # test name -> its calls


@dataclass
class VariantResult:
    key: str
    gradings: list[Grading] = field(default_factory=list)
    cells: list[CellOutcome] = field(default_factory=list)
    error: str = ""  # the kit failed on this variant
    seconds: float = 0.0
    executing: float = 0.0  # of the seconds: restoring and executing the notebook
    fresh_seeds: list[int] = field(default_factory=list)  # graded again, one per notebook


# ------------------------------------------------------------------ in a grading process
def init_audit_process(root: str, unsafe: bool, zygote_address: str | None,
                       batch_pid: int | None = None) -> None:
    """Initializer of the audit's grading processes: the batch's own set-up."""
    from autograder.batch.grading_process import init_process

    init_process(root, unsafe, zygote_address, batch_pid)


def grade_variant(variant: Variant) -> VariantResult:
    """Grade VARIANT on each of its seeds; a kit failure is recorded, never raised."""
    from autograder.batch.grading_process import process_course_and_pool
    from autograder.pipeline.execute import execute
    from autograder.pipeline.grade import GraderError, grader_file, run_graders
    from autograder.pipeline.restore import restore
    from autograder.pipeline.score import score
    from autograder.pipeline.submission import references_of

    course, pool = process_course_and_pool()
    started = time.perf_counter()
    result = VariantResult(variant.key)
    spec = course.assignment(variant.assignment).notebook(variant.notebook)
    source = _notebook(course.source_notebook(variant.assignment, variant.notebook))
    execution = None
    try:
        folder = course.path("release" if variant.blank else "source") / variant.assignment
        notebook = _with_cells(_notebook(folder / variant.notebook), dict(variant.cells))
        notebook, _ = restore(notebook, source)
        execution = execute(notebook, pool, course.limits)
        result.executing = time.perf_counter() - started
        result.cells = execution.outcomes
        tests_file = grader_file(course.path("graders"), variant.assignment, spec.stem)
        for seed in variant.seeds:
            recorder = _Recorder(execution.call) if variant.record else None
            tests = run_graders(tests_file, recorder or execution.call, seed,
                                references=references_of(course, variant.assignment, spec),
                                problems=variant.problems)
            scores = {p.problem: p.points or 0.0 for p in score(spec, tests)
                      if p.points is not None}
            result.gradings.append(Grading(seed, scores, tests,
                                           recorder.calls if recorder else {}))
    except GraderError as exc:
        result.error = f"the hidden graders cannot run: {exc}"
    except Exception as exc:  # a kit bug met by this variant: report it, keep auditing
        result.error = (f"internal error: {type(exc).__name__}: {exc}\n"
                        + traceback.format_exc(limit=6))
    finally:
        if execution is not None:
            execution.close()
        result.seconds = time.perf_counter() - started
    return result


@lru_cache(maxsize=16)
def _read(path: Path) -> Any:
    from autograder.notebook_cells import read

    return read(path)


def _notebook(path: Path) -> Any:
    import copy

    return copy.deepcopy(_read(path))


def _with_cells(notebook: Any, cells: dict[str, str]) -> Any:
    from autograder.notebook_cells import grade_id, is_solution

    for cell in notebook.cells:
        if is_solution(cell) and grade_id(cell) in cells:
            cell.source = cells[grade_id(cell)]
    return notebook


class _Recorder:
    """Stands in for Execution.call: forwards each call, and keeps it as plain data under
    the name of the test that made it."""

    def __init__(self, send: Callable[[str, tuple, dict], Any]):
        self._send = send
        self.calls: dict[str, list[Call]] = {}

    def __call__(self, name: str, args: tuple, kwargs: dict, **lent: Any) -> Any:
        test = os.environ.get("PYTEST_CURRENT_TEST", "").split("::")[-1].split(" ")[0]
        call = Call(name, [plain(a) for a in (*args, *kwargs.values())])
        self.calls.setdefault(test, []).append(call)
        try:
            reply = self._send(name, args, kwargs, **lent)  # lent: reference helpers
        except Exception as exc:
            call.error = type(exc).__name__
            raise
        call.value = plain(reply.value)
        call.after = [plain(a) for a in (*reply.args, *reply.kwargs.values())]
        return reply


def plain(value: Any) -> Plain:
    """VALUE as plain data: tensors become {"tensor": flat list of floats}, so that shape
    and dtype (contract matters) do not count, only the numbers."""
    import torch

    if isinstance(value, torch.Tensor):
        return {"tensor": [float(v) for v in value.detach().double().reshape(-1).tolist()]}
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return repr(value)  # a function passed in (student.function, student.ref)

