"""The LMS export: Canvas's gradebook import CSV, from final grades and a roster.

Canvas imports a CSV with the columns Student, ID, SIS User ID, SIS Login ID, Section,
then one column per assignment holding points, and a second row "Points Possible" (its
own export looks so, and its import reads it back). A column named as a Canvas
assignment updates that assignment (Canvas matches it by name, or by "Name (id)");
any other name creates a new one. A blank cell changes nothing in Canvas.

The roster maps the kit's student ids (the folder names under submitted/) to Canvas's:
a CSV with a `student` column and Canvas's own columns, named as Canvas exports them
(so the simplest roster is Canvas's gradebook export with a `student` column added).
Nobody is dropped silently: a graded student missing from the roster, a roster student
without a submission, and a grade left blank are all reported.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import ConfigError
from autograder.grades.final import FinalGrade, Status, number

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
IDENTIFYING = ("ID", "SIS User ID", "SIS Login ID")  # Canvas needs one to find the student
POINTS_POSSIBLE = "    Points Possible"  # as Canvas writes it in its own exports


@dataclass(frozen=True)
class RosterEntry:
    student: str  # the kit's id
    canvas: tuple[str, ...]  # the values of CANVAS_COLUMNS


def read_roster(path: Path) -> list[RosterEntry]:
    """The roster at PATH; a mistake is refused with its line and what to do."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the roster {path}: {exc}") from None
    rows = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in rows.fieldnames or []]
    rows.fieldnames = header
    if "student" not in header:
        raise ConfigError(
            f"{path}: the roster needs a column `student` with the kit's student ids (the "
            "folder names under submitted/), next to Canvas's columns "
            f"{', '.join(CANVAS_COLUMNS)}; Canvas's `Student` column holds names")
    if not any(c in header for c in IDENTIFYING):
        raise ConfigError(f"{path}: the roster needs at least one of the columns "
                          f"{', '.join(IDENTIFYING)} (as in Canvas's gradebook export), "
                          "for Canvas to find each student")
    entries, lines = [], {}
    for line, row in enumerate(rows, start=2):
        name = (row.get("Student") or "").strip()
        if name == POINTS_POSSIBLE.strip() or not any((v or "").strip() for v in row.values()
                                                       if isinstance(v, str)):
            continue  # Canvas's own "Points Possible" row, or an empty line
        student = (row["student"] or "").strip()
        if not student:
            raise ConfigError(f"{path}, line {line}: no kit student id in column `student` "
                              f"(for {name or 'this row'})")
        if student in lines:
            raise ConfigError(f"{path}, line {line}: student {student!r} is already on line "
                              f"{lines[student]}; keep one")
        lines[student] = line
        entries.append(RosterEntry(student, tuple((row.get(c) or "").strip()
                                                  for c in CANVAS_COLUMNS)))
    return entries


def canvas_csv(grades: list[FinalGrade], roster: list[RosterEntry]) -> str:
    """Canvas's import file: a row per roster student, a column per graded assignment."""
    assignments = list(dict.fromkeys(g.assignment for g in grades))
    possible = {g.assignment: g.possible for g in grades}
    by_key = {(g.student, g.assignment): g for g in grades}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*CANVAS_COLUMNS, *assignments])
    writer.writerow([POINTS_POSSIBLE, "", "", "", "", *(number(possible[a]) for a in assignments)])
    for entry in roster:
        cells = []
        for a in assignments:
            grade = by_key.get((entry.student, a))
            cells.append(number(grade.total) if grade is not None else "")
        writer.writerow([*entry.canvas, *cells])
    return buffer.getvalue()


def roster_report(grades: list[FinalGrade], roster: list[RosterEntry]) -> list[str]:
    """Every student the export leaves out or leaves blank, and why."""
    listed = {e.student for e in roster}
    lines = []
    outside: dict[str, list[str]] = defaultdict(list)
    for g in grades:
        if g.student not in listed and g.status != Status.NOT_SUBMITTED:
            outside[g.student].append(g.assignment)
    for student, assignments in sorted(outside.items()):
        lines.append(f"{student}: graded ({', '.join(assignments)}) but not in the roster: "
                     "left out of the Canvas file; add them to the roster")
    for g in grades:
        if g.student not in listed:
            continue
        where = f"{g.student}/{g.assignment}"
        if g.status == Status.NOT_SUBMITTED:
            lines.append(f"{where}: in the roster without a submission: 0")
        elif g.status == Status.NOT_DUE:
            lines.append(f"{where}: in the roster without a submission, not due yet: blank")
        elif g.status == Status.PENDING:
            lines.append(f"{where}: manual score pending: blank")
        elif g.status == Status.ERROR:
            lines.append(f"{where}: {'; '.join(g.notes)}: blank")
    return lines
