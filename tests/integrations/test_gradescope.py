"""`course export gradescope`: the autograder.zip, and run_autograder in a simulated /autograder."""

from __future__ import annotations

import json
import math
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from autograder.integrations.gradescope import find_notebooks, to_gradescope
from autograder.results import SubmissionResult
from tests.builders import ASSIGNMENT, mse_checks, synthetic_result, with_checks
from tests.conftest import ROOT, run_course

EXAMPLES = ROOT / "examples" / "submitted"
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
TOP_KEYS = {"score", "execution_time", "output", "output_format", "test_output_format",
            "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
            "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output",
             "output_format", "tags", "visibility", "extra_data"}


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def check_results_json(text: str) -> dict[str, Any]:
    """results.json as Gradescope's autograder specification describes it."""
    def no_constants(name: str) -> None:
        raise AssertionError(f"{name} is not valid JSON")

    data = json.loads(text, parse_constant=no_constants)
    assert isinstance(data, dict) and set(data) <= TOP_KEYS, set(data) - TOP_KEYS
    assert _number(data["score"]) and data["score"] >= 0
    assert isinstance(data["execution_time"], int) and data["execution_time"] >= 0
    assert isinstance(data["output"], str) and data["output"]
    assert data.get("visibility", "visible") in VISIBILITY
    assert data.get("stdout_visibility", "hidden") in VISIBILITY
    assert isinstance(data["tests"], list) and data["tests"]
    for test in data["tests"]:
        assert set(test) <= TEST_KEYS, set(test) - TEST_KEYS
        assert isinstance(test["name"], str) and test["name"]
        assert _number(test["score"]) and _number(test["max_score"])
        assert 0 <= test["score"] <= test["max_score"], test
        assert isinstance(test["output"], str) and test["output"]
        assert test["visibility"] in VISIBILITY
        assert test.get("status", "passed") in {"passed", "failed"}
    assert math.isclose(sum(t["score"] for t in data["tests"]), data["score"], abs_tol=0.02)
    return data


def test_results_have_one_test_per_problem_in_gradescope_format(course):
    result = SubmissionResult.from_dict(synthetic_result(course, {"mse": 0.0}))
    data = to_gradescope(course, result, seconds=12.4)
    check_results_json(json.dumps(data))
    tests = {t["name"]: t for t in data["tests"]}
    assert len(tests) == len(course.assignment(ASSIGNMENT).problems)
    mse = tests["02-seven-steps.ipynb: mse"]
    assert (mse["score"], mse["max_score"], mse["status"]) == (0.0, 1.0, "failed")
    assert "mse is wrong: expected 1" in mse["output"]
    manual = tests["02-seven-steps.ipynb: explain_lecture_bug"]
    assert manual["max_score"] == 0 and "instructor" in manual["output"]
    assert data["score"] == 25.0 and data["execution_time"] == 12


def test_uploaded_notebooks_are_found_by_name_anywhere(tmp_path):
    (tmp_path / "hw" / "__MACOSX").mkdir(parents=True)
    (tmp_path / "hw" / "01-gradients.ipynb").write_text("{}")
    (tmp_path / "hw" / "__MACOSX" / "02-seven-steps.ipynb").write_text("{}")
    found = find_notebooks(tmp_path, ["01-gradients.ipynb", "02-seven-steps.ipynb"])
    assert found == {"01-gradients.ipynb": tmp_path / "hw" / "01-gradients.ipynb"}
    (tmp_path / "only").mkdir()
    (tmp_path / "only" / "mine.ipynb").write_text("{}")
    assert find_notebooks(tmp_path / "only", ["a.ipynb"]) == {"a.ipynb":
                                                              tmp_path / "only" / "mine.ipynb"}


