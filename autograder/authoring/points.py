"""course.yml against the source notebooks: the same problems, with the same points.

`course validate` reports every disagreement; `course autograde` and `course grades`
refuse to start on one (`require_agreement`), with the same words, since a grade out
of points the notebook does not state is a grade nobody can explain. Read as plain
JSON (no nbformat, no nbgrader): it runs before every grading, also where only the
student extra is installed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from autograder.config import Assignment, Course, Notebook
from autograder.errors import ConfigError
from autograder.notebook_cells import grade_id, is_solution, nbgrader


def _cells(path: Path) -> list[dict[str, Any]]:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = notebook.get("cells", []) if isinstance(notebook, dict) else []
    return [c for c in cells if isinstance(c, dict)]


def disagreements(course: Course, a: Assignment, spec: Notebook) -> list[str]:
    """Where source/A/SPEC and course.yml disagree on problems or points."""
    path = course.source_notebook(a.name, spec.file)
    where = f"source/{a.name}/{spec.file}"
    try:
        cells = _cells(path)
    except (OSError, ValueError) as exc:
        return [f"{where}: not readable as a notebook ({exc})"]
    solutions = [grade_id(c) for c in cells if is_solution(c)]
    graded = {grade_id(c): c for c in cells if nbgrader(c).get("grade") is True and grade_id(c)}
    found = []
    for problem, p in spec.problems.items():
        if solutions.count(problem) != 1:
            found.append(f"{where}: problem {problem!r} needs exactly one solution cell "
                         f"(found {solutions.count(problem)})")
        cell_name = problem if p.manual else f"test_{problem}"
        cell = graded.pop(cell_name, None)
        if cell is None:
            kind = "graded answer cell" if p.manual else "visible test cell"
            found.append(f"{where}: problem {problem!r} has no {kind} with grade_id "
                         f"{cell_name!r}")
            continue
        points = nbgrader(cell).get("points")
        if not isinstance(points, int | float) or float(points) != p.points:
            found.append(f"{where}: {cell_name} has {points} points but course.yml says "
                         f"{p.points:g}; course.yml is the authority")
    for name, cell in graded.items():
        problem = name.removeprefix("test_")
        found.append(f"{where}: grade cell {name!r} ({nbgrader(cell).get('points')} points) "
                     f"is not a problem of {a.name}/{spec.file} in course.yml (add "
                     f"{problem!r} there, or remove the cell's points)")
    return found


def course_disagreements(course: Course) -> list[str]:
    return [d for a in course.assignments for nb in a.notebooks
            for d in disagreements(course, a, nb)]


def require_agreement(course: Course, command: str) -> None:
    """Refuse to run COMMAND while course.yml and the source notebooks disagree."""
    found = course_disagreements(course)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise ConfigError(f"{found[0]}{more}: course.yml and the notebooks must agree before "
                          f"course {command}; fix course.yml, or the source notebook and run "
                          "course generate (course validate --quick lists them all)")
