"""Reference helpers: one bug is charged once.

When a grader calls a student's function, the other problem functions of the same
notebook are lent to it in their reference versions (the source notebook's solution
cells), for that call only. So `train` is judged on its own loop even when the
student's `apply_step` is wrong, and a wrong `mse` costs the `mse` problem alone. A
function that reimplements a helper inline gets no help: it is judged on its result.

The reference code never enters the student's process: the student's function calls
stubs, and the reference runs in the grading side's reference process
(pipeline/lending.py), values crossing as plain data. A helper that takes a function
(`gradient(f, x)`) cannot be served that way, since its argument is student code: it
is not lent, and the feedback says that the student's own version was used. Only
problems whose checks have all run are lent (the grade step knows which), so a lent
helper can never help its own problem's checks, and only those with a failed check: a
helper that passed them all costs nothing twice, and serving it would only cost time.
The worker reports which helpers the student's code called, and the feedback page says
so (results.TestResult.helpers).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from autograder.notebook_cells import grade_id, is_solution
from autograder.pipeline.lending import Lender


@dataclass(frozen=True)
class ReferenceHelpers:
    """The reference code of a notebook's problem functions, as the worker runs it."""

    imports: str  # the source notebook's import lines
    cells: tuple[tuple[str, str], ...]  # (problem, solution cell) for each problem function

    def to_json(self) -> str:
        return json.dumps({"imports": self.imports, "cells": [list(c) for c in self.cells]},
                          indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> ReferenceHelpers:
        data = json.loads(text)
        return cls(str(data["imports"]), tuple((str(n), str(c)) for n, c in data["cells"]))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.cells)

    @cached_property
    def code(self) -> str:
        """The reference process's program: the import lines, then every solution cell."""
        return self.imports + "\n\n" + "\n\n".join(cell for _, cell in self.cells) + "\n"

    @cached_property
    def take_a_function(self) -> frozenset[str]:
        """The problem functions that call one of their parameters (`gradient(f, x)`): they
        cannot be served from outside the worker, so they are never lent."""
        return frozenset(n for n, cell in self.cells if _calls_a_parameter(cell, n))

    def lender(self, name: str, lendable: Collection[str]) -> Lender | None:
        """What a call to the student's NAME is lent: stubs of the LENDABLE problems (those
        whose checks are done) other than NAME; None if nothing."""
        done = [n for n in self.names if n in lendable and n != name]
        served = tuple(n for n in done if n not in self.take_a_function)
        watched = tuple(n for n in done if n in self.take_a_function)
        if not served and not watched:
            return None
        return Lender(self.code, served, watched)


def reference_helpers(source: Any, problems: Collection[str]) -> ReferenceHelpers:
    """ReferenceHelpers from the SOURCE notebook (nbformat or plain JSON) for the
    autograded PROBLEMS (grade_ids) whose solution cell defines a function of that name."""
    imports: list[str] = []
    cells: list[tuple[str, str]] = []
    for cell in source["cells"]:
        if cell.get("cell_type") != "code":
            continue
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        try:
            tree = ast.parse(_without_ipython_lines(text))
        except SyntaxError:
            continue  # IPython syntax the kit does not strip (a cell magic): nothing taken
        gid = grade_id(cell)
        if is_solution(cell):
            if gid in problems and any(isinstance(node, ast.FunctionDef) and node.name == gid
                                       for node in tree.body):
                cells.append((gid, text))
        else:
            imports.extend(ast.unparse(node) for node in tree.body
                           if isinstance(node, (ast.Import, ast.ImportFrom)))
    return ReferenceHelpers("\n".join(dict.fromkeys(imports)), tuple(cells))


_IPYTHON_LINE = re.compile(r"^[ \t]*[%!].*$", re.M)


def _without_ipython_lines(text: str) -> str:
    """TEXT with its magic and shell lines (`%matplotlib inline`, `!pip ...`) blanked."""
    return _IPYTHON_LINE.sub("", text)


def _calls_a_parameter(cell: str, name: str) -> bool:
    """CELL's function NAME calls one of its own parameters."""
    try:
        tree = ast.parse(_without_ipython_lines(cell))
    except SyntaxError:
        return False
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            params = {a.arg for a in (*node.args.posonlyargs, *node.args.args,
                                      *node.args.kwonlyargs)}
            return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                       and n.func.id in params for n in ast.walk(node))
    return False
