"""`course export gradescope`: the autograder.zip, and run_autograder in a simulated /autograder."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from autograder.integrations import gradescope_uploads
from autograder.integrations.gradescope import to_gradescope
from autograder.integrations.gradescope_export import gradescope_script
from autograder.integrations.gradescope_uploads import collect_uploads, find_notebooks
from autograder.pipeline.safe_read import Refused
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
    assert {"setup.sh", "run_autograder", "course.yml", "constraints.txt", "pyproject.toml",
            "autograder/integrations/gradescope.py", "autograder/sandbox/inside/worker.py",
            "autograder/templates/feedback.html",
            f"autograder/graders/{ASSIGNMENT}/test_02_seven_steps.py",
            f"release/{ASSIGNMENT}/02-seven-steps.ipynb"} <= names
    assert not any("__pycache__" in n or n.startswith(("solutions/", "source/")) for n in names)
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
    assert run.startswith("#!/usr/bin/env bash") and "GRADESCOPE_ROOT" in run
    for step in ('install -q -c "$SOURCE_DIR/constraints.txt" -e "$SOURCE_DIR"',
                 "apt-get install -y -qq bubblewrap", 'UNSAFE_NO_SANDBOX="${COURSE_KIT_UNSAFE_NO'
                 '_SANDBOX:-0}"', "check_python\n  check_bubblewrap\n"):
        assert step in setup
    assert "[instructor" not in setup and "nbgrader" not in setup  # grading needs neither
    assert subprocess.run(["bash", "-n", "-c", setup]).returncode == 0
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


# ------------------------------------------------------------------ setup.sh, step by step
# setup.sh defines functions and runs main() only when executed, so each check can be tried
# here with fake tools on PATH (a bwrap that cannot create namespaces, an old python3, a
# pip that records what it was asked), without installing anything.
def _setup_sh(tmp_path: Path, unsafe: bool = False) -> Path:
    source = tmp_path / "source"  # /autograder/source: setup.sh beside constraints.txt
    source.mkdir(exist_ok=True)
    shutil.copy(ROOT / "constraints.txt", source / "constraints.txt")
    script = source / "setup.sh"
    script.write_text(gradescope_script("setup.sh", unsafe=int(unsafe)))
    return script


def _fake(folder: Path, name: str, body: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(f"#!/bin/sh\n{body}\n")
    (folder / name).chmod(0o755)


def _call(script: Path, function: str, path: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`source setup.sh; FUNCTION` with this PATH; prints $PYTHON afterwards."""
    # not in an && list: there bash would ignore the script's `set -e`
    return subprocess.run([shutil.which("bash") or "/bin/bash", "-c",
                           'source "$1"\n"$2"\necho "PYTHON=${PYTHON:-}"',
                           "bash", str(script), function],
                          env={"PATH": path, "HOME": str(script.parent),
                               "COURSE_KIT_VENV": str(script.parent / "venv"), **env},
                          capture_output=True, text=True, timeout=60)


def test_setup_sh_is_valid_bash_and_sourcing_it_installs_nothing(tmp_path):
    for unsafe in (False, True):
        script = _setup_sh(tmp_path, unsafe)
        assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    fakes = tmp_path / "bin"
    for tool in ("apt-get", "pip", "python3"):
        _fake(fakes, tool, f"echo {tool} was run >&2; exit 3")
    done = _call(script, "true", f"{fakes}:{os.environ['PATH']}")
    assert done.returncode == 0 and "was run" not in done.stderr, done.stderr


def test_setup_sh_chooses_container_mode_when_bubblewrap_cannot_create_namespaces(tmp_path):
    fakes = tmp_path / "bin"
    _fake(fakes, "bwrap", 'echo "$@" > "$HOME/bwrap-args"\n'
          'echo "bwrap: No permissions to create new namespace" >&2; exit 1')
    _fake(fakes, "id", "echo 0")  # root, as Gradescope runs setup.sh
    path = f"{fakes}:{os.environ['PATH']}"
    done = _call(_setup_sh(tmp_path), "check_bubblewrap", path)
    assert done.returncode == 0, done.stderr
    assert "bubblewrap cannot create namespaces here" in done.stdout
    assert "No permissions to create new namespace" in done.stdout  # what bwrap said
    assert "container mode" in done.stdout and "unprivileged uid" in done.stdout
    probe = (tmp_path / "source" / "bwrap-args").read_text().split()
    assert {"--unshare-pid", "--unshare-net", "--proc", "true"} <= set(probe)
    # not root: no uid to switch to, so it stops, unless the instructor accepted the risk
    _fake(fakes, "id", "echo 1000")
    refused = _call(_setup_sh(tmp_path), "check_bubblewrap", path)
    assert refused.returncode == 1
    assert "error: bubblewrap cannot create namespaces here" in refused.stderr
    assert "not root" in refused.stderr and "--unsafe-no-sandbox" in refused.stderr
    accepted = _call(_setup_sh(tmp_path, unsafe=True), "check_bubblewrap", path)
    assert accepted.returncode == 0 and "WARNING: bubblewrap cannot create" in accepted.stdout
    _fake(fakes, "bwrap", "exit 0")
    works = _call(_setup_sh(tmp_path), "check_bubblewrap", path)
    assert works.returncode == 0 and "bubblewrap works" in works.stdout


