"""Hostile and broken submissions: contained, graded right, nothing lost.

One batch holds every attack (tests/fixtures/hostile/, one notebook per scenario), the
broken files, and honest students; a second batch holds the honest students alone.
Each attacker must lose exactly the problems whose answers it got wrong or broke,
and the honest students must be graded identically in both batches.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import FIXTURES, ROOT, copy_course, live_processes, run_course

pytestmark = pytest.mark.slow

BROKEN = FIXTURES / "broken"
GRADIENTS, STEPS = "01-gradients.ipynb", "02-seven-steps.ipynb"
PORT = 47613  # the network fixture tries to reach the host here
SEED = "11"

# scenario -> problems of its notebook that it must lose (all others: full marks)
LOSES: dict[str, set[str]] = {
    "exit-at-top-level": set(), "os-exit-at-top-level": set(), "kills-its-parent": set(),
    "kills-every-process": set(), "infinite-loop-at-top-level": set(),
    "sleeps-at-import": set(), "memory-at-once": set(), "memory-gradually": set(),
    "fork-bomb": set(), "floods-stdout": set(), "writes-a-huge-file": set(),
    "reads-secrets": set(), "writes-everywhere": set(), "opens-network-connections": set(),
    "tampers-with-cells-and-metadata": set(),
    "monkeypatches-comparisons": {"grad_of_square"},
    "forges-results": {"grad_of_square"},
    "writes-protocol-messages": {"grad_of_square"},
    "exit-inside-function": {"grad_of_square"},
    "ignores-signals": {"grad_of_square"},
    "os-exit-inside-function": {"gradient"},
    "hangs-inside-function": {"sum_of_squares"},
    "returns-always-equal-objects": {"grad_of_square", "sum_of_squares", "gradient"},
    "hunts-memory-for-answers": {"gradient"},
    "mutates-grader-inputs": {"gradient"},
}
HONEST = ("ada", "carol")
BROKEN_STUDENTS = {  # student id (spaces, non-ASCII) -> (fixture, submitted as)
    "José María": ("truncated-json.ipynb", GRADIENTS),
    "李雷": ("empty-file.ipynb", GRADIENTS),
    "script kid": ("python-script.ipynb", GRADIENTS),
    "old timer": ("nbformat-v3.ipynb", "03-linear-regression.ipynb"),
}
HOST_LITTER = [Path(p) / "pwned-by-student.txt" for p in
               ("/tmp", "/work/main", "/work", "/root", "/", "/etc", str(ROOT))]


def _notebook_of(scenario: str) -> str:
    return STEPS if scenario == "tampers-with-cells-and-metadata" else GRADIENTS


def _course(tmp: Path) -> Path:
    """The course with short limits, so that hangs cost seconds, not minutes."""
    dest = copy_course(tmp / "course")
    config = yaml.safe_load((ROOT / "course.yml").read_text())
    config["limits"].update(call_seconds=5, cell_seconds=10, notebook_seconds=60)
    (dest / "course.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    return dest


def _honest(submitted: Path) -> None:
    for student in HONEST:
        shutil.copytree(ROOT / "examples" / "submitted" / student, submitted / student)


class _Listener:
    """A TCP server on the host's loopback that records any connection."""

    def __init__(self) -> None:
        self.connections = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", PORT))
        self.sock.listen()
        self.sock.settimeout(0.5)
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                continue

    def close(self) -> None:
        self.stop = True
        self.thread.join()
        self.sock.close()


