"""Step 4, grade: a real in-process pytest run of a small grader file against the fake.

What a student reads is the message of a failed test: the exception in plain words,
never the hidden test's code.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from autograder.config import Limits
from autograder.pipeline.execute import execute
from autograder.pipeline.grade import MESSAGE_LIMIT, GraderError, grader_file, run_graders
from autograder.sandbox.fake import FakeSandbox, crashes, hangs

GRADERS = '''"""PYTEST_DONT_REWRITE: asserts stay plain, as in a grading process (the kit's own
pytest run would otherwise rewrite them in every test_*.py it imports, graders too)."""
from autograder.grading import attach, contract, problem


@problem("p")
def test_passes(student):
    assert student.double(1) == 2


@problem("p")
def test_assertion_with_a_message(student):
    got = student.double(1)
    assert got == 3, f"double(1) should be 3, got {got}"


@problem("p")
def test_bare_assert(student):
    assert student.double(1) == 3


@problem("p")
@contract(0.25)
def test_long_message(student):
    assert False, "x" * 5000


@problem("q")
def test_student_code_raises(student):
    student.boom()


@problem("q")
def test_student_code_hangs(student):
    student.slow()


@problem("q")
def test_student_code_kills_the_worker(student):
    student.crash()


@problem("q")
def test_the_function_is_missing(student):
    student.renamed()


@problem("q")
def test_grader_exception(student):
    {}["key"]


@problem("r")
def test_needs_a_fixture_that_does_not_exist(no_such_fixture):
    pass


@problem("r")
def test_seeded_inputs(student, seed, rng):
    import torch

    attach("r", "fit", x=[1, 2], y=[float("nan"), 3])
    assert seed == 7
    assert torch.rand(2, generator=rng).tolist() == RNG_FIRST
'''

SOURCES = ["def double(x):\n    return 2 * x", "def boom():\n    1 / 0",
           "def slow():\n    while True: pass", "def crash():\n    import os; os._exit(1)"]


def boom():
    return 1 / 0


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One grading run (pytest.main costs a little): the results by test name."""
    import torch

    tests = tmp_path_factory.mktemp("graders") / "test_messages.py"
    rng_first = _expected_rng(torch, 7, f"{tests.name}::test_seeded_inputs")
    tests.write_text(GRADERS.replace("RNG_FIRST", repr(rng_first)))
    fake = FakeSandbox(calls={"double": lambda x: 2 * x, "boom": boom, "slow": hangs(),
                              "crash": crashes("the worker exited (exit code 1)")})
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in SOURCES])
    execution = execute(notebook, fake.pool(), Limits(call_seconds=3))
    artifacts: list = []
    results = run_graders(tests, execution.call, 7, artifacts)
    execution.close()
    return {r.name: r for r in results}, artifacts, fake


def _expected_rng(torch, seed: int, nodeid: str) -> list[float]:
    import zlib

    generator = torch.Generator().manual_seed(zlib.crc32(f"{seed}:{nodeid}".encode()))
    return torch.rand(2, generator=generator).tolist()


def message(graded, name: str) -> str:
    result = graded[0][name]
    assert not result.passed
    return result.message


def test_every_test_has_a_result_with_its_problem(graded):
    results = graded[0]
    assert len(results) == 11
    assert results["test_passes"].passed and results["test_passes"].message == ""
    assert {r.problem for r in results.values()} == {"p", "q", "r"}
    assert results["test_student_code_raises"].problem == "q"


def test_an_assertion_says_its_message_only(graded):
    assert message(graded, "test_assertion_with_a_message") == "double(1) should be 3, got 2"


def test_a_bare_assertion_does_not_show_the_hidden_code(graded):
    text = message(graded, "test_bare_assert")
    assert text == "AssertionError"
    assert "double" not in text


def test_messages_are_bounded(graded):
    assert len(message(graded, "test_long_message")) == MESSAGE_LIMIT


def test_errors_in_student_code_are_in_plain_words(graded):
    text = message(graded, "test_student_code_raises")
    assert text.startswith("your code raised an error: ZeroDivisionError: division by zero")
    assert "autograder.errors" not in text
    assert message(graded, "test_the_function_is_missing").startswith(
        "your code raised an error: NameError: the notebook does not define a function named "
        "'renamed'")


def test_a_hang_is_too_slow(graded):
    assert message(graded, "test_student_code_hangs") == (
        "too slow: slow() used more than 1 s of CPU time, its budget (an infinite loop, or far "
        "too many steps?)")


def test_a_crash_stopped_the_worker(graded):
    assert message(graded, "test_student_code_kills_the_worker") == (
        "your code stopped the grader's worker: crash(): the worker exited (exit code 1)")


def test_a_graders_own_exception_is_kept_as_is(graded):
    assert message(graded, "test_grader_exception") == "KeyError: 'key'"


def test_a_test_that_cannot_be_set_up_fails_with_a_reason(graded):
    text = message(graded, "test_needs_a_fixture_that_does_not_exist")
    assert text == "fixture 'no_such_fixture' not found"  # not the grader file's path


def test_contract_checks_are_recorded_with_their_weight(graded):
    results = graded[0]
    assert (results["test_long_message"].kind, results["test_long_message"].weight) == (
        "contract", 0.25)
    assert (results["test_passes"].kind, results["test_passes"].weight) == ("core", 0.0)


def test_seed_rng_and_attach_reach_the_graders(graded):
    results, artifacts, _ = graded
    assert results["test_seeded_inputs"].passed, results["test_seeded_inputs"].message
    assert artifacts == [{"problem": "r", "kind": "fit", "test": "test_seeded_inputs",
                          "labels": {"x": "x", "y": "y"},
                          "data": {"x": [1.0, 2.0], "y": [None, 3.0]}}]


def test_the_calls_went_to_the_worker(graded):
    fake = graded[2]
    assert fake.calls_made.count("double") == 3 and "slow" in fake.calls_made


# ------------------------------------------------------------------ broken graders
@pytest.mark.parametrize("text, expected", [
    ("def test_unmarked(student):\n    pass\n", "needs exactly one @problem"),
    ("def test_broken(:\n", "could not run"),
])
def test_broken_graders_stop_loudly(tmp_path: Path, text: str, expected: str):
    tests = tmp_path / f"test_broken_{abs(hash(text))}.py"
    tests.write_text(text)
    with pytest.raises(GraderError, match=expected):
        run_graders(tests, lambda *a: None, 1)


def test_ctrl_c_during_grading_stops_the_grading(tmp_path: Path):
    tests = tmp_path / "test_interrupted.py"
    tests.write_text("from autograder.grading import problem\n\n\n@problem('p')\n"
                     "def test_ctrl_c(student):\n    raise KeyboardInterrupt\n")
    with pytest.raises(KeyboardInterrupt):
        run_graders(tests, lambda *a: None, 1)


def test_missing_graders_stop_loudly(tmp_path: Path):
    with pytest.raises(GraderError, match="hidden graders not found"):
        run_graders(tmp_path / "test_nothing.py", lambda *a: None, 1)


def test_grader_file_is_named_after_the_notebook(tmp_path: Path):
    expected = tmp_path / "gd" / "test_02_seven_steps.py"
    assert grader_file(tmp_path, "gd", "02-seven-steps") == expected
