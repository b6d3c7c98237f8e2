"""One grading process: its sandbox, its pool of workers, and the submissions it grades.

With `--workers N` the batch runs N of these, forked by a fork server that has already
imported this module (see local_runner.py); with one worker the batch runs it in-process,
and a Dask worker runs it for its tasks. `course audit` grades its notebook variants in
the same processes (audit/grading.py). A grading process only grades: what it returns
is written under OUT by the batch (grade_class.py), never here.
"""

from __future__ import annotations

import atexit
import multiprocessing.util
import os
import select
import threading
import time

# Before torch: with one OpenMP thread, importing torch starts no thread, so the fork
# server that imports this module stays single-threaded and forking it is safe.
os.environ["OMP_NUM_THREADS"] = "1"

from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402, F401  (imported here once, for every grading it does)
import torch  # noqa: E402

from autograder.batch.jobs import Job  # noqa: E402
from autograder.config import Course, load_course  # noqa: E402
from autograder.grading import make_tensor  # noqa: E402
from autograder.pipeline.submission import grade_submission  # noqa: E402
from autograder.results import SubmissionResult  # noqa: E402
from autograder.sandbox.backends import Sandbox, choose_sandbox  # noqa: E402
from autograder.sandbox.pool import WorkerPool  # noqa: E402
from autograder.sandbox.zygote_client import worker_pool  # noqa: E402

_state: dict[str, Any] = {}


def start_grading_pool(course: Course, unsafe: bool,
                       zygote_address: str | None = None) -> tuple[WorkerPool, Sandbox]:
    """This process's pool of sandboxed workers, warming up; closed when the process ends.

    ZYGOTE_ADDRESS is a zygote the batch started for all its grading processes; without
    it this process starts its own."""
    torch.set_num_threads(1)  # the graders' tensors are small; leave cores to sandboxes
    # The batch chose already and said so; the same trial here gives the same answer.
    sandbox = choose_sandbox(allow_unsandboxed=unsafe, announce=False)
    pool = worker_pool(sandbox, course.limits, make_tensor, zygote_address)
    pool.prepare()  # start warming up before the first submission arrives
    atexit.register(pool.close)
    # Pool processes of --workers N leave through os._exit, which skips atexit; their
    # finalizers still run, so the zygote is killed and reaped rather than orphaned.
    multiprocessing.util.Finalize(None, pool.close, exitpriority=10)
    return pool, sandbox


def init_process(root: str, unsafe: bool, zygote_address: str | None = None,
                 batch_pid: int | None = None) -> None:
    if batch_pid is not None:
        _exit_with(batch_pid)
    course = load_course(root, check_sources=False)
    pool, sandbox = start_grading_pool(course, unsafe, zygote_address)
    _state.update(course=course, sandbox=sandbox.name, pool=pool)


def use_pool(course: Course, pool: WorkerPool, sandbox_name: str) -> None:
    """Grade in this process with workers from POOL, which the caller owns and closes
    (autograde's `pool`: tests grade a class on a scripted fake sandbox)."""
    _state.update(course=course, sandbox=sandbox_name, pool=pool)


def _exit_with(pid: int) -> None:
    """End this process as soon as the batch's main process ends, even by SIGKILL: its
    results would have nowhere to go, and its sandboxes would only waste the machine."""
    try:
        pidfd: int | None = os.pidfd_open(pid)
    except ProcessLookupError:
        os._exit(1)  # the batch ended before this process started
    except OSError:
        pidfd = None  # no pidfds on this kernel: watch the parents instead
    if not _started_by(pid):  # PID is gone, and may already be another process's
        os._exit(1)
    threading.Thread(target=_exit_when_gone, args=(pid, pidfd), daemon=True,
                     name="exit-with-batch").start()


def _started_by(pid: int) -> bool:
    """Whether PID started this process, or its fork server (which is reparented when
    the batch ends)."""
    return pid in (os.getppid(), _parent_of(os.getppid()))


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])  # after "pid (name)": state, ppid


def _exit_when_gone(pid: int, pidfd: int | None) -> None:
    if pidfd is not None:
        select.select([pidfd], [], [])  # a pidfd becomes readable when its process ends
    else:
        while _started_by(pid):
            time.sleep(1)
    os._exit(1)  # the sandboxes were started --die-with-parent: they go with it


def close_process() -> None:
    _state["pool"].close()


def process_course_and_pool() -> tuple[Course, WorkerPool]:
    """What init_process set up: the course and this process's pool of sandboxed workers
    (for `course audit`, which grades notebook variants instead of submissions)."""
    return _state["course"], _state["pool"]


def grade_job(job: Job, seed: int) -> SubmissionResult:
    """Grade one submission in this process."""
    course, pool = _state["course"], _state["pool"]
    return grade_submission(course, job.student, job.assignment, job.directory, pool, seed,
                            _state["sandbox"], dict(job.refused))
