"""Submissions as they really arrive: linked, damaged by editors, or crafted to break a batch.

One `course autograde` batch holds honest students, submissions that are links (to
the course's source, to a classmate's file, a linked folder), a FIFO, a device, a
folder named like a notebook, the crafted files of tests/fixtures/crafted/ and the
editor-damaged notebooks of tests/fixtures/damaged/; a second batch holds the honest
students alone. Nothing is followed through a link, every student gets a row,
grades.csv is written, the command exits 0, and the honest students are graded
exactly as in the clean batch.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest

from tests.conftest import ROOT, run_course
from tests.end_to_end.test_hostile import _course
from tests.fixtures.build_fixtures import crafted, damaged, strip_marks

pytestmark = pytest.mark.slow

ASSIGNMENT = "gradient-descent"
GRADIENTS, STEPS = "01-gradients.ipynb", "02-seven-steps.ipynb"
LINEAR = "03-linear-regression.ipynb"
ADA = ROOT / "examples" / "submitted" / "ada" / ASSIGNMENT
HONEST = ("ada", "carol")
SEED = "5"

# student -> how its 01-gradients.ipynb is made (02 and 03 are ada's, honest)
LINKED = ("linked-to-source", "linked-to-classmate", "linked-dangling", "linked-folder",
          "linked-assignment-folder", "fifo", "device", "folder-named-notebook")
CRAFTED = sorted(crafted())
DAMAGED = sorted(damaged())


def _ada_copy(folder: Path, skip: str | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for nb in (GRADIENTS, STEPS, LINEAR):
        if nb != skip:
            shutil.copy(ADA / nb, folder / nb)


def _linked(submitted: Path, course: Path, how: str) -> None:
    folder = submitted / how / ASSIGNMENT
    if how == "linked-folder":  # the student's whole folder is a link to a classmate's
        (submitted / how).symlink_to(submitted / "ada")
        return
    if how == "linked-assignment-folder":
        (submitted / how).mkdir()
        folder.symlink_to(submitted / "ada" / ASSIGNMENT)
        return
    _ada_copy(folder, skip=GRADIENTS)
    target = folder / GRADIENTS
    if how == "linked-to-source":
        target.symlink_to(course / "source" / ASSIGNMENT / GRADIENTS)
    elif how == "linked-to-classmate":
        target.symlink_to(submitted / "ada" / ASSIGNMENT / GRADIENTS)
    elif how == "linked-dangling":
        target.symlink_to("/nonexistent/01-gradients.ipynb")
    elif how == "fifo":
        os.mkfifo(target)
    elif how == "device":
        if os.geteuid() == 0:
            os.mknod(target, 0o600 | 0o020000, os.makedev(1, 5))  # like /dev/zero
        else:
            target.symlink_to("/dev/zero")
    elif how == "folder-named-notebook":
        target.mkdir()


@pytest.fixture(scope="module")
def batches(tmp_path_factory, fixture_notebooks):
    tmp = tmp_path_factory.mktemp("arrive")
    course = _course(tmp)
    mixed, clean = tmp / "mixed", tmp / "clean"
    for student in HONEST:
        shutil.copytree(ROOT / "examples" / "submitted" / student, mixed / student)
        shutil.copytree(ROOT / "examples" / "submitted" / student, clean / student)
    for how in LINKED:
        _linked(mixed, course, how)
    for name in CRAFTED:
        folder = mixed / f"crafted {name.removesuffix('.ipynb')}" / ASSIGNMENT
        _ada_copy(folder, skip=GRADIENTS)
        shutil.copy(fixture_notebooks / "crafted" / name, folder / GRADIENTS)
    for name in DAMAGED:
        folder = mixed / name / ASSIGNMENT
        _ada_copy(folder)
        shutil.copy(fixture_notebooks / "damaged" / f"{name}.ipynb", folder / STEPS)
        if name == "submitted-metadata-stripped":  # every notebook, as VS Code saves them
            for nb in (GRADIENTS, LINEAR):
                nbformat.write(strip_marks(nbformat.read(str(ADA / nb), as_version=4)),
                               str(folder / nb))
    runs = {name: run_course("autograde", str(folder), "--out", str(tmp / f"out-{name}"),
                             "--workers", "2", "--seed", SEED, cwd=course)
            for name, folder in (("mixed", mixed), ("clean", clean))}
    return {"runs": runs, "out": tmp / "out-mixed", "clean": tmp / "out-clean",
            "source": (course / "source" / ASSIGNMENT / GRADIENTS).read_text()}


def _results(out: Path, student: str) -> dict:
    return json.loads((out / student / ASSIGNMENT / "results.json").read_text())


def _notebook(out: Path, student: str, name: str) -> dict:
    return next(nb for nb in _results(out, student)["notebooks"] if nb["notebook"] == name)


def _rows(out: Path) -> dict[str, dict[str, str]]:
    return {r["student"]: r for r in csv.DictReader((out / "grades.csv").open(encoding="utf-8"))}


def test_the_batch_exits_zero_with_a_well_formed_row_per_student(batches):
    for run in batches["runs"].values():
        assert run.returncode == 0, run.stderr[-3000:]
    rows = _rows(batches["out"])
    expected = {*HONEST, *LINKED, *(f"crafted {n.removesuffix('.ipynb')}" for n in CRAFTED),
                *DAMAGED}
    assert set(rows) == expected
    for row in rows.values():
        assert row["assignment"] == ASSIGNMENT and float(row["total"]) <= float(row["possible"])
        assert all(v in ("pending", "") or float(v) >= 0 for v in row.values()
                   if v not in (row["student"], row["assignment"]))


@pytest.mark.parametrize("how", LINKED)
def test_a_linked_or_special_entry_earns_zero_and_the_rest_is_graded(batches, how):
    nb = _notebook(batches["out"], how, GRADIENTS)
    assert nb["status"] == "not_graded"
    assert all(p["points"] == 0 for p in nb["problems"])
    word = {"fifo": "named pipe", "device": "device" if os.geteuid() == 0 else "symbolic link",
            "folder-named-notebook": "folder"}.get(how, "symbolic link")
    assert word in nb["reason"] and "counts zero" in nb["reason"], nb["reason"]
    assert [c["kind"] for c in nb["changes"]] == ["refused"]
    if how not in ("linked-folder", "linked-assignment-folder"):  # its other notebooks: ada's
        other = _notebook(batches["out"], how, STEPS)
        assert other["status"] == "graded"
        assert other["problems"] == _notebook(batches["out"], "ada", STEPS)["problems"]


def test_nothing_is_read_through_a_link(batches):
    """Linked to the source it would earn full marks, linked to ada ada's: it earns 0."""
    for how in ("linked-to-source", "linked-to-classmate", "linked-folder"):
        nb = _notebook(batches["out"], how, GRADIENTS)
        assert nb["tests"] == [] and nb["cells"] == []


