"""A written answer resubmitted after it was scored goes back to pending.

carol's answer was scored 1/2 in the formgrader; her resubmission replaces it with "I
don't know, sorry.". The old score must not stay on the new answer: not in results.json,
grades.csv, feedback.html, the gradebook nor final.csv. It is kept as history, and the
gradebook's grade is cleared and flagged for the formgrader.

The course's own notebooks and graders on the scripted fake sandbox (sandbox/fake.py):
what matters here is the manually graded problem, explain_lecture_bug.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder.batch.grade_class import autograde
from autograder.batch.jobs import results_path
from autograder.grades.write import write_grades
from autograder.integrations.gradebook import db_url
from autograder.integrations.manual_scores import read_manual_scores
from autograder.pipeline.answer_changes import answer_digest
from autograder.results import ManualScore
from autograder.sandbox.fake import FakeSandbox
from tests.builders import ASSIGNMENT
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # grades on the fake sandbox, several runs each (~10 s)

PROBLEM = "explain_lecture_bug"
NOTEBOOK = "02-seven-steps.ipynb"
COMMENT = "Right about the fraction; say why the step ignores the gradient."
NEW_ANSWER = "I don't know, sorry."


@pytest.fixture
def submitted(tmp_path) -> Path:
    folder = tmp_path / "submitted"
    shutil.copytree(ROOT / "examples" / "submitted" / "ada", folder / "carol")
    return folder


def _answer(submitted: Path, text: str) -> None:
    path = submitted / "carol" / ASSIGNMENT / NOTEBOOK
    notebook = nbformat.read(str(path), as_version=4)
    cell = next(c for c in notebook.cells
                if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == PROBLEM)
    cell.source = text
    nbformat.write(notebook, str(path))


def _grade(course, submitted: Path, out: Path, scores=None):
    pool = FakeSandbox().pool()
    try:
        return autograde(course, submitted, out, seed=3, progress=False, pool=pool,
                         manual_scores=scores)
    finally:
        pool.close()


def _essay(out: Path) -> dict:
    data = json.loads(results_path(out, "carol", ASSIGNMENT).read_text())
    return next(p for nb in data["notebooks"] for p in nb["problems"] if p["problem"] == PROBLEM)


def _grades_csv(out: Path) -> dict[str, str]:
    with (out / "grades.csv").open() as f:
        return next(csv.DictReader(f))


def _set_score(url: str, points: float, comment: str) -> None:
    """What the grader does in the formgrader."""
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        gb.find_grade(PROBLEM, "02-seven-steps", ASSIGNMENT, "carol").manual_score = points
        gb.find_comment(PROBLEM, "02-seven-steps", ASSIGNMENT, "carol").manual_comment = comment
        gb.db.commit()


def test_a_resubmitted_answer_scored_in_the_gradebook(fake_autograde, course, submitted,
                                                      tmp_path, gradebook, capsys,
                                                      course_copy):
    from nbgrader.api import Gradebook

    from autograder.cli import main

    out, url = tmp_path / "out", db_url(str(gradebook))

    def course_autograde() -> str:
        assert main(["--course", str(course_copy), "autograde", str(submitted), "--out", str(out),
                     "--gradebook", url]) == 0
        return capsys.readouterr().out

    course_autograde()
    _set_score(url, 1, COMMENT)
    shown = course_autograde()
    assert "graded 0 submission(s), reused 1" in shown and "changed since" not in shown
    first_answer = _essay(out)["answer"]
    assert (_essay(out)["points"], _essay(out)["scored_answer"]) == (1, answer_digest(first_answer))

    _answer(submitted, NEW_ANSWER)  # the resubmission, collected into SUBMITTED
    shown = course_autograde()
    assert "graded 1 submission(s)" in shown
    assert (f"1 written answer(s) changed since they were scored; their old scores are kept "
            f"as history, not as grades: score them again\ncarol/{ASSIGNMENT}/{PROBLEM}: the "
            "answer changed after it was scored (1/2 kept as history in results.json); pending "
            f"until scored again (answer_digest {answer_digest(NEW_ANSWER)})") in shown
    essay = _essay(out)
    assert (essay["answer"], essay["points"], essay["comment"], essay["graded_by"]) == \
        (NEW_ANSWER, None, "", "")
    assert essay["history"] == [{"points": 1, "comment": COMMENT,
                                 "answer_digest": answer_digest(first_answer),
                                 "why": "the answer changed after it was scored"}]
    assert _grades_csv(out)[PROBLEM] == "pending"
    assert "Right about the fraction" not in \
        (out / "carol" / ASSIGNMENT / "feedback.html").read_text()
    summary = (out / "summary.html").read_text()
    assert "Resubmitted: an earlier answer was scored 1 / 2" in summary
    with Gradebook(url) as gb:  # cleared and flagged for the formgrader
        grade = gb.find_grade(PROBLEM, "02-seven-steps", ASSIGNMENT, "carol")
        assert (grade.manual_score, grade.needs_manual_grade) == (None, True)
        comment = gb.find_comment(PROBLEM, "02-seven-steps", ASSIGNMENT, "carol")
        assert comment.manual_comment is None
        assert comment.auto_comment == ("The answer changed after it was scored 1/2: score "
                                        "the new answer. [course-kit answer "
                                        f"{answer_digest(NEW_ANSWER)}]")
    # nbgrader's autograded/ goes into the course directory, which the formgrader serves
    autograded = (course_copy / "autograded" / "carol" / ASSIGNMENT / NOTEBOOK).read_text()
    assert "sorry." in autograded  # the formgrader shows the new answer
    final = write_grades(course, out, manual_scores=url)
    assert str(final.grades[0].status) == "pending"

    shown = course_autograde()  # a rerun: still pending, still listed
    assert "graded 0 submission(s), reused 1" in shown and "changed since" in shown
    assert (_essay(out)["points"], len(_essay(out)["history"])) == (None, 1)

    _set_score(url, 1, COMMENT)  # the grader reads the new answer and gives it the same 1
    shown = course_autograde()
    assert "changed since" not in shown
    essay = _essay(out)
    assert (essay["points"], essay["scored_answer"]) == (1, answer_digest(NEW_ANSWER))
    assert _grades_csv(out)[PROBLEM] == "1"


def test_a_csv_score_for_a_changed_answer_no_longer_applies(course, submitted, tmp_path):
    out, scores = tmp_path / "out", tmp_path / "manual.csv"
    header = "student,assignment,problem,points,comment,answer_digest\n"
    scores.write_text(header + f"carol,{ASSIGNMENT},{PROBLEM},1,{COMMENT!r},\n")

    def from_csv() -> dict:
        return read_manual_scores(course, scores)

    _grade(course, submitted, out, from_csv)
    assert _essay(out)["points"] == 1
    _answer(submitted, NEW_ANSWER)
    for _ in range(2):  # the CSV still holds the old score: it stays out, run after run
        _grade(course, submitted, out, from_csv)
        assert (_essay(out)["points"], len(_essay(out)["history"])) == (None, 1)
    final = write_grades(course, out, manual_scores=scores)
    assert final.grades[0].manual is None and str(final.grades[0].status) == "pending"

    wrong = f"carol,{ASSIGNMENT},{PROBLEM},1,{COMMENT!r},{answer_digest('another')}\n"
    scores.write_text(header + wrong)
    _grade(course, submitted, out, from_csv)
    assert _essay(out)["points"] is None
    confirmed = f"carol,{ASSIGNMENT},{PROBLEM},1,{COMMENT!r},{answer_digest(NEW_ANSWER)}\n"
    scores.write_text(header + confirmed)  # the instructor confirms it for the new answer
    _grade(course, submitted, out, from_csv)
    assert _essay(out)["points"] == 1
    assert write_grades(course, out, manual_scores=scores).grades[0].manual == 1


def test_without_a_source_the_scores_stay_with_their_answer(course, submitted, tmp_path):
    out = tmp_path / "out"
    _grade(course, submitted, out, {("carol", ASSIGNMENT, PROBLEM): ManualScore(1.5, "ok")})
    _grade(course, submitted, out, None)  # nothing to reread: the score stays
    assert _essay(out)["points"] == 1.5
    _answer(submitted, NEW_ANSWER + " Really.")
    _grade(course, submitted, out, None)
    assert (_essay(out)["points"], _essay(out)["history"][0]["points"]) == (None, 1.5)
