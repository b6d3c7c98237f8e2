"""Check a notebook as a student has it: `python check.py NOTEBOOK.ipynb`.

This one file is shipped beside the release notebooks (`course generate` copies it
to release/<assignment>/check.py) and is what `course check` runs. It needs nothing
of the course: no course.yml, no hidden graders, no kit. It reads the notebook's own
nbgrader metadata and needs only what Jupyter brings (nbformat, nbclient, ipykernel),
so it imports nothing else of this package.

It runs the notebook top to bottom in a fresh kernel (demo cells skipped), so a
function that exists only in a cell since deleted shows up as missing, then reports:
each visible test (PASS/FAIL), an error in a solution cell as that error (a
SyntaxError in `quadratic` shows as one, not as the NameErrors that follow), the
problems and written questions not answered yet, and a warning when the notebook has
lost its grading marks. Exit status 1 on any failure, 0 when everything passed.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CELL_SECONDS = 300
STUB = "raise NotImplementedError()"
WRITTEN_STUB = "YOUR ANSWER HERE"


def _nbgrader(cell: Any) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def _is_demo(cell: Any) -> bool:
    meta = cell.get("metadata", {}).get("course", {})
    return isinstance(meta, dict) and meta.get("demo") is True


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    failed: int = 0
    passed: int = 0

    def say(self, line: str) -> None:
        self.lines.append(line)


def _error(cell: Any) -> str:
    """The error a cell raised when it ran ("" if none), as `Name: message`."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            value = str(output.get("evalue", "")).strip().splitlines()
            return f"{output.get('ename', 'Error')}: {value[0] if value else ''}".rstrip(": ")
    return ""


def run(nb: Any, timeout: float = CELL_SECONDS) -> Any:
    """NB executed top to bottom in a fresh kernel, demo cells left out, errors kept."""
    import nbformat
    from nbclient import NotebookClient

    ran = nbformat.v4.new_notebook(metadata=nb.metadata)
    ran.cells = [c for c in nb.cells if not _is_demo(c)]
    kernel = (nb.metadata.get("kernelspec") or {}).get("name") or "python3"
    NotebookClient(ran, timeout=timeout, kernel_name=kernel, allow_errors=True,
                   record_timing=False).execute()
    return ran


def report(ran: Any) -> Report:
    """What the executed notebook RAN tells the student."""
    r = Report()
    marked = [c for c in ran.cells if _nbgrader(c).get("grade_id")]
    if not marked:
        r.say("WARNING  this notebook has lost its grading marks (the nbgrader metadata of its "
              "cells, which some editors, such as VS Code's, drop). The grader will look for "
              "your answers by the functions they define; to be safe, copy your answers into "
              "a fresh copy of the assignment's notebook.")
    broken: dict[str, str] = {}  # function a failed answer cell defines -> its problem
    unanswered: list[str] = []
    for number, cell in enumerate(ran.cells, start=1):
        meta = _nbgrader(cell)
        gid = meta.get("grade_id") or f"cell {number}"
        error = _error(cell)
        text = "".join(cell.source) if isinstance(cell.source, list) else str(cell.source)
        if meta.get("solution") and cell.cell_type == "markdown":
            if not text.strip() or WRITTEN_STUB in text:  # the stub is still there
                unanswered.append(f"{gid} (written answer)")
        elif meta.get("solution"):
            if STUB in text or error.startswith("NotImplementedError"):
                unanswered.append(gid)
            elif error:
                r.failed += 1
                r.say(f"ERROR {gid}: your answer cell fails when it runs: {error}")
                for name in re.findall(r"^def\s+(\w+)\s*\(", text, re.M):
                    broken[name] = gid
        elif meta.get("grade") and cell.cell_type == "code":
            if not error:
                r.passed += 1
                r.say(f"PASS  {gid}")
                continue
            r.failed += 1
            missing = re.match(r"NameError: name '(\w+)' is not defined", error)
            cause = ""
            if missing and missing.group(1) in broken:
                cause = f" (because your answer cell {broken[missing.group(1)]} failed, above)"
            elif missing:
                cause = f" (no cell that ran defines `{missing.group(1)}`: was it deleted?)"
            r.say(f"FAIL  {gid}: {error}{cause}")
        elif error and cell.cell_type == "code":
            r.failed += not marked  # without marks, every error counts
            r.say(f"note  {gid} raised {error}")
    if unanswered:
        r.failed += 1
        r.say("not answered yet: " + ", ".join(unanswered))
    r.say(f"{r.passed} passed, {r.failed} failed (visible tests only; hidden tests decide "
          "points)")
    return r


def check(path: Path, timeout: float = CELL_SECONDS, out: Any = None) -> int:
    """Run and report the notebook at PATH; 0 when everything passed, else 1."""
    import nbformat

    out = out or sys.stdout
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # not JSON, not a notebook, unreadable: say so, plainly
        print(f"cannot check {path}: {type(exc).__name__}: {str(exc)[:300]}", file=out)
        return 1
    result = report(run(nb, timeout))
    print("\n".join(result.lines), file=out)
    return 1 if result.failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a notebook top to bottom in a fresh "
                                     "kernel and report its visible tests.")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--timeout", type=float, default=CELL_SECONDS,
                        help=f"seconds a cell may run (default {CELL_SECONDS})")
    args = parser.parse_args(argv)
    return check(args.notebook, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
