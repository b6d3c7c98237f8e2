"""Grade notebook variants of the reference with the batch's engine.

A variant is the source notebook with solution cells replaced (a mutant), the source
itself (the reference) or the release (the blank notebook). `grade_variants` grades
many, here, through the batch's runners (batch/local_runner.py: the batch's zygote,
fork server and grading processes, as `course autograde --workers N`); in each grading
process `grade_variant` takes one through the same pipeline functions as a submission
(pipeline/submission.py: restore -> execute in the sandbox, then hidden graders ->
score). The notebook executes once and is then graded on each seed: a seed only changes
the graders' random inputs, and the execution is the expensive part.

While the graders run, every call into the notebook is recorded as plain numbers (what
it returned, and the arguments afterwards), so that verdicts.py can compare a mutant's
outputs with the reference's on the very same inputs.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from tqdm import tqdm

from autograder.batch.local_runner import in_grading_process, in_grading_processes
from autograder.config import Course
from autograder.results import CellOutcome, TestResult
from autograder.sandbox.backends import Unsandboxed, choose_sandbox
from autograder.sandbox.zygote_client import ZygoteServer

Plain = Any  # numbers, strings, None, lists and dicts of them; tensors as {"tensor": [...]}


class Kind(StrEnum):
    REFERENCE = "reference"  # the source notebook
    BLANK = "blank"  # the release notebook
    CONTROL = "control"  # the reference's normalised code, graded as mutants are
    MUTANT = "mutant"  # a solution cell replaced by a mutant of it


@dataclass(frozen=True)
class Label:
    """Names a variant in the run."""

    kind: Kind
    notebook: str  # file name, as in course.yml
    part: int = 0  # mutants: the mutant's index; reference, blank: which of the notebook's
    again: int | None = None  # a seed graded again on a fresh notebook

    def __str__(self) -> str:
        again = "" if self.again is None else f"@{self.again}"
        return f"{self.kind}:{self.notebook}:{self.part}{again}"


@dataclass(frozen=True)
class Variant:
    label: Label
    assignment: str
    seeds: tuple[int, ...]
    cells: tuple[tuple[str, str], ...] = ()  # (grade_id, replacement source)
    problems: tuple[str, ...] | None = None  # grade only these problems' tests
    record: bool = False  # keep the calls' outputs

    @property
    def notebook(self) -> str:
        return self.label.notebook


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
    label: Label
    gradings: list[Grading] = field(default_factory=list)
    cells: list[CellOutcome] = field(default_factory=list)
    error: str = ""  # the kit failed on this variant
    seconds: float = 0.0
    executing: float = 0.0  # of the seconds: restoring and executing the notebook
    fresh_seeds: list[int] = field(default_factory=list)  # graded again, one per notebook


# ------------------------------------------------------------------ here
def grade_variants(course: Course, variants: list[Variant], *, workers: int = 2,
                   unsafe_no_sandbox: bool = False, progress: bool = True,
                   desc: str = "auditing") -> Iterator[VariantResult]:
    """Each variant's result, in order of completion, with a progress bar on stderr."""
    sandbox = choose_sandbox(allow_unsandboxed=unsafe_no_sandbox)
    unsafe = isinstance(sandbox, Unsandboxed)
    zygote = None if unsafe or not variants else ZygoteServer(sandbox, course.limits).start()
    address = zygote.address if zygote else None
    bar = tqdm(total=len(variants), desc=desc, unit="notebook", disable=not progress,
               file=sys.stderr, dynamic_ncols=True)
    try:
        graded = in_grading_process(course, unsafe, address, grade_variant, variants) \
            if workers <= 1 else \
            in_grading_processes(course, unsafe, address, workers, grade_variant, variants)
        for result in graded:
            bar.set_postfix_str(str(result.label), refresh=False)
            bar.update()
            yield result
    finally:
        bar.close()
        if zygote:
            zygote.close()


# ------------------------------------------------------------------ in a grading process
def grade_variant(variant: Variant) -> VariantResult:
    """Grade VARIANT on each of its seeds; a kit failure is recorded, never raised."""
    from autograder.batch.grading_process import process_course_and_pool
    from autograder.pipeline.grade import GraderError
    from autograder.pipeline.submission import execute_restored, grade_execution

    course, pool = process_course_and_pool()
    started = time.perf_counter()
    result = VariantResult(variant.label)
    spec = course.assignment(variant.assignment).notebook(variant.notebook)
    execution = None
    try:
        blank = variant.label.kind == Kind.BLANK
        folder = course.path("release" if blank else "source") / variant.assignment
        notebook = _with_cells(_notebook(folder / variant.notebook), dict(variant.cells))
        execution = execute_restored(course, variant.assignment, spec, notebook, pool).execution
        result.executing = time.perf_counter() - started
        result.cells = execution.outcomes
        for seed in variant.seeds:
            recorder = _Recorder(execution.call) if variant.record else None
            tests, scores = grade_execution(course, variant.assignment, spec,
                                            recorder or execution.call, seed,
                                            problems=variant.problems)
            result.gradings.append(Grading(
                seed, {p.problem: p.points or 0.0 for p in scores if p.points is not None},
                tests, recorder.calls if recorder else {}))
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

