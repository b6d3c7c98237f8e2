"""The batch's jobs: one per <student>/<assignment>/ of nbgrader's submitted layout.

A job's fingerprint covers everything that determines its grade (course.yml, the
assignment's graders, the submitted notebooks); a results.json with the same
fingerprint is finished, and a resumed run reuses it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from autograder.config import Course
from autograder.results import SubmissionResult


@dataclass(frozen=True)
class Job:
    student: str
    assignment: str
    directory: Path
    fingerprint: str


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
                                fingerprint(course, assignment.name, directory)))
    return jobs


# course.yml's late work (due times, late policy, extensions) decides final grades, not
# what a submission earns: granting an extension must not regrade the class.
_NOT_GRADING = {"late": True, "assignments": {"__all__": {"due", "late", "extensions"}}}


def course_digest(course: Course, assignment: str) -> hashlib._Hash:
    """A running hash of what grades ASSIGNMENT: course.yml and its grader files."""
    settings = course.model_dump(mode="json", exclude=_NOT_GRADING)
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    graders = course.path("graders") / assignment
    for path in sorted(p for p in graders.rglob("*.py") if "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(graders)).encode())
        digest.update(path.read_bytes())
    return digest


# Bumped when grading records more in results.json (2: written answers), so that a rerun
# grades again what an older kit graded instead of reusing results that lack it.
RESULTS_FORMAT = b"results-format 2"


def fingerprint(course: Course, assignment: str, directory: Path) -> str:
    digest = course_digest(course, assignment)
    digest.update(RESULTS_FORMAT)
    for nb in course.assignment(assignment).notebooks:
        path = directory / nb.file
        digest.update(nb.file.encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()


def results_path(out: Path, student: str, assignment: str) -> Path:
    return out / student / assignment / "results.json"


def earlier(out: Path, job: Job) -> SubmissionResult | None:
    """The results.json of JOB from an earlier run, whatever it graded."""
    path = results_path(out, job.student, job.assignment)
    try:
        return SubmissionResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # unreadable or from another kit version


def finished(out: Path, job: Job) -> SubmissionResult | None:
    """The results.json of JOB from an earlier run, if it graded these same inputs."""
    result = earlier(out, job)
    return result if result is not None and result.fingerprint == job.fingerprint else None
