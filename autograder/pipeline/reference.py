"""Reference helpers: one bug is charged once.

When a grader calls a student's function, every *other* problem function of the same
notebook is lent to it in its reference version (the source notebook's solution cell),
inside the sandbox, for that call only. So `train` is judged on its own loop even when
the student's `apply_step` is wrong, and a wrong `mse` costs the `mse` problem alone. A
function that reimplements a helper inline gets no help: it is judged on its result.

What crosses into the sandbox is lecture code (the solution cells of the problems and
the import lines of the source notebook), never an expected answer; see SECURITY.md.
The worker reports which lent helpers the student's code really called, and the
feedback page says so (results.TestResult.helpers).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from autograder.notebook_cells import grade_id, is_solution


@dataclass(frozen=True)
class ReferenceHelpers:
    """The reference code of a notebook's problem functions, as the worker runs it."""

    code: str  # the source notebook's imports, then its problems' solution cells in order
    names: tuple[str, ...]  # the problem functions that code defines

    def for_call(self, name: str) -> dict[str, Any] | None:
        """The `reference` field of a call to the student's NAME: every other problem."""
        others = [n for n in self.names if n != name]
        return {"code": self.code, "names": others} if others else None


def reference_helpers(source: Any, problems: Collection[str]) -> ReferenceHelpers:
    """ReferenceHelpers from the SOURCE notebook (nbformat or plain JSON) of the
    autograded PROBLEMS (grade_ids)."""
    imports: list[str] = []
    solutions: list[str] = []
    names: list[str] = []
    for cell in source["cells"]:
        if cell.get("cell_type") != "code":
            continue
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        try:
            tree = ast.parse(_without_ipython_lines(text))
        except SyntaxError:
            continue  # IPython syntax the kit does not strip (a cell magic): nothing taken
        gid = grade_id(cell)
        if is_solution(cell) and gid in problems:
            solutions.append(text)
            if any(isinstance(node, ast.FunctionDef) and node.name == gid
                   for node in tree.body):
                names.append(gid)
        else:
            imports.extend(ast.unparse(node) for node in tree.body
                           if isinstance(node, (ast.Import, ast.ImportFrom)))
    code = "\n".join(dict.fromkeys(imports)) + "\n\n" + "\n\n".join(solutions) + "\n"
    return ReferenceHelpers(code, tuple(names))


_IPYTHON_LINE = re.compile(r"^[ \t]*[%!].*$", re.M)


def _without_ipython_lines(text: str) -> str:
    """TEXT with its magic and shell lines (`%matplotlib inline`, `!pip ...`) blanked."""
    return _IPYTHON_LINE.sub("", text)