@pytest.fixture(scope="module")
def batches(tmp_path_factory, fixture_notebooks):
    tmp = tmp_path_factory.mktemp("hostile")
    course = _course(tmp)
    mixed, clean = tmp / "mixed", tmp / "clean"
    for scenario in LOSES:
        folder = mixed / scenario / "gradient-descent"
        folder.mkdir(parents=True)
        shutil.copy(fixture_notebooks / "hostile" / f"{scenario}.ipynb",
                    folder / _notebook_of(scenario))
    for student, (fixture, name) in BROKEN_STUDENTS.items():
        folder = mixed / student / "gradient-descent"
        folder.mkdir(parents=True)
        shutil.copy(BROKEN / fixture, folder / name)
    extra = mixed / "extra files" / "gradient-descent"
    shutil.copytree(ROOT / "examples" / "submitted" / "ada" / "gradient-descent", extra)
    (extra / "notes.txt").write_text("my notes")
    (extra / "04-bonus.ipynb").write_text("{}")
    _outputs_50mb(ROOT / "examples" / "submitted" / "ada" / "gradient-descent" / GRADIENTS,
                  mixed / "big outputs" / "gradient-descent" / GRADIENTS)
    _honest(mixed)
    _honest(clean)
    for path in HOST_LITTER:
        assert not path.exists(), f"{path} exists before the test"
    listener = _Listener()
    started = time.time()
    try:
        mixed_run = run_course("autograde", str(mixed), "--out", str(tmp / "out-mixed"),
                               "--workers", "2", "--seed", SEED, cwd=course)
    finally:
        listener.close()
    clean_run = run_course("autograde", str(clean), "--out", str(tmp / "out-clean"),
                           "--workers", "2", "--seed", SEED, cwd=course)
    return {"mixed": mixed_run, "clean": clean_run, "out": tmp / "out-mixed",
            "clean_out": tmp / "out-clean", "listener": listener, "course": course,
            "seconds": time.time() - started}


def _results(out: Path, student: str) -> dict:
    return json.loads((out / student / "gradient-descent" / "results.json").read_text())


def _notebook(out: Path, student: str, name: str) -> dict:
    return next(nb for nb in _results(out, student)["notebooks"] if nb["notebook"] == name)


def _outputs_50mb(source: Path, dest: Path) -> None:
    nb = json.loads(source.read_text())
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "x" * (50 * 2**20)}]
    dest.parent.mkdir(parents=True)
    dest.write_text(json.dumps(nb))


def test_the_batch_completes_and_exits_zero(batches):
    for run in (batches["mixed"], batches["clean"]):
        assert run.returncode == 0, run.stderr[-3000:]


@pytest.mark.parametrize("scenario", sorted(LOSES))
def test_attacker_loses_exactly_what_it_did_not_earn(batches, scenario):
    nb = _notebook(batches["out"], scenario, _notebook_of(scenario))
    assert nb["status"] == "graded", nb["reason"]
    lost = {p["problem"] for p in nb["problems"]
            if p["points"] is not None and p["points"] < p["possible"]}
    assert lost == LOSES[scenario], [t["message"] for t in nb["tests"] if not t["passed"]][:5]


def test_honest_students_are_graded_exactly_as_without_attackers(batches):
    for student in HONEST:
        mixed = _results(batches["out"], student)
        clean = _results(batches["clean_out"], student)
        assert mixed["total"] == clean["total"]
        for a, b in zip(mixed["notebooks"], clean["notebooks"], strict=True):
            assert a["problems"] == b["problems"]
            assert [(t["name"], t["passed"]) for t in a["tests"]] == \
                [(t["name"], t["passed"]) for t in b["tests"]]
    assert _results(batches["out"], "ada")["total"] == 26


def test_broken_files_are_rows_with_reasons(batches):
    rows = {r["student"]: r for r in csv.DictReader(
        (batches["out"] / "grades.csv").open(encoding="utf-8"))}
    for student, (fixture, name) in BROKEN_STUDENTS.items():
        assert student in rows, f"no grades.csv row for {student!r}"
        nb = _notebook(batches["out"], student, name)
        if fixture == "nbformat-v3.ipynb":
            assert nb["status"] == "graded"  # upgraded and graded: linear_model is correct
            assert next(p for p in nb["problems"] if p["problem"] == "linear_model")["points"] == 1
        else:
            assert nb["status"] == "not_graded" and nb["reason"]
            assert rows[student]["total"] == "0"
    assert rows["extra files"]["total"] == "26"
    big = _notebook(batches["out"], "big outputs", GRADIENTS)
    assert big["status"] == "graded" and all(p["points"] == p["possible"] for p in big["problems"])