def test_refusals_are_listed_with_the_tamper_events(batches):
    page = (batches["out"] / "summary.html").read_text()
    for how in LINKED:
        assert f"<td>{how}</td><td>{GRADIENTS}</td><td>refused</td>" in page


@pytest.mark.parametrize("name", CRAFTED)
def test_a_crafted_file_is_a_reason_not_a_crash(batches, name):
    nb = _notebook(batches["out"], f"crafted {name.removesuffix('.ipynb')}", GRADIENTS)
    if name == "blank-kernelspec.ipynb":  # nbgrader's case: the kernelspec is restored
        assert nb["status"] == "graded" and ("metadata", "kernelspec") in \
            {(c["kind"], c["cell"]) for c in nb["changes"]}
    else:
        assert nb["status"] == "not_graded" and nb["reason"]


def test_honest_students_are_graded_exactly_as_without_the_others(batches):
    for student in HONEST:
        mixed, clean = _results(batches["out"], student), _results(batches["clean"], student)
        assert mixed["total"] == clean["total"]
        for a, b in zip(mixed["notebooks"], clean["notebooks"], strict=True):
            assert a["problems"] == b["problems"]
    assert _results(batches["out"], "ada")["total"] == 26


@pytest.mark.parametrize("name", DAMAGED)
def test_a_notebook_that_lost_its_marks_is_graded_as_the_clean_one(batches, name):
    result = _results(batches["out"], name)
    nb = _notebook(batches["out"], name, STEPS)
    lost = {p["problem"] for p in nb["problems"]
            if p["points"] is not None and p["points"] < p["possible"]}
    assert lost == ({"train_until"} if name == "submitted-function-missing" else set())
    assert result["total"] == (24 if name == "submitted-function-missing" else 26)
    # demos skipped, nothing run twice: the same cells ran as for ada
    ran = [c["label"] for c in nb["cells"] if not c["label"].startswith("cell ")]
    assert ran == [c["label"] for c in _notebook(batches["out"], "ada", STEPS)["cells"]
                   if not c["label"].startswith("cell ") and c["label"] not in lost]
    assert [c for c in nb["cells"] if c["status"] == "skipped"] == \
        [c for c in _notebook(batches["out"], "ada", STEPS)["cells"] if c["status"] == "skipped"]
    assert ("deleted", "explain_lecture_bug") not in {(c["kind"], c["cell"]) for c in nb["changes"]}
    feedback = (batches["out"] / name / ASSIGNMENT / "feedback.html").read_text()
    if name != "submitted-answer-in-new-cell":
        assert "lost its grading marks" in feedback
        assert "found by the functions they define" in feedback
    if name == "submitted-function-missing":
        assert "no cell defines `train_until`" in feedback


def test_the_summary_says_which_notebooks_lost_their_marks(batches):
    page = (batches["out"] / "summary.html").read_text()
    assert page.count("marks_lost") >= 4
