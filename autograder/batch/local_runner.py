"""Runners that grade on this machine: in this process, or in N grading processes.

A runner is a callable `run(jobs) -> Iterator[SubmissionResult]` that grades each job
and yields its result in order of completion; it writes nothing (the batch,
grade_class.py, is the one writer of OUT). The Dask runner (dask_runner.py) has the
same shape. `choose_runner` picks one.

`in_grading_process` and `in_grading_processes` run any picklable WORK(item) in grading
processes set up by grading_process.init_process: the batch grades its jobs with them,
`course audit` its notebook variants (audit/grading.py).
"""

from __future__ import annotations

import functools
import multiprocessing.forkserver
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from multiprocessing.context import BaseContext
from typing import TypeVar

from autograder.batch.jobs import Job
from autograder.config import Course
from autograder.environment import changed_environment
from autograder.results import SubmissionResult
from autograder.sandbox.pool import WorkerPool

T = TypeVar("T")
R = TypeVar("R")
Runner = Callable[[list[Job]], Iterator[SubmissionResult]]


def choose_runner(course: Course, seed: int, *, workers: int, unsafe: bool,
                  dask_scheduler: str | None, zygote: str | None,
                  pool: WorkerPool | None = None) -> Runner:
    """ZYGOTE is the address of the batch's zygote (None without bubblewrap, or on Dask,
    whose workers start their own). POOL: grade in this process with its workers."""
    if dask_scheduler:
        from autograder.batch.dask_runner import run_on_dask

        return lambda jobs: run_on_dask(dask_scheduler, course, jobs, seed, unsafe)
    work = functools.partial(_grade_job, seed=seed)
    if workers <= 1 or pool is not None:
        return lambda jobs: in_grading_process(course, unsafe, zygote, work, jobs, pool)
    return lambda jobs: in_grading_processes(course, unsafe, zygote, workers, work, jobs)


def in_grading_process(course: Course, unsafe: bool, zygote: str | None,
                       work: Callable[[T], R], items: list[T],
                       pool: WorkerPool | None = None) -> Iterator[R]:
    """WORK(item) for each of ITEMS, in this process made a grading process; POOL: with
    its workers (the caller owns and closes it) instead of sandboxes of its own."""
    if not items:
        return
    from autograder.batch import grading_process as one  # torch, pytest: only to grade here

    if pool is None:
        one.init_process(str(course.root), unsafe, zygote)
    else:
        one.use_pool(course, pool, "injected")
    try:
        for item in items:
            yield work(item)
    finally:
        if pool is None:
            one.close_process()


def in_grading_processes(course: Course, unsafe: bool, zygote: str | None, workers: int,
                         work: Callable[[T], R], items: list[T]) -> Iterator[R]:
    """WORK(item) for each of ITEMS in WORKERS grading processes forked from the fork
    server (grading_context); yields the results in order of completion."""
    if not items:
        return
    executor = ProcessPoolExecutor(
        workers, mp_context=grading_context(), initializer=_init_grading_process,
        initargs=(str(course.root), unsafe, zygote, os.getpid()))
    try:
        futures = [executor.submit(work, item) for item in items]
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


def _grade_job(job: Job, seed: int) -> SubmissionResult:
    from autograder.batch.grading_process import grade_job

    return grade_job(job, seed)


def grading_context() -> BaseContext:
    # The fork server is a fresh process (never a fork of this one, which may hold
    # threads). It imports the grading process's module, and with it torch and pytest,
    # once; N grading processes forked from it then share that work instead of each paying
    # seconds of CPU for it at the same time on the same cores.
    context = get_context("forkserver")
    context.set_forkserver_preload(["autograder.batch.grading_process"])
    # Python 3.11 starts the server with the current directory first on sys.path, where a
    # course's own autograder/graders/ folder would shadow this package: PYTHONSAFEPATH
    # keeps it off, set for the server's start only.
    with changed_environment(PYTHONSAFEPATH="1"):
        multiprocessing.forkserver.ensure_running()
    return context
