"""Check a notebook as a student has it: `python check.py NOTEBOOK.ipynb`.

`course generate` builds release/<assignment>/check.py from this file (bundle.py): it
embeds the modules it imports from the kit (cell matching, cell names, nbgrader metadata)
and the assignment's original notebooks (their cells' text and nbgrader metadata, no
outputs, nothing secret: students have them). `course check` runs this same code. So
check.py needs nothing of the course (no course.yml, no hidden graders, no kit, no
nbgrader): only what Jupyter brings (nbformat, nbclient, ipykernel).

What it does, as grading does (pipeline/restore.py):
- finds each cell of the original by its nbgrader grade_id or, in a notebook that lost its
  marks, by its content (pipeline/cell_matching.py);
- detects read-only (locked and test) cells that were edited, by nbgrader's checksum,
  says so, and runs the original instead; puts back deleted ones;
- runs the notebook top to bottom in a fresh kernel (demo cells skipped), so that a
  function that exists only in a cell since deleted shows up as missing;
- reports each visible test (PASS/FAIL), an error in an answer cell as that error, the
  problems not answered yet, and, when a test fails and an earlier problem fails too,
  that problem as the likely cause.
Cells are named as the student sees them: the heading above and JupyterLab's cell number.
Exit status 1 on any failure or when nothing could be checked, 0 when everything passed.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.cell_names import cell_name, cell_names, headings
from autograder.notebook_cells import grade_id, is_demo, is_locked, is_solution, nbgrader
from autograder.pipeline.cell_matching import match_cells, problem_function, text

CELL_SECONDS = 300
STUB = "raise NotImplementedError()"
WRITTEN_STUB = "YOUR ANSWER HERE"
EDITED = "you edited a read-only cell; grading uses the original"
# The assignment's notebooks: file name -> its cells (type, text, metadata). Empty in the
# kit; `course generate` writes them into check.py (bundle.py).
ORIGINALS: dict[str, list[dict[str, Any]]] = {}


def nbgrader_checksum(cell: Any) -> str:
    """nbgrader.utils.compute_checksum, which check.py cannot import: the md5 of the cell's
    text, type, grade/solution/locked flags, grade_id and points. nbgrader stores it in the
    cell's metadata when it makes the release; a read-only cell whose checksum no longer
    matches was edited."""
    meta = nbgrader(cell)
    grade, solution = meta.get("grade", False), meta.get("solution", False)
    locked = False if solution else True if grade else meta.get("locked", False)
    digest = hashlib.md5()
    for part in (text(cell), cell.get("cell_type", ""), str(grade), str(solution), str(locked),
                 str(meta.get("grade_id", ""))):
        digest.update(part.encode("utf-8"))
    if grade:
        digest.update(str(float(meta.get("points", 0))).encode("utf-8"))
    return digest.hexdigest()


def edited(cell: Any, original: Any | None) -> bool:
    """Whether CELL, a read-only cell, differs from its original (by nbgrader's checksum
    when the original is not at hand)."""
    if original is not None:
        return text(cell) != text(original) or cell.get("cell_type") != original.get("cell_type")
    recorded = nbgrader(cell).get("checksum")
    return isinstance(recorded, str) and recorded != nbgrader_checksum(cell)


@dataclass
class Prepared:
    """The cells to run, each with the name the student knows it by, and what was changed."""

    cells: list[Any] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def prepare(nb: Any, originals: list[Any] | None) -> Prepared:
    """NB's cells as grading will run them: read-only cells from ORIGINALS (edited ones
    noted, deleted ones put back), cells found by content given their nbgrader marks."""
    names = cell_names(nb.cells)
    p = Prepared()
    if not originals:  # no original at hand: run the cells as they are, edits noted
        for cell, name in zip(nb.cells, names, strict=True):
            if is_locked(cell) and not is_solution(cell) and edited(cell, None):
                p.notes.append(f"EDITED {name}: {EDITED}, which this check does not have; "
                               "copy the cell back from a fresh copy of the notebook")
            p.cells.append(cell)
            p.names.append(name)
        return p
    originals = [_node(c) for c in originals]
    by_id = {grade_id(c): c for c in originals if grade_id(c)}
    m = match_cells(nb.cells, originals)
    if not m.cells:  # not this assignment's notebook at all: nothing to put back
        return prepare(nb, None)
    owner = {i: gid for gid, i in m.cells.items()}
    original_headings = dict(zip((grade_id(c) for c in originals), headings(originals),
                                 strict=True))
    order = list(by_id)
    deleted: dict[int, list[str]] = {}  # student index (-1: top) -> read-only cells after it
    for k, gid in enumerate(order):
        if gid not in m.cells and is_locked(by_id[gid]) and not is_solution(by_id[gid]):
            before = next((m.cells[g] for g in reversed(order[:k]) if g in m.cells), -1)
            deleted.setdefault(before, []).append(gid)

    def put_back(index: int) -> None:
        for gid in deleted.get(index, []):
            name = cell_name(original_headings.get(gid, ""), None)
            p.notes.append(f"DELETED a read-only cell under {name}: grading puts it back, "
                           "and so does this check")
            p.cells.append(copy.deepcopy(by_id[gid]))
            p.names.append(f"{name} (a read-only cell you deleted)")

    put_back(-1)
    for i, cell in enumerate(nb.cells):
        gid = owner.get(i)
        if i in m.dropped:  # a copy of a read-only cell found elsewhere: runs once
            pass
        elif gid is None:
            cell = copy.deepcopy(cell)
            cell.get("metadata", {}).pop("nbgrader", None)  # an added cell, as grading has it
            p.cells.append(cell)
            p.names.append(names[i])
        else:
            original = by_id[gid]
            run = copy.deepcopy(cell)
            run.setdefault("metadata", {})["nbgrader"] = copy.deepcopy(nbgrader(original))
            if is_locked(original) and not is_solution(original):
                if edited(cell, original):
                    p.notes.append(f"EDITED {names[i]}: {EDITED}, and so does this check "
                                   "(to undo your edit, copy the cell back from a fresh copy "
                                   "of the notebook)")
                run = copy.deepcopy(original)
                run["id"] = cell.get("id") or run["id"]
            p.cells.append(run)
            p.names.append(names[i])
        put_back(i)
    lost = [g for g in m.by_content() if m.how[g] == "function"]
    if lost:
        p.notes.append("NOTE  this notebook has lost its grading marks (the nbgrader metadata "
                       "that some editors, such as VS Code's, drop). Grading finds your answers "
                       "by the functions they define, and so did this check: "
                       + ", ".join(m.functions[g] for g in lost) + ".")
    return p


def _node(cell: Any) -> Any:
    """An embedded original as a notebook cell, with a fresh id (the originals carry none)."""
    import nbformat
    from nbformat.v4.nbbase import random_cell_id

    return nbformat.from_dict({**copy.deepcopy(cell), "id": random_cell_id()})


def originals_for(nb: Any, filename: str) -> list[dict[str, Any]] | None:
    """The embedded original of NB: the one named FILENAME, else the one whose grade_ids
    and answer functions NB shares most (a renamed copy), else None."""
    if filename in ORIGINALS:
        return ORIGINALS[filename]
    ids = {grade_id(c) for c in nb.cells}
    defined = set(re.findall(r"^def\s+(\w+)\s*\(", "\n".join(text(c) for c in nb.cells), re.M))

    def shared(cells: list[dict[str, Any]]) -> int:
        return sum(grade_id(c) in ids or (is_solution(c) and problem_function(c) in defined)
                   for c in cells if grade_id(c))

    best = max(ORIGINALS.values(), key=shared, default=None)
    return best if best is not None and shared(best) else None


def _error(cell: Any) -> str:
    """The error a cell raised when it ran ("" if none), as `Name: message`."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            value = str(output.get("evalue", "")).strip().splitlines()
            return f"{output.get('ename', 'Error')}: {value[0] if value else ''}".rstrip(": ")
    return ""