def test_setup_sh_fails_clearly_without_bubblewrap_or_python_3_11(tmp_path):
    fakes = tmp_path / "bin"  # the only folder on PATH: no bwrap, an old python3
    _fake(fakes, "python3", 'case "$1" in --version) echo "Python 3.10.12";; *) exit 1;; esac')
    os.symlink(shutil.which("dirname"), fakes / "dirname")
    script = _setup_sh(tmp_path)
    _fake(fakes, "id", "echo 1000")
    missing = _call(script, "check_bubblewrap", str(fakes))
    assert missing.returncode == 1
    assert "error: bubblewrap (bwrap) is not installed" in missing.stderr
    old = _call(script, "check_python", str(fakes))
    assert old.returncode == 1
    assert "needs Python >= 3.11, and this image has Python 3.10.12" in old.stderr
    assert "Ubuntu 22.04 base image" in old.stderr
    os.symlink(sys.executable, fakes / "python3.11")  # an interpreter that is new enough
    new = _call(script, "check_python", str(fakes))
    assert new.returncode == 0 and "PYTHON=python3.11" in new.stdout, new.stderr


def test_setup_sh_takes_torch_from_the_cpu_index_when_reachable(tmp_path):
    import http.server
    import threading

    index = tmp_path / "index"
    (index / "torch").mkdir(parents=True)
    (index / "torch" / "index.html").write_text("<a>torch-2.13.0+cpu</a>")
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(index))  # noqa
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    venv = tmp_path / "venv"
    _fake(venv / "bin", "pip", 'echo "$@" >> "$HOME/pip-calls"')
    script = _setup_sh(tmp_path)
    calls = tmp_path / "source" / "pip-calls"
    env = {"COURSE_KIT_VENV": str(venv), "PYTHON": sys.executable}
    pins = dict(line.split("==") for line in (ROOT / "constraints.txt").read_text().splitlines()
                if line.startswith(("torch==", "torchvision==")))
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        done = _call(script, "install_torch", os.environ["PATH"], TORCH_CPU_INDEX=url, **env)
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stderr
    assert f"CPU-only builds, from {url}" in done.stdout
    assert calls.read_text().split() == [
        "install", "-q", "--no-deps", "--index-url", url,
        f"torch=={pins['torch']}", f"torchvision=={pins['torchvision']}"]
    calls.unlink()
    closed = "http://127.0.0.1:9"  # nothing listens on the discard port
    done = _call(script, "install_torch", os.environ["PATH"], TORCH_CPU_INDEX=closed, **env)
    assert done.returncode == 1  # never the CUDA build from the default index, silently
    assert f"error: PyTorch's CPU wheel index {closed} is not reachable" in done.stderr
    assert "CUDA build" in done.stderr and not calls.exists()