def test_nothing_is_read_from_outside_the_sandbox(batches):
    cells = _notebook(batches["out"], "reads-secrets", GRADIENTS)["cells"]
    output = "\n".join(c["output"] for c in cells)
    found = [line for line in output.splitlines() if line.startswith("FOUND")]
    # Only the mount skeleton is visible: /root holds nothing but the Python install.
    assert found in ([], ["FOUND /root ['.pyenv']"]), found
    assert output.count("denied") >= 6
    results = (batches["out"] / "reads-secrets" / "gradient-descent" / "results.json").read_text()
    assert "@problem" not in results and "def test_" not in results


def test_nothing_is_written_outside_the_sandbox(batches):
    for path in HOST_LITTER:
        assert not path.exists(), f"a submission wrote {path}"
    assert not (Path("/tmp") / "results.json").exists() or \
        "mallory" not in (Path("/tmp") / "results.json").read_text()
    forged = _results(batches["out"], "forges-results")
    assert forged["student"] == "forges-results" and forged["total"] < forged["possible"]


def test_no_network_leaves_the_sandbox(batches):
    assert batches["listener"].connections == 0
    output = "\n".join(c["output"] for c in
                       _notebook(batches["out"], "opens-network-connections", GRADIENTS)["cells"])
    assert "connected" not in output and "resolved" not in output
    assert output.count("no connection") == 3 and "no DNS" in output


def test_no_process_is_left_behind(batches):
    time.sleep(1)
    # A student process left behind keeps its bwrap alive (bwrap waits for its PID
    # namespace to empty), so this checkout's sandboxes show it.
    assert live_processes() == []


def test_outputs_are_well_formed(batches):
    out = batches["out"]
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    students = {p.name for p in out.iterdir() if p.is_dir()}
    assert {r["student"] for r in rows} == students
    for student in students:
        folder = out / student / "gradient-descent"
        assert {p.name for p in folder.iterdir()} >= {"results.json", "feedback.html"}
        json.loads((folder / "results.json").read_text())
        assert (folder / "feedback.html").read_text().startswith("<!doctype html>")
    assert not list(out.rglob("*.tmp"))


def test_stdout_floods_are_truncated(batches):
    nb = _notebook(batches["out"], "floods-stdout", GRADIENTS)
    flood = next(c for c in nb["cells"] if "more characters of output were dropped" in c["output"])
    assert len(flood["output"]) < 300_000


def test_tampering_is_recorded_and_undone(batches):
    nb = _notebook(batches["out"], "tampers-with-cells-and-metadata", STEPS)
    kinds = {(c["kind"], c["cell"]) for c in nb["changes"]}
    assert {("metadata", "test_mse"), ("unknown_grade_id", "quadratic_renamed"),
            ("restored", "test_apply_step"), ("restored", "test_train"), ("restored", "data"),
            ("metadata", "kernelspec"), ("retyped", "mse"), ("duplicated", "init_params")} <= kinds
    assert {p["problem"]: p["possible"] for p in nb["problems"]}["mse"] == 1


def test_without_bubblewrap_grading_is_refused_unless_accepted(tmp_path):
    """No bwrap, and the container mode ruled out (COURSE_KIT_SANDBOX=bubblewrap, as for
    a user who is not root): refused, unless the weak mode is accepted."""
    submitted = tmp_path / "submitted"
    shutil.copytree(ROOT / "examples" / "submitted" / "ada", submitted / "ada")
    env_path = str(Path(os.sys.executable).parent)  # the venv only: no /usr/bin/bwrap
    refused = subprocess.run([str(Path(env_path) / "course"), "autograde", str(submitted),
                              "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True,
                             text=True, env={**os.environ, "PATH": env_path,
                                                   "COURSE_KIT_SANDBOX": "bubblewrap"})
    assert refused.returncode == 2
    assert "bubblewrap" in refused.stderr and "--unsafe-no-sandbox" in refused.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()
    accepted = subprocess.run([str(Path(env_path) / "course"), "autograde", str(submitted),
                               "--out", str(tmp_path / "out"), "--unsafe-no-sandbox"], cwd=ROOT,
                              capture_output=True, text=True,
                              env={**os.environ, "PATH": env_path,
                                   "COURSE_KIT_SANDBOX": "bubblewrap"}, timeout=600)
    assert accepted.returncode == 0, accepted.stderr[-2000:]
    assert "WITHOUT a sandbox" in accepted.stderr
    assert "ada,gradient-descent" in (tmp_path / "out" / "grades.csv").read_text()
