"""What a regrade would change: exactly the scores that differ, per student and problem."""

from __future__ import annotations

import csv

from autograder.grades.compare import (
    changes_csv,
    changes_table,
    previous_seed,
    score_changes,
    write_changes,
)
from autograder.results import SubmissionResult
from tests.builders import ASSIGNMENT, synthetic_result
from tests.conftest import run_course


def _result(course, student, points=None, seed=7):
    return SubmissionResult.from_dict({**synthetic_result(course, points or {}),
                                       "student": student, "seed": seed})


def test_only_the_scores_that_differ_are_listed(course):
    before = [_result(course, "ada"), _result(course, "bob", {"mse": 0}),
              _result(course, "carol", {"train": 0.5})]
    after = [_result(course, "ada"), _result(course, "bob", {"apply_step": 1}),
             _result(course, "carol", {"train": 0.5})]
    changes = score_changes(course, before, after)
    assert [(c.student, c.problem, c.before, c.after, c.delta) for c in changes] == [
        ("bob", "mse", 0, 1, 1), ("bob", "apply_step", 2, 1, -1)]


def test_a_submission_in_one_run_only_is_listed_problem_by_problem(course):
    changes = score_changes(course, [_result(course, "ada")],
                            [_result(course, "ada"), _result(course, "erin", {"mse": 0})])
    problems = course.assignment(ASSIGNMENT).problems
    assert [c.problem for c in changes] == list(problems)
    assert {c.student for c in changes} == {"erin"}
    text = changes_csv(changes)
    rows = list(csv.DictReader(text.splitlines()))
    assert rows[0]["before"] == "not graded" and rows[0]["change"] == ""
    manual = next(r for r in rows if r["problem"] == "explain_lecture_bug")
    assert manual["after"] == "pending"
    gone = score_changes(course, [_result(course, "ada")], [])
    assert {c.after for c in gone} == {changes[0].before}  # "not graded" on the other side


def test_a_partial_regrade_compares_only_the_chosen_students(course):
    before = [_result(course, "ada"), _result(course, "bob")]
    after = [_result(course, "ada", {"mse": 0}), _result(course, "bob", {"mse": 0})]
    assert {c.student for c in score_changes(course, before, after, ["ada"])} == {"ada"}


def test_the_table_and_the_file_show_the_changes(course, tmp_path):
    changes = score_changes(course, [_result(course, "bob", {"mse": 0})],
                            [_result(course, "bob", {"mse": 0.5})])
    table = changes_table(changes, "out/week1")
    assert table.splitlines()[0].split() == ["student", "assignment", "problem", "before",
                                             "after", "change"]
    assert table.splitlines()[1].split() == ["bob", ASSIGNMENT, "mse", "0", "0.5", "+0.5"]
    assert table.splitlines()[-1] == "1 score(s) of 1 student(s) change against out/week1"
    path = write_changes(tmp_path, changes)
    assert path == tmp_path / "changes.csv"
    assert path.read_text().splitlines()[1] == f"bob,{ASSIGNMENT},mse,0,0.5,+0.5"
    assert changes_table([], "out/week1") == "no score changes against out/week1"


def test_the_previous_seed_is_replayed_when_there_was_one(course):
    assert previous_seed([_result(course, "a", seed=3), _result(course, "b", seed=3)]) == 3
    assert previous_seed([_result(course, "a", seed=3), _result(course, "b", seed=4)]) is None


def test_compare_refuses_to_overwrite_what_it_compares_with_or_to_publish(course_copy,
                                                                          tmp_path):
    done = run_course("--course", str(course_copy), "autograde", str(tmp_path), "--out",
                      str(tmp_path / "week1"), "--compare", str(tmp_path / "week1"))
    assert done.returncode == 2 and "--compare needs another folder than --out" in done.stderr
    done = run_course("--course", str(course_copy), "autograde", str(tmp_path), "--out",
                      str(tmp_path / "new"), "--compare", str(tmp_path / "week1"),
                      "--gradebook", str(tmp_path / "gradebook.db"))
    assert done.returncode == 2 and "--compare previews a regrade" in done.stderr
    assert not (tmp_path / "gradebook.db").exists()
