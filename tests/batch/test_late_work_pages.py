"""Late work where students and instructors look: the feedback page and the summary show
when each submission came in, how late and what it cost, from the same decision as
final.csv (lateness/late_work.py); a time that cannot be known says "needs review".
On the tiny course and the scripted fake sandbox."""

from __future__ import annotations

import csv
import re

import yaml

from autograder.config import load_course
from autograder.grades.write import write_grades
from tests.batch.test_grade_class import grade
from tests.tiny_course import ASSIGNMENT, write_course, write_submission

STAMPS = {
    "ada": "2025-03-14 21:00:00.000000 UTC",  # 22:00 in CET: on time
    "dan": "2025-03-15 02:11:00.000000 UTC",  # 03:11 CET: 3.2 h late, 4 started hours
    "erin": "2025-03-15 02:11:00",  # no zone: needs review
    "frank": "soon after the deadline",  # garbage: needs review
}


def _course(root, **extra):
    """The tiny course, due 2025-03-14 23:59 CET, 10% per started hour late; EXTRA for
    the assignment in course.yml (written again when the course exists)."""
    if not (root / "course.yml").exists():
        write_course(root)
    data = yaml.safe_load((root / "course.yml").read_text())
    data["late"] = {"per": "hour", "deduct": "10%"}
    data["assignments"][0].update(due="2025-03-14T23:59:00+01:00", **extra)
    (root / "course.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    return load_course(root)


def _class(tmp_path):
    submitted = tmp_path / "submitted"
    for student, stamp in STAMPS.items():
        write_submission(submitted, student)
        (submitted / student / ASSIGNMENT / "timestamp.txt").write_text(stamp + "\n")
    return submitted


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_late_student_sees_time_hours_late_and_penalty_and_unknown_times_need_review(
        tmp_path):
    course, submitted, out = _course(tmp_path / "course"), _class(tmp_path), tmp_path / "out"
    grade(course, submitted, out)
    dan = _text((out / "dan" / ASSIGNMENT / "feedback.html").read_text())
    assert "When your work came in" in dan
    assert "submitted 2025-03-15 03:11:00+01:00" in dan
    assert "due 2025-03-14 23:59:00+01:00" in dan
    assert "late by 3.2 hours (4 started hours)" in dan
    assert "late penalty 1.2 points (10% of the points per started hour)" in dan
    assert "Assignment score after the late penalty: 1.8 / 3" in dan
    ada = _text((out / "ada" / ASSIGNMENT / "feedback.html").read_text())
    assert "submitted 2025-03-14 22:00:00+01:00" in ada and "late by on time" in ada
    assert "penalty" not in ada

    # The instructor's page: dan late, erin and frank to review, ada on time.
    summary = _text((out / "summary.html").read_text())
    assert "Late work 1 submission(s) on time, not listed; 2 need(s) review" in summary
    assert "dan 2025-03-15 03:11:00+01:00 2025-03-14 23:59:00+01:00 3.2 1.2 late" in summary
    assert re.search(r"erin needs review .* has no time zone; correct it", summary)
    assert "frank needs review" in summary and "is not a time like" in summary

    # final.csv says the same: the one decision behind every report.
    write_grades(course, out)
    with (out / "final.csv").open(newline="") as f:
        final = {row["student"]: row for row in csv.DictReader(f)}
    assert final["dan"]["late_penalty"] == "1.2" and final["dan"]["total"] == "1.8"
    assert final["dan"]["hours_late"] == "3.2"
    assert final["erin"]["status"] == final["frank"]["status"] == "needs review"

    # A time that cannot be known: the students are told so, without a path or a file name.
    for student, why in [("erin", "has no time zone"), ("frank", "could not be read")]:
        page = (out / student / ASSIGNMENT / "feedback.html").read_text()
        words = _text(page)
        assert f"submitted not known: the record of when your work was submitted {why}" \
            in words
        assert "Your instructor will check when your work came in" in words
        assert str(tmp_path) not in page and "timestamp.txt" not in page
        assert "after the late penalty" not in words


def test_changed_late_work_in_course_yml_rewrites_pages_without_regrading(tmp_path):
    root = tmp_path / "course"
    course, submitted, out = _course(root), _class(tmp_path), tmp_path / "out"
    grade(course, submitted, out)
    # dan gets an extension, erin's time is resolved by the instructor, frank's policy too.
    course = _course(root, extensions={"dan": {"extra_hours": 4}},
                     submitted_at={"erin": "2025-03-14T23:00:00+01:00"})
    batch, _ = grade(course, submitted, out)
    assert batch.graded == 0 and batch.reused == 4  # late work never regrades
    dan = _text((out / "dan" / ASSIGNMENT / "feedback.html").read_text())
    assert "due 2025-03-15 03:59:00+01:00 (extension of 4 h)" in dan
    assert "late by on time" in dan and "penalty" not in dan
    erin = _text((out / "erin" / ASSIGNMENT / "feedback.html").read_text())
    assert "submitted 2025-03-14 23:00:00+01:00" in erin and "not known" not in erin
    # Without a due time any more, the pages say nothing about it.
    data = yaml.safe_load((root / "course.yml").read_text())
    for key in ("due", "extensions", "submitted_at"):
        data["assignments"][0].pop(key)
    data.pop("late")
    (root / "course.yml").write_text(yaml.safe_dump(data, sort_keys=False))
    grade(load_course(root), submitted, out)
    assert 'id="late-work"' not in (out / "dan" / ASSIGNMENT / "feedback.html").read_text()
    assert "Late work" not in (out / "summary.html").read_text()
