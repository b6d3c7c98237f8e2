"""Results made up for tests of the reports and integrations (no grading needed)."""

from __future__ import annotations

from typing import Any

ASSIGNMENT = "gradient-descent"


def synthetic_result(course, points: dict[str, float | None],
                     answers: dict[str, str] | None = None,
                     graded: dict[str, tuple[float, str]] | None = None) -> dict[str, Any]:
    """A results.json dict: every problem of the course with the given (or full) points.

    A manually graded problem has the written answer ANSWERS gives it ("" = none, so 0
    points; by default an answer, pending), or GRADED's (points, comment) of a person."""
    spec = course.assignment(ASSIGNMENT)
    notebooks = []
    for nb in spec.notebooks:
        problems, tests = [], []
        for g, p in nb.problems.items():
            got = None if p.manual else points.get(g, p.points)
            problem = {"problem": g, "points": got, "possible": p.points,
                       "passed": int(got == p.points), "tests": 0 if p.manual else 1}
            if p.manual:
                answer = (answers or {}).get(g, f"My answer to {g}.")
                points_given, comment = (graded or {}).get(g, (None if answer else 0.0, ""))
                problem.update(manual=True, answer=answer, points=points_given,
                               passed=0, comment=comment,
                               graded_by="instructor" if g in (graded or {}) else "")
            problems.append(problem)
            if not p.manual:
                tests.append({"problem": g, "name": f"test_{g}_works", "passed": got == p.points,
                              "message": "" if got == p.points else f"{g} is wrong: expected 1",
                              "duration": 0.1, "points": got})
        notebooks.append({"notebook": nb.file, "status": "graded", "reason": "",
                          "seconds": 1.0, "problems": problems, "tests": tests, "cells": [],
                          "changes": [], "artifacts": []})
    total = sum(p["points"] or 0 for nb in notebooks for p in nb["problems"])
    possible = sum(p["possible"] for nb in notebooks for p in nb["problems"]
                   if p["points"] is not None)
    return {"student": "s", "assignment": ASSIGNMENT, "seed": 7, "sandbox": "bubblewrap",
            "total": total, "possible": possible, "notebooks": notebooks}


def write_result(out, course, student: str, points: dict[str, float | None] | None = None,
                 **fields: Any):
    """OUT/<student>/<ASSIGNMENT>/results.json as an autograde run leaves it (made up)."""
    import json

    data = {**synthetic_result(course, points or {}), "student": student, **fields}
    path = out / student / ASSIGNMENT / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path