def _kernel_manager(kernel: str, folder: str) -> Any:
    """A kernel over local sockets (IPC) where ZeroMQ has them: over TCP, ipykernel warns
    that the connection is not encrypted, which a student need not read."""
    import zmq
    from jupyter_client import KernelManager

    if zmq.has("ipc"):
        return KernelManager(kernel_name=kernel, transport="ipc", ip=str(Path(folder) / "k"))
    return KernelManager(kernel_name=kernel)


def run(cells: list[Any], metadata: Any, timeout: float = CELL_SECONDS) -> Any:
    """CELLS executed top to bottom in a fresh kernel, demo cells left out, errors kept."""
    import nbformat
    from nbclient import NotebookClient

    ran = nbformat.v4.new_notebook(metadata=metadata)
    ran.cells = [c for c in cells if not is_demo(c)]
    kernel = (metadata.get("kernelspec") or {}).get("name") or "python3"
    with tempfile.TemporaryDirectory(prefix="check-") as folder:
        manager = _kernel_manager(kernel, folder)
        try:
            NotebookClient(ran, km=manager, timeout=timeout, allow_errors=True,
                           record_timing=False, resources={"metadata": {"path": "."}}).execute()
        finally:  # a kernel left to notice its parent gone warns as it exits
            if manager.has_kernel:
                manager.shutdown_kernel(now=True)
    return ran


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    failed: int = 0
    passed: int = 0

    def say(self, line: str) -> None:
        self.lines.append(line)


