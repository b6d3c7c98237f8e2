"""Grade a class: find submissions, grade each in a sandbox, write reports.

This module is the one writer of OUT. The runners (local_runner.py, dask_runner.py)
only grade and yield results; each result is written here as it arrives, once:
its results.json atomically, with a fingerprint of everything that determines its
grade, so that a rerun after an interrupt skips the submissions whose fingerprint
still matches. The class reports (grades.csv, summary.html) are written once, at the
end, from every result, also atomically.

Manual scores (a person's, from nbgrader's gradebook or a CSV) are put on every result,
graded now or reused; a reused submission whose manual scores changed gets its feedback
page and results.json rewritten. Without a source of manual scores, those an earlier run
recorded in OUT stay, also on a submission graded again.
"""

from __future__ import annotations

import os
import random
import sys
import threading
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from tqdm import tqdm

from autograder.batch.jobs import Job, discover, earlier, with_refusals
from autograder.batch.local_runner import choose_runner
from autograder.config import Course
from autograder.lateness.late_work import late_work_of
from autograder.pipeline.score import ManualKey, apply_manual_scores, recorded_manual_scores
from autograder.reports.class_reports import write_class_reports
from autograder.reports.submission import refresh_late_work, write_submission_reports
from autograder.results import ManualScore, SubmissionResult
from autograder.sandbox.backends import Container, Unsandboxed, choose_sandbox
from autograder.sandbox.container import secret_paths, shield
from autograder.sandbox.pool import WorkerPool
from autograder.sandbox.zygote_client import ZygoteServer

ManualScores = Mapping[ManualKey, ManualScore]


@dataclass
class BatchResult:
    results: list[SubmissionResult]
    graded: int
    reused: int
    kit_errors: list[str]
    # With --student: earlier results of the others, kept as they were, though graded with
    # another course.yml, other graders or another version of the submission.
    stale: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ the batch
def autograde(course: Course, submitted: Path, out: Path, *, workers: int = 1,
              seed: int | None = None, unsafe_no_sandbox: bool = False,
              progress: bool = True, dask_scheduler: str | None = None,
              students: Collection[str] = (), force: bool = False,
              pool: WorkerPool | None = None,
              refused: dict[str, dict[str, str]] | None = None,
              manual_scores: ManualScores | Callable[[], ManualScores] | None = None
              ) -> BatchResult:
    """Grade SUBMITTED into OUT. STUDENTS: grade only these (the others' earlier results
    stay as they are); FORCE: grade again what a rerun would reuse. POOL: grade in this
    process with its workers, not sandboxes of the batch's own (tests pass a scripted
    fake, sandbox/fake.py); the caller closes it. REFUSED: student -> notebook file -> why
    it was refused before it reached SUBMITTED (the Gradescope runner's uploads); those
    notebooks are graded as refused. MANUAL_SCORES: the people's scores of the manual
    problems (integrations.manual_scores), the authority when given; None keeps those in
    OUT. A function that reads them is called once the sandbox is starting (reading
    nbgrader's gradebook takes seconds)."""
    if not submitted.is_dir():
        from autograder.errors import CourseKitError

        raise CourseKitError(f"{submitted}: no such directory of submissions "
                             "(expected <student>/<assignment>/<notebook>.ipynb)")
    sandbox = None
    if dask_scheduler or pool is not None:  # student code runs on Dask workers, or in POOL
        unsafe = unsafe_no_sandbox
    else:
        sandbox = choose_sandbox(allow_unsandboxed=unsafe_no_sandbox)
        unsafe = isinstance(sandbox, Unsandboxed)
    out.mkdir(parents=True, exist_ok=True)
    if isinstance(sandbox, Container):  # student code sees this filesystem: hide secrets
        for path in shield(secret_paths(course, submitted, out)):
            print(f"container mode: {path} is now readable by its owner alone", file=sys.stderr)
    for litter in out.rglob(".*.tmp"):  # half-written by a run that was killed
        litter.unlink(missing_ok=True)
    jobs = [with_refusals(course, job, refused[job.student])
            if refused and refused.get(job.student) else job
            for job in discover(course, submitted)]
    _check_chosen(students, jobs, submitted)
    plan = _resume(out, jobs, students, force)
    results, todo, stale, carried = plan.results, plan.todo, plan.stale, plan.carried
    reused = sum(1 for student, _ in results if not students or student in students)
    # The zygote imports torch and fastai in its sandbox (seconds) while everything else
    # starts: first, and once for all grading processes.
    local = todo and not unsafe and not dask_scheduler and pool is None
    zygote = ZygoteServer(sandbox, course.limits).start() if local and sandbox else None
    run_seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    bar = tqdm(total=len(todo), desc="grading", unit="submission", disable=not progress,
               file=sys.stderr, dynamic_ncols=True)
    # The class page's similarity pass does not depend on the grades: a thread of this
    # otherwise idle process does it while the grading processes work.
    with ThreadPoolExecutor(1) as background:
        pairs = background.submit(_similar_pairs, course, jobs)
        try:
            # While the zygote starts: the people's scores onto the results reused.
            scores = manual_scores() if callable(manual_scores) else manual_scores
            rescored = [] if scores is None else [
                done for done in results.values() if apply_manual_scores(done, scores)]
            graded = {(job.student, job.assignment): job for job in todo}
            runner = choose_runner(course, run_seed, workers=workers, unsafe=unsafe,
                                   dask_scheduler=dask_scheduler,
                                   zygote=zygote.address if zygote else None, pool=pool)
            for result in chain(rescored, runner(todo)):
                job = graded.get((result.student, result.assignment))
                if job is not None:  # graded now, not reused
                    result.fingerprint = job.fingerprint
                    result.submitted = str(job.directory.absolute())
                    apply_manual_scores(result, carried if scores is None else scores)
                    results[(result.student, result.assignment)] = result
                    bar.set_postfix_str(f"{result.student}: {result.total:g}/"
                                        f"{result.possible:g}")
                    bar.update()
                # The one place a submission's reports are written, as it arrives.
                write_submission_reports(out, result, late_work_of(course, result))
        finally:
            if zygote:
                zygote.close()
        bar.close()
        ordered = [results[(j.student, j.assignment)] for j in jobs
                   if (j.student, j.assignment) in results]
        failed: list[str] = []
        try:
            similar = pairs.result()
        except Exception as exc:  # a secondary pass: report it, never lose grades.csv
            similar = None
            failed.append(f"similarity check not completed: {type(exc).__name__}: {exc}")
        refresh_late_work(course, out, ordered)  # course.yml's late work may have changed
        failed = write_class_reports(course, out, ordered, similar, failed)
    errors = [f"{r.student}/{r.assignment}/{error}" for r in ordered for error in r.kit_errors]
    return BatchResult(ordered, len(todo), reused, errors + failed, stale)


