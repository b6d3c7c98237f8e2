"""Cells named as a student sees them: the heading above the cell and JupyterLab's number.

JupyterLab numbers every cell, markdown included, from 1; grade_ids are invisible to a
student (no nbgrader extension in a student's JupyterLab). So a cell is named by the
heading it sits under ("Problem 5: apply_step") and its number ("cell 27"). The
students' check.py (which bundles this module) and the feedback pages use these names,
so that both say the same. Standard library only: check.py runs without the kit.
"""

from __future__ import annotations

import re
from typing import Any

_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_POINTS = re.compile(r"\s*\((?:\d+(?:\.\d+)?|one|two|three) points?\b[^)]*\)\s*$", re.I)
_MAX_HEADING = 80  # characters of a heading kept in a name


def _text(cell: Any) -> str:
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    return "".join(source) if isinstance(source, list) else str(source)


def clean_heading(line: str) -> str:
    """A markdown heading as read: no `#`, backticks, emphasis or "(2 points)" suffix."""
    line = re.sub(r"[`*]", "", line).strip()
    line = _POINTS.sub("", line).strip()
    return line if len(line) <= _MAX_HEADING else line[:_MAX_HEADING - 1] + "…"


def headings(cells: list[Any]) -> list[str]:
    """For each cell, the last markdown heading in the cells above it ("" if none).

    The written answer's own "#### ✎ Your answer" heading is inside its cell, so a
    cell's own headings do not name it: the problem's heading above it does."""
    found, current = [], ""
    for cell in cells:
        found.append(current)
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            lines = _HEADING.findall(_text(cell)[:20_000])  # bounded: a cell may be huge
            if lines:
                current = clean_heading(lines[-1])
    return found


def cell_name(heading: str, number: int | None) -> str:
    """`cell 27 (Problem 5: apply_step)`; `cell 27` under no heading; the heading alone
    for a cell that is not in the student's notebook (NUMBER None)."""
    if number is None:
        return heading or "a cell"
    return f"cell {number} ({heading})" if heading else f"cell {number}"


def cell_names(cells: list[Any]) -> list[str]:
    """Every cell's name, numbered from 1 as JupyterLab does (every cell counts)."""
    return [cell_name(h, n) for n, h in enumerate(headings(cells), start=1)]


def cell_labels(cells: list[Any]) -> list[str]:
    """What grading calls each cell (execute.py's CellOutcome.label): its grade_id, else its
    name."""
    labels = []
    for cell, name in zip(cells, cell_names(cells), strict=True):
        meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, dict) else {}
        gid = meta.get("grade_id") if isinstance(meta, dict) else None
        labels.append(gid if isinstance(gid, str) and gid else name)
    return labels