def report(ran: Any, names: list[str] | None = None) -> Report:
    """What the executed notebook RAN tells the student; NAMES: each cell's name."""
    r = Report()
    names = names if names is not None else cell_names(ran.cells)
    if not any(grade_id(c) for c in ran.cells):
        r.failed += 1
        r.say("CANNOT CHECK  this notebook has lost its grading marks (the nbgrader metadata "
              "that some editors, such as VS Code's, drop), and none of its cells could be "
              "matched to the assignment's. Copy your answers into a fresh copy of the "
              "assignment's notebook, next to check.py, and check that one.")
    failing: list[tuple[str, str, str]] = []  # earlier problems that fail: name, function, why
    answers: dict[str, str] = {}  # problem's grade_id -> its answer's text
    answer_names: dict[str, str] = {}  # problem's grade_id -> its answer cell's name
    unanswered: list[str] = []
    for cell, name in zip(ran.cells, names, strict=True):
        meta = nbgrader(cell)
        gid = meta.get("grade_id")
        error = _error(cell)
        source = text(cell)
        if meta.get("solution") and cell.cell_type == "markdown":
            if not source.strip() or WRITTEN_STUB in source:  # the stub is still there
                unanswered.append(f"{name} (written answer)")
        elif meta.get("solution"):
            answers[gid] = source
            answer_names[gid] = name
            function = problem_function(cell) or gid
            if STUB in source or error.startswith("NotImplementedError"):
                unanswered.append(name)
                failing.append((name, function, "is not answered yet"))
            elif error:
                r.failed += 1
                r.say(f"ERROR {name}: your answer cell fails when it runs: {error}")
                failing.append((name, function, "fails when it runs"))
        elif meta.get("grade") and cell.cell_type == "code":
            if not error:
                r.passed += 1
                r.say(f"PASS  {name}")
                continue
            r.failed += 1
            tested = _tested(gid, answers)
            own = answers.get((gid or "").removeprefix("test_"),
                              list(answers.values())[-1] if answers else "")
            r.say(f"FAIL  {name}: {error}{_cause(error, tested, own, failing)}")
            if all(f[1] != tested for f in failing):
                own_name = answer_names.get((gid or "").removeprefix("test_"), name)
                failing.append((own_name, tested, "fails its test"))
        elif error and cell.cell_type == "code":
            r.say(f"note  {name} raised {error}")
    if unanswered:
        r.failed += 1
        r.say("not answered yet: " + "; ".join(unanswered))
    r.say(f"{r.passed} passed, {r.failed} failed (visible tests only; hidden tests decide "
          "points)")
    return r