@dataclass
class _Plan:
    results: dict[tuple[str, str], SubmissionResult]  # reused from OUT
    todo: list[Job]  # to grade
    stale: list[str]  # BatchResult.stale
    carried: dict[ManualKey, ManualScore]  # the people's scores OUT records for TODO's


def _resume(out: Path, jobs: list[Job], students: Collection[str], force: bool) -> _Plan:
    """What OUT holds already: each job's earlier result is read once, and reused when it
    graded the same inputs (or the job is not among STUDENTS); the others are to do."""
    plan = _Plan({}, [], [], {})
    for job in jobs:
        chosen = not students or job.student in students
        before = earlier(out, job)
        if before is not None and not chosen:
            plan.results[(job.student, job.assignment)] = before
            if before.fingerprint != job.fingerprint:
                plan.stale.append(f"{job.student}/{job.assignment}")
        elif before is not None and not force and before.fingerprint == job.fingerprint:
            plan.results[(job.student, job.assignment)] = before
        elif chosen:
            plan.todo.append(job)
            if before is not None:  # without a source of manual scores, these stay
                plan.carried.update(recorded_manual_scores(before))
    return plan


def _check_chosen(students: Collection[str], jobs: list[Job], submitted: Path) -> None:
    unknown = sorted(set(students) - {job.student for job in jobs})
    if unknown:
        from autograder.errors import CourseKitError

        raise CourseKitError(f"no submission of {', '.join(map(repr, unknown))} in {submitted} "
                             "(--student takes the folder names under it)")


def _similar_pairs(course: Course, jobs: list[Job]) -> dict[str, list[Any]]:
    # Lowest priority (this thread only): it takes CPU the grading leaves idle, at the
    # start and near the end, and does not slow the grading down.
    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    from autograder.reports import summary  # noqa: F401  (matplotlib, for the page, imported here too)
    from autograder.reports.similarity import class_pairs

    folders: dict[str, dict[str, Path]] = {}
    for job in jobs:
        folders.setdefault(job.assignment, {})[job.student] = job.directory
    return class_pairs(course, folders)


