"""Restore: the source is the authority for locked cells, test cells and metadata."""

from __future__ import annotations

import copy

import nbformat
from build_examples import completed

from autograder.notebook_cells import grade_id
from autograder.pipeline.restore import restore
from tests.conftest import ROOT

NB = "02-seven-steps.ipynb"


def source():
    return nbformat.read(str(ROOT / "source" / "gradient-descent" / NB), as_version=4)


def cell(nb, gid):
    return next(c for c in nb.cells if grade_id(c) == gid)


def kinds(changes):
    return {(c.kind, c.cell) for c in changes}


def test_an_untouched_submission_needs_no_change():
    restored, changes = restore(completed(NB), source())
    assert changes == []
    assert [grade_id(c) for c in restored.cells if grade_id(c)] == \
        [grade_id(c) for c in source().cells if grade_id(c)]


def test_edited_data_cell_and_test_cell_are_restored():
    nb = completed(NB)
    cell(nb, "data").source = "signal = time * 0  # easier data"
    cell(nb, "test_mse").source = "pass"
    restored, changes = restore(nb, source())
    assert cell(restored, "data").source == cell(source(), "data").source
    assert cell(restored, "test_mse").source == cell(source(), "test_mse").source
    assert {("restored", "data"), ("restored", "test_mse")} <= kinds(changes)


def test_deleted_data_cell_is_put_back_in_place():
    nb = completed(NB)
    nb.cells = [c for c in nb.cells if grade_id(c) != "data"]
    restored, changes = restore(nb, source())
    ids = [grade_id(c) for c in restored.cells if grade_id(c)]
    assert ids == [grade_id(c) for c in source().cells if grade_id(c)]
    assert ("restored", "data") in kinds(changes)


def test_changed_points_and_grade_ids_do_not_stick():
    nb = completed(NB)
    cell(nb, "test_mse").metadata["nbgrader"]["points"] = 100
    cell(nb, "quadratic").metadata["nbgrader"]["grade_id"] = "quadratic_v2"
    restored, changes = restore(nb, source())
    assert cell(restored, "test_mse").metadata["nbgrader"]["points"] == 1
    assert ("metadata", "test_mse") in kinds(changes)
    assert ("unknown_grade_id", "quadratic_v2") in kinds(changes)
    # The renamed cell still runs (as an added cell), so its function is still defined.
    assert any("def quadratic" in c.source for c in restored.cells)


def test_solution_turned_into_markdown_is_code_again():
    nb = completed(NB)
    cell(nb, "mse").cell_type = "markdown"
    cell(nb, "mse").pop("outputs", None)
    cell(nb, "mse").pop("execution_count", None)
    restored, changes = restore(nb, source())
    assert cell(restored, "mse").cell_type == "code"
    assert "def mse" in cell(restored, "mse").source
    assert ("retyped", "mse") in kinds(changes)


def test_duplicated_solution_cell_keeps_the_first_and_runs_the_copy_after_it():
    nb = completed(NB)
    index = nb.cells.index(cell(nb, "mse"))
    twin = copy.deepcopy(nb.cells[index])
    twin.source = "def mse(preds, targets):\n    return 0.0\n"
    nb.cells.insert(index + 1, twin)
    restored, changes = restore(nb, source())
    assert "return 0.0" not in cell(restored, "mse").source
    assert ("duplicated", "mse") in kinds(changes)
    sources = [c.source for c in restored.cells]
    assert sources.index(twin.source) > sources.index(cell(restored, "mse").source)


def test_cells_the_student_added_are_kept_after_their_neighbour():
    nb = completed(NB)
    index = nb.cells.index(cell(nb, "quadratic"))
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell("my_note = 'scratch work'"))
    restored, changes = restore(nb, source())
    sources = [c.source for c in restored.cells]
    assert sources.index("my_note = 'scratch work'") == \
        sources.index(cell(restored, "quadratic").source) + 1
    assert changes == []


def test_kernelspec_comes_from_the_source():
    nb = completed(NB)
    nb.metadata["kernelspec"] = {"name": "evil", "display_name": "evil", "language": "python"}
    restored, changes = restore(nb, source())
    assert restored.metadata["kernelspec"]["name"] == "python3"
    assert ("metadata", "kernelspec") in kinds(changes)


def test_deleted_solution_stays_deleted_and_is_recorded():
    nb = completed(NB)
    nb.cells = [c for c in nb.cells if grade_id(c) != "train"]
    restored, changes = restore(nb, source())
    assert all(grade_id(c) != "train" for c in restored.cells)
    assert ("deleted", "train") in kinds(changes)
