"""Notebooks that lost their grading marks (tests/fixtures/damaged/): cells found by content.

Each fixture is a correct 02-seven-steps notebook as an editor that drops cell
metadata leaves it. Restore must find every answer by the function it defines, the
written answer by its place, and the read-only cells by their text, so that the
restored notebook is the clean one (demos marked, nothing twice), and say so.
"""

from __future__ import annotations

import copy

import nbformat
import pytest
from build_examples import completed

from autograder.notebook_cells import grade_id, is_demo, is_locked, is_solution
from autograder.pipeline.cell_matching import normalized
from autograder.pipeline.restore import restore
from tests.conftest import ROOT
from tests.fixtures.build_fixtures import damaged as build_damaged

NB = "02-seven-steps.ipynb"
DAMAGED = build_damaged()  # name -> notebook, as build_fixtures makes them
SOURCE = nbformat.read(str(ROOT / "source" / "gradient-descent" / NB), as_version=4)


def damaged(name: str) -> nbformat.NotebookNode:
    return copy.deepcopy(DAMAGED[name])


def by_id(nb) -> dict:
    return {grade_id(c): c for c in nb.cells if grade_id(c)}


def kinds(changes) -> set[tuple[str, str]]:
    return {(c.kind, c.cell) for c in changes}


def assert_restored_like_a_clean_notebook(restored, skip: tuple[str, ...] = ()) -> None:
    clean, _ = restore(completed(NB), SOURCE)
    mine, theirs = by_id(restored), by_id(clean)
    assert list(mine) == [g for g in theirs if g not in skip]
    for gid, cell in mine.items():
        assert normalized(cell) == normalized(theirs[gid]), gid
        assert cell.metadata == theirs[gid].metadata, gid
    # nothing runs twice: each read-only cell's text appears once
    for gid, src in by_id(SOURCE).items():
        if is_locked(src):
            assert sum(normalized(c) == normalized(src) for c in restored.cells) == 1, gid
    assert [c.source for c in restored.cells if is_demo(c)] == \
        [c.source for c in SOURCE.cells if is_demo(c)]


def test_all_metadata_stripped_with_new_cell_ids():
    restored, changes = restore(damaged("submitted-metadata-stripped"), SOURCE)
    assert_restored_like_a_clean_notebook(restored)
    assert [c.kind for c in changes] == ["marks_lost"]
    detail = changes[0].detail
    assert "lost its grading marks" in detail and "found by the functions they define" in detail
    assert "written answers by their place (explain_lecture_bug)" in detail
    # the written answer is kept for manual grading, as the student wrote it
    answer = by_id(restored)["explain_lecture_bug"]
    assert answer.cell_type == "markdown" and "params.data" in answer.source


def test_an_answer_pasted_into_a_new_cell():
    restored, changes = restore(damaged("submitted-answer-in-new-cell"), SOURCE)
    assert_restored_like_a_clean_notebook(restored)
    assert kinds(changes) == {("found_by_function", "mse")}
    assert "defines `mse`" in changes[0].detail


def test_cells_reordered():
    restored, changes = restore(damaged("submitted-cells-reordered"), SOURCE)
    assert_restored_like_a_clean_notebook(restored)
    assert {c.kind for c in changes} == {"marks_lost", "reordered"}


def test_an_answer_cell_duplicated():
    restored, changes = restore(damaged("submitted-answer-duplicated"), SOURCE)
    assert ("duplicated", "train") in kinds(changes)
    # the copy runs right after the answer, as it did for the student
    sources = [c.source for c in restored.cells]
    first = sources.index(by_id(restored)["train"].source)
    assert sources[first + 1] == sources[first]


def test_a_function_defined_nowhere_is_missing_with_a_clear_reason():
    restored, changes = restore(damaged("submitted-function-missing"), SOURCE)
    assert_restored_like_a_clean_notebook(restored, skip=("train_until",))
    missing = [c for c in changes if c.kind == "deleted"]
    assert [c.cell for c in missing] == ["train_until"]
    assert "no cell defines `train_until`" in missing[0].detail
    assert "earns 0" in missing[0].detail


def test_an_edited_unmarked_demo_is_still_a_demo():
    nb = damaged("submitted-metadata-stripped")
    demo = next(c for c in nb.cells if c.source.startswith(
        next(s.source for s in SOURCE.cells if grade_id(s) == "demo_train")[:40]))
    demo.source = demo.source.replace("2000", "5000")  # the student ran it longer
    restored, _ = restore(nb, SOURCE)
    assert is_demo(by_id(restored)["demo_train"])
    assert not any("5000" in c.source for c in restored.cells)


def test_a_students_own_cell_is_never_taken_for_a_read_only_one():
    nb = damaged("submitted-metadata-stripped")
    index = next(i for i, c in enumerate(nb.cells) if c.source.startswith("def mse("))
    mine = "def my_helper(t):\n    return t * 2\n"
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(mine))
    restored, _ = restore(nb, SOURCE)
    assert sum(c.source == mine for c in restored.cells) == 1


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_every_solution_cell_keeps_the_students_text(name):
    restored, _ = restore(damaged(name), SOURCE)
    clean = by_id(completed(NB))
    for gid, cell in by_id(restored).items():
        if is_solution(cell):
            assert normalized(cell) == normalized(clean[gid]), gid
