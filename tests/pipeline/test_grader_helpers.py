"""The grade step without a sandbox: what it collects from graders and what they import."""

from __future__ import annotations

import importlib.util
import sys
from collections import defaultdict
from pathlib import Path

import torch

from autograder.errors import StudentError
from autograder.pipeline.grade import grader_file, run_graders
from autograder.sandbox.channel import CallReply
from tests.conftest import ROOT

GRADERS = ROOT / "autograder" / "graders" / "gradient-descent"


def _echo(name: str, args: tuple, kwargs: dict) -> CallReply:
    """A stand-in for the sandbox: the student's function returns its first argument."""
    return CallReply(args[0] if args else None, args, kwargs, "", ("mse",) if name == "train"
                     else ())


def _graders(folder: Path, helper_value: int) -> Path:
    """A grader folder whose test file imports the helper module beside it."""
    folder.mkdir()
    (folder / "grader_helpers.py").write_text(f"VALUE = {helper_value}\n")
    (folder / "test_nb.py").write_text(
        "from grader_helpers import VALUE\n"
        "from autograder.grading import contract, problem\n\n"
        "@problem('train')\n"
        "def test_core(student):\n"
        "    assert student.train(VALUE) == 1, f'got {VALUE}'\n\n"
        "@contract(0.25)\n"
        "@problem('train')\n"
        "def test_slip(student):\n"
        "    assert student.other(2) == 2\n")
    return folder / "test_nb.py"


def test_graders_import_the_helper_module_beside_them_and_only_theirs(tmp_path):
    first = run_graders(_graders(tmp_path / "a", 1), _echo, seed=1)
    assert [(r.name, r.passed, r.kind, r.weight) for r in first] == [
        ("test_core", True, "core", 0.0), ("test_slip", True, "contract", 0.25)]
    # Another assignment's module of the same name, in the same process: its own is used.
    second = run_graders(_graders(tmp_path / "b", 5), _echo, seed=1)
    assert not second[0].passed and second[0].message == "got 5"
    assert str(tmp_path / "b") not in sys.path and "grader_helpers" not in sys.modules


def test_each_check_records_the_reference_helpers_its_calls_used(tmp_path):
    results = run_graders(_graders(tmp_path / "a", 1), _echo, seed=1)
    assert {r.name: r.helpers for r in results} == {"test_core": ["mse"], "test_slip": []}


def _not_written(name: str, args: tuple, kwargs: dict) -> CallReply:
    raise StudentError("NotImplementedError: ")


def test_the_assignments_graders_share_their_helpers_and_every_problem_has_core_checks(course):
    # The real graders, against a notebook that implements nothing: they import
    # grader_helpers, every check fails, and every problem has core checks and contract
    # weights that add up to at most 1 (all of its points).
    spec = course.assignment("gradient-descent")
    assert (GRADERS / "grader_helpers.py").is_file()
    for nb in spec.notebooks:
        path = grader_file(GRADERS.parent, "gradient-descent", nb.stem)
        assert "from grader_helpers import" in path.read_text()
        results = run_graders(path, _not_written, seed=3)
        assert results and not any(r.passed for r in results)
        kinds: dict[str, list] = defaultdict(list)
        for r in results:
            kinds[r.problem].append(r)
        assert set(kinds) == set(nb.autograded)
        for problem, checks in kinds.items():
            assert any(c.kind == "core" for c in checks), problem
            assert sum(c.weight for c in checks if c.kind == "contract") <= 1, problem
            assert all(0 < c.weight <= 1 for c in checks if c.kind == "contract"), problem


def _helpers():
    spec = importlib.util.spec_from_file_location("gd_grader_helpers",
                                                  GRADERS / "grader_helpers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_messages_never_show_two_different_numbers_as_equal():
    helpers = _helpers()
    bound, value = helpers.apart(10.5, 10.50001, 5)
    assert (bound, value) == ("10.5", "10.50001")
    assert helpers.apart(0.425, 0.3, 4) == ("0.425", "0.3")
    # the docs' example: a student's [-2.1188, 0.0635] against [-2.11879, 0.0635239]
    message = helpers.mismatch(torch.tensor([-2.1188, 0.0635], dtype=torch.float64),
                               torch.tensor([-2.11879, 0.0635239], dtype=torch.float64),
                               rtol=0, atol=1e-6)
    expected, got = message.split("], got [")
    assert expected == "expected [-2.11879, 0.0635239"
    assert got.startswith("-2.1188, 0.0635]") and "off by 1e-05, more than the tolerance" in got
