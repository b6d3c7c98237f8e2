"""Runners that grade a batch's jobs on this machine: in this process, or in N processes.

A runner is a callable `run(jobs) -> Iterator[results.json dict]` that writes each
submission's reports under OUT as it is graded and yields its SubmissionResult, in order
of completion;
the Dask runner (dask_runner.py) has the same shape. `choose_runner` picks one.
"""

from __future__ import annotations

import multiprocessing.forkserver
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from multiprocessing.context import BaseContext
from pathlib import Path

from autograder.batch.jobs import Job
from autograder.config import Course
from autograder.results import SubmissionResult
from autograder.sandbox.pool import WorkerPool

Runner = Callable[[list[Job]], Iterator[SubmissionResult]]


def choose_runner(course: Course, out: Path, seed: int, *, workers: int, unsafe: bool,
                  dask_scheduler: str | None, zygote: str | None,
                  pool: WorkerPool | None = None) -> Runner:
    """ZYGOTE is the address of the batch's zygote (None without bubblewrap, or on Dask,
    whose workers start their own). POOL: grade in this process with its workers."""
    if pool is not None:
        return lambda jobs: run_in_process(course, jobs, out, seed, unsafe, zygote, pool)
    if dask_scheduler:
        from autograder.batch.dask_runner import run_on_dask

        return lambda jobs: run_on_dask(dask_scheduler, course, jobs, out, seed, unsafe)
    if workers <= 1:
        return lambda jobs: run_in_process(course, jobs, out, seed, unsafe, zygote)
    return lambda jobs: run_in_processes(course, jobs, out, seed, unsafe, zygote, workers)


def run_in_process(course: Course, jobs: list[Job], out: Path, seed: int, unsafe: bool,
                   zygote: str | None, pool: WorkerPool | None = None
                   ) -> Iterator[SubmissionResult]:
    if not jobs:
        return
    from autograder.batch import grading_process as one  # torch, pytest: only to grade here

    if pool is None:
        one.init_process(str(course.root), unsafe, zygote)
    else:
        one.use_pool(course, pool, "injected")
    try:
        for job in jobs:
            yield one.grade_job(job, str(out), seed)
    finally:
        if pool is None:
            one.close_process()


def run_in_processes(course: Course, jobs: list[Job], out: Path, seed: int, unsafe: bool,
                     zygote: str | None, workers: int) -> Iterator[SubmissionResult]:
    if not jobs:
        return
    executor = ProcessPoolExecutor(workers, mp_context=_grading_context(),
                                   initializer=_init_grading_process,
                                   initargs=(str(course.root), unsafe, zygote, os.getpid()))
    try:
        futures = [executor.submit(_grade_in_process, job, str(out), seed) for job in jobs]
        for future in as_completed(futures):
            yield future.result()
    except BaseException:
        # Interrupted (Ctrl-C) or failed: stop now, not after the submissions in
        # flight, which a rerun grades again. (Python 3.14: terminate_workers().)
        for process in list(getattr(executor, "_processes", {}).values()):
            process.kill()
        raise
    finally:
        # Grading processes close their sandboxes while the class reports are
        # written; the interpreter still waits for them before it exits.
        executor.shutdown(wait=False, cancel_futures=True)


# Run in the grading processes; they import grading_process, this process never does.
def _init_grading_process(root: str, unsafe: bool, zygote_address: str | None,
                          batch_pid: int) -> None:
    from autograder.batch.grading_process import init_process

    init_process(root, unsafe, zygote_address, batch_pid)


def _grade_in_process(job: Job, out: str, seed: int) -> SubmissionResult:
    from autograder.batch.grading_process import grade_job

    return grade_job(job, out, seed)


def _grading_context() -> BaseContext:
    # The fork server is a fresh process (never a fork of this one, which may hold
    # threads). It imports the grading process's module, and with it torch and pytest,
    # once; N grading processes forked from it then share that work instead of each paying
    # seconds of CPU for it at the same time on the same cores.
    context = get_context("forkserver")
    context.set_forkserver_preload(["autograder.batch.grading_process"])
    # Python 3.11 starts the server with the current directory first on sys.path, where a
    # course's own autograder/graders/ folder would shadow this package: PYTHONSAFEPATH
    # keeps it off, set for the server's start only.
    saved = os.environ.get("PYTHONSAFEPATH")
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        if saved is None:
            del os.environ["PYTHONSAFEPATH"]
        else:
            os.environ["PYTHONSAFEPATH"] = saved
    return context

