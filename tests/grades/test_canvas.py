"""The Canvas export and its roster: every student placed, left blank or reported, never dropped."""

from __future__ import annotations

import csv

import pytest

from autograder.errors import ConfigError
from autograder.grades.canvas import read_roster
from tests.builders import ASSIGNMENT, write_result
from tests.conftest import run_course

HEADER = "Student,ID,SIS User ID,SIS Login ID,Section,student\n"
BUG = "explain_lecture_bug"


def _roster(tmp_path, rows: str, header: str = HEADER):
    path = tmp_path / "roster.csv"
    path.write_text(header + rows, encoding="utf-8")
    return path


def test_canvas_export_has_canvas_columns_points_possible_and_reports_mismatches(
        course, course_copy, tmp_path):
    out = tmp_path / "out"
    write_result(out, course, "ada")
    write_result(out, course, "bob", {"mse": 0})
    write_result(out, course, "carol")  # graded, not in the roster
    write_result(out, course, "dan")  # no manual score yet
    manual = tmp_path / "manual.csv"
    manual.write_text("student,assignment,problem,points,comment\n"
                      f"ada,{ASSIGNMENT},{BUG},2,\nbob,{ASSIGNMENT},{BUG},1.5,\n"
                      f"carol,{ASSIGNMENT},{BUG},2,\n")
    roster = _roster(tmp_path, (
        "    Points Possible,,,,,\n"  # as in Canvas's own export: skipped
        '"Lovelace, Ada",101,S1,ada1,Mon,ada\n'
        '"Bobson, Bob",102,S2,bob1,Mon,bob\n'
        '"Dane, Dan",104,S4,dan1,Tue,dan\n'
        '"Ekert, Erin",105,S5,erin1,Tue,erin\n'))  # in the roster, nothing submitted
    done = run_course("--course", str(course_copy), "grades", str(out), "--manual-scores",
                      str(manual), "--roster", str(roster), "--canvas")
    assert done.returncode == 0, done.stderr
    lines = list(csv.reader((out / "canvas.csv").read_text().splitlines()))
    assert lines[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT]
    assert lines[1] == ["    Points Possible", "", "", "", "", "28"]
    assert lines[2:] == [["Lovelace, Ada", "101", "S1", "ada1", "Mon", "28"],
                         ["Bobson, Bob", "102", "S2", "bob1", "Mon", "26.5"],
                         ["Dane, Dan", "104", "S4", "dan1", "Tue", ""],  # pending: blank
                         ["Ekert, Erin", "105", "S5", "erin1", "Tue", "0"]]
    report = (out / "roster-report.txt").read_text()
    for words in ["carol: graded (gradient-descent) but not in the roster",
                  f"dan/{ASSIGNMENT}: manual score pending: blank",
                  f"erin/{ASSIGNMENT}: in the roster without a submission: 0"]:
        assert words in report and words in done.stderr
    assert "ada" not in report and "bob" not in report
    final = {r["student"]: r for r in csv.DictReader((out / "final.csv").read_text().splitlines())}
    assert set(final) == {"ada", "bob", "carol", "dan", "erin"}  # carol stays in final.csv


def test_a_clean_roster_says_so(course, course_copy, tmp_path):
    out = tmp_path / "out"
    write_result(out, course, "ada")
    manual = tmp_path / "manual.csv"
    manual.write_text(f"student,assignment,problem,points,comment\nada,{ASSIGNMENT},{BUG},2,\n")
    roster = _roster(tmp_path, "Ada,101,,,,ada\n")
    done = run_course("--course", str(course_copy), "grades", str(out), "--manual-scores",
                      str(manual), "--roster", str(roster))
    assert done.returncode == 0, done.stderr
    assert "every student in the roster has a final grade" in \
        (out / "roster-report.txt").read_text()
    assert not (out / "canvas.csv").exists()  # only with --canvas


def test_a_roster_from_a_canvas_export_with_a_bom_and_extra_columns_is_read(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Quiz 1 (77),student\n"
                    "    Points Possible,,,,,10,\n"
                    '"A, Ada",101,S1,ada1,Mon,9,ada\n\n', encoding="utf-8")
    [entry] = read_roster(path)
    assert entry.student == "ada" and entry.canvas == ("A, Ada", "101", "S1", "ada1", "Mon")


@pytest.mark.parametrize("header, rows, words", [
    ("Student,ID,SIS User ID,SIS Login ID,Section\n", "Ada,1,,,,\n",
     "needs a column `student`"),
    ("Student,Section,student\n", "Ada,Mon,ada\n", "needs at least one of the columns ID"),
    (HEADER, "Ada,1,,,,ada\nAda2,2,,,,ada\n", "line 3: student 'ada' is already on line 2"),
    (HEADER, "Ada,1,,,,\n", "line 2: no kit student id in column `student` (for Ada)"),
])
def test_a_bad_roster_is_refused_with_its_line(tmp_path, header, rows, words):
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(")", r"\)")):
        read_roster(_roster(tmp_path, rows, header))


def test_an_unreadable_roster_is_a_clear_error(course_copy, tmp_path):
    out = tmp_path / "out"
    done = run_course("--course", str(course_copy), "grades", str(out), "--roster",
                      str(tmp_path / "missing.csv"))
    assert done.returncode == 2 and "cannot read the roster" in done.stderr


