"""`course check NOTEBOOK`: a student's local run of the visible tests (no hidden graders).

The check itself is student_check.py, the single file shipped with the release, so
that `course check` and `python check.py` say the same. Inside a course directory it
first restores the notebook against its release notebook, as grading will (undoing
edits to read-only cells, finding cells that lost their grading marks), and says what
it changed. Student code runs in a local Jupyter kernel, not in the sandbox: this is
for one's own notebook (SECURITY.md).
"""

from __future__ import annotations

from pathlib import Path

from autograder.authoring.student_check import report, run
from autograder.errors import CourseKitError
from autograder.notebook_cells import read
from autograder.pipeline.load import load_submission
from autograder.pipeline.restore import restore


def check_notebook(path: Path, course_root: Path) -> int:
    loaded = load_submission(path, untrusted=1)
    if loaded.notebook is None:
        print(f"cannot check: {loaded.reason}")
        return 1
    notebook = loaded.notebook
    reference = _release_of(course_root, path)
    if reference is not None:  # undo edits to read-only cells, as grading will
        notebook, changes = restore(notebook, read(reference))
        for change in changes:
            print(f"note: {change.cell or 'notebook'}: {change.detail}")
    result = report(run(notebook))
    print("\n".join(result.lines))
    return 1 if result.failed else 0


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
