"""The batch reads each written answer as it grades, and puts the people's scores on it.

The course's own notebooks and graders, on the scripted fake sandbox (sandbox/fake.py):
every function call returns None, so the autograded problems score 0; what matters here
is the manually graded one, explain_lecture_bug.
"""

from __future__ import annotations

import shutil

from autograder.batch.grade_class import autograde
from autograder.results import GRADED_BY_INSTRUCTOR, ManualScore
from autograder.sandbox.fake import FakeSandbox
from tests.builders import ASSIGNMENT
from tests.conftest import ROOT

PROBLEM = "explain_lecture_bug"


def test_answers_are_read_when_graded_and_scores_come_from_the_source_given(course, tmp_path):
    submitted, out = tmp_path / "submitted", tmp_path / "out"
    for student in ("ada", "bob"):  # ada answered, bob left the stub
        shutil.copytree(ROOT / "examples" / "submitted" / student, submitted / student)
    reads = []

    def read_scores() -> dict:
        reads.append(1)
        return {("ada", ASSIGNMENT, PROBLEM): ManualScore(1.5, "Close.")}

    pool = FakeSandbox().pool()
    try:
        batch = autograde(course, submitted, out, seed=3, progress=False, pool=pool,
                          manual_scores=read_scores)
    finally:
        pool.close()
    assert reads == [1] and batch.graded == 2
    essays = {r.student: next(p for p in r.problems if p.problem == PROBLEM)
              for r in batch.results}
    ada, bob = essays["ada"], essays["bob"]
    assert ada.manual and "The line never uses the gradient" in ada.answer
    assert (ada.points, ada.comment, ada.graded_by) == (1.5, "Close.", GRADED_BY_INSTRUCTOR)
    assert (bob.points, bob.answer, bob.graded_by) == (0.0, "", "")  # no answer: 0, by nobody
    saved = (out / "ada" / ASSIGNMENT / "results.json").read_text()
    assert '"graded_by": "instructor"' in saved and "Close." in saved


def test_each_submission_is_written_once_and_only_when_it_changed(course, tmp_path,
                                                                   monkeypatch):
    """Graded now with a person's score on it: one write. Reused: written again only when
    its manual scores changed. (The runners write nothing; grade_class writes.)"""
    import autograder.reports.submission as reports

    submitted, out = tmp_path / "submitted", tmp_path / "out"
    for student in ("ada", "bob"):
        shutil.copytree(ROOT / "examples" / "submitted" / student, submitted / student)
    written: list[str] = []
    real = reports.write_atomic

    def counted(path, text):
        if path.name == "results.json":
            written.append(path.parent.parent.name)
        real(path, text)

    monkeypatch.setattr(reports, "write_atomic", counted)

    def grade(points: float) -> None:
        pool = FakeSandbox().pool()
        try:
            autograde(course, submitted, out, seed=3, progress=False, pool=pool,
                      manual_scores={("ada", ASSIGNMENT, PROBLEM): ManualScore(points)})
        finally:
            pool.close()

    grade(1.5)
    assert sorted(written) == ["ada", "bob"]
    written.clear()
    grade(1.5)  # nothing changed: nothing written
    assert written == []
    grade(2.0)  # ada's score changed: her reports only, once
    assert written == ["ada"]
