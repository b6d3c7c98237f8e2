"""Grade a class: find submissions, grade each in a sandbox, write reports.

Each submission's results.json is written atomically as soon as it is graded, with
a fingerprint of everything that determines its grade; a rerun after an interrupt
skips the submissions whose fingerprint still matches. grades.csv is rebuilt from
the results files at the end, also atomically.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import multiprocessing.util
import random
import sys
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from .config import Course, load_course
from .report import write_class_reports, write_submission_reports
from .sandbox import Bubblewrap, Sandbox, Unsandboxed, choose_sandbox

if TYPE_CHECKING:  # imported at run time only in grading processes (torch)
    from .execute import WorkerPool


@dataclass(frozen=True)
class Job:
    student: str
    assignment: str
    directory: Path
    fingerprint: str


@dataclass
class BatchResult:
    results: list[dict[str, Any]]
    graded: int
    reused: int
    kit_errors: list[str]


def discover(course: Course, submitted: Path) -> list[Job]:
    """Every <student>/<assignment>/ of nbgrader's submitted layout, for known assignments."""
    jobs = []
    for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir()):
        if student_dir.name.startswith("."):
            continue
        for assignment in course.assignments:
            directory = student_dir / assignment.name
            if directory.is_dir():
                jobs.append(Job(student_dir.name, assignment.name, directory,
                                _fingerprint(course, assignment.name, directory)))
    return jobs


def _fingerprint(course: Course, assignment: str, directory: Path) -> str:
    digest = hashlib.sha256((course.root / "course.yml").read_bytes())
    graders = sorted((course.path("graders") / assignment).glob("*.py"))
    for path in graders + [directory / nb.file for nb in course.assignment(assignment).notebooks]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


def results_path(out: Path, student: str, assignment: str) -> Path:
    return out / student / assignment / "results.json"


def _finished(out: Path, job: Job) -> dict[str, Any] | None:
    path = results_path(out, job.student, job.assignment)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if data.get("fingerprint") == job.fingerprint else None


# ------------------------------------------------------------------ one grading process
_state: dict[str, Any] = {}


def start_grading_pool(course: Course, unsafe: bool) -> tuple[WorkerPool, Sandbox]:
    """This process's pool of sandboxed workers, warming up; closed when the process ends."""
    # torch and pytest are imported here, in the grading processes only: with --workers N
    # the parent process then starts them without first paying those imports itself.
    import torch

    from .grading import make_tensor
    from .zygote_client import worker_pool

    torch.set_num_threads(1)  # the graders' tensors are small; leave cores to sandboxes
    sandbox: Sandbox = Unsandboxed() if unsafe else Bubblewrap()
    pool = worker_pool(sandbox, course.limits, make_tensor)
    pool.prepare()  # start warming up before the first submission arrives
    atexit.register(pool.close)
    # Pool processes of --workers N leave through os._exit, which skips atexit; their
    # finalizers still run, so the zygote is killed and reaped rather than orphaned.
    multiprocessing.util.Finalize(None, pool.close, exitpriority=10)
    return pool, sandbox


def _init_process(root: str, unsafe: bool) -> None:
    course = load_course(root, check_sources=False)
    pool, sandbox = start_grading_pool(course, unsafe)
    _state.update(course=course, sandbox=sandbox, pool=pool)


def grade_job(job: Job, out: str, seed: int) -> dict[str, Any]:
    """Grade one submission in this process and write its reports; returns results.json."""
    from .pipeline import grade_submission

    course, pool = _state["course"], _state["pool"]
    result = grade_submission(course, job.student, job.assignment, job.directory, pool, seed,
                              _state["sandbox"].name)
    data = {**result.to_dict(), "fingerprint": job.fingerprint}
    write_submission_reports(Path(out), result, data)
    return data


# ------------------------------------------------------------------ the batch
def autograde(course: Course, submitted: Path, out: Path, *, workers: int = 1,
              seed: int | None = None, unsafe_no_sandbox: bool = False,
              progress: bool = True, dask_scheduler: str | None = None) -> BatchResult:
    if not submitted.is_dir():
        from .errors import CourseKitError

        raise CourseKitError(f"{submitted}: no such directory of submissions "
                             "(expected <student>/<assignment>/<notebook>.ipynb)")
    sandbox = choose_sandbox(allow_unsandboxed=unsafe_no_sandbox)
    unsafe = isinstance(sandbox, Unsandboxed)
    out.mkdir(parents=True, exist_ok=True)
    jobs = discover(course, submitted)
    results: dict[tuple[str, str], dict[str, Any]] = {}
    todo = []
    for job in jobs:
        done = _finished(out, job)
        if done is not None:
            results[(job.student, job.assignment)] = done
        else:
            todo.append(job)
    reused = len(results)
    run_seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    bar = tqdm(total=len(todo), desc="grading", unit="submission", disable=not progress,
               file=sys.stderr, dynamic_ncols=True)
    for data in _run(course, todo, out, run_seed, workers, unsafe, dask_scheduler):
        results[(data["student"], data["assignment"])] = data
        bar.set_postfix_str(f"{data['student']}: {data['total']:g}/{data['possible']:g}")
        bar.update()
    bar.close()
    ordered = [results[(j.student, j.assignment)] for j in jobs]
    write_class_reports(course, out, ordered, submitted)
    errors = [f"{r['student']}/{r['assignment']}/{nb['notebook']}: {nb['reason']}"
              for r in ordered for nb in r["notebooks"] if nb["status"] == "error"]
    return BatchResult(ordered, len(todo), reused, errors)


def _run(course: Course, jobs: list[Job], out: Path, seed: int, workers: int, unsafe: bool,
         dask_scheduler: str | None) -> Iterable[dict[str, Any]]:
    if not jobs:
        return
    if dask_scheduler:
        from .distributed import run_on_dask

        yield from run_on_dask(dask_scheduler, course, jobs, out, seed, unsafe)
        return
    if workers <= 1:
        _init_process(str(course.root), unsafe)
        try:
            for job in jobs:
                yield grade_job(job, str(out), seed)
        finally:
            _state["pool"].close()
        return
    context = get_context("spawn")  # no fork of a process that holds torch and threads
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_process,
                             initargs=(str(course.root), unsafe)) as executor:
        futures = [executor.submit(grade_job, job, str(out), seed) for job in jobs]
        for future in as_completed(futures):
            yield future.result()

