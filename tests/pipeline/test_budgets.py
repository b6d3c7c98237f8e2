"""CPU budgets measured from the reference solution in the same run (pipeline/budgets.py),
on the fake sandbox: a class graded on a loaded machine keeps its scores."""

from __future__ import annotations

import json

import pytest

from autograder.batch.grade_class import autograde
from autograder.pipeline.submission import reference_budgets
from autograder.sandbox.fake import FakeSandbox, ok, returns
from tests import tiny_course
from tests.tiny_course import ASSIGNMENT, write_course, write_submission

SLOW_DOUBLE = "def double(x):\n    return sum([x] * 2)  # slow but right"
SLOWER_DOUBLE = "def double(x):\n    return sum([x] * 2)  # far too slow"


def fake(load: float = 1.0) -> FakeSandbox:
    # The reference's double takes 0.5 s of CPU: a student's may take 20 times that, 10 s.
    return FakeSandbox(
        cells={SLOW_DOUBLE: ok(defines={"double": lambda x: returns(2 * x, seconds=8)}),
               SLOWER_DOUBLE: ok(defines={"double": lambda x: returns(2 * x, seconds=12)})},
        calls={"double": lambda x: returns(2 * x, seconds=0.5), "halve": lambda x: x / 2},
        load=load)


def test_the_reference_is_measured_once_per_process_and_notebook(tmp_path):
    course = write_course(tmp_path / "course")
    sandbox = fake()
    spec = course.assignment(ASSIGNMENT).notebooks[0]
    pool = sandbox.pool(measure_reference=True)
    budgets = reference_budgets(course, ASSIGNMENT, spec, pool, 1)
    assert budgets.measured and budgets.calls == {"double": 10.0, "halve": 5.0}
    assert budgets.costs["double"] == 0.5
    assert reference_budgets(course, ASSIGNMENT, spec, pool, 2) is budgets
    assert sandbox.calls_made == ["double", "double", "halve"]  # graded once


@pytest.mark.parametrize("load", [1, 6])
def test_scores_follow_cpu_time_against_the_reference_whatever_the_load(tmp_path, load):
    course = write_course(tmp_path / "course")
    submitted = tmp_path / "submitted"
    write_submission(submitted, "ada", tiny_course.notebook_json({"double": SLOW_DOUBLE}))
    write_submission(submitted, "bob", tiny_course.notebook_json({"double": SLOWER_DOUBLE}))
    sandbox = fake(load)
    pool = sandbox.pool(measure_reference=True)
    try:
        batch = autograde(course, submitted, tmp_path / "out", seed=3, progress=False,
                          pool=pool)
    finally:
        pool.close()
    # ada's 8 s of CPU are within the 10 s budget (on a loaded machine, after one retry
    # on the wall clock); bob's 12 s are not, on any machine.
    assert [(r.student, r.total) for r in batch.results] == [("ada", 3), ("bob", 1)]
    bob = json.loads((tmp_path / "out" / "bob" / ASSIGNMENT / "results.json").read_text())
    [first, *_] = [t for t in bob["notebooks"][0]["tests"] if t["problem"] == "double"]
    assert first["message"] == (
        "too slow: double() used more than 10 s (20 times what the reference solution needs, "
        "at least 5 s) of CPU time, its budget (an infinite loop, or far too many steps?)")
