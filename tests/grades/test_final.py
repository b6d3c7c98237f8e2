"""`course grades OUT` and final.csv: autograded + manual - late penalty, as instructors read it."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
import yaml

from autograder.config import Extension, LatePolicy
from autograder.grades.final import Status, final_csv, final_grades
from autograder.grades.graded import read_graded
from autograder.integrations.manual_scores import ManualScore
from tests.builders import ASSIGNMENT, write_result
from tests.conftest import run_course

CET = timezone(timedelta(hours=1))
DUE = datetime(2025, 3, 14, 23, 59, tzinfo=CET)
AFTER = datetime(2025, 6, 1, tzinfo=UTC)  # "now", long after the deadline
BUG = "explain_lecture_bug"  # the manually graded problem, 2 points of 28


def _late_course(course, **update):
    spec = course.assignment(ASSIGNMENT).model_copy(update={
        "due": DUE, "extensions": {"carol": Extension(extra_days=2)}, **update})
    rule = LatePolicy.model_validate({"per": "day", "deduct": "10%", "cap": "50%",
                                      "grace_minutes": 15})
    return course.model_copy(update={"assignments": [spec], "late": rule})


def _submitted(tmp_path, student, timestamp):
    folder = tmp_path / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    if timestamp is not None:
        (folder / "timestamp.txt").write_text(timestamp)
    return folder


def _rows(text):
    return {(r["student"]): r for r in csv.DictReader(text.splitlines())}


def _grades(course, out, manual=None, **kw):
    kw.setdefault("now", AFTER)
    return final_grades(course, read_graded(course, out), manual or {}, **kw)


def test_on_time_late_extended_and_unstamped_submissions(course, tmp_path):
    course = _late_course(course)
    out = tmp_path / "out"
    stamps = {"ada": "2025-03-14 22:50:00.000000 UTC",  # 23:50 in CET: on time
              "bob": "2025-03-15 23:10:00.000000 UTC",  # 24 h 11 min late: 2 started days
              "carol": "2025-03-16 12:00:00.000000 UTC",  # late, but within her extension
              "dan": "2025-03-14 23:10:00.000000 UTC",  # 11 minutes late: within the grace
              "erin": None}  # no timestamp.txt
    for student, stamp in stamps.items():
        write_result(out, course, student, {"mse": 0} if student == "bob" else {},
                     submitted=str(_submitted(tmp_path, student, stamp)))
    manual = {(s, ASSIGNMENT, BUG): ManualScore(1.0) for s in stamps}
    grades, warnings = _grades(course, out, manual)
    rows = _rows(final_csv(grades))
    assert rows["ada"]["total"] == "27" and rows["ada"]["late_penalty"] == "0"
    assert rows["ada"]["submitted_at"] == "2025-03-14T23:50:00+01:00"  # in the due's zone
    assert rows["bob"]["autograded"] == "25" and rows["bob"]["manual"] == "1"
    assert rows["bob"]["late_penalty"] == "5.6" and rows["bob"]["total"] == "20.4"
    assert rows["bob"]["hours_late"] == "24.18" and "2 started day(s)" in rows["bob"]["notes"]
    assert rows["carol"]["total"] == "27" and rows["carol"]["due"] == "2025-03-16T23:59:00+01:00"
    assert "extension of 2 day(s)" in rows["carol"]["notes"]
    assert rows["dan"]["total"] == "27" and "grace period" in rows["dan"]["notes"]
    # No timestamp.txt: the instructor must say when it came in, never a silent on time.
    assert rows["erin"]["status"] == "needs review" and rows["erin"]["total"] == ""
    assert rows["erin"]["late_penalty"] == "" and rows["erin"]["autograded"] == "26"
    assert warnings == [f"erin/{ASSIGNMENT}: submission time needs review: no timestamp.txt "
                        f"in {tmp_path / 'submitted' / 'erin' / ASSIGNMENT}; correct it, or "
                        "write the time in course.yml (assignments[].submitted_at), or set "
                        "timestamps.missing"]
    assert {r["status"] for s, r in rows.items() if s != "erin"} == {"final"}
    assert {r["possible"] for r in rows.values()} == {"28"}


def _stamped(course, tmp_path, stamp: str | None, **timestamps):
    """One student, dan, with STAMP as his timestamp.txt, under a course.yml whose
    `timestamps` policy is TIMESTAMPS."""
    course = _late_course(course)
    course = course.model_copy(update={"timestamps": course.timestamps.model_validate(
        timestamps)})
    out = tmp_path / "out"
    write_result(out, course, "dan", submitted=str(_submitted(tmp_path, "dan", stamp)))
    grades, warnings = _grades(course, out, {("dan", ASSIGNMENT, BUG): ManualScore(2)})
    return _rows(final_csv(grades))["dan"], warnings


@pytest.mark.parametrize("stamp, words", [
    ("2025-03-15 02:10:00", "2025-03-15 02:10:00 has no time zone"),
    ("2025-03-15T02:10:00", "2025-03-15 02:10:00 has no time zone"),
    ("next tuesday", "is not a time like 2025-03-14 22:01:05.123456 UTC"),
    ("2025-03-15 02:10:00.000000 CEST", "unknown time zone 'CEST'"),
    ("", "empty: no time"),
    (None, "no timestamp.txt"),
])
def test_a_garbage_missing_or_zoneless_timestamp_needs_review(course, tmp_path, stamp, words):
    row, warnings = _stamped(course, tmp_path, stamp)
    assert row["status"] == "needs review" and row["total"] == ""
    [warning] = [w for w in warnings if w.startswith("dan/")]
    assert warning.startswith(f"dan/{ASSIGNMENT}: submission time needs review: ")
    assert words in warning and "assignments[].submitted_at" in warning


def test_the_timestamp_policy_reads_a_zoneless_time_in_a_zone_or_counts_it_on_time(
        course, tmp_path):
    # 02:10 in Berlin (CET, +01:00) is 01:10 UTC: 2 h 11 min late, day 1: -10% of 28.
    row, warnings = _stamped(course, tmp_path / "a", "2025-03-15 02:10:00",
                             no_zone="Europe/Berlin")
    assert row["status"] == "final" and row["late_penalty"] == "2.8"
    assert not [w for w in warnings if w.startswith("dan/")]
    assert row["submitted_at"] == "2025-03-15T02:10:00+01:00"
    assert "read in Europe/Berlin (course.yml timestamps.no_zone)" in row["notes"]
    row, _ = _stamped(course, tmp_path / "b", "2025-03-15 02:10:00", no_zone="UTC")
    assert row["submitted_at"] == "2025-03-15T03:10:00+01:00"
    row, warnings = _stamped(course, tmp_path / "c", "garbage", unreadable="on_time")
    assert row["status"] == "final" and row["total"] == "28"
    assert not [w for w in warnings if w.startswith("dan/")]
    assert "counted as on time (course.yml timestamps.unreadable: on_time)" in row["notes"]


def test_the_instructor_resolves_a_review_with_submitted_at(course, tmp_path):
    course = _late_course(course)
    spec = course.assignment(ASSIGNMENT).model_copy(update={"submitted_at": {
        "dan": datetime(2025, 3, 15, 3, 11, tzinfo=CET)}})
    course = course.model_copy(update={"assignments": [spec]})
    out = tmp_path / "out"
    write_result(out, course, "dan", submitted=str(_submitted(tmp_path, "dan", "garbage")))
    grades, warnings = _grades(course, out, {("dan", ASSIGNMENT, BUG): ManualScore(2)})
    row = _rows(final_csv(grades))["dan"]
    assert row["status"] == "final" and row["hours_late"] == "3.2"
    assert not [w for w in warnings if w.startswith("dan/")]
    assert row["late_penalty"] == "2.8" and row["total"] == "25.2"
    assert "submission time from course.yml (submitted_at)" in row["notes"]


def test_a_missing_manual_score_leaves_the_total_pending(course, tmp_path):
    out = tmp_path / "out"
    write_result(out, course, "ada", {"mse": 0})
    grades, _ = _grades(course, out)
    row = _rows(final_csv(grades))["ada"]
    assert (row["autograded"], row["manual"], row["total"], row["status"]) == \
        ("25", "pending", "pending", "pending")
    assert f"no manual score yet for {BUG}" in row["notes"]
    grades, _ = _grades(course, out, {("ada", ASSIGNMENT, BUG): ManualScore(1.5, "ok")})
    row = _rows(final_csv(grades))["ada"]
    assert (row["manual"], row["total"], row["status"]) == ("1.5", "26.5", "final")


def test_a_manual_score_already_in_results_json_counts(course, tmp_path):
    out = tmp_path / "out"
    path = write_result(out, course, "ada")
    data = json.loads(path.read_text())  # as a flow of manual scores into results would
    next(p for nb in data["notebooks"] for p in nb["problems"] if p["problem"] == BUG)["points"] = 2
    path.write_text(json.dumps(data))
    grades, _ = _grades(course, out)
    assert grades[0].total == 28 and grades[0].status == Status.FINAL


def test_a_notebook_not_submitted_has_no_answer_to_wait_for(course, tmp_path):
    out = tmp_path / "out"
    path = write_result(out, course, "frank")
    data = json.loads(path.read_text())
    seven = next(nb for nb in data["notebooks"] if nb["notebook"] == "02-seven-steps.ipynb")
    seven.update(status="not_graded", reason="not submitted")
    for p in seven["problems"]:
        p["points"] = None if p["problem"] == BUG else 0
    path.write_text(json.dumps(data))
    grades, _ = _grades(course, out)
    row = _rows(final_csv(grades))["frank"]
    assert row["status"] == "final" and row["manual"] == "0" and row["total"] == "13"
    assert f"{BUG}: 0 of 2, 02-seven-steps.ipynb has no answer to grade (not submitted)" \
        in row["notes"]


def test_the_total_is_never_negative_and_the_cap_holds(course, tmp_path):
    course = _late_course(course, late=LatePolicy.model_validate(
        {"per": "hour", "deduct": 5, "cap": "100%"}))
    out = tmp_path / "out"
    folder = _submitted(tmp_path, "bob", "2025-03-20 10:00:00 UTC")
    write_result(out, course, "bob", {g: 0 for g in course.assignment(ASSIGNMENT).problems},
                 submitted=str(folder))
    grades, _ = _grades(course, out, {("bob", ASSIGNMENT, BUG): ManualScore(1)})
    assert grades[0].penalty == 28 and grades[0].total == 0


def test_known_students_without_a_submission_get_zero_once_due(course, tmp_path):
    course = _late_course(course, extensions={"gwen": Extension(extra_days=30)})
    out = tmp_path / "out"
    write_result(out, course, "ada")
    now = DUE + timedelta(days=3)
    grades, _ = _grades(course, out, now=now, roster=["ada", "erin", "gwen"])
    rows = _rows(final_csv(grades))
    assert (rows["erin"]["status"], rows["erin"]["total"]) == ("not submitted", "0")
    assert (rows["gwen"]["status"], rows["gwen"]["total"]) == ("not due yet", "")
    assert "extension of 30 day(s)" in rows["gwen"]["notes"]


def test_a_collected_but_ungraded_submission_is_an_error_not_a_zero(course, tmp_path):
    out = tmp_path / "out"
    write_result(out, course, "ada")
    _submitted(tmp_path, "erin", None)
    grades, _ = _grades(course, out, roster=["erin"], submitted=tmp_path / "submitted")
    erin = next(g for g in grades if g.student == "erin")
    assert erin.status == Status.ERROR and erin.total is None
    assert "exists but was not graded: run course autograde" in erin.notes[0]


def test_unreadable_results_and_kit_errors_are_rows_not_gaps(course, tmp_path):
    out = tmp_path / "out"
    write_result(out, course, "ada").write_text("{not json")
    path = write_result(out, course, "bob", {"mse": 0})
    data = json.loads(path.read_text())
    data["notebooks"][0].update(status="error", reason="internal error while grading: boom")
    path.write_text(json.dumps(data))
    grades, _ = _grades(course, out, {("bob", ASSIGNMENT, BUG): ManualScore(2)})
    rows = _rows(final_csv(grades))
    assert rows["ada"]["status"] == "error" and "grade it again" in rows["ada"]["notes"]
    assert rows["bob"]["status"] == "error" and rows["bob"]["total"] == ""
    assert "the kit failed on 01-gradients.ipynb" in rows["bob"]["notes"]


def test_typos_in_extensions_or_manual_scores_are_warned(course, tmp_path):
    course = _late_course(course, extensions={"dann": Extension(extra_days=1)})
    out = tmp_path / "out"
    write_result(out, course, "dan", submitted=str(_submitted(tmp_path, "dan", "2025-03-14 "
                                                              "12:00:00 UTC")))
    _, warnings = _grades(course, out, {("zed", ASSIGNMENT, BUG): ManualScore(1)})
    assert any("extension for 'dann'" in w for w in warnings)
    assert any("manual score for zed/gradient-descent" in w and "not used" in w
               for w in warnings)


def test_an_unknown_submission_folder_needs_review(course, tmp_path):
    course = _late_course(course)
    out = tmp_path / "out"
    write_result(out, course, "ada")  # graded by an older kit: no folder recorded
    grades, warnings = _grades(course, out, {("ada", ASSIGNMENT, BUG): ManualScore(2)})
    assert grades[0].status == Status.NEEDS_REVIEW and grades[0].total is None
    assert f"ada/{ASSIGNMENT}: submission time needs review: the submission's folder is " \
        "unknown (give --submitted); correct it" in warnings[-1]


# ------------------------------------------------------------------ the command
def _with_late_work(course_copy):
    path = course_copy / "course.yml"
    data = yaml.safe_load(path.read_text())
    data["late"] = {"per": "day", "deduct": "10%", "cap": "50%"}
    data["assignments"][0].update(due="2025-03-14T23:59:00+01:00",
                                  extensions={"carol": {"extra_days": 2}})
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_course_grades_writes_final_csv(course, course_copy, tmp_path):
    _with_late_work(course_copy)
    out, submitted = tmp_path / "out", tmp_path / "submitted"
    for student, stamp in [("ada", "2025-03-14 20:00:00.000000 UTC"),
                           ("bob", "2025-03-16 10:00:00.000000 UTC"),
                           ("carol", "2025-03-16 10:00:00.000000 UTC")]:
        write_result(out, course, student)
        _submitted(tmp_path, student, stamp)
    manual = tmp_path / "manual.csv"
    manual.write_text("student,assignment,problem,points,comment\n"
                      f"ada,{ASSIGNMENT},{BUG},2,clear\nbob,{ASSIGNMENT},{BUG},1,\n")
    done = run_course("--course", str(course_copy), "grades", str(out), "--manual-scores",
                      str(manual), "--submitted", str(submitted))
    assert done.returncode == 0, done.stderr
    rows = _rows((out / "final.csv").read_text())
    assert rows["ada"]["total"] == "28"
    assert (rows["bob"]["late_penalty"], rows["bob"]["total"]) == ("5.6", "21.4")
    assert rows["carol"]["total"] == "pending" and rows["carol"]["late_penalty"] == "0"
    assert "3 row(s) in final.csv: 2 final, 1 pending" in done.stdout
    assert str(out / "final.csv") in done.stdout


def test_course_grades_refuses_what_it_cannot_use(course_copy, tmp_path):
    done = run_course("--course", str(course_copy), "grades", str(tmp_path / "none"))
    assert done.returncode == 2 and "no such folder" in done.stderr
    out = tmp_path / "out"
    out.mkdir()
    done = run_course("--course", str(course_copy), "grades", str(out), "--canvas")
    assert done.returncode == 2 and "--canvas needs --roster" in done.stderr
    done = run_course("--course", str(course_copy), "grades", str(out))
    assert done.returncode == 2 and "no results.json found" in done.stderr


def test_one_source_of_manual_scores_at_a_time(course_copy, tmp_path):
    done = run_course("--course", str(course_copy), "grades", str(tmp_path), "--gradebook",
                      "gb.db", "--manual-scores", "x.csv")
    assert done.returncode == 2 and "not allowed with argument" in done.stderr
