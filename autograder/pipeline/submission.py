"""One submission through the steps: load -> restore -> execute -> grade -> score.

The steps, in order, are the modules of the same names; this file only wires them
and turns whatever goes wrong with one notebook into a result with a reason.
"""

from __future__ import annotations

import time
import traceback
from functools import lru_cache
from pathlib import Path
from typing import Any

from autograder.config import Course, Notebook
from autograder.notebook_cells import read
from autograder.pipeline.answers import written_answers
from autograder.pipeline.execute import execute
from autograder.pipeline.grade import GraderError, grader_file, run_graders
from autograder.pipeline.load import load_submission
from autograder.pipeline.restore import restore
from autograder.pipeline.score import manual_score, score
from autograder.results import NotebookResult, NotebookStatus, ProblemScore, SubmissionResult
from autograder.sandbox.pool import WorkerPool


@lru_cache(maxsize=32)
def _source(path: Path) -> Any:
    return read(path)


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


def grade_notebook(course: Course, assignment: str, spec: Notebook, path: Path,
                   pool: WorkerPool, seed: int) -> NotebookResult:
    started = time.perf_counter()
    result = NotebookResult(spec.file, NotebookStatus.GRADED)
    execution = None
    answers: dict[str, str] | None = None
    try:
        loaded = load_submission(path)
        if loaded.notebook is None:
            result.status, result.reason = NotebookStatus.NOT_GRADED, loaded.reason
            result.problems = zero_scores(spec, {})
            return result
        notebook, result.changes = restore(loaded.notebook,
                                           _source(course.source_notebook(assignment, spec.file)))
        answers = written_answers(notebook, _release(course, assignment, spec), spec)
        execution = execute(notebook, pool, course.limits)
        result.cells = execution.outcomes
        tests = grader_file(course.path("graders"), assignment, spec.stem)
        result.tests = run_graders(tests, execution.call, seed, result.artifacts)
        result.problems = score(spec, result.tests, answers)
        result.restarts = execution.restarts
    except GraderError:
        raise  # the course is broken, not the submission: stop loudly
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
                     pool: WorkerPool, seed: int, sandbox_name: str = "") -> SubmissionResult:
    spec = course.assignment(assignment)
    notebooks = [grade_notebook(course, assignment, nb, directory / nb.file, pool, seed)
                 for nb in spec.notebooks]
    return SubmissionResult(student, assignment, seed, notebooks, sandbox_name)
