"""Grading on a Dask cluster gives the same grades as grading on this machine."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from build_examples import ASSIGNMENT, NOTEBOOKS, completed, with_mistakes

from autograder.results import read_results
from tests.conftest import ROOT, run_course

# student -> notebook -> how it is filled in ("missing": not handed in)
CLASS = {
    "ada": dict.fromkeys(NOTEBOOKS, "complete"),
    "carol": {**dict.fromkeys(NOTEBOOKS, ("mse-sum", "closed-form-fit")),
              NOTEBOOKS[0]: "blank"},
    "frank": {NOTEBOOKS[0]: ("hard-coded",), NOTEBOOKS[1]: "blank", NOTEBOOKS[2]: "missing"},
}


def _build(dest: Path) -> Path:
    for student, notebooks in CLASS.items():
        folder = dest / student / ASSIGNMENT
        folder.mkdir(parents=True)
        for notebook, how in notebooks.items():
            if how == "missing":
                continue
            nb = (completed(notebook) if how == "complete" else
                  completed(notebook, blank=True) if how == "blank" else
                  with_mistakes(notebook, how))
            nbformat.write(nb, str(folder / notebook))
    # mallory links ada's notebook: the client must not read it through the link
    mallory = dest / "mallory" / ASSIGNMENT
    mallory.mkdir(parents=True)
    (mallory / NOTEBOOKS[0]).symlink_to(dest / "ada" / ASSIGNMENT / NOTEBOOKS[0])
    return dest


def _outcomes(out: Path) -> dict[str, tuple]:
    """What must not depend on where a submission was graded."""
    found = {}
    for path in sorted(out.glob(f"*/{ASSIGNMENT}/results.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[data["student"]] = (
            data["total"], data["possible"], data["seed"], data["sandbox"],
            [(nb["notebook"], nb["status"], [(t["problem"], t["name"], t["passed"], t["points"])
                                            for t in nb["tests"]]) for nb in data["notebooks"]])
    return found


@pytest.mark.slow
def test_dask_cluster_grades_like_this_machine(tmp_path: Path) -> None:
    from distributed import LocalCluster

    submitted = _build(tmp_path / "submitted")
    local = run_course("autograde", str(submitted), "--out", str(tmp_path / "local"),
                       "--seed", "5")
    assert local.returncode == 0, local.stderr[-3000:]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, scheduler_port=0) as cluster:
        dask = run_course("autograde", str(submitted), "--out", str(tmp_path / "dask"),
                          "--seed", "5", "--dask-scheduler", cluster.scheduler_address)
    assert dask.returncode == 0, dask.stderr[-3000:]

    grades = [(tmp_path / run / "grades.csv").read_text(encoding="utf-8")
              for run in ("local", "dask")]
    assert grades[0] == grades[1]
    local_outcomes, dask_outcomes = _outcomes(tmp_path / "local"), _outcomes(tmp_path / "dask")
    assert set(local_outcomes) == set(CLASS) | {"mallory"}
    assert dask_outcomes == local_outcomes
    linked = json.loads((tmp_path / "dask" / "mallory" / ASSIGNMENT / "results.json").read_text())
    assert linked["total"] == 0 and "symbolic link" in linked["notebooks"][0]["reason"]
    ada = read_results(tmp_path / "local" / "ada" / ASSIGNMENT / "results.json")
    # full marks but the written answer a person grades: a real grading
    assert ada.total + ada.pending == ada.possible and ada.pending > 0
    for student in [*CLASS, "mallory"]:
        assert (tmp_path / "dask" / student / ASSIGNMENT / "feedback.html").is_file()


def test_a_worker_with_another_version_of_the_course_refuses(tmp_path: Path) -> None:
    from autograder.batch.dask_runner import grade_remote
    from autograder.errors import CourseKitError

    notebooks = {NOTEBOOKS[0]: nbformat.writes(completed(NOTEBOOKS[0])).encode()}
    with pytest.raises(CourseKitError, match="differs from the client's"):
        grade_remote(str(ROOT), False, "ada", ASSIGNMENT, notebooks, 5, "0" * 64)
