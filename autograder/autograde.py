"""Grade a class: find submissions, grade each in a sandbox, write reports.

Each submission's results.json is written atomically as soon as it is graded, with
a fingerprint of everything that determines its grade; a rerun after an interrupt
skips the submissions whose fingerprint still matches. grades.csv is rebuilt from
the results files at the end, also atomically.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing.forkserver
import os
import random
import sys
import threading
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from tqdm import tqdm

from .config import Course
from .report import write_class_reports
from .sandbox import Bubblewrap, Unsandboxed, choose_sandbox
from .zygote_client import ZygoteServer


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


# ------------------------------------------------------------------ the batch
def autograde(course: Course, submitted: Path, out: Path, *, workers: int = 1,
              seed: int | None = None, unsafe_no_sandbox: bool = False,
              progress: bool = True, dask_scheduler: str | None = None) -> BatchResult:
    if not submitted.is_dir():
        from .errors import CourseKitError

        raise CourseKitError(f"{submitted}: no such directory of submissions "
                             "(expected <student>/<assignment>/<notebook>.ipynb)")
    if dask_scheduler:  # student code runs on the Dask workers: each picks its sandbox
        unsafe = unsafe_no_sandbox
    else:
        unsafe = isinstance(choose_sandbox(allow_unsandboxed=unsafe_no_sandbox), Unsandboxed)
    out.mkdir(parents=True, exist_ok=True)
    for litter in out.rglob(".*.tmp"):  # half-written by a run that was killed
        litter.unlink(missing_ok=True)
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
    # The zygote imports torch and fastai in its sandbox (seconds) while everything else
    # starts: first, and once for all grading processes.
    local = todo and not unsafe and not dask_scheduler
    zygote = ZygoteServer(Bubblewrap(), course.limits).start() if local else None
    run_seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    bar = tqdm(total=len(todo), desc="grading", unit="submission", disable=not progress,
               file=sys.stderr, dynamic_ncols=True)
    # The class page's similarity pass does not depend on the grades: a thread of this
    # otherwise idle process does it while the grading processes work.
    with ThreadPoolExecutor(1) as background:
        pairs = background.submit(_similar_pairs, course, jobs)
        try:
            for data in _run(course, todo, out, run_seed, workers, unsafe, dask_scheduler,
                             zygote.address if zygote else None):
                results[(data["student"], data["assignment"])] = data
                bar.set_postfix_str(f"{data['student']}: {data['total']:g}/{data['possible']:g}")
                bar.update()
        finally:
            if zygote:
                zygote.close()
        bar.close()
        ordered = [results[(j.student, j.assignment)] for j in jobs]
        write_class_reports(course, out, ordered, pairs.result())
    errors = [f"{r['student']}/{r['assignment']}/{nb['notebook']}: {nb['reason']}"
              for r in ordered for nb in r["notebooks"] if nb["status"] == "error"]
    return BatchResult(ordered, len(todo), reused, errors)


def _similar_pairs(course: Course, jobs: list[Job]) -> dict[str, list[Any]]:
    # Lowest priority (this thread only): it takes CPU the grading leaves idle, at the
    # start and near the end, and does not slow the grading down.
    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    from . import summary  # noqa: F401  (matplotlib, for the page, imported here too)
    from .similarity import class_pairs

    folders: dict[str, dict[str, Path]] = {}
    for job in jobs:
        folders.setdefault(job.assignment, {})[job.student] = job.directory
    return class_pairs(course, folders)


def _run(course: Course, jobs: list[Job], out: Path, seed: int, workers: int, unsafe: bool,
         dask_scheduler: str | None, zygote: str | None) -> Iterable[dict[str, Any]]:
    """Grade JOBS, yielding each results.json as it is done; ZYGOTE is the address of the
    batch's zygote (None without bubblewrap, or on Dask, whose workers start their own)."""
    if not jobs:
        return
    if dask_scheduler:
        from .distributed import run_on_dask

        yield from run_on_dask(dask_scheduler, course, jobs, out, seed, unsafe)
        return
    if workers <= 1:
        from . import grading_process as one  # torch, pytest: here only to grade here

        one.init_process(str(course.root), unsafe, zygote)
        try:
            for job in jobs:
                yield one.grade_job(job, str(out), seed)
        finally:
            one.close_process()
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
    from .grading_process import init_process

    init_process(root, unsafe, zygote_address, batch_pid)


def _grade_in_process(job: Job, out: str, seed: int) -> dict[str, Any]:
    from .grading_process import grade_job

    return grade_job(job, out, seed)


def _grading_context() -> BaseContext:
    # The fork server is a fresh process (never a fork of this one, which may hold
    # threads). It imports the grading process's module, and with it torch and pytest,
    # once; N grading processes forked from it then share that work instead of each paying
    # seconds of CPU for it at the same time on the same cores.
    context = get_context("forkserver")
    context.set_forkserver_preload(["autograder.grading_process"])
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

