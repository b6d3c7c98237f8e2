"""The notebooks read in order: problems numbered as they come, and no instruction asks
for an edit the notebook forbids (a read-only cell that says "uncomment")."""

from __future__ import annotations

import re

import nbformat
import pytest

from autograder.notebook_cells import is_locked, is_solution
from tests.conftest import ROOT

NOTEBOOKS = sorted((ROOT / "source" / "gradient-descent").glob("*.ipynb"))
PROBLEM = re.compile(r"^#+ Problem (\d+)\b", re.MULTILINE)
# What a read-only cell must not ask of a student: to change it.
EDIT_REQUEST = re.compile(r"\b(uncomment|edit|change|replace)\b (this|the next|that) (line|cell)"
                          r"|\bthe one edit allowed\b", re.IGNORECASE)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_problems_are_numbered_in_reading_order(path):
    cells = nbformat.read(str(path), as_version=4).cells
    numbers = [int(n) for c in cells if c.cell_type == "markdown"
               for n in PROBLEM.findall(c.source)]
    assert numbers == list(range(1, len(numbers) + 1)), numbers


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_read_only_cells_ask_for_no_edit(path):
    for cell in nbformat.read(str(path), as_version=4).cells:
        if is_locked(cell) and not is_solution(cell):
            assert not EDIT_REQUEST.search(cell.source), cell.source[:300]
