"""course.yml mistakes are refused with the file, the key and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from autograder.config import load_course
from autograder.errors import ConfigError
from tests.conftest import run_course


def _edit(course_dir: Path, change) -> None:
    path = course_dir / "course.yml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _error(course_dir: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_course(course_dir)
    return str(info.value)


def test_the_repository_course_is_valid(course):
    spec = course.assignment("gradient-descent")
    assert [nb.file for nb in spec.notebooks] == [
        "01-gradients.ipynb", "02-seven-steps.ipynb", "03-linear-regression.ipynb"]
    assert spec.problems["explain_lecture_bug"].manual
    assert len([p for p in spec.problems.values() if not p.manual]) == 16


def test_unknown_key_is_named_with_a_suggestion(course_copy):
    def typo(data):
        problem = data["assignments"][0]["notebooks"][0]["problems"]["gradient"]
        problem["piont"] = problem.pop("points")

    _edit(course_copy, typo)
    message = _error(course_copy)
    assert "course.yml" in message
    assert "piont" in message and "did you mean 'points'" in message
    assert "gradient" in message  # where the typo is


def test_negative_points_are_refused(course_copy):
    _edit(course_copy, lambda d: d["assignments"][0]["notebooks"][1]["problems"]["mse"]
          .update(points=-1))
    message = _error(course_copy)
    assert "mse.points" in message and "greater than or equal to 0" in message


def test_a_problem_missing_from_course_yml_is_refused(course_copy):
    _edit(course_copy, lambda d: d["assignments"][0]["notebooks"][1]["problems"].pop("mse"))
    message = _error(course_copy)
    assert "solution cell 'mse' is not a problem in course.yml" in message


def test_a_problem_without_solution_cell_is_refused(course_copy):
    _edit(course_copy, lambda d: d["assignments"][0]["notebooks"][1]["problems"]
          .update(momentum={"points": 1}))
    assert "problem 'momentum' has no solution cell" in _error(course_copy)


def test_a_notebook_that_does_not_exist_is_refused(course_copy):
    _edit(course_copy, lambda d: d["assignments"][0]["notebooks"][2].update(
        file="04-missing.ipynb"))
    message = _error(course_copy)
    assert "04-missing.ipynb does not exist" in message and "fix the file name" in message


def test_a_source_notebook_that_is_not_json_is_refused(course_copy):
    source = course_copy / "source" / "gradient-descent" / "02-seven-steps.ipynb"
    source.write_text(source.read_text()[:500])
    message = _error(course_copy)
    assert "02-seven-steps.ipynb is not a notebook" in message and "restore it" in message


def test_invalid_yaml_is_refused(course_copy):
    (course_copy / "course.yml").write_text("title: [unclosed\n")
    assert "not valid YAML" in _error(course_copy)


def test_cli_reports_config_errors_without_a_traceback(course_copy):
    _edit(course_copy, lambda d: d["limits"].update(memroy_mb=10))
    result = run_course("validate", "--quick", cwd=course_copy)
    assert result.returncode == 2
    assert "memroy_mb" in result.stderr and "did you mean 'memory_mb'" in result.stderr
    assert "Traceback" not in result.stderr


def _mse(data) -> dict:
    return data["assignments"][0]["notebooks"][1]["problems"]["mse"]


def _scoring(course_dir: Path) -> str:
    return str(load_course(course_dir).assignment("gradient-descent").problems["mse"].scoring)


def test_a_problem_is_scored_by_its_core_checks_unless_course_yml_says_otherwise(course):
    assert {str(p.scoring) for p in course.assignment("gradient-descent").problems.values()} \
        == {"core"}


@pytest.mark.parametrize("keys, rule", [
    ({"scoring": "proportional"}, "proportional"),
    ({"scoring": "all_or_nothing"}, "all_or_nothing"),
    ({"all_or_nothing": True}, "all_or_nothing"),  # the key of earlier kits still works
    ({"all_or_nothing": False}, "core"),  # it meant: the default rule
])
def test_the_scoring_rule_is_chosen_per_problem(course_copy, keys, rule):
    _edit(course_copy, lambda d: _mse(d).update(keys))
    assert _scoring(course_copy) == rule


def test_an_unknown_scoring_rule_is_refused_with_the_known_ones(course_copy):
    _edit(course_copy, lambda d: _mse(d).update(scoring="mostly"))
    message = _error(course_copy)
    assert "mse.scoring" in message
    assert "'core', 'all_or_nothing' or 'proportional'" in message


def test_scoring_and_the_older_all_or_nothing_together_are_refused(course_copy):
    _edit(course_copy, lambda d: _mse(d).update(scoring="proportional", all_or_nothing=True))
    message = _error(course_copy)
    assert "mse" in message and "either scoring or the older all_or_nothing" in message
    assert "keep scoring: proportional" in message