def _solution_lines() -> set[str]:
    """Every non-trivial line of the source's solutions (between ### BEGIN SOLUTION and
    ### END SOLUTION, and written answers) that the assignment does not show students
    anyway (a hint in the lecture text may repeat a line of the answer)."""
    secret, public = set(), []
    for path in (ROOT / "source" / ASSIGNMENT).glob("*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            text = "".join(cell["source"])
            if cell["metadata"].get("nbgrader", {}).get("solution") and \
                    cell["cell_type"] == "markdown" and "### BEGIN SOLUTION" not in text:
                # a written answer without markers: all of it
                blocks, text = [text], ""
            else:
                blocks = re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", text, re.S)
                text = re.sub(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", "", text,
                              flags=re.S)
            public.append(text)
            for block in blocks:
                secret |= {line.strip() for line in block.splitlines() if len(line.strip()) > 12}
    shown = "\n".join(public)
    return {line for line in secret if line not in shown}


def test_the_zip_ships_no_solution(tmp_path):
    """Grading needs only the release notebooks and the graders' folder: no solution line
    is anywhere else in the zip. The graders' folder does hold solutions: the reference
    helpers (reference/*.json, every autograded solution cell) and the graders' own
    reference code, readable by root alone when grading (SECURITY.md)."""
    archive = tmp_path / "autograder.zip"
    assert run_course("export", "gradescope", ASSIGNMENT, "--out", str(archive)).returncode == 0
    solutions = _solution_lines()
    assert len(solutions) > 40  # the check has something to look for
    with zipfile.ZipFile(archive) as zf:
        shipped = {name: zf.read(name).decode("utf-8", "replace") for name in zf.namelist()}
        course_yml = yaml.safe_load(shipped["course.yml"])
    assert course_yml["paths"]["source"] == "release"
    helpers = "\n".join(v for k, v in shipped.items() if k.startswith(
        f"autograder/graders/{ASSIGNMENT}/reference/"))
    assert any(line in helpers for line in solutions)  # said truly: these are solutions
    for name, text in shipped.items():
        if name.startswith(f"autograder/graders/{ASSIGNMENT}/"):
            continue
        if name.endswith(".ipynb"):  # notebooks store lines as JSON strings
            text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
        leaked = [line for line in solutions if line in text]
        assert not leaked, f"{name} holds solution lines: {leaked[:3]}"


def test_uploads_are_read_without_following_links(tmp_path):
    submission = tmp_path / "submission"
    (submission / "hw").mkdir(parents=True)
    (submission / "hw" / "01-gradients.ipynb").symlink_to(
        ROOT / "source" / ASSIGNMENT / "01-gradients.ipynb")
    (submission / "elsewhere").symlink_to(ROOT / "examples" / "submitted" / "ada")
    os.mkfifo(submission / "03-linear-regression.ipynb")
    got = collect_uploads(submission, ["01-gradients.ipynb", "02-seven-steps.ipynb",
                                       "03-linear-regression.ipynb"])
    assert isinstance(got["01-gradients.ipynb"], Refused)
    assert "symbolic link" in str(got["01-gradients.ipynb"])
    assert "02-seven-steps.ipynb" not in got  # only through the linked folder: not entered
    assert "named pipe" in str(got["03-linear-regression.ipynb"])


def test_an_uploaded_zip_is_read_safely(tmp_path, monkeypatch):
    monkeypatch.setattr(gradescope_uploads, "MAX_NOTEBOOK_BYTES", 2_000_000)
    submission = tmp_path / "submission"
    submission.mkdir()
    ada = ROOT / "examples" / "submitted" / "ada" / ASSIGNMENT
    with zipfile.ZipFile(submission / "homework.zip", "w") as zf:
        zf.write(ada / "02-seven-steps.ipynb", "../../hw/02-seven-steps.ipynb")
        link = zipfile.ZipInfo("hw/01-gradients.ipynb")
        link.external_attr = (0o120777 << 16)  # a symbolic link, as zip -y stores one
        zf.writestr(link, str(ROOT / "source" / ASSIGNMENT / "01-gradients.ipynb"))
        bomb = zipfile.ZipInfo("hw/03-linear-regression.ipynb")
        zf.writestr(bomb, b"0" * 2_000_010, zipfile.ZIP_DEFLATED)  # a small zip bomb
    got = collect_uploads(submission, ["01-gradients.ipynb", "02-seven-steps.ipynb",
                                       "03-linear-regression.ipynb"])
    assert got["02-seven-steps.ipynb"] == (ada / "02-seven-steps.ipynb").read_bytes()
    assert not (tmp_path / "hw").exists()  # nothing is extracted, so nothing traverses
    assert "symbolic link" in str(got["01-gradients.ipynb"])
    assert "more than" in str(got["03-linear-regression.ipynb"])


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


def test_uploads_are_matched_as_students_name_them(tmp_path):
    """Browser suffixes and case, then content (the nbgrader cell ids), then by elimination;
    a notebook still missing is reported with the names of the files that were found."""
    ada = ROOT / "examples" / "submitted" / "ada" / ASSIGNMENT
    files = ["01-gradients.ipynb", "02-seven-steps.ipynb", "03-linear-regression.ipynb"]
    cells = {f: gradescope_uploads.grade_ids((ROOT / "release" / ASSIGNMENT / f).read_bytes())
             for f in files}
    submission = tmp_path / "submission"
    submission.mkdir()
    shutil.copy(ada / files[0], submission / "01-Gradients (1).ipynb")
    shutil.copy(ada / files[1], submission / "my homework.ipynb")  # renamed: by content
    (submission / "notes.txt").write_text("mine")
    found = find_notebooks(submission, files, cells)
    assert found == {files[0]: submission / "01-Gradients (1).ipynb",
                     files[1]: submission / "my homework.ipynb"}
    got = collect_uploads(submission, files, cells)
    assert got[files[1]] == (ada / files[1]).read_bytes() and files[2] not in got
    described = gradescope_uploads.describe_uploads(submission)
    assert "01-Gradients (1).ipynb" in described and "notes.txt" in described
    # the exact name wins over a look-alike, and a look-alike is not taken twice
    shutil.copy(ada / files[0], submission / files[0])
    assert find_notebooks(submission, files, cells)[files[0]] == submission / files[0]
    assert gradescope_uploads.loose_name("02-Seven_Steps copy 2.ipynb") == \
        gradescope_uploads.loose_name("02-seven-steps.ipynb")
    # inside a zip, by the same rules
    (tmp_path / "zipped").mkdir()
    with zipfile.ZipFile(tmp_path / "zipped" / "hw.zip", "w") as zf:
        zf.write(ada / files[2], "hw/03-Linear-Regression (2).ipynb")
        zf.write(ada / files[1], "hw/untitled.ipynb")
    got = collect_uploads(tmp_path / "zipped", files, cells)
    assert got[files[2]] == (ada / files[2]).read_bytes()
    assert got[files[1]] == (ada / files[1]).read_bytes()