# Canvas's gradebook export as lib/gradebook_exporter.rb in canvas-lms writes it: SIS and
# integration columns, a custom column, assignments as "Name (id)", the totals; the row
# of assignments that post grades manually, the Points Possible row with "(read only)"
# totals, the students, and Student View's Test Student last.
CANVAS_EXPORT = (
    "Student,ID,SIS User ID,SIS Login ID,Integration ID,Section,Notes,"
    "gradient-descent (4411),Quiz 1 (4412),Current Points,Final Points,Current Score,"
    "Unposted Current Score,Final Score,Unposted Final Score\n"
    ",,,,,,,Manual Posting,,,,,,,\n"
    "    Points Possible,,,,,,,28.00,10.00,(read only),(read only),(read only),"
    "(read only),(read only),(read only)\n"
    '"Lovelace, Ada",101,S1,ada,,Mon,,,9.00,9.00,9.00,90.00,90.00,24.32,24.32\n'
    '"Bobson, Bob",102,S2,bob,,Mon,note,,N/A,0.00,0.00,0.00,0.00,0.00,0.00\n'
    '"=""=cmd"", Eve",103,S3,eve,,Tue,,,EX,0.00,0.00,,,0.00,0.00\n'
    '"Student, Test",9001,,4e1b7c2f9a,,Mon,,,,0.00,0.00,,,0.00,0.00\n')


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_canvas_export_as_canvas_writes_it_is_a_roster(tmp_path, delimiter):
    """Logins as the kit's ids; the Manual Posting, Points Possible and Test Student rows
    are no students; semicolons (a Canvas user setting) read as commas."""
    text = CANVAS_EXPORT if delimiter == "," else "\n".join(
        ";".join(cells) for cells in csv.reader(CANVAS_EXPORT.splitlines())) + "\n"
    path = tmp_path / "export.csv"
    path.write_text("\ufeff" + text, encoding="utf-8")
    entries = read_roster(path, "SIS Login ID")
    assert [e.student for e in entries] == ["ada", "bob", "eve"]
    assert entries[0].canvas == ("Lovelace, Ada", "101", "S1", "ada", "Mon")
    assert entries[2].canvas[0] == '="=cmd", Eve'  # Canvas's quoting kept as it was


def test_canvas_export_with_a_student_column_skips_the_test_student(tmp_path):
    """The issue's case: `student` added by hand, the Test Student row left blank."""
    rows = list(csv.reader(CANVAS_EXPORT.splitlines()))
    rows[0].append("student")
    for row, kit_id in zip(rows[1:], ["", "", "ada", "bob", "eve", ""]):
        row.append(kit_id)
    path = tmp_path / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    assert [e.student for e in read_roster(path)] == ["ada", "bob", "eve"]


def test_first_and_last_name_columns_make_canvas_s_student_name(tmp_path):
    path = _roster(tmp_path, "Lovelace,Ada,101,Mon,ada\n",
                   header="LastName,FirstName,ID,Section,student\n")
    [entry] = read_roster(path)
    assert entry.canvas == ("Lovelace, Ada", "101", "", "", "Mon")


def test_a_real_student_without_a_kit_id_is_still_refused(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(CANVAS_EXPORT.replace(",S2,bob,", ",S2,,"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 5: no kit student id in column `SIS Login "
                                          r"ID` \(for Bobson, Bob\); fill it in"):
        read_roster(path, "SIS Login ID")
    with pytest.raises(ConfigError, match="no column `Login` .given as --roster-id"):
        read_roster(path, "Login")


def test_course_grades_takes_canvas_s_export_unedited(course, course_copy, tmp_path):
    out = tmp_path / "out"
    write_result(out, course, "ada")
    write_result(out, course, "bob", {"mse": 0})
    manual = tmp_path / "manual.csv"
    manual.write_text("student,assignment,problem,points,comment\n"
                      f"ada,{ASSIGNMENT},{BUG},2,\nbob,{ASSIGNMENT},{BUG},1,\n")
    export = tmp_path / "export.csv"
    export.write_text(CANVAS_EXPORT, encoding="utf-8")
    done = run_course("--course", str(course_copy), "grades", str(out), "--manual-scores",
                      str(manual), "--roster", str(export), "--roster-id", "SIS Login ID",
                      "--canvas")
    assert done.returncode == 0, done.stderr
    lines = list(csv.reader((out / "canvas.csv").read_text().splitlines()))
    assert lines[2:] == [["Lovelace, Ada", "101", "S1", "ada", "Mon", "28"],
                         ["Bobson, Bob", "102", "S2", "bob", "Mon", "26"],
                         ['="=cmd", Eve', "103", "S3", "eve", "Tue", "0"]]
    assert "Test" not in (out / "canvas.csv").read_text()
    assert f"eve/{ASSIGNMENT}: in the roster without a submission: 0" in done.stderr
    with pytest.raises(ConfigError, match="or give --roster-id 'SIS Login ID' if Canvas's "
                                          "logins are those ids"):
        read_roster(export)  # no `student` column, and no --roster-id
