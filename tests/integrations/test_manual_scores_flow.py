"""`course autograde` brings the people's scores back, from a CSV or nbgrader's gradebook.

The class's results.json files are made up (tests/builders.py) with the fingerprints of
the submitted folders, so the command reuses them and grades nothing: what is tested is
how the manual scores reach grades.csv, feedback.html, summary.html and the gradebook.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from autograder.batch.jobs import fingerprint, results_path
from autograder.cli import main
from autograder.integrations.gradebook import db_url
from tests.builders import ASSIGNMENT, synthetic_result
from tests.conftest import ROOT

PROBLEM = "explain_lecture_bug"
HEADER = "student,assignment,problem,points,comment\n"


@pytest.fixture
def graded_class(course, tmp_path) -> tuple[Path, Path]:
    """submitted/ with ada (answered) and bob (blank), and OUT as a finished run left it."""
    submitted, out = tmp_path / "submitted", tmp_path / "out"
    for student in ("ada", "bob"):
        folder = submitted / student / ASSIGNMENT
        shutil.copytree(ROOT / "examples" / "submitted" / student / ASSIGNMENT, folder)
        answers = {PROBLEM: "" if student == "bob" else "The step ignores the gradient."}
        result = {**synthetic_result(course, {}, answers=answers), "student": student,
                  "fingerprint": fingerprint(course, ASSIGNMENT, folder)}
        path = results_path(out, student, ASSIGNMENT)
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(result))
    return submitted, out


def _autograde(submitted: Path, out: Path, *options: str, course_dir: Path = ROOT) -> None:
    assert main(["--course", str(course_dir), "autograde", str(submitted), "--out", str(out),
                 *options]) == 0


def _grades(out: Path) -> dict[str, dict[str, str]]:
    with (out / "grades.csv").open(encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def _essay(out: Path, student: str) -> dict:
    data = json.loads(results_path(out, student, ASSIGNMENT).read_text())
    return next(p for nb in data["notebooks"] for p in nb["problems"] if p["problem"] == PROBLEM)


def test_scores_from_a_csv_reach_every_report_and_stay(graded_class, tmp_path, capsys):
    submitted, out = graded_class
    scores = tmp_path / "manual.csv"
    scores.write_text(HEADER + f'ada,{ASSIGNMENT},{PROBLEM},1.5,"Good; say <why>."\n')
    _autograde(submitted, out, "--manual-scores", str(scores))
    assert "graded 0 submission(s), reused 2" in capsys.readouterr().out
    grades = _grades(out)
    assert (grades["ada"][PROBLEM], grades["ada"]["total"]) == ("1.5", "27.5")
    assert (grades["bob"][PROBLEM], grades["bob"]["total"]) == ("0", "26")
    assert _essay(out, "ada")["graded_by"] == "instructor"
    feedback = (out / "ada" / ASSIGNMENT / "feedback.html").read_text()
    assert "Good; say &lt;why&gt;." in feedback and "Score: 27.5 / 28" in feedback
    summary = (out / "summary.html").read_text()
    assert "The step ignores the gradient." in summary and "1.5 / 2" in summary

    _autograde(submitted, out)  # no source given: the scores recorded stay
    assert _grades(out)["ada"][PROBLEM] == "1.5"
    scores.write_text(HEADER)  # the source is the authority: a score taken back is pending
    _autograde(submitted, out, "--manual-scores", str(scores))
    assert _grades(out)["ada"][PROBLEM] == "pending"
    assert "Comments from your instructor" not in \
        (out / "ada" / ASSIGNMENT / "feedback.html").read_text()


def test_a_bad_csv_stops_with_the_line_that_holds_the_mistake(graded_class, tmp_path, capsys):
    submitted, out = graded_class
    scores = tmp_path / "manual.csv"
    scores.write_text(HEADER + f"ada,{ASSIGNMENT},{PROBLEM},5,\n")
    assert main(["--course", str(ROOT), "autograde", str(submitted), "--out", str(out),
                 "--manual-scores", str(scores)]) == 2
    assert "line 2: 5 points is outside 0..2" in capsys.readouterr().err
    assert _essay(out, "ada")["points"] is None  # nothing was rewritten


def test_a_score_entered_in_the_gradebook_comes_back_and_is_not_flagged_again(
        graded_class, gradebook, course_copy, capsys):
    """The gradebook and the submissions outside the course directory: the formgrader is
    the course directory's, told where they are."""
    from nbgrader.api import Gradebook

    submitted, out = graded_class
    root = course_copy.resolve()
    _autograde(submitted, out, "--gradebook", str(gradebook), course_dir=course_copy)
    printed = capsys.readouterr().out
    assert f"cd {root} && jupyter server --ServerApp.default_url=/formgrader" in printed
    assert f"--CourseDirectory.db_url=sqlite:///{gradebook}" in printed
    assert "--CourseDirectory.submitted_directory=../submitted" in printed
    assert (root / "autograded" / "ada" / ASSIGNMENT / "02-seven-steps.ipynb").is_file()
    assert _grades(out)["ada"][PROBLEM] == "pending"
    with Gradebook(db_url(str(gradebook))) as gb:  # what the formgrader does on "save"
        grade = gb.find_grade(PROBLEM, "02-seven-steps", ASSIGNMENT, "ada")
        assert grade.needs_manual_grade
        grade.manual_score, grade.needs_manual_grade = 2.0, False
        gb.find_comment(PROBLEM, "02-seven-steps", ASSIGNMENT, "ada").manual_comment = "Yes."
        gb.db.commit()
    _autograde(submitted, out, "--gradebook", str(gradebook), course_dir=course_copy)
    assert (_grades(out)["ada"][PROBLEM], _grades(out)["ada"]["total"]) == ("2", "28")
    assert _essay(out, "ada")["comment"] == "Yes."
    with Gradebook(db_url(str(gradebook))) as gb:
        grade = gb.find_grade(PROBLEM, "02-seven-steps", ASSIGNMENT, "ada")
        assert (grade.manual_score, grade.auto_score, grade.needs_manual_grade) == \
            (2.0, None, False)
        assert gb.find_submission(ASSIGNMENT, "ada").score == 28


def test_nbgrader_dir_without_a_gradebook_is_refused(graded_class, tmp_path, capsys):
    submitted, out = graded_class
    assert main(["--course", str(ROOT), "autograde", str(submitted), "--out", str(out),
                 "--nbgrader-dir", str(tmp_path / "nb")]) == 2
    assert "it needs --gradebook" in capsys.readouterr().err
    assert not (tmp_path / "nb").exists()


def test_an_nbgrader_dir_the_formgrader_cannot_serve_is_refused_before_grading(
        graded_class, gradebook, course_copy, tmp_path, capsys):
    submitted, out = graded_class
    before = (out / "ada" / ASSIGNMENT / "results.json").read_bytes()
    assert main(["--course", str(course_copy), "autograde", str(submitted), "--out",
                 str(out), "--gradebook", str(gradebook), "--nbgrader-dir",
                 str(tmp_path / "nb")]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "is not an nbgrader course directory (no source/gradient-descent/)" in line
    assert "leave --nbgrader-dir out to use the course directory" in line
    assert not (tmp_path / "nb").exists() and not (out / "grades.csv").exists()
    assert (out / "ada" / ASSIGNMENT / "results.json").read_bytes() == before
