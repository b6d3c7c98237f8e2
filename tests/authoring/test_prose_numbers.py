"""The notebooks tell one story with their numbers: every figure quoted in the prose is
one that the executed reference solution prints, quoted once, where it is computed.

Fast: it reads source/ and the outputs stored in solutions/ and executes nothing, so
after changing a notebook's data or code, run `course generate` and this test shows
every sentence that went stale. How figures are found and matched: tests/prose_numbers.py.
"""

from __future__ import annotations

from collections import defaultdict

import nbformat
import pytest

from tests.authoring.prose_numbers import prose_figures, trace_figures
from tests.conftest import ROOT

ASSIGNMENT = "gradient-descent"
NOTEBOOKS = sorted(p.name for p in (ROOT / "source" / ASSIGNMENT).glob("*.ipynb"))

# Figures a notebook quotes but cannot compute, each with the reason.
GIVEN: dict[str, dict[str, str]] = {
    "02-seven-steps.ipynb": {
        "143901": "the loss the lecture printed in step 3 (its noise was drawn without a seed)",
        "126948": "the lecture's gradient in step 4, on its unseeded data",
        "8150": "the lecture's gradient in step 4, on its unseeded data",
        "577": "the lecture's gradient in step 4, on its unseeded data",
    },
}


def _executed(notebook: str) -> list:
    source = nbformat.read(str(ROOT / "source" / ASSIGNMENT / notebook), as_version=4)
    solved = nbformat.read(str(ROOT / "solutions" / ASSIGNMENT / notebook), as_version=4)
    assert [c.source for c in solved.cells] == [c.source for c in source.cells], (
        f"solutions/{ASSIGNMENT}/{notebook} does not match its source; run `course generate`")
    return solved.cells


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_figure_in_the_prose_is_printed_by_the_reference_solution(notebook):
    _, problems = trace_figures(_executed(notebook), GIVEN.get(notebook, {}))
    assert not problems, (
        f"{notebook}: figures in the prose that the executed solution does not print "
        "(print them where they are computed, or correct the prose):\n  " + "\n  ".join(problems))


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_each_computed_figure_is_quoted_once(notebook):
    quotes, _ = trace_figures(_executed(notebook), GIVEN.get(notebook, {}))
    cells: dict[str, set[int]] = defaultdict(set)
    for q in quotes:
        if q.source == "output":
            cells[q.figure.text].add(q.cell)
    repeated = {text: sorted(where) for text, where in cells.items() if len(where) > 1}
    assert not repeated, (f"{notebook}: quote a computed figure once, where it is computed, "
                          f"and refer back to it later; repeated: {repeated}")


def test_every_given_figure_is_still_quoted():
    for notebook, given in GIVEN.items():
        quotes, _ = trace_figures(_executed(notebook), given)
        used = {q.figure.text for q in quotes if q.source == "given"}
        assert set(given) == used, f"{notebook}: GIVEN lists figures the prose no longer quotes"


# --- the rules themselves, on small made-up notebooks


def _nb(*cells: tuple[str, str, str]) -> list:
    made = []
    for kind, source, printed in cells:
        if kind == "code":
            cell = nbformat.v4.new_code_cell(source)
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)]
        else:
            cell = nbformat.v4.new_markdown_cell(source)
        made.append(cell)
    return made


def test_a_stale_figure_is_caught_and_a_rounded_one_is_not():
    cells = _nb(("code", "run(lr=1e-5)", "loss after 1,000,000 steps: 11.399\n"),
                ("markdown", "After a million steps the loss is 11.4, with $\\eta = 10^{-5}$.", ""),
                ("markdown", "After a million steps the loss is about 20.", ""))
    quotes, problems = trace_figures(cells, {})
    assert [(q.cell, q.figure.text, q.source) for q in quotes] == [
        (1, "11.4", "output"), (1, "10^{-5}", "code")]
    assert len(problems) == 1 and "cell 2: '20'" in problems[0]


def test_a_figure_may_announce_the_cell_below_but_not_a_later_one():
    cells = _nb(("markdown", "The cell below prints 125.", ""),
                ("code", "print(125)", "125\n"),
                ("markdown", "Later we will find 7.3.", ""),
                ("code", "pass", ""),
                ("markdown", "Next section.", ""),
                ("code", "print(7.305)", "7.305\n"))
    _, problems = trace_figures(cells, {})
    assert len(problems) == 1 and "'7.3'" in problems[0]


def test_what_counts_as_a_figure():
    text = ("### Problem 10: `mse` (2 points)\nabout $1.44 \\times 10^5$, 27,900 steps, "
            "0.001% of it, float32, `torch.randn(3)`, [link](02-seven-steps.ipynb), 3 steps")
    found = {f.text: (f.value, f.tolerance) for f in prose_figures(text)}
    assert set(found) == {"1.44 \\times 10^5", "27,900", "0.001%"}
    value, tolerance = found["27,900"]
    assert value == 27900 and tolerance == 50
