"""A real `course autograde` over a class of fuzzed notebooks: one good row per student.

The class's files are drawn by hypothesis from tests/fuzzing.py (derandomized: the same
class every run); FUZZ_CLASS sets its size (default 24 in CI; SECURITY.md gives the
longer run). Each student submits one fuzzed
01-gradients.ipynb, 02-seven-steps.ipynb and 03-linear-regression.ipynb are ada's, so
the crafted file sits among notebooks that run. The batch must exit 0 and write one
well-formed grades.csv row per student; a file the kit cannot use is a reason, and
every other notebook is graded as ada's.
"""

from __future__ import annotations

import csv
import json
import os
import shutil

import pytest
from hypothesis import Phase, given, settings

from tests.conftest import ROOT, run_course
from tests.end_to_end.test_hostile import _course
from tests.fuzzing import FUZZ, notebook_files

pytestmark = pytest.mark.slow

ADA = ROOT / "examples" / "submitted" / "ada" / "gradient-descent"
CLASS_SIZE = int(os.environ.get("FUZZ_CLASS", "24"))


def _fuzzed_class(size: int) -> list[bytes]:
    """SIZE files drawn by hypothesis (its generate phase only: nothing to shrink)."""
    drawn: list[bytes] = []

    @settings(FUZZ, max_examples=size, phases=[Phase.generate])
    @given(notebook_files())
    def collect(data: bytes) -> None:
        drawn.append(data)

    collect()
    return drawn[:size]


def test_a_class_of_fuzzed_notebooks_gets_one_row_each(tmp_path):
    course = _course(tmp_path)
    submitted = tmp_path / "submitted"
    files = _fuzzed_class(CLASS_SIZE)
    for n, data in enumerate(files):
        folder = submitted / f"fuzz-{n:03d}" / "gradient-descent"
        folder.mkdir(parents=True)
        (folder / "01-gradients.ipynb").write_bytes(data)
        for name in ("02-seven-steps.ipynb", "03-linear-regression.ipynb"):
            shutil.copy(ADA / name, folder / name)
    run = run_course("autograde", str(submitted), "--out", str(tmp_path / "out"),
                     "--workers", "2", "--seed", "3", cwd=course, timeout=3000)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = list(csv.DictReader((tmp_path / "out" / "grades.csv").open(encoding="utf-8")))
    assert sorted(r["student"] for r in rows) == [f"fuzz-{n:03d}" for n in range(len(files))]
    header = rows[0].keys()
    outcomes = {"graded": 0, "not_graded": 0}
    for row in rows:
        assert row.keys() == header and float(row["possible"]) == 28  # manual points included
        assert 0 <= float(row["total"]) <= 26 and float(row["pending"]) in (0, 2)
        result = json.loads((tmp_path / "out" / row["student"] / "gradient-descent" /
                             "results.json").read_text())
        first, *others = result["notebooks"]
        assert first["status"] in outcomes, first["reason"]  # never "error": the kit held
        assert first["status"] == "graded" or first["reason"]
        outcomes[first["status"]] += 1
        for nb in others:  # ada's notebooks, next to the fuzzed one: full marks
            assert all(p["points"] in (None, p["possible"]) for p in nb["problems"]), nb
    print(f"fuzzed class of {len(files)}: {outcomes}")
    assert outcomes["not_graded"] > 0
