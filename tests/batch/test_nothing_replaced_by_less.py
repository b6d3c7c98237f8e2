"""Mistyped paths and mismatched points, as an instructor meets them on the command line:
each is refused with one line that says what to do, exit 2, and no file that existed
before changes (nor is one added)."""

from __future__ import annotations

import io
import shutil
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
import yaml

from autograder.cli import main
from tests.builders import ASSIGNMENT
from tests.conftest import ROOT, run_course

EXAMPLES = ROOT / "examples" / "submitted"
GRADES = ("student,assignment,total,possible\n"
          + "".join(f"{s},{ASSIGNMENT},20,28\n" for s in ("ada", "bob", "carol", "dan", "erin",
                                                         "frank")))


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"<dir>"
            for p in sorted(root.rglob("*"))}


def _published(tmp_path: Path) -> Path:
    """An --out folder as an earlier run left it: 6 students' grades and a summary."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "grades.csv").write_text(GRADES)
    (out / "summary.html").write_text("<p>the class</p>")
    return out


def _refused(tmp_path: Path, *args: str, course: Path = ROOT) -> str:
    """Run `course ARGS` (in this process: what the console script calls) and check that
    it was refused; the line it printed."""
    before = _tree(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["--course", str(course), *args])
    assert code == 2, (out.getvalue(), err.getvalue())
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1, err.getvalue()  # one line that says what to do
    assert out.getvalue() == ""
    assert _tree(tmp_path) == before  # nothing written, nothing changed
    return lines[0]


def test_submitted_one_level_too_high(tmp_path):
    out = _published(tmp_path)
    line = _refused(tmp_path, "autograde", str(ROOT / "examples"), "--out", str(out))
    assert "holds no submission in nbgrader's layout SUBMITTED/<student>/<assignment>/" in line
    assert "it holds submitted/, which looks like a SUBMITTED folder; give " in line
    assert line.endswith(f"{EXAMPLES}; nothing was written")


def test_a_students_folder_and_an_assignment_folder(tmp_path):
    out = _published(tmp_path)
    line = _refused(tmp_path, "autograde", str(EXAMPLES / "ada"), "--out", str(out))
    assert f"looks like one student's folder (it holds {ASSIGNMENT}/)" in line
    line = _refused(tmp_path, "autograde", str(EXAMPLES / "ada" / ASSIGNMENT), "--out", str(out))
    assert "looks like one student's assignment folder (it holds 01-gradients.ipynb)" in line


def test_an_empty_folder_and_one_of_other_things(tmp_path):
    out = _published(tmp_path)
    (tmp_path / "empty").mkdir()
    line = _refused(tmp_path, "autograde", str(tmp_path / "empty"), "--out", str(out))
    assert "holds no submission" in line and "it is empty" in line
    other = tmp_path / "other"
    (other / "ada" / "homework-1").mkdir(parents=True)
    line = _refused(tmp_path, "autograde", str(other), "--out", str(out))
    assert f"it holds ada/, none with an assignment folder of course.yml ({ASSIGNMENT})" in line


def test_out_equal_to_or_inside_submitted(tmp_path):
    submitted = tmp_path / "submitted"
    shutil.copytree(EXAMPLES / "ada", submitted / "ada")
    for out in (submitted, submitted / "reports", submitted / "ada"):
        line = _refused(tmp_path, "autograde", str(submitted), "--out", str(out))
        assert f"--out {out} is inside the submissions {submitted}" in line
        assert "give an --out folder outside it" in line


def test_a_run_never_drops_students_grades_csv_had(tmp_path):
    out = _published(tmp_path)
    submitted = tmp_path / "submitted"
    for student in ("ada", "bob"):
        shutil.copytree(EXAMPLES / student, submitted / student)
    line = _refused(tmp_path, "autograde", str(submitted), "--out", str(out))
    assert f"{out / 'grades.csv'} has 4 submission(s) the submissions folder lacks " \
           f"(carol/{ASSIGNMENT}, dan/{ASSIGNMENT}, erin/{ASSIGNMENT}, frank/{ASSIGNMENT})" \
           in line
    assert "pass --allow-fewer-students to drop them" in line


def _points_3(course_copy: Path) -> None:
    path = course_copy / "course.yml"
    data = yaml.safe_load(path.read_text())
    data["assignments"][0]["notebooks"][0]["problems"]["grad_of_square"]["points"] = 3
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_points_that_disagree_stop_autograde_and_grades(course_copy, tmp_path):
    _points_3(course_copy)
    out = _published(tmp_path)
    (out / "ada" / ASSIGNMENT).mkdir(parents=True)
    (out / "ada" / ASSIGNMENT / "results.json").write_text("{}")
    expected = (f"source/{ASSIGNMENT}/01-gradients.ipynb: test_grad_of_square has 1 points "
                "but course.yml says 3; course.yml is the authority: course.yml and the "
                "notebooks must agree before course ")
    line = _refused(tmp_path, "autograde", str(EXAMPLES), "--out", str(out),
                    course=course_copy)
    assert line.startswith("course autograde: error: " + expected + "autograde")
    line = _refused(tmp_path, "grades", str(out), course=course_copy)
    assert line.startswith("course grades: error: " + expected + "grades")


@pytest.mark.slow
def test_validate_reports_the_same_disagreement(course_copy):
    _points_3(course_copy)
    expected = (f"source/{ASSIGNMENT}/01-gradients.ipynb: test_grad_of_square has 1 points "
                "but course.yml says 3; course.yml is the authority")
    validate = run_course("--course", str(course_copy), "validate", "--quick", timeout=300)
    assert validate.returncode == 1 and expected in validate.stderr


@pytest.mark.slow
def test_allow_fewer_students_drops_them_when_asked(fake_autograde, tmp_path, capsys):
    out = _published(tmp_path)
    submitted = tmp_path / "submitted"
    shutil.copytree(EXAMPLES / "ada", submitted / "ada")
    assert main(["--course", str(ROOT), "autograde", str(submitted), "--out", str(out),
                 "--allow-fewer-students"]) == 0
    rows = (out / "grades.csv").read_text().splitlines()
    assert len(rows) == 2 and rows[1].startswith(f"ada,{ASSIGNMENT},")
    assert "graded 1 submission(s)" in capsys.readouterr().out
