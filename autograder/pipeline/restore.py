"""Step 2, restore: rebuild the submission with the source as the authority.

Rules, applied deterministically:
- Each submitted cell is matched to a source cell by grade_id, or, when the grading
  marks are gone, by content (cell_matching.py: read-only cells by their text,
  answers by the function they define, written answers by their place).
- Cells with a source grade_id appear once, in source order. Locked and test cells
  are copied from the source (content and metadata); deleted ones are put back, and
  unmarked copies of them are dropped, so nothing runs twice. A cell with a grade_id
  that is neither graded nor locked keeps the student's text, as nbgrader does.
- A solution cell keeps the student's text, with the source's metadata and cell type.
  A deleted solution cell stays deleted (its functions are then undefined).
  A second cell with the same solution grade_id becomes an ordinary added cell.
- Cells the student added (or whose grade_id the source does not know) are kept,
  right after the graded cell they followed, with kit metadata removed.
- The kernelspec comes from the source.
Every departure from the source is recorded as a Change (kinds: results.Change).
"""

from __future__ import annotations

import copy
from typing import Any

import nbformat
from nbformat.v4.nbbase import random_cell_id

from autograder.notebook_cells import grade_id, is_locked, is_solution, nbgrader
from autograder.pipeline.cell_matching import Matching, match_cells, text
from autograder.results import Change

MAX_CHANGES = 100  # recorded per notebook
MARKS_LOST = ("your notebook had lost its grading marks (the nbgrader cell metadata that "
              "some editors, such as VS Code's, do not keep)")


def restore(student: nbformat.NotebookNode, source: nbformat.NotebookNode
            ) -> tuple[nbformat.NotebookNode, list[Change]]:
    changes: list[Change] = []
    source_ids = {grade_id(c): c for c in source.cells if grade_id(c)}
    m = match_cells(student.cells, source.cells)
    chosen = {gid: student.cells[i] for gid, i in m.cells.items()}
    owner = {i: gid for gid, i in m.cells.items()}
    duplicates = {i: (gid, why) for i, gid, why in m.duplicates}
    added: dict[str | None, list[Any]] = {}  # grade_id it follows (None: top) -> cells
    last_anchor: str | None = None
    for i, cell in enumerate(student.cells):
        if i in owner:
            last_anchor = owner[i]
            theirs = grade_id(cell)
            if theirs and theirs != owner[i]:  # found by content under another grade_id
                changes.append(Change("unknown_grade_id" if theirs not in source_ids else
                                      "metadata", theirs, f"this cell's grade_id is wrong; "
                                      f"recognised by its content as {owner[i]}"))
            continue
        if i in m.dropped:
            changes.append(Change("duplicated", m.dropped[i], "an unmarked copy of this "
                                  "read-only cell was dropped; it runs once, from the source"))
            continue
        gid = grade_id(cell)
        if i in duplicates:
            changes.append(Change("duplicated", *duplicates[i]))
        elif gid in source_ids:
            changes.append(Change("duplicated", gid, "a second cell carries this grade_id; it "
                                  "runs as an ordinary added cell"))
        elif gid:
            changes.append(Change("unknown_grade_id", gid, "grade_id not in the source; the "
                                  "cell runs as an ordinary added cell"))
        added.setdefault(last_anchor, []).append(_as_added(cell))

    found = _content_changes(m, changes)
    cells = list(added.get(None, []))
    for gid, src in source_ids.items():
        mine = chosen.get(gid)
        how = m.how.get(gid, "grade_id")
        if is_solution(src) or (not is_locked(src) and mine is not None):
            if mine is None:
                changes.append(Change("deleted", gid, _missing(gid, m, found)))
            else:
                cells.append(_restore_solution(mine, src, changes if how == "grade_id" else []))
        else:
            cells.append(_restore_locked(mine, src, changes if how == "grade_id" else []))
        cells.extend(added.get(gid, []))

    order = [owner[i] for i in sorted(owner)]
    if order != [g for g in source_ids if g in chosen]:
        changes.append(Change("reordered", "", "graded cells were moved; source order restored"))
    restored = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(source.metadata))
    mine_spec, source_spec = student.metadata.get("kernelspec"), source.metadata.get("kernelspec")
    if mine_spec != source_spec:
        changes.append(Change("metadata", "kernelspec", "kernelspec changed; source's restored"
                              if source_spec else "kernelspec added; removed, as the "
                              "assignment has none"))
    if len(changes) > MAX_CHANGES:  # a crafted notebook must not flood the reports
        more = len(changes) - MAX_CHANGES + 1
        changes = changes[:MAX_CHANGES - 1] + [Change("more", "", f"and {more} more changes "
                                                      "of the kinds above")]
    return restored, changes


