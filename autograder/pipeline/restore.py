"""Step 2, restore: rebuild the submission with the source as the authority.

Rules, applied deterministically:
- Cells with a source grade_id appear once, in source order. Locked and test cells
  are copied from the source (content and metadata); deleted ones are put back.
- A solution cell keeps the student's text, with the source's metadata and cell type.
  A deleted solution cell stays deleted (its functions are then undefined).
  A second cell with the same solution grade_id becomes an ordinary added cell.
- Cells the student added (or whose grade_id the source does not know) are kept,
  right after the graded cell they followed, with kit metadata removed.
- The kernelspec comes from the source.
Every departure from the source is recorded as a Change for the instructor.
"""

from __future__ import annotations

import copy
from typing import Any

import nbformat
from nbformat.v4.nbbase import random_cell_id

from autograder.notebook_cells import grade_id, is_solution, nbgrader
from autograder.results import Change


def restore(student: nbformat.NotebookNode, source: nbformat.NotebookNode
            ) -> tuple[nbformat.NotebookNode, list[Change]]:
    changes: list[Change] = []
    source_ids = {grade_id(c): c for c in source.cells if grade_id(c)}
    chosen: dict[str, Any] = {}  # grade_id -> student's cell
    added: dict[str | None, list[Any]] = {}  # grade_id it follows (None: top) -> cells
    last_anchor: str | None = None
    for cell in student.cells:
        gid = grade_id(cell)
        if gid in source_ids and gid not in chosen:
            chosen[gid] = cell
            last_anchor = gid
            continue
        if gid in source_ids:
            kind = "duplicated"
            detail = "a second cell carries this grade_id; it runs as an ordinary added cell"
        elif gid:
            kind = "unknown_grade_id"
            detail = "grade_id not in the source; the cell runs as an ordinary added cell"
        else:
            kind = ""
        if kind:
            changes.append(Change(kind, gid or "", detail))
        added.setdefault(last_anchor, []).append(_as_added(cell))

    cells = list(added.get(None, []))
    for gid, src in source_ids.items():
        mine = chosen.get(gid)
        if is_solution(src):
            if mine is None:
                changes.append(Change("deleted", gid, "solution cell deleted; not restored"))
            else:
                cells.append(_restore_solution(mine, src, changes))
        else:
            cells.append(_restore_locked(mine, src, changes))
        cells.extend(added.get(gid, []))

    order_student = [g for g in (grade_id(c) for c in student.cells) if g in chosen]
    if order_student != [g for g in source_ids if g in chosen]:
        changes.append(Change("reordered", "", "graded cells were moved; source order restored"))
    restored = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(source.metadata))
    if student.metadata.get("kernelspec") != source.metadata.get("kernelspec"):
        changes.append(Change("metadata", "kernelspec", "kernelspec changed; source's restored"))
    return restored, changes


def _as_added(cell: Any) -> Any:
    cell = copy.deepcopy(cell)
    for key in ("nbgrader", "course"):
        cell.get("metadata", {}).pop(key, None)
    return cell


def _restore_locked(mine: Any, src: Any, changes: list[Change]) -> Any:
    gid = grade_id(src)
    what = "test" if nbgrader(src).get("grade") else "locked"
    if mine is None:
        changes.append(Change("restored", gid, f"{what} cell was deleted; restored from source"))
    elif mine.get("source") != src.get("source") or mine.get("cell_type") != src.cell_type:
        changes.append(Change("restored", gid, f"{what} cell was edited; restored from source"))
    elif not _same_metadata(mine, src):
        changes.append(Change("metadata", gid, _metadata_detail(mine, src)))
    return copy.deepcopy(src)


def _restore_solution(mine: Any, src: Any, changes: list[Change]) -> Any:
    gid = grade_id(src)
    if not _same_metadata(mine, src):
        changes.append(Change("metadata", gid, _metadata_detail(mine, src)))
    text = mine.get("source", "")
    text = "".join(text) if isinstance(text, list) else str(text)
    if mine.get("cell_type") != src.cell_type:
        changes.append(Change("retyped", gid, f"cell type changed to {mine.get('cell_type')}; "
                                              f"restored to {src.cell_type}"))
    # Built directly rather than with nbformat's new_*_cell, which validates every cell
    # against the schema: a third of restore's time, for cells made from the source's own.
    cell = {"cell_type": src.cell_type, "id": src.get("id") or random_cell_id(),
            "metadata": copy.deepcopy(src.metadata), "source": text}
    if src.cell_type == "code":
        cell.update(execution_count=None, outputs=[])
    return nbformat.from_dict(cell)


# The nbgrader keys that decide grading; nbgrader itself adds others (checksum, cell_type).
_GRADING_KEYS = ("grade", "grade_id", "locked", "points", "solution", "task")


def _same_metadata(mine: Any, src: Any) -> bool:
    return all(nbgrader(mine).get(k) == nbgrader(src).get(k) for k in _GRADING_KEYS)


def _metadata_detail(mine: Any, src: Any) -> str:
    theirs = {k: nbgrader(mine).get(k) for k in _GRADING_KEYS}
    ours = {k: nbgrader(src).get(k) for k in _GRADING_KEYS}
    diffs = [f"{k}: {theirs.get(k)!r} -> {ours.get(k)!r}" for k in sorted(set(theirs) | set(ours))
             if theirs.get(k) != ours.get(k)]
    return "nbgrader metadata changed; restored (" + ", ".join(diffs) + ")"