def test_the_zip_holds_setup_run_autograder_and_the_kit(tmp_path):
    first = run_course("export", "gradescope", ASSIGNMENT, "--out", str(tmp_path / "a.zip"))
    assert first.returncode == 0, first.stderr
    run_course("export", "gradescope", ASSIGNMENT, "--out", str(tmp_path / "b.zip"))
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        setup = zf.read("setup.sh").decode()
        run = zf.read("run_autograder").decode()
    assert {"setup.sh", "run_autograder", "course.yml", "requirements.txt", "pyproject.toml",
            "autograder/integrations/gradescope.py", "autograder/sandbox/inside/worker.py",
            "autograder/templates/feedback.html",
            f"autograder/graders/{ASSIGNMENT}/test_02_seven_steps.py",
            f"source/{ASSIGNMENT}/02-seven-steps.ipynb",
            f"release/{ASSIGNMENT}/02-seven-steps.ipynb"} <= names
    assert not any("__pycache__" in n or n.startswith("solutions/") for n in names)
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
    assert run.startswith("#!/usr/bin/env bash") and "GRADESCOPE_ROOT" in run
    for step in ("pip install -q -r requirements.txt", "pip install -q --no-deps -e .",
                 "apt-get install -y -qq bubblewrap"):
        assert step in setup
    unknown = run_course("export", "gradescope", "nope", "--out", str(tmp_path / "c.zip"))
    assert unknown.returncode == 2 and "no assignment named 'nope'" in unknown.stderr


def _autograder_root(tmp_path: Path, archive: Path, student: str) -> Path:
    """/autograder as Gradescope lays it out: source/ (the zip), run_autograder, submission/."""
    root = tmp_path / f"autograder-{student}"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(root / "source")
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "run_autograder").chmod(0o755)
    (root / "submission").mkdir()
    for nb in sorted((EXAMPLES / student / ASSIGNMENT).glob("*.ipynb")):
        shutil.copy(nb, root / "submission" / nb.name)
    return root


def _run_autograder(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GRADESCOPE_ROOT": str(root), "COURSE_KIT_PYTHON": sys.executable}
    env.pop("PYTHONPATH", None)
    return subprocess.run([str(root / "run_autograder")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_run_autograder_grades_uploaded_notebooks(tmp_path):
    archive = tmp_path / "autograder.zip"
    assert run_course("export", "gradescope", ASSIGNMENT, "--out", str(archive)).returncode == 0
    scores = {}
    for student in ("ada", "bob"):
        root = _autograder_root(tmp_path, archive, student)
        done = _run_autograder(root)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        # the kit that graded is the copy shipped in the zip, not the working tree
        assert f"course kit {root / 'source' / 'autograder'}" in done.stdout
        data = check_results_json((root / "results" / "results.json").read_text())
        scores[student] = (data["score"], sum(t["max_score"] for t in data["tests"]), data)
    ada_score, ada_possible, ada = scores["ada"]
    assert ada_possible == 26 and ada_score == ada_possible
    assert all(t["status"] == "passed" for t in ada["tests"] if t["max_score"])
    bob_score, _, bob = scores["bob"]
    assert bob_score == 0
    mse = next(t for t in bob["tests"] if t["name"] == "02-seven-steps.ipynb: mse")
    assert mse["status"] == "failed" and "NotImplementedError" in mse["output"]


def test_a_problem_that_earns_nothing_says_why_and_what_each_check_cost(course):
    result = with_checks(course, "mse", mse_checks(value_is_mean="expected 42.667, got 256",
                                                   is_0dim="got shape (1,)"))
    tests = {t["name"]: t for t in to_gradescope(course, result, seconds=1)["tests"]}
    out = tests["02-seven-steps.ipynb: mse"]["output"]
    assert out.startswith("Your `mse` gives a wrong result on the grader's data")
    assert "- mse value is mean (core check: the problem earns 0): expected 42.667" in out
    assert "- mse is 0dim (for your information): got shape (1,)" in out
    assert "All" not in out
    slip = with_checks(course, "mse", mse_checks(is_0dim="got shape (1,)"))
    mse = {t["name"]: t for t in to_gradescope(course, slip, seconds=1)["tests"]}[
        "02-seven-steps.ipynb: mse"]
    assert mse["score"] == 0.75 and mse["status"] == "failed"
    assert "- mse is 0dim (costs 0.25 points): got shape (1,)" in mse["output"]
