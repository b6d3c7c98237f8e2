"""The batch's jobs: one per <student>/<assignment>/ of nbgrader's submitted layout.

A job's fingerprint covers everything that determines its grade (course.yml, the
assignment's graders, the submitted notebooks); a results.json with the same
fingerprint is finished, and a resumed run reuses it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

from autograder.config import Course
from autograder.errors import ResultsUnreadable
from autograder.pipeline.safe_read import Refused, read_student_file
from autograder.results import SubmissionResult, read_results


@dataclass(frozen=True)
class Job:
    student: str
    assignment: str
    directory: Path
    fingerprint: str
    # notebook file -> why it was refused before it reached DIRECTORY (the Gradescope
    # runner met a link or a FIFO among the uploads): graded as refused, never read
    refused: tuple[tuple[str, str], ...] = ()


def with_refusals(course: Course, job: Job, refused: dict[str, str]) -> Job:
    """JOB with notebooks REFUSED (file -> reason) by whoever put the submission together."""
    files = read_submitted(course, job.assignment, job.directory)
    files.update({name: Refused(reason) for name, reason in refused.items()})
    return replace(job, refused=tuple(sorted(refused.items())),
                   fingerprint=fingerprint_of(course, job.assignment, files))


def discover(course: Course, submitted: Path) -> list[Job]:
    """Every <student>/<assignment>/ of nbgrader's submitted layout, for known assignments.

    A student's or assignment's folder that is a symbolic link still makes a job (so
    the student gets a row), but its files are never read through it (safe_read)."""
    jobs = []
    for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir()):
        if student_dir.name.startswith("."):
            continue
        for assignment in course.assignments:
            directory = student_dir / assignment.name
            if directory.is_dir():
                jobs.append(Job(student_dir.name, assignment.name, directory,
                                fingerprint(course, assignment.name, directory)))
    return jobs


# course.yml's late work (due times, late policy, extensions) decides final grades, not
# what a submission earns: granting an extension must not regrade the class.
_NOT_GRADING = {"late": True, "timestamps": True,
                "assignments": {"__all__": {"due", "late", "extensions", "submitted_at"}}}


def course_digest(course: Course, assignment: str) -> hashlib._Hash:
    """A running hash of what grades ASSIGNMENT: the grading settings of course.yml (not
    due dates, late policy or extensions), its grader files and its source notebooks
    (restore takes locked cells from them, and the reference helpers their solution
    cells, pipeline/reference.py)."""
    settings = course.model_dump(mode="json", exclude=_NOT_GRADING)
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    graders = course.path("graders") / assignment
    for path in sorted(p for p in graders.rglob("*") if p.suffix in (".py", ".json")
                       and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(graders)).encode())
        digest.update(path.read_bytes())
    for nb in course.assignment(assignment).notebooks:
        source = course.source_notebook(assignment, nb.file)
        digest.update(source.read_bytes() if source.is_file() else b"<missing>")
    return digest


Submitted = dict[str, bytes | Refused | None]  # notebook file -> bytes, refusal, missing


def read_submitted(course: Course, assignment: str, directory: Path) -> Submitted:
    """The assignment's notebooks in DIRECTORY (<submitted>/<student>/<assignment>), read
    safely: never through a link, bounded."""
    found: Submitted = {}
    for nb in course.assignment(assignment).notebooks:
        try:
            found[nb.file] = read_student_file(directory / nb.file)
        except Refused as exc:
            found[nb.file] = exc
        except OSError as exc:
            found[nb.file] = Refused(f"{nb.file} could not be read ({exc.strerror or exc})")
    return found


# Bumped when grading records more in results.json (2: written answers), so that a rerun
# grades again what an older kit graded instead of reusing results that lack it.
RESULTS_FORMAT = b"results-format 2"


def fingerprint(course: Course, assignment: str, directory: Path) -> str:
    return fingerprint_of(course, assignment, read_submitted(course, assignment, directory))


def fingerprint_of(course: Course, assignment: str, files: Submitted) -> str:
    digest = course_digest(course, assignment)
    digest.update(RESULTS_FORMAT)
    for nb in course.assignment(assignment).notebooks:
        data = files.get(nb.file)
        digest.update(nb.file.encode())
        digest.update(data if isinstance(data, bytes) else
                      b"<missing>" if data is None else b"<refused>" + str(data).encode())
    return digest.hexdigest()


def results_path(out: Path, student: str, assignment: str) -> Path:
    return out / student / assignment / "results.json"


def earlier(out: Path, job: Job) -> SubmissionResult | None:
    """The results.json of JOB from an earlier run, whatever it graded."""
    try:
        return read_results(results_path(out, job.student, job.assignment))
    except ResultsUnreadable:
        return None  # none, damaged, or from another kit version: graded again


def finished(out: Path, job: Job) -> SubmissionResult | None:
    """The results.json of JOB from an earlier run, if it graded these same inputs."""
    result = earlier(out, job)
    return result if result is not None and result.fingerprint == job.fingerprint else None
