"""A tiny course on disk for fast tests on the fake sandbox (autograder/sandbox/fake.py).

One assignment, one notebook with a locked setup cell and two solution cells (`double`,
`halve`), and a grader file of three tests. Real files throughout, so the pipeline and
the batch read them as they read a real course; only the sandbox is fake.
"""

from __future__ import annotations

import json
from pathlib import Path

from autograder.config import Course, load_course

ASSIGNMENT = "tiny"
NOTEBOOK = "01-tiny.ipynb"
SETUP = "import math"
SOLUTIONS = {"double": "def double(x):\n    return 2 * x",
             "halve": "def halve(x):\n    return x / 2"}

COURSE_YML = f"""\
title: Tiny
limits: {{call_seconds: 5, cell_seconds: 10, notebook_seconds: 30}}
assignments:
  - name: {ASSIGNMENT}
    notebooks:
      - file: {NOTEBOOK}
        problems:
          double: {{points: 2}}
          halve: {{points: 1}}
"""

GRADERS = '''"""PYTEST_DONT_REWRITE: asserts stay plain, as in a grading process (the kit's own
pytest run would otherwise rewrite them in every test_*.py it imports, graders too)."""

from autograder.grading import problem


@problem("double")
def test_double_of_two(student):
    assert student.double(2) == 4, "double(2) should be 4"


@problem("double")
def test_double_of_a_negative(student):
    assert student.double(-3) == -6, "double(-3) should be -6"


@problem("halve")
def test_halve(student):
    assert student.halve(3) == 1.5, "halve(3) should be 1.5"
'''


def _cell(grade_id: str, source: str, solution: bool) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": grade_id, "outputs": [],
            "source": source,
            "metadata": {"nbgrader": {"grade": False, "grade_id": grade_id, "locked": not solution,
                                      "schema_version": 3, "solution": solution, "task": False}}}


def notebook_json(solutions: dict[str, str] | None = None, extra: list[str] = ()) -> str:
    """The notebook with these solution cells (the reference's by default) and EXTRA code
    cells the student added at the end."""
    solutions = {**SOLUTIONS, **(solutions or {})}
    cells = [_cell("setup", SETUP, False)]
    cells += [_cell(gid, text, True) for gid, text in solutions.items()]
    cells += [{"cell_type": "code", "execution_count": None, "id": f"added-{i}", "metadata": {},
               "outputs": [], "source": text} for i, text in enumerate(extra)]
    return json.dumps({"cells": cells, "nbformat": 4, "nbformat_minor": 5,
                       "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                   "language": "python"}}}, indent=1)


def write_course(root: Path) -> Course:
    root.mkdir(parents=True, exist_ok=True)
    (root / "course.yml").write_text(COURSE_YML)
    source = root / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    (source / NOTEBOOK).write_text(notebook_json())
    graders = grader_path(root)
    graders.parent.mkdir(parents=True)
    graders.write_text(GRADERS)
    return load_course(root)


def grader_path(root: Path) -> Path:
    return root / "autograder" / "graders" / ASSIGNMENT / "test_01_tiny.py"


def write_submission(submitted: Path, student: str, text: str | None = None) -> Path:
    """SUBMITTED/<student>/tiny/01-tiny.ipynb with TEXT (the reference notebook by default)."""
    path = submitted / student / ASSIGNMENT / NOTEBOOK
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(notebook_json() if text is None else text)
    return path
