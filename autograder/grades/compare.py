"""What a regrade changes: every problem score that differs between two autograde runs.

`course autograde SUBMITTED --out NEW --compare PREVIOUS` grades into NEW and lists, per
student and problem, each score that would change, before anyone publishes NEW: on the
terminal and in NEW/changes.csv. A submission graded in only one of the two runs is
listed too, problem by problem (the other side blank).

A preview and its publication agree. The preview grades with PREVIOUS's seed, and a
regrade in place (a rerun into PREVIOUS) replays the seed its results were graded with
(`seed_in_place`), so both give the same scores; publishing by a rerun into NEW reuses
NEW's results as they are. The people's scores of PREVIOUS's written answers carry over
into the preview (each with the answer it was given for, pipeline/answer_changes.py),
so they are not reported as changes; without --manual-scores, nothing else is needed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from autograder.config import Course
from autograder.reports.files import write_atomic
from autograder.results import SubmissionResult

ABSENT = object()  # the submission is not in that run


@dataclass(frozen=True)
class ScoreChange:
    student: str
    assignment: str
    problem: str
    before: float | None | object  # None: pending (manual); ABSENT: not graded in that run
    after: float | None | object

    @property
    def delta(self) -> float | None:
        if isinstance(self.before, float | int) and isinstance(self.after, float | int):
            return round(self.after - self.before, 6)
        return None


def score_changes(course: Course, previous: list[SubmissionResult],
                  new: list[SubmissionResult],
                  students: Collection[str] = ()) -> list[ScoreChange]:
    """The scores that differ between PREVIOUS and NEW, in course order. STUDENTS: compare
    only these (the ones a partial regrade graded)."""
    before = {(r.student, r.assignment): r for r in previous}
    after = {(r.student, r.assignment): r for r in new}
    keys = set(before) | set(after)
    if students:
        keys = {k for k in keys if k[0] in students}
    order = {a.name: i for i, a in enumerate(course.assignments)}
    changes = []
    for student, assignment in sorted(keys, key=lambda k: (k[0], order.get(k[1], 0), k[1])):
        old = _scores(before.get((student, assignment)))
        now = _scores(after.get((student, assignment)))
        problems = list(dict.fromkeys([*_problems(course, assignment), *old, *now]))
        for problem in problems:
            was, becomes = old.get(problem, ABSENT), now.get(problem, ABSENT)
            if not _same(was, becomes):
                changes.append(ScoreChange(student, assignment, problem, was, becomes))
    return changes


def _same(a: float | None | object, b: float | None | object) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int):
        return abs(a - b) < 1e-9  # the same score, whatever the float arithmetic did
    return a is b


def _scores(result: SubmissionResult | None) -> dict[str, float | None]:
    if result is None:
        return {}
    return {p.problem: p.points for p in result.problems}


def _problems(course: Course, assignment: str) -> list[str]:
    for a in course.assignments:
        if a.name == assignment:
            return list(a.problems)
    return []


def previous_seed(previous: list[SubmissionResult]) -> int | None:
    """The seed the previous run graded with, if it used one for all: replaying it keeps
    fresh random inputs from showing as changes."""
    seeds = {r.seed for r in previous}
    return seeds.pop() if len(seeds) == 1 else None


def seed_in_place(course: Course, out: Path) -> int | None:
    """The seed of the run whose results are in OUT (None: none there, or several seeds).
    A regrade in place replays it, as a preview of that regrade did (`--compare OUT`
    grades with it too), so that publishing gives exactly the previewed scores. Reads
    only each results.json's seed: it runs before every autograde."""
    import json

    known = {a.name for a in course.assignments}
    seeds = set()
    for path in out.glob("*/*/results.json") if out.is_dir() else ():
        if path.parent.name not in known or path.is_symlink():
            continue
        try:
            seeds.add(int(json.loads(path.read_text(encoding="utf-8"))["seed"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # unreadable: graded again, with whatever seed the others had
        if len(seeds) > 1:
            return None
    return seeds.pop() if seeds else None


def _shown(value: float | None | object) -> str:
    if value is ABSENT:
        return "not graded"
    if value is None:
        return "pending"
    assert isinstance(value, float | int)
    return f"{round(value, 2):.2f}".rstrip("0").rstrip(".")


def _delta(change: ScoreChange) -> str:
    d = change.delta
    return "" if d is None else f"{d:+.2f}".rstrip("0").rstrip(".")


def changes_csv(changes: list[ScoreChange]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "assignment", "problem", "before", "after", "change"])
    for c in changes:
        writer.writerow([c.student, c.assignment, c.problem, _shown(c.before), _shown(c.after),
                         _delta(c)])
    return buffer.getvalue()


def write_changes(out: Path, changes: list[ScoreChange]) -> Path:
    path = out / "changes.csv"
    write_atomic(path, changes_csv(changes))
    return path


def changes_table(changes: list[ScoreChange], previous_label: str) -> str:
    """A plain-text table for the terminal, and a line saying how much changed."""
    if not changes:
        return f"no score changes against {previous_label}"
    rows = [("student", "assignment", "problem", "before", "after", "change")]
    rows += [(c.student, c.assignment, c.problem, _shown(c.before), _shown(c.after), _delta(c))
             for c in changes]
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    lines = ["  ".join(cell.ljust(w) if i < 3 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths))).rstrip()
             for row in rows]
    students = len({c.student for c in changes})
    lines.append(f"{len(changes)} score(s) of {students} student(s) change against "
                 f"{previous_label}")
    return "\n".join(lines)
