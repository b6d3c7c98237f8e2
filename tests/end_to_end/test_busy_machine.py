"""A grade depends on the student's code alone, not on the grading machine's load.

The example class, one student per typical mistake and one per correct alternative are
graded twice with the same seed: on a quiet machine, and on an oversubscribed one (eight
grading processes, and a busy loop on every core). Every score, and every check's verdict,
must be the same. Slow: two gradings of some thirty submissions.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from alternatives import ALTERNATIVES
from build_examples import ASSIGNMENT, NOTEBOOKS, completed, with_mistakes
from mistakes import LOSES

from tests.conftest import ROOT, run_course

pytestmark = pytest.mark.slow

SEED = "7"


def _class(folder: Path) -> Path:
    """examples/submitted, plus a student per mistake and per alternative, in FOLDER."""
    shutil.copytree(ROOT / "examples" / "submitted", folder)
    students = {f"mistake-{m}": lambda nb, m=m: with_mistakes(nb, (m,)) for m in LOSES}
    students.update({f"alternative-{a}": lambda nb, cells=cells: completed(nb, cells)
                     for a, cells in ALTERNATIVES.items()})
    for student, notebook_of in students.items():
        target = folder / student / ASSIGNMENT
        target.mkdir(parents=True)
        for notebook in NOTEBOOKS:
            nbformat.write(notebook_of(notebook), str(target / notebook))
    return folder


def _verdicts(out: Path) -> dict[str, object]:
    """Every student's grades.csv row, and every check's verdict (not its message: a
    mistake that starts from unseeded random numbers prints other numbers every run)."""
    with (out / "grades.csv").open(encoding="utf-8") as f:
        found: dict[str, object] = {row["student"]: row for row in csv.DictReader(f)}
    for results in sorted(out.glob(f"*/{ASSIGNMENT}/results.json")):
        data = json.loads(results.read_text())
        for nb in data["notebooks"]:
            for test in nb.get("tests", []):
                found[f"{data['student']}/{test['problem']}/{test['name']}"] = test["passed"]
    return found


def test_an_oversubscribed_machine_gives_the_scores_of_a_quiet_one(tmp_path):
    submitted = _class(tmp_path / "submitted")
    quiet = run_course("autograde", str(submitted), "--out", str(tmp_path / "quiet"),
                       "--workers", "2", "--seed", SEED, timeout=1800)
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    cores = os.cpu_count() or 1
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(cores)]
    try:
        loaded = run_course("autograde", str(submitted), "--out", str(tmp_path / "busy"),
                            "--workers", "8", "--seed", SEED, timeout=3600)
        load = os.getloadavg()[0]
    finally:
        for process in busy:
            process.kill()
            process.wait()
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert load >= cores  # the machine really was oversubscribed
    expected, got = _verdicts(tmp_path / "quiet"), _verdicts(tmp_path / "busy")
    assert len(expected) > 30 * 20  # every student, every check
    differ = {k: (expected.get(k), got.get(k)) for k in expected.keys() | got.keys()
              if expected.get(k) != got.get(k)}
    assert differ == {}
