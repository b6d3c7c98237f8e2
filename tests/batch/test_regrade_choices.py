"""What a rerun grades again: late work in course.yml never does, --student and --force do."""

from __future__ import annotations

import yaml

from autograder.batch.jobs import fingerprint
from autograder.config import load_course
from tests.builders import ASSIGNMENT
from tests.conftest import ROOT, run_course

SUBMISSION = ROOT / "examples" / "submitted" / "ada" / ASSIGNMENT


def _edit(course_copy, change):
    path = course_copy / "course.yml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return fingerprint(load_course(course_copy), ASSIGNMENT, SUBMISSION)


def test_due_times_late_policy_and_extensions_do_not_regrade(course_copy):
    first = fingerprint(load_course(course_copy), ASSIGNMENT, SUBMISSION)
    late = _edit(course_copy, lambda d: (
        d.update(late={"per": "day", "deduct": "10%"}),
        d["assignments"][0].update(due="2025-03-14T23:59:00+01:00",
                                   extensions={"carol": {"extra_days": 2}})))
    assert late == first
    points = _edit(course_copy, lambda d: d["assignments"][0]["notebooks"][0]["problems"]
                   ["gradient"].update(points=3))
    assert points != first  # what a submission earns changed: grade again


def test_an_unknown_student_is_refused_before_grading(course_copy, tmp_path):
    done = run_course("--course", str(course_copy), "autograde",
                      str(ROOT / "examples" / "submitted"), "--out", str(tmp_path / "out"),
                      "--student", "ada", "--student", "zed", "--unsafe-no-sandbox")
    assert done.returncode == 2
    assert "no submission of 'zed'" in done.stderr and "--student takes the folder names" \
        in done.stderr
    assert not (tmp_path / "out" / "ada").exists()
