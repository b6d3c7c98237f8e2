"""Reference helpers: one bug is charged once.

When a grader calls a student's function, the other problem functions of the same
notebook are lent to it in their reference versions (the source notebook's solution
cells), inside the sandbox, for that call only. So `train` is judged on its own loop
even when the student's `apply_step` is wrong, and a wrong `mse` costs the `mse` problem
alone. A function that reimplements a helper inline gets no help: it is judged on its
result.

What crosses into the sandbox is lecture code (solution cells and the import lines of
the source notebook), never an expected answer. And only the code of problems whose
checks have all run (the grade step knows which): student code can read what is lent,
so it must never be able to reuse a reference for its own problem's checks (SECURITY.md).
The worker reports which lent helpers the student's code called, and the feedback page
says so (results.TestResult.helpers).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from autograder.notebook_cells import grade_id, is_solution


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

    def for_call(self, name: str, lendable: Collection[str]) -> dict[str, Any] | None:
        """The `reference` field of a call to the student's NAME: the reference versions
        of the LENDABLE problems (those whose checks are done) other than NAME."""
        lent = [(n, cell) for n, cell in self.cells if n in lendable and n != name]
        if not lent:
            return None
        code = self.imports + "\n\n" + "\n\n".join(cell for _, cell in lent) + "\n"
        return {"code": code, "names": [n for n, _ in lent]}


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
