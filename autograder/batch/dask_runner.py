"""Grade on a Dask cluster: one task a submission, its result sent back to the command.

A task carries the submission's notebooks as bytes, so the machines need not share a
filesystem with the client. They do need the course repository at the same path as
on the client (the graders, course.yml and source notebooks are read from there) and
bubblewrap; docs/cluster.md says how to set them up. On each Dask worker process the
same sandboxed pipeline runs as in `course autograde --workers N`, with one pool of
sandboxed workers per process, kept between tasks so that the next submission finds
a warm sandbox.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

from autograder.batch.jobs import Job, course_digest, fingerprint_of, read_submitted
from autograder.config import Course, load_course
from autograder.errors import CourseKitError
from autograder.pipeline.safe_read import Refused
from autograder.pipeline.submission import grade_submission
from autograder.results import SubmissionResult
from autograder.sandbox.pool import WorkerPool

# ------------------------------------------------------------------ on a Dask worker
_versions: dict[tuple[str, str], str] = {}  # (root, assignment) -> digest first graded
_pools: dict[tuple[str, bool], tuple[WorkerPool, str]] = {}
_lock = threading.Lock()  # pytest.main and redirect_stdout are process-wide: one grading


def _course(root: str, assignment: str) -> Course:
    """The course, as long as it is the one this process started with.

    pytest keeps imported grader modules in sys.modules, so a long-lived Dask worker
    would go on grading with old graders after a `git pull`; refuse instead.
    """
    try:
        course = load_course(root, check_sources=False)
    except CourseKitError as exc:
        raise CourseKitError(f"on Dask worker {_worker_name()}: {exc}") from None
    digest = course_digest(course, assignment).hexdigest()
    if _versions.setdefault((root, assignment), digest) != digest:
        raise CourseKitError(
            f"on Dask worker {_worker_name()}: course.yml, the graders or the source notebooks "
            f"under {root} changed "
            "since this worker first graded; restart the Dask workers")
    return course


def _pool(course: Course, unsafe: bool) -> tuple[WorkerPool, str]:
    """This process's pool of sandboxed workers (and the sandbox's name), made once."""
    key = (str(course.root), unsafe)
    if key not in _pools:
        from autograder.batch.grading_process import start_grading_pool
        from autograder.sandbox.backends import Container, Unsandboxed, choose_sandbox
        from autograder.sandbox.container import secret_paths, shield

        # UNSAFE is the client's --unsafe-no-sandbox: the weak mode where this machine has
        # no sandbox, and only then.
        chosen = choose_sandbox(allow_unsandboxed=unsafe)
        weak = isinstance(chosen, Unsandboxed)
        if isinstance(chosen, Container):
            shield(secret_paths(course))
        pool, sandbox = start_grading_pool(course, weak)  # as `--workers N` does
        _pools[key] = (pool, sandbox.name)
    return _pools[key]


def grade_remote(root: str, unsafe: bool, student: str, assignment: str,
                 notebooks: dict[str, bytes], seed: int, expected: str,
                 refused: dict[str, str] | None = None) -> SubmissionResult:
    """The Dask task: grade one submission from its notebooks' bytes. REFUSED: notebook
    file -> why the client refused to read it (a link, a FIFO, too big...)."""
    refused = refused or {}
    with _lock, tempfile.TemporaryDirectory(prefix="course-kit-dask-") as scratch:
        course = _course(root, assignment)
        directory = Path(scratch) / "submitted" / assignment
        directory.mkdir(parents=True)
        files: dict[str, bytes | Refused | None] = {}
        # Only the course's own notebook names are written: nothing else reaches the disk.
        for spec in course.assignment(assignment).notebooks:
            if spec.file in refused:
                files[spec.file] = Refused(refused[spec.file])
            elif spec.file in notebooks:
                files[spec.file] = notebooks[spec.file]
                (directory / spec.file).write_bytes(notebooks[spec.file])
        # Same course.yml and graders as the client, or grades would silently differ.
        if fingerprint_of(course, assignment, files) != expected:
            raise CourseKitError(
                f"on Dask worker {_worker_name()}: the course at {root} differs from the "
                "client's (course.yml or graders); update the clone on every machine")
        pool, sandbox_name = _pool(course, unsafe)
        return grade_submission(course, student, assignment, directory, pool, seed,
                                sandbox_name, refused)


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except ValueError:  # not inside a Dask worker (a direct call, in tests)
        return "(local)"


# ------------------------------------------------------------------ on the client
def _notebook_bytes(course: Course, job: Job) -> tuple[dict[str, bytes], dict[str, str]]:
    """The job's notebooks as bytes, and why any was refused; read safely (safe_read):
    a link is not followed here either. A missing notebook stays missing."""
    files, refused = {}, dict(job.refused)
    for name, data in read_submitted(course, job.assignment, job.directory).items():
        if name in refused:
            continue
        if isinstance(data, Refused):
            refused[name] = str(data)
        elif data is not None:
            files[name] = data
    return files, refused


def run_on_dask(address: str, course: Course, jobs: list[Job], seed: int,
                unsafe: bool) -> Iterator[SubmissionResult]:
    """Grade JOBS on the Dask cluster at ADDRESS; yield each result as it arrives (in
    order of completion)."""
    from distributed import Client, as_completed

    try:
        client = Client(address, timeout="30s")
    except (OSError, TimeoutError) as exc:
        raise CourseKitError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    with client:
        if not client.scheduler_info().get("workers"):
            print(f"waiting for Dask workers to join {address} ...", file=sys.stderr, flush=True)
            client.wait_for_workers(1)
        futures = []
        for job in jobs:
            files, refused = _notebook_bytes(course, job)
            # A fresh key: a regrade must run again, not reuse a result the scheduler holds.
            futures.append(client.submit(
                grade_remote, str(course.root), unsafe, job.student, job.assignment, files,
                seed, job.fingerprint, refused,
                key=f"grade-{job.student}-{job.assignment}-{uuid.uuid4().hex[:8]}"))
        for future in as_completed(futures):
            yield future.result()  # a kit error on a worker stops the batch here, loudly
