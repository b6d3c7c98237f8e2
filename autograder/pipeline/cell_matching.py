"""Which submitted cell is which source cell: by grade_id, else by content.

Editors that ignore cell metadata (VS Code's notebook editor, copy-paste between
notebooks, some hosted services) keep every answer but drop nbgrader's marks. The
cells are then recognised by what they hold, in this order:

1. grade_id, as nbgrader does (the first cell with a source grade_id takes it);
2. an unmarked exact copy of a read-only cell (locked, test, data, demo) is that
   cell; a second copy of one already found is dropped, so nothing runs twice;
3. the code cell that defines a problem's function (`def <name>(` at the top level)
   is the answer to it; later cells defining it again are duplicates;
4. a markdown cell in a written answer's place (after the cells that come before it
   in the source, before those after it) is the written answer;
5. an edited unmarked copy of a read-only cell (at least EDITED_COPY of its lines the
   same, and no function or class of its own) is that cell.

Everything here is linear in the submission's size but for step 5, which compares
lines of at most MAX_FUZZY cells with each read-only cell.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from autograder.notebook_cells import grade_id, is_solution

EDITED_COPY = 0.7  # share of a read-only cell's lines an edited copy keeps
MAX_FUZZY = 300  # unmatched code cells compared line by line (step 5); more are left as added
Free = dict[int, None]  # submitted cells not matched yet, in order (an ordered set)
_DEF = re.compile(r"^(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)[ \t]*\(", re.MULTILINE)
_TOP_LEVEL_NAME = re.compile(r"^(?:(?:async[ \t]+)?def|class)[ \t]+([A-Za-z_]\w*)", re.MULTILINE)


@dataclass
class Matching:
    """What step found each source grade_id, and what became of the other cells."""

    cells: dict[str, int] = field(default_factory=dict)  # source grade_id -> submitted index
    how: dict[str, str] = field(default_factory=dict)  # grade_id | copy | edited | function | place
    functions: dict[str, str] = field(default_factory=dict)  # problem grade_id -> its function
    dropped: dict[int, str] = field(default_factory=dict)  # index -> read-only grade_id it copies
    duplicates: list[tuple[int, str, str]] = field(default_factory=list)  # index, grade_id, why
    elsewhere: dict[str, str] = field(default_factory=dict)  # grade_id -> answer that defines it

    def by_content(self) -> list[str]:
        return [g for g, how in self.how.items() if how != "grade_id"]


def text(cell: Any) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def normalized(cell: Any) -> str:
    """The cell's text without trailing spaces and blank lines at either end."""
    return "\n".join(line.rstrip() for line in text(cell).strip().splitlines())


def problem_function(src: Any) -> str | None:
    """The function a solution cell of the source defines: its grade_id if it defines
    that name (the course's convention), else the first function it defines."""
    names = _DEF.findall(text(src))
    gid = grade_id(src)
    return gid if gid in names else (names[0] if names else None)


def match_cells(student: list[Any], source: list[Any]) -> Matching:
    """Each source grade_id's submitted cell; every submitted cell's text is scanned a
    bounded number of times, however many problems there are."""
    m = Matching()
    graded = {grade_id(c): c for c in source if grade_id(c)}
    for i, cell in enumerate(student):  # 1. grade_id
        gid = grade_id(cell)
        if gid in graded and gid not in m.cells:
            m.cells[gid], m.how[gid] = i, "grade_id"
    claimed = set(m.cells.values())
    free: Free = dict.fromkeys(i for i in range(len(student)) if i not in claimed)
    # Only a cell about as long as the longest source cell can be a copy of one: the
    # others are never normalized or compared (a crafted notebook may hold huge cells).
    longest = max((len(text(c)) for c in source), default=0)
    norm = {i: normalized(c) for i, c in enumerate(student) if len(text(c)) <= 2 * longest + 200}
    _exact_copies(student, graded, m, free, norm)
    _answers_by_function(student, graded, m, free)
    _written_answers_by_place(student, source, m, free, norm)
    _edited_copies(student, graded, m, free, norm)
    return m


def _read_only(graded: dict[str, Any]) -> dict[str, Any]:
    return {g: c for g, c in graded.items() if not is_solution(c)}


