"""A regrade preview and its publication agree, manual scores included.

The `course` command in this process, grading on the scripted fake sandbox (patched in
where the command calls the batch): the first run takes carol's manual score from a CSV;
a grader edit regrades the class; the preview (`--compare FIRST`, no --manual-scores)
must not report that score as a change, and publishing in place must give the previewed
scores, graded with the same seed.
"""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from autograder.cli import main
from tests.builders import ASSIGNMENT
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # four gradings of two students on the fake sandbox (~10 s)
PROBLEM = "explain_lecture_bug"


def _rows(path):
    with path.open() as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def _seeds(out):
    return {json.loads(p.read_text())["seed"] for p in out.glob("*/*/results.json")}


def test_preview_then_publish_with_manual_scores(fake_autograde, course_copy, tmp_path, capsys):
    submitted = tmp_path / "submitted"
    for student in ("ada", "carol"):
        shutil.copytree(ROOT / "examples" / "submitted" / student, submitted / student)
    scores = tmp_path / "manual.csv"
    scores.write_text("student,assignment,problem,points,comment\n"
                      f"carol,{ASSIGNMENT},{PROBLEM},1,Right about the fraction.\n"
                      f"ada,{ASSIGNMENT},{PROBLEM},2,Good.\n")
    first, preview = tmp_path / "first", tmp_path / "preview"

    def course(*args: str) -> str:
        assert main(["--course", str(course_copy), "autograde", str(submitted), *args]) == 0
        return capsys.readouterr().out

    course("--out", str(first), "--manual-scores", str(scores))
    assert _rows(first / "grades.csv")["carol"][PROBLEM] == "1"
    [seed] = _seeds(first)
    grader = course_copy / "autograder" / "graders" / ASSIGNMENT / "test_02_seven_steps.py"
    grader.write_text(grader.read_text() + "\n# a grader edit: every submission is regraded\n")

    shown = course("--out", str(preview), "--compare", str(first))
    assert f"grading with the seed of {first} ({seed})" in shown
    assert f"no score changes against {first}" in shown  # the manual scores carried over
    assert _rows(preview / "grades.csv")["carol"][PROBLEM] == "1"
    assert (preview / "changes.csv").read_text().count("\n") == 1  # its header alone
    assert _seeds(preview) == {seed}

    published = course("--out", str(first))  # publish: regrade in place
    assert "graded 2 submission(s)" in published
    assert f"regrading with the seed of the results in {first} ({seed})" in published
    assert _seeds(first) == {seed}
    assert (first / "grades.csv").read_text() == (preview / "grades.csv").read_text()
