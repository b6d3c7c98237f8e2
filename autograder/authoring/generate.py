"""`course generate`: source -> release (nbgrader) and source -> executed solutions.

The release is made by nbgrader's own generate_assignment, in a scratch copy of
the course so that nbgrader's gradebook and logs never land in the repository.
Solutions are executed with nbclient; timing metadata and progress bars are left
out so that running generate twice changes no byte.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder.authoring.bundle import build_check
from autograder.config import Course
from autograder.environment import changed_environment, path_with_python
from autograder.errors import NotebookError

SOLUTION_TIMEOUT = 600  # per cell, seconds
CHECK_NAME = "check.py"  # its name in release/<assignment>/


def build_release(course: Course, assignment: str, dest: Path) -> list[Path]:
    """Run nbgrader generate_assignment on ASSIGNMENT; write the notebooks into DEST."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    spec = course.assignment(assignment)
    with tempfile.TemporaryDirectory(prefix="course-kit-nbgrader-") as scratch:
        root = Path(scratch)
        shutil.copytree(course.path("source") / assignment, root / "source" / assignment)
        config = Config()
        config.CourseDirectory.root = str(root)
        config.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
        config.Application.log_level = "ERROR"
        # nbgrader runs alembic for its gradebook; it must be on PATH.
        with changed_environment(PATH=path_with_python()):
            result = NbGraderAPI(config=config).generate_assignment(assignment, force=True)
        if not result.get("success"):
            raise NotebookError(f"nbgrader generate_assignment failed for {assignment}:\n"
                                f"{result.get('error') or result.get('log')}")
        dest.mkdir(parents=True, exist_ok=True)
        written = []
        for nb in spec.notebooks:
            target = dest / nb.file
            shutil.copyfile(root / "release" / assignment / nb.file, target)
            written.append(target)
        # The student's check (`python check.py NOTEBOOK`) ships beside the notebooks, with
        # the kit modules it needs and the original notebooks embedded (bundle.py).
        (dest / CHECK_NAME).write_text(build_check(written), encoding="utf-8")
        written.append(dest / CHECK_NAME)
        return written


def execute_solution(source: Path, dest: Path) -> float:
    """Execute SOURCE top to bottom into DEST; returns the seconds it took."""
    nb = nbformat.read(str(source), as_version=4)
    started = time.perf_counter()
    try:
        with changed_environment(MPLBACKEND="module://matplotlib_inline.backend_inline",
                                 PYTHONHASHSEED="0"), \
                tempfile.TemporaryDirectory(prefix="course-kit-solution-") as cwd:
            # IPC transport: the kernel talks over local sockets, not TCP ports.
            manager = KernelManager(kernel_name="python3", transport="ipc",
                                    ip=str(Path(cwd) / "kernel"))
            client = NotebookClient(nb, km=manager, timeout=SOLUTION_TIMEOUT,
                                    resources={"metadata": {"path": cwd}}, record_timing=False)
            client.execute()
    except CellExecutionError as exc:
        raise NotebookError(f"{source}: the reference solution fails when executed:\n{exc}") \
            from None
    seconds = time.perf_counter() - started
    _normalise_outputs(nb)
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(dest))
    return seconds


def _normalise_outputs(nb: nbformat.NotebookNode) -> None:
    """Make outputs independent of timing, so that generating twice changes no byte.

    Progress-bar widgets carry random model ids and show nothing in a static notebook;
    printed text arrives in chunks whose boundaries depend on when stdout was flushed.
    """
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        merged: list = []
        for output in cell.outputs:
            if "application/vnd.jupyter.widget-view+json" in output.get("data", {}):
                continue
            last = merged[-1] if merged else None
            if (output.output_type == "stream" and last is not None
                    and last.output_type == "stream" and last.name == output.name):
                last.text += output.text
            else:
                merged.append(output)
        cell.outputs = merged


def generate(course: Course, assignments: list[str] | None = None,
             log=print) -> dict[str, float]:
    """Write release/ and solutions/ for ASSIGNMENTS (default: all); returns solution timings."""
    timings: dict[str, float] = {}
    for name in assignments or [a.name for a in course.assignments]:
        spec = course.assignment(name)
        release = course.path("release") / name
        for path in build_release(course, name, release):
            log(f"release    {path.relative_to(course.root)}")
        for nb in spec.notebooks:
            dest = course.path("solutions") / name / nb.file
            seconds = execute_solution(course.source_notebook(name, nb.file), dest)
            timings[f"{name}/{nb.file}"] = seconds
            log(f"solutions  {dest.relative_to(course.root)}  (executed in {seconds:.1f} s)")
    return timings
