"""The LMS export: Canvas's gradebook import CSV, from final grades and a roster.

Canvas imports a CSV with the columns Student, ID, SIS User ID, SIS Login ID, Section,
then one column per assignment holding points, and a second row "Points Possible" (its
own export looks so, and its import reads it back). A column named as a Canvas
assignment updates that assignment (Canvas matches it by name, or by "Name (id)");
any other name creates a new one. A blank cell changes nothing in Canvas.

The roster maps the kit's student ids (the folder names under submitted/) to Canvas's.
It is Canvas's gradebook export as Canvas writes it (lib/gradebook_exporter.rb in
canvas-lms): a header `Student` (or `LastName`, `FirstName`), `ID`, `SIS User ID` and
`SIS Login ID` (either may be absent), optional `Integration ID`, `Root Account`,
`Section`, custom columns, one column per assignment and the totals; then, when an
assignment posts grades manually, a row without a student holding "Manual Posting"
(older exports: "Muted") under it; then the "    Points Possible" row; then a row per
student, with the Test Student of Canvas's Student View (named "Student, Test") last.
Cells may be separated by semicolons (a user setting), and the file may start with a
byte-order mark. The kit's id of each student is read from a column the instructor
names (`student` by default, one added to the export; or Canvas's own `SIS Login ID`
when the logins are the kit's ids). The hidden-grades row, the Points Possible row and
a Test Student without a kit id are not students, and are left out.
Nobody is dropped silently: a graded student missing from the roster, a roster student
without a submission, and a grade left blank are all reported.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, ValidationInfo, model_validator

from autograder.csv_tables import Row, header_of, read_table, read_text
from autograder.errors import ConfigError
from autograder.grades.final import FinalGrade, Status, number

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
IDENTIFYING = ("ID", "SIS User ID", "SIS Login ID")  # Canvas needs one to find the student
POINTS_POSSIBLE = "    Points Possible"  # as Canvas writes it in its own exports
TEST_STUDENT = ("Student, Test", "Test Student")  # Student View's user, as sortable name or not
KIT_ID = "student"  # the default column of the kit's ids


@dataclass(frozen=True)
class RosterEntry:
    student: str  # the kit's id
    canvas: tuple[str, ...]  # the values of CANVAS_COLUMNS


class RosterRow(Row):
    """A student row of Canvas's gradebook export. The context names `id_column`, the
    column holding the kit's id."""

    what: ClassVar[str] = "roster"
    repeated_hint: ClassVar[str] = "keep one"

    student: str = ""
    name: str = Field("", alias="Student")
    canvas_id: str = Field("", alias="ID")
    sis_user_id: str = Field("", alias="SIS User ID")
    sis_login_id: str = Field("", alias="SIS Login ID")
    section: str = Field("", alias="Section")

    @classmethod
    def skip(cls, cells: Mapping[str, str], context: Mapping[str, Any]) -> bool:
        name = _name(cells)
        if name == POINTS_POSSIBLE.strip():
            return True  # Canvas's Points Possible row
        if not name and not any(cells.get(c) for c in IDENTIFYING):
            return True  # a blank line, or Canvas's row of "Manual Posting" / "Muted"
        if name not in TEST_STUDENT:
            return False
        # Student View's user has a login of its own, never a kit id: left out, unless
        # the instructor typed one into an added `student` column on purpose.
        return context.get("id_column", KIT_ID) != KIT_ID or not cells.get(KIT_ID)

    @model_validator(mode="before")
    @classmethod
    def _kit_id_and_name(cls, cells: dict[str, str], info: ValidationInfo) -> dict[str, Any]:
        column = (info.context or {}).get("id_column", KIT_ID)
        found = {**cells, "student": cells.get(column, ""), "Student": _name(cells)}
        if not found["student"]:
            raise ValueError(f"no kit student id in column `{column}` (for "
                             f"{found['Student'] or 'this row'}); fill it in, or remove the "
                             "row if this is not a student")
        return found

    def key(self) -> str:
        return self.student

    def key_text(self) -> str:
        return f"student {self.student!r}"

    def entry(self) -> RosterEntry:
        return RosterEntry(self.student, (self.name, self.canvas_id, self.sis_user_id,
                                          self.sis_login_id, self.section))


def _name(cells: Mapping[str, str]) -> str:
    """The student's name as Canvas's `Student` column holds it: "Last, First"."""
    if cells.get("Student"):
        return cells["Student"]
    last, first = cells.get("LastName", ""), cells.get("FirstName", "")
    return ", ".join(p for p in (last, first) if p)


def read_roster(path: Path, id_column: str = KIT_ID) -> list[RosterEntry]:
    """The roster at PATH, its kit ids in ID_COLUMN; a mistake is refused with its line
    and what to do."""
    header, _ = header_of(read_text(path, "roster"))
    if id_column not in header:
        if id_column == KIT_ID:
            raise ConfigError(
                f"{path}: the roster needs a column `student` with the kit's student ids "
                "(the folder names under submitted/), next to Canvas's columns; or give "
                "--roster-id 'SIS Login ID' if Canvas's logins are those ids (Canvas's "
                "`Student` column holds names)")
        raise ConfigError(f"{path}: the roster has no column `{id_column}` (given as "
                          f"--roster-id); its columns are {', '.join(header)}")
    if not any(c in header for c in IDENTIFYING):
        raise ConfigError(f"{path}: the roster needs at least one of the columns "
                          f"{', '.join(IDENTIFYING)} (as in Canvas's gradebook export), "
                          "for Canvas to find each student")
    return [line.row.entry()
            for line in read_table(path, RosterRow, context={"id_column": id_column})]


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
        elif g.status == Status.NEEDS_REVIEW:
            lines.append(f"{where}: submission time needs review (see final.csv): blank")
        elif g.status == Status.ERROR:
            lines.append(f"{where}: {'; '.join(g.notes)}: blank")
    return lines