def _tested(test_id: str | None, answers: dict[str, str]) -> str:
    """The function a test cell checks: its answer's (test_<grade_id>), else the grade_id."""
    gid = (test_id or "").removeprefix("test_")
    found = re.search(r"^def\s+(\w+)\s*\(", answers.get(gid, ""), re.M)
    return found.group(1) if found else gid


def _cause(error: str, tested: str, answer: str, failing: list[tuple[str, str, str]]) -> str:
    """Why the test of TESTED (whose answer is ANSWER) may fail through no fault of its own:
    a function missing because its cell failed, or an earlier problem that fails too (a
    knock-on failure), named first when the answer calls it."""
    missing = re.match(r"NameError: name '(\w+)' is not defined", error)
    if missing:
        culprit = next((f for f in failing if f[1] == missing.group(1)), None)
        if culprit:
            return f" (because your answer to {culprit[0]} {culprit[2]}, above)"
        return f" (no cell that ran defines `{missing.group(1)}`: was it deleted?)"
    if any(f[1] == tested and f[2] == "is not answered yet" for f in failing):
        return ""  # the test of an unanswered problem: "not answered yet" says it all
    failing = [f for f in failing if f[1] != tested]  # its own problem is no knock-on
    if not failing:
        return ""
    called = [f for f in failing if re.search(rf"\b{re.escape(f[1])}\s*\(", answer)]
    if called:  # the answer under test calls a function that fails
        name, function, why = called[-1]
        return (f"\n      likely cause: {name}, above, {why}, and `{function}` is called here: "
                "fix that first")
    name, _, why = failing[-1]
    return (f"\n      likely cause: {name}, above, {why}; later problems may rely on it: "
            "fix that first")


def check(path: Path, timeout: float = CELL_SECONDS, out: Any = None,
          originals: list[dict[str, Any]] | None = None) -> int:
    """Run and report the notebook at PATH against ORIGINALS (default: the embedded
    original of that name); 0 when everything passed, else 1."""
    import nbformat

    out = out or sys.stdout
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # not JSON, not a notebook, unreadable: say so, plainly
        print(f"cannot check {path}: {type(exc).__name__}: {str(exc)[:300]}", file=out)
        return 1
    return check_notebook(nb, timeout, out, originals if originals is not None
                          else originals_for(nb, Path(path).name))


def check_notebook(nb: Any, timeout: float = CELL_SECONDS, out: Any = None,
                   originals: list[dict[str, Any]] | None = None) -> int:
    out = out or sys.stdout
    prepared = prepare(nb, originals)
    if not any(grade_id(c) for c in prepared.cells):
        result = report(_empty(nb), [])  # nothing that grading would find: say so
    else:
        ran = run(prepared.cells, nb.metadata, timeout)
        kept = [n for c, n in zip(prepared.cells, prepared.names, strict=True) if not is_demo(c)]
        result = report(ran, kept)
    print("\n".join(prepared.notes + result.lines), file=out)
    return 1 if result.failed else 0


def _empty(nb: Any) -> Any:
    import nbformat

    return nbformat.v4.new_notebook(metadata=nb.metadata)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a notebook top to bottom in a fresh "
                                     "kernel, as grading will, and report its visible tests.")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--timeout", type=float, default=CELL_SECONDS,
                        help=f"seconds a cell may run (default {CELL_SECONDS})")
    args = parser.parse_args(argv)
    return check(args.notebook, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
