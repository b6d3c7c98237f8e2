"""`course autograde --gradebook`: scores land in nbgrader's gradebook as nbgrader's own."""

from __future__ import annotations

import csv
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.integrations.gradebook import db_url, write_gradebook
from autograder.results import SubmissionResult
from tests.builders import ASSIGNMENT, synthetic_result
from tests.conftest import ROOT, copy_course, run_course

BIN = Path(sys.executable).parent


def test_scores_go_to_nbgraders_grade_cells(course, gradebook):
    from nbgrader.api import Gradebook

    url = db_url(str(gradebook))
    results = [SubmissionResult.from_dict({**synthetic_result(course, {}), "student": "ada"}),
               SubmissionResult.from_dict({**synthetic_result(course, {"mse": 0.25, "train": 0.0}),
                                           "student": "bob"}),
               SubmissionResult.from_dict({**synthetic_result(
                   course, {}, answers={"explain_lecture_bug": ""}), "student": "cy"})]
    write_gradebook(course, results, url)
    with Gradebook(url) as gb:
        mse = gb.find_grade("test_mse", "02-seven-steps", ASSIGNMENT, "bob")
        assert (mse.auto_score, mse.max_score, mse.needs_manual_grade) == (0.25, 1.0, False)
        essay = gb.find_grade("explain_lecture_bug", "02-seven-steps", ASSIGNMENT, "bob")
        assert essay.auto_score is None and essay.needs_manual_grade
        assert essay.max_score == course.assignment(ASSIGNMENT).problems[
            "explain_lecture_bug"].points
        assert gb.find_submission(ASSIGNMENT, "ada").score == 26
        assert gb.find_submission(ASSIGNMENT, "bob").score == 26 - 0.75 - 1
        essay.manual_score = 1.5  # a person grades the essay in the formgrader
        gb.db.commit()
        essay.needs_manual_grade = False  # as the formgrader saves it
        gb.db.commit()
    # A rerun keeps the person's score, adds nothing, and does not ask for it again.
    write_gradebook(course, results, url)
    with Gradebook(url) as gb:
        assert len(gb.students) == 3 and len(gb.assignments) == 1
        essay = gb.find_grade("explain_lecture_bug", "02-seven-steps", ASSIGNMENT, "bob")
        assert essay.manual_score == 1.5 and not essay.needs_manual_grade
        assert gb.find_submission(ASSIGNMENT, "bob").score == 26 - 0.75 - 1 + 1.5
        # An answer never given scores 0 with nbgrader's comment, and needs nobody.
        blank = gb.find_grade("explain_lecture_bug", "02-seven-steps", ASSIGNMENT, "cy")
        assert (blank.auto_score, blank.needs_manual_grade) == (0, False)
        assert gb.find_comment("explain_lecture_bug", "02-seven-steps", ASSIGNMENT, "cy"
                               ).auto_comment == "No response."
        assert gb.find_submission(ASSIGNMENT, "cy").needs_manual_grade is False


def test_a_plain_file_path_becomes_a_sqlite_url(tmp_path):
    assert db_url("sqlite:///x/y.db") == "sqlite:///x/y.db"
    assert db_url(str(tmp_path / "g.db")) == f"sqlite:///{tmp_path / 'g.db'}"


def _nbgrader_export(folder: Path, url: str) -> dict[str, dict[str, str]]:
    (folder / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.db_url = {url!r}\n", encoding="utf-8")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["nbgrader", "export", "--to", "export.csv"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    with (folder / "export.csv").open(encoding="utf-8") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


@pytest.mark.slow
def test_nbgrader_export_shows_the_autograded_totals(tmp_path):
    course_dir = copy_course(tmp_path / "course")  # autograded/ goes into it
    submitted = tmp_path / "submitted"
    for student in ("ada", "bob"):
        shutil.copytree(ROOT / "examples" / "submitted" / student, submitted / student)
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    for _ in range(2):  # the second run reuses the grading and rewrites the same gradebook
        done = run_course("--course", str(course_dir), "autograde", str(submitted), "--out",
                          str(tmp_path / "out"), "--workers", "2", "--gradebook", url)
        assert done.returncode == 0, done.stderr[-3000:]
    with (tmp_path / "out" / "grades.csv").open(encoding="utf-8") as f:
        grades = {row["student"]: row for row in csv.DictReader(f)}
    exported = _nbgrader_export(tmp_path, url)
    assert set(exported) == set(grades) == {"ada", "bob"}
    # explain_lecture_bug: nbgrader counts it in max_score; for us it is pending for ada,
    # and 0 of 2 for bob, who left the stub
    pending = {"ada": 2.0, "bob": 0.0}
    for student, row in grades.items():
        assert math.isclose(float(exported[student]["score"]), float(row["total"]), abs_tol=1e-6)
        assert exported[student]["assignment"] == ASSIGNMENT
        assert float(exported[student]["max_score"]) == float(row["possible"]) + pending[student]
    assert float(exported["ada"]["score"]) == 26 and float(exported["bob"]["score"]) == 0
