"""`course feedback OUT --to DIR`: each student's feedback laid out as nbgrader's feedback/.

nbgrader's `generate_feedback` writes `feedback/<student>/<assignment>/<notebook>.html`,
one page per notebook, named as the notebook without `.ipynb`, beside copies of the
other files of the graded submission, among them `timestamp.txt` and (nbgrader 0.7 and
later) `submission_secret.txt`. `nbgrader release_feedback` reads those two files to
name each page in the exchange, where the student's `nbgrader fetch_feedback` finds it.

The kit writes the same layout from an autograde run's OUT: per notebook, the feedback
page of that notebook alone (its problems, checks and cells), with the assignment's late
work; and those two files, copied from the folder the submission was graded from. They
are the student's files: read without following a link, 1 KB at most. With DIR the
`feedback/` folder of an nbgrader course directory, `nbgrader release_feedback
ASSIGNMENT` then releases the pages; it stops at the first folder without both files
(a submission that did not come through `nbgrader submit`), so those students are to be
left out with its `--CourseDirectory.student_id_exclude`.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from autograder.config import Course
from autograder.errors import CourseKitError
from autograder.grades.graded import read_graded
from autograder.lateness.late_work import late_work_of
from autograder.pipeline.safe_read import Refused, read_student_file
from autograder.reports.files import write_atomic
from autograder.reports.submission import render_feedback
from autograder.results import SubmissionResult

COPIED = ("timestamp.txt", "submission_secret.txt")  # what release_feedback reads
MAX_COPIED_BYTES = 1024  # nbgrader writes 30 and 128 bytes


@dataclass
class FeedbackWritten:
    pages: list[Path] = field(default_factory=list)
    submissions: int = 0
    assignments: list[str] = field(default_factory=list)  # in course order
    # assignment -> students whose pages nbgrader's release_feedback cannot release: it
    # needs both files, and stops at the first folder without them
    not_releasable: dict[str, list[str]] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)  # results that could not be read


def write_feedback(course: Course, out: Path, to: Path,
                   students: Collection[str] = ()) -> FeedbackWritten:
    """Write TO/<student>/<assignment>/<notebook>.html for every result in OUT (only
    STUDENTS', if given), with the submission's timestamp.txt and submission_secret.txt."""
    graded = read_graded(course, out)
    _check_target(out, to, graded.results)
    unknown = sorted(set(students) - {r.student for r in graded.results})
    if unknown:
        raise CourseKitError(f"no result of {', '.join(map(repr, unknown))} in {out} "
                             "(--student takes the folder names under it)")
    written = FeedbackWritten(failed=[why for _, _, why in graded.unreadable])
    for result in graded.results:
        if students and result.student not in students:
            continue
        folder = to / result.student / result.assignment
        late = late_work_of(course, result)
        for nb in result.notebooks:
            alone = copy.copy(result)
            alone.notebooks = [nb]
            page = folder / f"{nb.notebook.removesuffix('.ipynb')}.html"
            write_atomic(page, render_feedback(alone, late, whole=result))
            written.pages.append(page)
        if len(_copy_submission_files(result, folder)) < len(COPIED):
            written.not_releasable.setdefault(result.assignment, []).append(result.student)
        written.submissions += 1
        if result.assignment not in written.assignments:
            written.assignments.append(result.assignment)
    return written


def _check_target(out: Path, to: Path, results: list[SubmissionResult]) -> None:
    """Refuse a DIR that would mix the pages into OUT or into the students' folders."""
    target = to.resolve()
    if target == out.resolve():
        raise CourseKitError(f"--to {to} is the --out folder; give nbgrader's feedback/ "
                             "folder (e.g. feedback in the nbgrader course directory)")
    for root in {Path(r.submitted).resolve().parent.parent for r in results if r.submitted}:
        if target == root or root in target.parents:
            raise CourseKitError(f"--to {to} is inside the submissions ({root}); give "
                                 "nbgrader's feedback/ folder, beside submitted/")


def _copy_submission_files(result: SubmissionResult, folder: Path) -> list[str]:
    """Copy COPIED from the submission's folder into FOLDER; the names copied. A file
    the submission no longer has is removed from FOLDER (it was another submission's)."""
    copied = []
    for name in COPIED:
        data = None
        if result.submitted:
            try:
                data = read_student_file(Path(result.submitted) / name,
                                         limit=MAX_COPIED_BYTES)
            except Refused:
                data = None  # a link or a special file: nothing to copy
        if data is None or len(data) > MAX_COPIED_BYTES:
            (folder / name).unlink(missing_ok=True)
            continue
        write_atomic(folder / name, data.decode("utf-8", "replace"))
        copied.append(name)
    return copied
