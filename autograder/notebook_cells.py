"""Reading nbgrader and kit metadata off notebook cells."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import nbformat


def nbgrader(cell: Any) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def grade_id(cell: Any) -> str | None:
    value = nbgrader(cell).get("grade_id")
    return value if isinstance(value, str) else None


def is_solution(cell: Any) -> bool:
    return nbgrader(cell).get("solution") is True


def is_test(cell: Any) -> bool:
    meta = nbgrader(cell)
    return meta.get("grade") is True and meta.get("solution") is not True


def is_locked(cell: Any) -> bool:
    meta = nbgrader(cell)
    return meta.get("locked") is True or is_test(cell)


def is_demo(cell: Any) -> bool:
    """A long illustration that grading skips (metadata `course: {demo: true}`)."""
    meta = cell.get("metadata", {}).get("course", {})
    return isinstance(meta, dict) and meta.get("demo") is True


def read(path: str | Path) -> nbformat.NotebookNode:
    import nbformat  # here: the batch's main process starts its zygote before paying for it

    return nbformat.read(str(path), as_version=4)


def solution_cells(path: str | Path) -> dict[str, Any]:
    """grade_id -> cell (as plain JSON) for every solution cell of the notebook at PATH;
    ValueError if it is not JSON. No nbformat: every command that loads the course calls
    this, and `course autograde` starts its sandbox sooner without that import."""
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(notebook, dict):
        raise ValueError(f"{path}: not a notebook")
    cells = notebook.get("cells", [])
    return {grade_id(c): c for c in cells
            if isinstance(c, dict) and is_solution(c) and grade_id(c)}


def test_cells(nb: Any) -> dict[str, Any]:
    return {grade_id(c): c for c in nb.cells if is_test(c) and grade_id(c)}
