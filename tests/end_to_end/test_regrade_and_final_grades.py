"""The weeks after a deadline on the example class: final grades with late work, a manual
score from the gradebook and the Canvas file; regrading chosen students; previewing what a
grader change does to the scores."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from tests.builders import ASSIGNMENT
from tests.conftest import ROOT, copy_course, run_course

pytestmark = pytest.mark.slow

EXAMPLES = ROOT / "examples" / "submitted"
BUG = "explain_lecture_bug"
# Due 2025-03-14 23:59 in Central Europe; carol has two more days.
STAMPS = {"ada": "2025-03-14 22:30:00.000000 UTC",  # on time
          "bob": "2025-03-16 09:00:00.000000 UTC",  # 34 h late: 2 started days
          "carol": "2025-03-16 09:00:00.000000 UTC",  # as late, within her extension
          "erin": "2025-03-14 23:05:00.000000 UTC",  # 6 minutes late: within the grace
          "frank": "2025-03-15 00:30:00.000000 UTC"}  # 1.5 h late: 1 started day
# dan has no timestamp.txt: needs review; gwen is in the roster, submitted nothing


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    root = tmp_path_factory.mktemp("season")
    course_dir = copy_course(root / "course")
    data = yaml.safe_load((ROOT / "course.yml").read_text())
    data["late"] = {"per": "day", "deduct": "10%", "cap": "30%", "grace_minutes": 10}
    data["assignments"][0].update(due="2025-03-14T23:59:00+01:00",
                                  extensions={"carol": {"extra_days": 2}})
    (course_dir / "course.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    submitted = root / "submitted"
    shutil.copytree(EXAMPLES, submitted)
    for student, stamp in STAMPS.items():
        (submitted / student / ASSIGNMENT / "timestamp.txt").write_text(stamp)
    first = run_course("--course", str(course_dir), "autograde", str(submitted), "--out",
                       str(root / "first"), "--workers", "2", "--seed", "1")
    assert first.returncode == 0, first.stderr[-3000:]
    return root, course_dir, submitted


def test_results_record_the_submission_folder(season):
    root, _, submitted = season
    data = json.loads((root / "first" / "ada" / ASSIGNMENT / "results.json").read_text())
    assert data["submitted"] == str(submitted / "ada" / ASSIGNMENT)


def test_late_students_see_it_on_their_pages_and_the_instructor_on_the_summary(season):
    root, _, _ = season
    out = root / "first"
    bob = " ".join((out / "bob" / ASSIGNMENT / "feedback.html").read_text().split())
    assert "<th>submitted</th><td>2025-03-16 10:00:00+01:00</td>" in bob
    assert "34 hours (2 started days)" in bob
    assert "5.6 points (10% of the points per started day, at most 30%)" in bob
    dan = (out / "dan" / ASSIGNMENT / "feedback.html").read_text()
    assert "no record of when your work was submitted was found" in dan
    summary = " ".join((out / "summary.html").read_text().split())
    words = " ".join(re.sub(r"<[^>]+>", " ", summary).split())
    assert "1 submission(s) on time, not listed; 1 need(s) review" in words  # ada
    for student, words in [("bob", "late"), ("frank", "late"), ("dan", "needs review"),
                           ("carol", "extension of 2 day(s)"),
                           ("erin", "within the grace period")]:
        assert re.search(f"<td>{student}</td>.*?{re.escape(words)}", summary), student


def test_final_grades_with_late_work_a_gradebook_score_and_canvas(season):
    from nbgrader.api import Gradebook

    from autograder.config import load_course
    from autograder.grades.graded import read_graded
    from autograder.integrations.gradebook import write_gradebook

    root, course_dir, _ = season
    course = load_course(course_dir)
    url = f"sqlite:///{root / 'gradebook.db'}"
    write_gradebook(course, read_graded(course, root / "first").results, url)
    with Gradebook(url) as gb:  # what a grader does in the formgrader
        for student in ("ada", "bob", "carol", "erin", "frank"):
            gb.find_grade(BUG, "02-seven-steps", ASSIGNMENT, student).manual_score = 2
        gb.db.commit()
    roster = root / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section,student\n"
                      + "".join(f"{s.title()},{100 + i},S{i},{s}1,A,{s}\n" for i, s in
                                enumerate(["ada", "bob", "carol", "dan", "erin", "gwen"])))
    done = run_course("--course", str(course_dir), "grades", str(root / "first"),
                      "--gradebook", url, "--roster", str(roster), "--canvas")
    assert done.returncode == 0, done.stderr
    graded = _rows(root / "first" / "grades.csv")
    final = _rows(root / "first" / "final.csv")
    for student in ("ada", "carol", "erin"):  # on time, extended, within the grace
        assert final[student]["late_penalty"] == "0"
        total = float(graded[student]["total"]) + 2
        assert float(final[student]["total"]) == pytest.approx(total, abs=0.011), student
    assert final["bob"]["late_penalty"] == "5.6" and final["bob"]["total"] == "0"  # 0 - 5.6
    frank = float(graded["frank"]["total"]) + 2 - 2.8
    assert float(final["frank"]["total"]) == pytest.approx(frank, abs=0.011)
    # dan: no timestamp.txt, so when he submitted needs review (and his answer a score)
    assert (final["dan"]["status"], final["dan"]["total"]) == ("needs review", "")
    assert "no manual score yet for explain_lecture_bug" in final["dan"]["notes"]
    assert f"dan/{ASSIGNMENT}: submission time needs review: no timestamp.txt" in done.stderr
    assert (final["gwen"]["status"], final["gwen"]["total"]) == ("not submitted", "0")
    canvas = list(csv.reader((root / "first" / "canvas.csv").read_text().splitlines()))
    assert canvas[1][-1] == "28"  # points possible
    cells = {row[3]: row[-1] for row in canvas[2:]}
    assert cells["dan1"] == "" and cells["gwen1"] == "0" and cells["ada1"] == final["ada"]["total"]
    report = (root / "first" / "roster-report.txt").read_text()
    assert "frank: graded (gradient-descent) but not in the roster" in report
    assert f"gwen/{ASSIGNMENT}: in the roster without a submission" in report
    assert f"dan/{ASSIGNMENT}: submission time needs review (see final.csv): blank" in report


def test_student_reuses_what_is_finished_and_force_regrades_only_them(season):
    root, course_dir, submitted = season
    out = root / "first"
    ada = (out / "ada" / ASSIGNMENT / "results.json").read_bytes()
    again = run_course("--course", str(course_dir), "autograde", str(submitted), "--out",
                       str(out), "--student", "bob")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "graded 0 submission(s), reused 1" in again.stdout
    forced = run_course("--course", str(course_dir), "autograde", str(submitted), "--out",
                        str(out), "--student", "bob", "--force", "--seed", "1")
    assert forced.returncode == 0, forced.stderr[-3000:]
    assert "graded 1 submission(s), reused 0" in forced.stdout
    assert (out / "ada" / ASSIGNMENT / "results.json").read_bytes() == ada  # untouched
    assert set(_rows(out / "grades.csv")) == set(STAMPS) | {"dan"}  # the class stays whole


def test_force_alone_regrades_everyone(season, tmp_path):
    root, course_dir, _ = season
    one = tmp_path / "submitted"
    shutil.copytree(EXAMPLES / "bob", one / "bob")
    shutil.copytree(EXAMPLES / "frank", one / "frank")
    out = tmp_path / "out"
    runs = [run_course("--course", str(course_dir), "autograde", str(one), "--out", str(out),
                       *extra) for extra in ([], [], ["--force"])]
    assert [r.returncode for r in runs] == [0, 0, 0], runs[-1].stderr[-3000:]
    assert "graded 2 submission(s), reused 0" in runs[0].stdout
    assert "graded 0 submission(s), reused 2" in runs[1].stdout
    assert "graded 2 submission(s), reused 0" in runs[2].stdout


def test_compare_lists_exactly_the_scores_a_grader_change_moves(season):
    root, course_dir, submitted = season
    grader = course_dir / "autograder" / "graders" / ASSIGNMENT / "test_02_seven_steps.py"
    text = grader.read_text()
    stricter = "def test_mse_is_0dim(student, rng):\n"
    assert stricter in text
    grader.write_text(text.replace(stricter, stricter
                                   + '    raise AssertionError("a stricter grader")\n'))
    published = (root / "first" / "grades.csv").read_bytes()
    done = run_course("--course", str(course_dir), "autograde", str(submitted), "--out",
                      str(root / "second"), "--workers", "2", "--compare", str(root / "first"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "grading with the seed of" in done.stdout  # the previous run's: 1
    assert (root / "first" / "grades.csv").read_bytes() == published  # nothing published

    def passed_0dim(student):
        data = json.loads((root / "first" / student / ASSIGNMENT / "results.json").read_text())
        return any(t["name"] == "test_mse_is_0dim" and t["passed"]
                   for nb in data["notebooks"] for t in nb["tests"])

    before, after = _rows(root / "first" / "grades.csv"), _rows(root / "second" / "grades.csv")
    with (root / "second" / "changes.csv").open() as f:
        changes = list(csv.DictReader(f))
    # A contract check: it costs points only where mse's core checks pass (else mse is 0).
    expected = sorted(s for s in before if passed_0dim(s) and float(before[s]["mse"]) > 0)
    assert expected  # the example class has students whose mse passed it
    assert [(c["student"], c["problem"]) for c in changes] == [(s, "mse") for s in expected]
    for c in changes:
        assert (c["before"], c["after"]) == (before[c["student"]]["mse"],
                                             after[c["student"]]["mse"])
        assert float(c["change"]) < 0
    for student in before:  # and nothing else moved
        if student not in expected:
            assert before[student] == after[student]
    assert f"{len(changes)} score(s) of {len(expected)} student(s) change" in done.stdout