def _take(m: Matching, free: Free, gid: str, index: int, how: str) -> None:
    m.cells[gid], m.how[gid] = index, how
    del free[index]


def _exact_copies(student: list[Any], graded: dict[str, Any], m: Matching, free: Free,
                  norm: dict[int, str]) -> None:
    texts: dict[str, str] = {}
    for gid, src in _read_only(graded).items():
        if normalized(src):
            texts.setdefault(normalized(src), gid)
    for i in list(free):
        gid = texts.get(norm.get(i, ""))
        if gid is None:
            continue
        if gid in m.cells:
            m.dropped[i] = gid
            del free[i]
        else:
            _take(m, free, gid, i, "copy")


def _answers_by_function(student: list[Any], graded: dict[str, Any], m: Matching,
                         free: Free) -> None:
    defined = {i: set(_DEF.findall(text(c))) for i, c in enumerate(student)
               if c.get("cell_type") == "code"}
    for gid, src in graded.items():
        if not is_solution(src) or src.get("cell_type") != "code":
            continue
        name = problem_function(src)
        if name is None:
            continue
        m.functions[gid] = name
        found = [i for i in free if name in defined.get(i, ())]
        if gid not in m.cells and found:
            _take(m, free, gid, found.pop(0), "function")
        if gid in m.cells and m.how[gid] == "function":
            for i in found:  # again defined later: runs after the answer, as written
                m.duplicates.append((i, gid, f"another cell defines `{name}` again; it runs "
                                             "after your answer, as you wrote it"))
        elif gid not in m.cells:
            other = next((g for g, i in m.cells.items()
                          if g != gid and name in defined.get(i, ())), None)
            if other is not None:
                m.elsewhere[gid] = other


def _written_answers_by_place(student: list[Any], source: list[Any], m: Matching,
                              free: Free, norm: dict[int, str]) -> None:
    wanted = [k for k, c in enumerate(source) if is_solution(c) and grade_id(c)
              and c.get("cell_type") == "markdown" and grade_id(c) not in m.cells]
    if not wanted:
        return
    where = {}  # normalized source text -> its index in the source
    for k, c in enumerate(source):
        if normalized(c) and k not in wanted:
            where.setdefault(normalized(c), k)
    position = {grade_id(source[k]): k for k in range(len(source)) if grade_id(source[k])}
    anchors: dict[int, int] = {i: position[g] for g, i in m.cells.items()}
    for i in free:
        k = where.get(norm.get(i, ""))
        if k is not None:
            anchors[i] = k
    after = [len(source)] * (len(student) + 1)  # the source index of the next anchor
    for i in range(len(student) - 1, -1, -1):
        after[i] = anchors.get(i + 1, after[i + 1]) if i + 1 < len(student) else len(source)
    for k in wanted:
        before = -1
        for i in range(len(student)):
            if i in anchors:
                before = anchors[i]
            elif i in free and student[i].get("cell_type") == "markdown" \
                    and before < k < after[i]:
                _take(m, free, grade_id(source[k]), i, "place")
                break


def _edited_copies(student: list[Any], graded: dict[str, Any], m: Matching, free: Free,
                   norm: dict[int, str]) -> None:
    missing = {g: c for g, c in _read_only(graded).items() if g not in m.cells}
    code = [i for i in free if i in norm and student[i].get("cell_type") == "code"]
    if not missing or len(code) > MAX_FUZZY:
        return
    lines_of = {i: norm[i].splitlines() for i in code}
    names_of = {i: set(_TOP_LEVEL_NAME.findall(text(student[i]))) for i in code}
    for gid, src in missing.items():
        lines = normalized(src).splitlines()
        own_names = set(_TOP_LEVEL_NAME.findall(text(src)))
        best, best_ratio = None, EDITED_COPY
        for i in code:
            if i not in free or names_of[i] - own_names:
                continue
            matcher = difflib.SequenceMatcher(None, lines, lines_of[i], autojunk=False)
            if matcher.real_quick_ratio() < best_ratio or matcher.quick_ratio() < best_ratio:
                continue
            ratio = matcher.ratio()
            if ratio >= best_ratio:
                best, best_ratio = i, ratio
        if best is not None:
            _take(m, free, gid, best, "edited")
