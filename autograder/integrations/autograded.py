"""nbgrader's `autograded/` folder, for its formgrader: each notebook as it was graded.

nbgrader's formgrader shows a student's notebook from
`<nbgrader dir>/autograded/<student>/<assignment>/<notebook>.ipynb`, and lists a
submission as autograded (not "needs autograding") when that folder exists and the
gradebook's submission timestamp equals the one in the submitted folder's
`timestamp.txt` (nbgrader/apps/api.py, `get_autograded_students`). `nbgrader autograde`
writes that notebook after executing it; the kit writes the same notebook from what it
graded: the submission restored against the source (restore.py, deterministic, so it
is the notebook that ran) with the outputs its cells produced in the sandbox.

The sandboxed worker keeps, per cell, the text it printed (stdout and stderr together,
with IPython's `Out[...]` lines and plain tracebacks) and its error; they become a
`stream` output and, for a cell that raised, an `error` output holding the traceback.
Figures are not kept (the worker draws with Agg and shows nothing). A cell that timed
out, crashed its worker, was not reached or is a skipped demo says so on stderr.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from autograder.cell_names import cell_labels
from autograder.config import Course
from autograder.notebook_cells import read
from autograder.pipeline.load import load_submission
from autograder.pipeline.restore import restore
from autograder.reports.files import write_atomic
from autograder.results import CellOutcome, CellStatus, NotebookResult, SubmissionResult

TRACEBACK = "Traceback (most recent call last):"
_STOPPED = {
    CellStatus.TIMEOUT: "stopped: it ran past its time limit",
    CellStatus.CRASHED: "stopped: it killed its worker",
    CellStatus.NOT_RUN: "not run: the notebook ran out of its time limit first",
    CellStatus.SKIPPED: "not run: a demo cell, skipped when grading",
}


def cell_outputs(outcome: CellOutcome) -> list[Any]:
    """nbformat outputs for one code cell's outcome in the sandbox."""
    from nbformat.v4 import new_output

    text, traceback = outcome.output, []
    if outcome.status == CellStatus.ERROR:
        head, found, tail = text.rpartition(TRACEBACK)
        if found:  # IPython printed the traceback last: it becomes the error output
            text, traceback = head, (found + tail).rstrip("\n").splitlines()
        else:
            traceback = [outcome.error]
    outputs = [new_output("stream", name="stdout", text=text)] if text else []
    if outcome.status == CellStatus.ERROR:
        ename, _, evalue = outcome.error.partition(": ")
        outputs.append(new_output("error", ename=ename or "Error", evalue=evalue,
                                  traceback=traceback))
    elif outcome.status in _STOPPED:
        detail = f" ({outcome.error})" if outcome.error and \
            outcome.status in (CellStatus.TIMEOUT, CellStatus.CRASHED) else ""
        outputs.append(new_output("stream", name="stderr",
                                  text=f"[course autograde] this cell was "
                                       f"{_STOPPED[outcome.status]}{detail}\n"))
    return outputs


def autograded_notebook(course: Course, assignment: str, submitted: Path,
                        result: NotebookResult) -> Any | None:
    """The notebook of RESULT as graded, with outputs; None if no notebook was read."""
    loaded = load_submission(submitted / result.notebook)
    if loaded.notebook is None:
        return None
    notebook, _ = restore(loaded.notebook, read(course.source_notebook(assignment,
                                                                       result.notebook)))
    outcomes = {c.label: c for c in result.cells}
    count = 0
    for cell, label in zip(notebook.cells, cell_labels(notebook.cells), strict=True):
        if cell.cell_type != "code":
            continue
        outcome = outcomes.get(label)  # execute.py's labels
        if outcome is None:
            continue
        cell.outputs = cell_outputs(outcome)
        if outcome.status in (CellStatus.OK, CellStatus.ERROR):
            count += 1
            cell.execution_count = count
    return notebook


def _timestamp_text(folder: Path) -> str:
    path = folder / "timestamp.txt"
    if path.is_symlink() or not path.is_file():
        return ""
    with path.open("rb") as f:
        return f.read(1024).decode("utf-8", "replace").strip()


def submission_timestamp(folder: Path) -> datetime.datetime | None:
    """The time in FOLDER/timestamp.txt (what `nbgrader collect` writes), parsed as
    nbgrader parses it; None if there is none or it is not a time."""
    from nbgrader.utils import parse_utc

    text = _timestamp_text(folder)
    try:
        return parse_utc(text) if text else None
    except (ValueError, OverflowError):
        return None


def write_autograded(course: Course, results: list[SubmissionResult], submitted: Path,
                     root: Path) -> int:
    """Write ROOT/autograded/<student>/<assignment>/ for RESULTS graded from SUBMITTED
    (with the submission's timestamp.txt, as nbgrader does); the notebooks written."""
    import nbformat

    written = 0
    for r in results:
        folder = root / "autograded" / r.student / r.assignment
        folder.mkdir(parents=True, exist_ok=True)  # the formgrader's sign of "autograded"
        source_folder = submitted / r.student / r.assignment
        for nb in r.notebooks:
            try:
                notebook = autograded_notebook(course, r.assignment, source_folder, nb)
            except Exception:  # a kit failure on this notebook, which grading reported
                notebook = None
            target = folder / nb.notebook
            if notebook is None:
                target.unlink(missing_ok=True)  # an older, readable version is not this one
                continue
            write_atomic(target, nbformat.writes(notebook))
            written += 1
        if submission_timestamp(source_folder) is not None:
            write_atomic(folder / "timestamp.txt", _timestamp_text(source_folder) + "\n")
        else:
            (folder / "timestamp.txt").unlink(missing_ok=True)
    return written
