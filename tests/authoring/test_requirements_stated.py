"""No surprise deductions: every hidden check quotes the requirement it enforces, and the
quote is in its problem's text in the source notebook (grading.requires)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from autograder.notebook_cells import grade_id, is_solution, read
from autograder.pipeline.grade import grader_file


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def problem_texts(notebook: Path) -> dict[str, str]:
    """grade_id -> the markdown between the previous solution cell and its own, with the
    whitespace collapsed (a quote may wrap where the notebook's lines do)."""
    texts, seen = {}, []
    for cell in read(notebook).cells:
        if is_solution(cell) and cell.cell_type == "code":
            texts[grade_id(cell)] = _words("\n".join(seen))
            seen = []
        elif cell.cell_type == "markdown" and not is_solution(cell):
            seen.append(str(cell.source))
    return texts


def declared(test_file: Path) -> list[tuple[str, str | None, list[str]]]:
    """(test, problem, quotes) for every test function of a grader file, from its source."""
    found = []
    for node in ast.parse(test_file.read_text()).body:
        if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
            continue
        problem, quotes = None, []
        for deco in node.decorator_list:
            if isinstance(deco, ast.Call) and isinstance(deco.func, ast.Name):
                values = [ast.literal_eval(a) for a in deco.args]
                if deco.func.id == "problem":
                    problem = values[0]
                elif deco.func.id == "requires":
                    quotes += values
        found.append((node.name, problem, quotes))
    return found


def _checks(course):
    for assignment in course.assignments:
        for nb in assignment.notebooks:
            if not nb.autograded:
                continue
            tests = grader_file(course.path("graders"), assignment.name, nb.stem)
            texts = problem_texts(course.source_notebook(assignment.name, nb.file))
            for name, problem, quotes in declared(tests):
                yield pytest.param(name, problem, quotes, texts, id=name)


def test_every_check_quotes_a_requirement_its_problem_states(course):
    unstated = []
    checks = list(_checks(course))
    assert len(checks) > 90  # all three notebooks' graders were read
    for check in checks:
        name, problem, quotes, texts = check.values
        if not quotes:
            unstated.append(f"{name}: no @requires(...) quote")
        for quote in quotes:
            if _words(quote) not in texts.get(problem, ""):
                unstated.append(f"{name}: {problem}'s text does not say {quote!r}")
    assert unstated == []


def test_a_quote_the_notebook_does_not_say_is_caught(course, tmp_path):
    graders = tmp_path / "test_x.py"
    graders.write_text('@requires("a gradient left behind is ignored")\n@problem("mse")\n'
                       'def test_mse_x(student):\n    pass\n\n'
                       '@problem("mse")\ndef test_mse_unquoted(student):\n    pass\n')
    texts = problem_texts(course.source_notebook("gradient-descent", "02-seven-steps.ipynb"))
    [(_, problem, quotes), (_, _, none)] = declared(graders)
    assert problem == "mse" and none == []
    assert _words(quotes[0]) not in texts["mse"]
    assert _words("the mean of the squared differences") in texts["mse"]
