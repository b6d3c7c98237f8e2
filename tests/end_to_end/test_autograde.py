"""`course autograde` on the example class and the typical mistakes, as an instructor runs it."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from alternatives import ALTERNATIVES
from build_examples import ASSIGNMENT, NOTEBOOKS, completed, with_mistakes
from mistakes import LOSES, SLIPS

from tests.conftest import COURSE_BIN, ROOT, live_processes, run_course

pytestmark = pytest.mark.slow

EXAMPLES = ROOT / "examples" / "submitted"


def _grades(out: Path) -> dict[str, dict[str, str]]:
    with (out / "grades.csv").open(encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def _problems(out: Path, student: str) -> dict[str, dict]:
    data = json.loads((out / student / ASSIGNMENT / "results.json").read_text())
    return {p["problem"]: p for nb in data["notebooks"] for p in nb["problems"]}


@pytest.fixture(scope="module")
def example_class(tmp_path_factory):
    # Two different (fixed, so the test is deterministic) seeds: fresh inputs must not
    # change what a submission earns.
    out = tmp_path_factory.mktemp("graded")
    first = run_course("autograde", str(EXAMPLES), "--out", str(out / "first"), "--workers", "2",
                       "--seed", "1")
    second = run_course("autograde", str(EXAMPLES), "--out", str(out / "second"),
                        "--workers", "2", "--seed", "2")
    return first, second, out


def test_example_class_is_graded_and_summarised(example_class):
    first, _, out = example_class
    assert first.returncode == 0, first.stderr[-3000:]
    grades = _grades(out / "first")
    # one denominator: the pending written answer is in `possible`, and said to be pending
    assert (grades["ada"]["total"], grades["ada"]["possible"], grades["ada"]["pending"]) == \
        ("26", "28", "2")
    assert grades["bob"]["total"] == "0"
    assert grades["ada"]["explain_lecture_bug"] == "pending"
    header = list(grades["ada"])
    assert header[:2] == ["student", "assignment"]
    assert header[-3:] == ["total", "possible", "pending"]
    assert "grading" in first.stderr  # the progress bar
    assert "ada" in first.stdout and "26/28" in first.stdout  # the summary table
    assert "2 point(s) pending: explain_lecture_bug" in first.stdout
    assert "scored, " in first.stdout and " pending" in first.stdout  # means say what they cover


def _outcomes(out: Path) -> dict[tuple[str, str], bool]:
    found = {}
    for student in _grades(out):
        data = json.loads((out / student / ASSIGNMENT / "results.json").read_text())
        tests = (t for nb in data["notebooks"] for t in nb["tests"])
        found |= {(student, t["name"]): t["passed"] for t in tests}
    return found


def test_grading_with_another_seed_gives_the_same_results(example_class):
    _, second, out = example_class
    assert second.returncode == 0
    assert _outcomes(out / "first") == _outcomes(out / "second")
    assert _grades(out / "first") == _grades(out / "second")


def test_a_missing_notebook_is_zero_with_a_reason(example_class):
    _, _, out = example_class
    data = json.loads((out / "first" / "frank" / ASSIGNMENT / "results.json").read_text())
    missing = next(nb for nb in data["notebooks"] if nb["notebook"] == "03-linear-regression.ipynb")
    assert missing["status"] == "not_graded" and "was not submitted" in missing["reason"]
    assert all(p["points"] == 0 for p in missing["problems"])


def test_results_and_feedback_explain_failures(example_class):
    _, _, out = example_class
    data = json.loads((out / "first" / "carol" / ASSIGNMENT / "results.json").read_text())
    assert isinstance(data["seed"], int)
    test = next(t for nb in data["notebooks"] for t in nb["tests"] if not t["passed"])
    assert set(test) >= {"problem", "name", "passed", "points", "message", "duration",
                         "kind", "weight", "cost", "helpers"}
    page = (out / "first" / "carol" / ASSIGNMENT / "feedback.html").read_text()
    assert "did you sum instead of average?" in page
    assert "@problem" not in page and "def test_" not in page  # no hidden test code
    # The verdict in plain words, and one bug charged once: carol's `train` (through her own
    # `apply_step`, which passed its checks) is graded with the reference `mse`, the one
    # helper that failed its own checks and so the only one lent, and says so.
    assert ("Your <code>mse</code> gives a wrong result on the grader&#39;s data (check “mse "
            "value is mean”), so this problem earns 0; the other checks below are for your "
            "information.") in page
    assert ("Your <code>train</code> calls <code>mse</code>: it was graded with the "
            "reference version of that function in place of yours") in page
    assert "calls <code>apply_step</code>" not in page  # passed its checks: not lent
    problems = _problems(out / "first", "carol")
    assert problems["mse"]["points"] == 0 and problems["train"]["points"] == 1


def test_all_checks_passed_is_never_said_next_to_a_lower_score(example_class):
    _, _, out = example_class
    for student in _grades(out / "first"):
        for p in _problems(out / "first", student).values():
            if p["points"] is not None:
                assert ("All " in p["summary"] and "checks passed" in p["summary"]) == \
                    (p["points"] == p["possible"]), (student, p)


def _graded_class(tmp: Path, students: dict[str, Callable[[str], Any]], seed: int) -> Path:
    """STUDENTS (name -> the notebook they submit, by file name) graded in one batch in
    TMP; returns the output folder."""
    for student, notebook_of in students.items():
        folder = tmp / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for notebook in NOTEBOOKS:
            nbformat.write(notebook_of(notebook), str(folder / notebook))
    result = run_course("autograde", str(tmp / "submitted"), "--out", str(tmp / "out"),
                        "--workers", "2", "--seed", str(seed))
    assert result.returncode == 0, result.stderr[-3000:]
    return tmp / "out"


@pytest.fixture(scope="module")
def mistakes_class(tmp_path_factory):
    """One student per typical mistake, graded in one batch."""
    return _graded_class(tmp_path_factory.mktemp("mistakes"), {
        mistake: lambda notebook, mistake=mistake: with_mistakes(notebook, (mistake,))
        for mistake in LOSES}, seed=3)


@pytest.mark.parametrize("mistake", sorted(LOSES))
def test_each_typical_mistake_loses_exactly_its_problems(mistakes_class, mistake):
    problems = _problems(mistakes_class, mistake)
    lost = {g for g, p in problems.items()
            if p["points"] is not None and p["points"] < p["possible"]}
    assert lost == LOSES[mistake]
    # Wrong at the core: nothing; a contract slip: something, less than everything.
    for g in lost:
        if g in SLIPS.get(mistake, set()):
            assert 0 < problems[g]["points"] < problems[g]["possible"], problems[g]["summary"]
        else:
            assert problems[g]["points"] == 0, problems[g]["summary"]


@pytest.fixture(scope="module")
def alternatives_class(tmp_path_factory):
    """One student per correct alternative of examples/alternatives.py, graded in one batch."""
    return _graded_class(tmp_path_factory.mktemp("alternatives"), {
        name: lambda notebook, cells=cells: completed(notebook, cells)
        for name, cells in ALTERNATIVES.items()}, seed=5)


@pytest.mark.parametrize("alternative", sorted(ALTERNATIVES))
def test_each_correct_alternative_earns_full_marks(alternatives_class, alternative):
    problems = _problems(alternatives_class, alternative)
    short = {g: p["summary"] for g, p in problems.items()
             if p["points"] is not None and p["points"] < p["possible"]}
    assert short == {}


@pytest.mark.parametrize("how, workers", [(signal.SIGINT, 1), (signal.SIGINT, 2),
                                          (signal.SIGKILL, 2)])
def test_an_interrupted_run_resumes_where_it_stopped(tmp_path, how, workers):
    # Enough complete submissions that the signal always lands mid-batch, however fast
    # the first one is graded.
    submitted = tmp_path / "submitted"
    students = ["ada", "bob", "carol"] + [f"ada{i}" for i in range(2, 9)]
    for student in students:
        shutil.copytree(EXAMPLES / student.rstrip("0123456789"), submitted / student)
    out = tmp_path / "out"
    marker = f"course-kit-test-{tmp_path.name}"
    process = subprocess.Popen([str(COURSE_BIN), "autograde", str(submitted), "--out", str(out),
                                "--seed", "4", "--workers", str(workers)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "COURSE_KIT_TEST_MARK": marker},
                               # As from a terminal: a shell's background job (`cmd &`) starts
                               # with SIGINT ignored, and Python then keeps ignoring it.
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 300
    while not list(out.glob("*/*/results.json")) and time.time() < deadline:
        time.sleep(0.2)
    process.send_signal(how)
    process.wait(timeout=60)
    # Nothing of the batch outlives it: grading processes, fork server, sandboxes.
    deadline = time.time() + 15
    while live_processes(marker) and time.time() < deadline:
        time.sleep(0.2)
    assert live_processes(marker) == []
    if how == signal.SIGINT:
        assert process.returncode == 130 and "to resume" in process.stderr.read()
    finished = {p.parent.parent.name for p in out.glob("*/*/results.json")}
    assert 1 <= len(finished) < len(students)
    for path in out.glob("*/*/results.json"):  # whatever is there is whole
        json.loads(path.read_text())
    resumed = run_course("autograde", str(submitted), "--out", str(out), "--seed", "4")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert not list(out.rglob("*.tmp"))  # nor any half-written file left over
    assert f"reused {len(finished)} finished earlier" in resumed.stdout
    assert set(_grades(out)) == set(students)
    assert _grades(out)["ada"]["total"] == "26"


def test_a_batch_killed_while_starting_leaves_nothing_behind(tmp_path):
    # Killed while its fork server still imports torch: the grading processes it forks
    # afterwards find the batch gone before they could watch it, and must end anyway.
    submitted = tmp_path / "submitted"
    shutil.copytree(EXAMPLES / "ada", submitted / "ada")
    marker = f"course-kit-test-{tmp_path.name}"
    process = subprocess.Popen([str(COURSE_BIN), "autograde", str(submitted), "--out",
                                str(tmp_path / "out"), "--workers", "2"], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "COURSE_KIT_TEST_MARK": marker})
    deadline = time.time() + 60
    while (not any("forkserver" in p for p in live_processes(marker))
           and time.time() < deadline):
        time.sleep(0.05)
    time.sleep(0.5)  # the batch asks for its grading processes; the server is still busy
    process.kill()
    process.wait(timeout=60)
    deadline = time.time() + 60  # the fork server first finishes its imports
    while live_processes(marker) and time.time() < deadline:
        time.sleep(0.2)
    assert live_processes(marker) == []


def test_check_runs_the_visible_tests(tmp_path):
    result = run_course("check", str(EXAMPLES / "carol" / ASSIGNMENT / "02-seven-steps.ipynb"))
    assert result.returncode == 1
    # Cells named as JupyterLab numbers them, with the problem they belong to.
    assert re.search(r"^PASS  cell \d+ \(Problem 2: quadratic\)$", result.stdout, re.M)
    assert re.search(r"^FAIL  cell \d+ \(Problem 3: mse\): AssertionError", result.stdout, re.M)
    # A knock-on failure points back at the problem that causes it.
    assert re.search(r"likely cause: cell \d+ \(Problem 3: mse\), above", result.stdout)
    assert "passed" in result.stdout and "visible tests only" in result.stdout
    good = run_course("check", str(EXAMPLES / "ada" / ASSIGNMENT / "01-gradients.ipynb"))
    assert good.returncode == 0 and "0 failed" in good.stdout
