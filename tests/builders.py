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


def made_up_check(problem: str, name: str, passed: bool, *, kind: str = "core",
                  weight: float = 0.0, message: str = "", helpers: list[str] | None = None,
                  unlent: list[str] | None = None):
    """One hidden check's result, as the grade step would record it."""
    from autograder.results import TestResult

    return TestResult(problem=problem, name=name, passed=passed,
                      message="" if passed else message or f"{name} failed", duration=0.01,
                      kind=kind, weight=weight, helpers=helpers or [], unlent=unlent or [])


def with_checks(course, problem: str, checks: list):
    """A SubmissionResult, full marks but for PROBLEM: its checks are CHECKS (see
    made_up_check), scored by the score step."""
    from autograder.pipeline.score import score_problem
    from autograder.results import SubmissionResult

    result = SubmissionResult.from_dict(synthetic_result(course, {}))
    spec = course.assignment(ASSIGNMENT).problems[problem]
    for nb in result.notebooks:
        if nb.score_of(problem) is not None:
            nb.tests = [t for t in nb.tests if t.problem != problem] + checks
            nb.problems = [score_problem(problem, spec, checks) if p.problem == problem else p
                           for p in nb.problems]
    return result


def mse_checks(**failed: str) -> list:
    """The mse problem's checks (two core, two contract at 0.25); FAILED: name -> message."""
    names = {"value_is_mean": ("core", 0.0), "keeps_graph": ("core", 0.0),
             "is_0dim": ("contract", 0.25), "does_not_modify_inputs": ("contract", 0.25)}
    return [made_up_check("mse", f"test_mse_{n}", n not in failed, kind=kind, weight=w,
                          message=failed.get(n, ""), helpers=["quadratic"])
            for n, (kind, w) in names.items()]