def _content_changes(m: Matching, changes: list[Change]) -> bool:
    """Record the cells found by content; True when the notebook lost its marks as a whole
    (then one notebook-level change says so instead of one per cell)."""
    by_content = m.by_content()
    if not by_content:
        return False
    if len(by_content) * 2 >= len(m.cells):
        answers = [g for g in by_content if m.how[g] == "function"]
        written = [g for g in by_content if m.how[g] == "place"]
        read_only = [g for g in by_content if m.how[g] in ("copy", "edited")]
        parts = [f"your answers were found by the functions they define ({', '.join(answers)})"
                 if answers else "",
                 f"your written answers by their place ({', '.join(written)})" if written else "",
                 f"{len(read_only)} read-only cells were recognised by their content and "
                 "restored from the assignment" if read_only else ""]
        changes.append(Change("marks_lost", "", MARKS_LOST + "; " +
                              "; ".join(p for p in parts if p)))
        return True
    details = {
        "function": lambda g: f"no cell had this grade_id; the cell that defines "
                              f"`{m.functions[g]}` was taken as your answer",
        "place": lambda g: "no cell had this grade_id; the markdown cell in its place was "
                           "taken as your written answer",
        "copy": lambda g: "an unmarked copy of this read-only cell was recognised; the "
                          "source's is used",
        "edited": lambda g: "an edited, unmarked copy of this read-only cell was recognised; "
                            "restored from source",
    }
    for g in by_content:
        changes.append(Change(f"found_by_{m.how[g]}" if m.how[g] in ("function", "place")
                              else "recognised", g, details[m.how[g]](g)))
    return False


def _missing(gid: str, m: Matching, marks_lost: bool) -> str:
    name = m.functions.get(gid)
    if gid in m.elsewhere:
        return (f"no cell of its own; `{name}` is defined in the answer to {m.elsewhere[gid]}, "
                "which runs as that cell")
    lead = f"{MARKS_LOST}, and " if marks_lost else "solution cell deleted, and "
    if name:
        return lead + f"no cell defines `{name}`: this problem earns 0"
    return lead + "no cell was found in its place; not restored"


def _as_added(cell: Any) -> Any:
    cell = copy.deepcopy(cell)
    for key in ("nbgrader", "course"):
        cell.get("metadata", {}).pop(key, None)
    return cell


def _restore_locked(mine: Any, src: Any, changes: list[Change]) -> Any:
    gid = grade_id(src)
    what = "test" if nbgrader(src).get("grade") else "locked" if is_locked(src) else "ungraded"
    if mine is None:
        changes.append(Change("restored", gid, f"{what} cell was deleted; restored from source"))
    elif mine.get("cell_type") != src.cell_type:
        changes.append(Change("retyped", gid, f"{what} cell retyped to {mine.get('cell_type')}; "
                                              "restored from source"))
    elif mine.get("source") != src.get("source"):
        changes.append(Change("restored", gid, f"{what} cell was edited; restored from source"))
    elif not _same_metadata(mine, src):
        changes.append(Change("metadata", gid, _metadata_detail(mine, src)))
    return copy.deepcopy(src)


def _restore_solution(mine: Any, src: Any, changes: list[Change]) -> Any:
    gid = grade_id(src)
    if not _same_metadata(mine, src):
        changes.append(Change("metadata", gid, _metadata_detail(mine, src)))
    if mine.get("cell_type") != src.cell_type:
        changes.append(Change("retyped", gid, f"cell type changed to {mine.get('cell_type')}; "
                                              f"restored to {src.cell_type}"))
    # Built directly rather than with nbformat's new_*_cell, which validates every cell
    # against the schema: a third of restore's time, for cells made from the source's own.
    cell = {"cell_type": src.cell_type, "id": src.get("id") or random_cell_id(),
            "metadata": copy.deepcopy(src.metadata), "source": text(mine)}
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
