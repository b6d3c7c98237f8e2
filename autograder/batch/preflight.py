"""Checks `course autograde` makes before it writes anything: nothing is replaced by less.

A mistyped SUBMITTED (one level off, a student's folder, an empty folder) finds no
submission; grading it would replace the class's grades.csv with a header and its
summary with an empty page. An --out inside SUBMITTED would put reports beside the
students' notebooks (and be read back as submissions). A SUBMITTED that lacks students
the earlier grades.csv in OUT had would drop their rows. Each is refused here, before
OUT is touched, with one line that says what was found and what to do.
"""

from __future__ import annotations

import csv
from collections.abc import Collection
from pathlib import Path

from autograder.config import Course
from autograder.errors import CourseKitError

LAYOUT = "<student>/<assignment>/<notebook>.ipynb"
ALLOW_FEWER = "--allow-fewer-students"
MAX_GRADES_CSV = 50_000_000  # bytes of an earlier grades.csv read: far above any class


def check_out_folder(submitted: Path, out: Path) -> None:
    """Refuse an OUT equal to or inside SUBMITTED."""
    inside, folder = out.resolve(), submitted.resolve()
    if inside == folder or folder in inside.parents:
        raise CourseKitError(f"--out {out} is inside the submissions {submitted}: reports would "
                             "land beside students' notebooks; give an --out folder outside it")


def check_found(course: Course, submitted: Path, found: Collection[tuple[str, str]]) -> None:
    """Refuse a SUBMITTED in which no <student>/<assignment>/ of the course was FOUND,
    saying what it holds instead."""
    if found:
        return
    raise CourseKitError(f"{submitted} holds no submission in nbgrader's layout "
                         f"SUBMITTED/{LAYOUT}: {_what_it_holds(course, submitted)}; "
                         "nothing was written")


def _what_it_holds(course: Course, submitted: Path) -> str:
    assignments = {a.name for a in course.assignments}
    notebooks = {nb.file for a in course.assignments for nb in a.notebooks}
    entries = sorted(p for p in submitted.iterdir() if not p.name.startswith("."))
    names = {p.name for p in entries}
    if not entries:
        return "it is empty"
    for child in entries:  # one level too high: a folder in it looks like SUBMITTED
        if child.is_dir() and not child.is_symlink() and _looks_submitted(child, assignments):
            return (f"it holds {child.name}/, which looks like a SUBMITTED folder; "
                    f"give {child}")
    if names & assignments:
        return (f"it looks like one student's folder (it holds {sorted(names & assignments)[0]}/)"
                f"; give the folder that holds every student's folder ({submitted.parent}?)")
    if names & notebooks:
        return (f"it looks like one student's assignment folder (it holds "
                f"{sorted(names & notebooks)[0]}); give the folder that holds every student's "
                "folder")
    shown = ", ".join(p.name + ("/" if p.is_dir() else "") for p in entries[:3])
    more = f" and {len(entries) - 3} more" if len(entries) > 3 else ""
    return (f"it holds {shown}{more}, none with an assignment folder of course.yml "
            f"({', '.join(sorted(assignments))})")


def _looks_submitted(folder: Path, assignments: set[str]) -> bool:
    try:
        return any(s.is_dir() and not s.is_symlink() and any(
            (s / a).is_dir() for a in assignments) for s in folder.iterdir())
    except OSError:
        return False


def earlier_rows(out: Path) -> set[tuple[str, str]]:
    """(student, assignment) of each row of OUT/grades.csv written by an earlier run."""
    path = out / "grades.csv"
    if path.is_symlink() or not path.is_file():
        return set()
    with path.open(encoding="utf-8", newline="") as f:
        text = f.read(MAX_GRADES_CSV)
    try:
        return {(row.get("student") or "", row.get("assignment") or "")
                for row in csv.DictReader(text.splitlines())} - {("", "")}
    except csv.Error:
        return set()


def check_no_fewer(out: Path, found: Collection[tuple[str, str]], allow: bool) -> None:
    """Refuse a run whose grades.csv would lack rows the one in OUT has, unless ALLOW."""
    lost = sorted(earlier_rows(out) - set(found))
    if not lost or allow:
        return
    shown = ", ".join(f"{s}/{a}" for s, a in lost[:5]) + (
        f" and {len(lost) - 5} more" if len(lost) > 5 else "")
    raise CourseKitError(f"{out / 'grades.csv'} has {len(lost)} submission(s) the submissions "
                         f"folder lacks ({shown}): check the folder, or pass {ALLOW_FEWER} to "
                         "drop them from the grades; nothing was written")
