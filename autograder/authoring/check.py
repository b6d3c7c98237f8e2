"""`course check NOTEBOOK`: a student's local run of the visible tests (no hidden graders).

The check itself is student_check.py, which `course generate` ships as check.py, so
that `course check` and `python check.py` say the same. Inside a course directory the
original is the course's release notebook of that name (check.py carries its own copy);
the notebook is read as grading reads a submission (bounded, links refused). Student
code runs in a local Jupyter kernel, not in the sandbox: this is for one's own notebook
(SECURITY.md).
"""

from __future__ import annotations

import json
from pathlib import Path

from autograder.authoring.bundle import original_cells
from autograder.authoring.student_check import check_notebook as check_loaded
from autograder.authoring.student_check import originals_for
from autograder.errors import CourseKitError
from autograder.pipeline.load import load_submission


def check_notebook(path: Path, course_root: Path) -> int:
    loaded = load_submission(path, untrusted=1)
    if loaded.notebook is None:
        print(f"cannot check: {loaded.reason}")
        return 1
    reference = _release_of(course_root, path)
    originals = (original_cells(json.loads(reference.read_text(encoding="utf-8")))
                 if reference is not None else originals_for(loaded.notebook, path.name))
    return check_loaded(loaded.notebook, originals=originals)


def _release_of(course_root: Path, path: Path) -> Path | None:
    """The release notebook of the course at COURSE_ROOT named as PATH (None: no course)."""
    from autograder.config import load_course

    try:
        course = load_course(course_root, check_sources=False)
    except CourseKitError:
        return None  # a bare notebook, as students have it
    for a in course.assignments:
        for nb in a.notebooks:
            candidate = course.path("release") / a.name / nb.file
            if nb.file == path.name and candidate.is_file():
                return candidate
    return None

