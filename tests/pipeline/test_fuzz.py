"""Fuzzing: no crafted or mutated file makes load, restore or the similarity pass fail.

Files come from tests/fuzzing.py (hypothesis, derandomized: the same files every run;
FUZZ_EXAMPLES=2000 for a longer run). Each property holds for every file: load returns
a notebook or a reason and never raises; restore and the similarity pass never raise
on what load accepts; every read is bounded.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from hypothesis import event, given, settings

from autograder.pipeline.load import load_submission, parse_notebook
from autograder.pipeline.restore import restore
from autograder.reports.similarity import MAX_TOKENS, class_pairs, solution_tokens
from autograder.results import Change
from tests.conftest import ROOT
from tests.fuzzing import EXAMPLES, FUZZ, notebook_files

# nbformat repairs duplicated cell ids with a warning: expected for mutated files
pytestmark = pytest.mark.filterwarnings("ignore::nbformat.warnings.DuplicateCellId")

SOURCES = {name: nbformat.read(str(ROOT / "source" / "gradient-descent" / name), as_version=4)
           for name in ("01-gradients.ipynb", "02-seven-steps.ipynb")}
ADA = ROOT / "examples" / "submitted" / "ada" / "gradient-descent"


@FUZZ
@given(notebook_files())
def test_load_gives_a_notebook_or_a_reason(data):
    loaded = parse_notebook("01-gradients.ipynb", data)
    event("loaded as a notebook" if loaded.notebook is not None else "refused with a reason")
    if loaded.notebook is None:
        assert loaded.reason.startswith("01-gradients.ipynb") and len(loaded.reason) < 1000
    else:
        nbformat.validate(loaded.notebook, relax_add_props=True)  # as load does


@FUZZ
@given(notebook_files())
def test_restore_and_tokens_never_fail_on_what_load_accepts(data):
    loaded = parse_notebook("02-seven-steps.ipynb", data)
    if loaded.notebook is None:
        return
    for source in SOURCES.values():
        restored, changes = restore(loaded.notebook, source)
        nbformat.validate(restored, relax_add_props=True)
        assert all(isinstance(c, Change) and isinstance(c.detail, str) for c in changes)
        assert all(len(t) <= MAX_TOKENS for t in solution_tokens(restored).values())


@settings(FUZZ, max_examples=max(10, EXAMPLES // 3))  # a class pass per file: slower
@given(notebook_files())
def test_the_similarity_pass_never_fails(course, tmp_path_factory, data):
    tmp: Path = tmp_path_factory.mktemp("class")
    folders = {}
    for student in ("ada", "mallory"):
        folder = tmp / student / "gradient-descent"
        folder.mkdir(parents=True)
        for name in ("01-gradients.ipynb", "02-seven-steps.ipynb"):
            (folder / name).write_bytes(data if student == "mallory" else
                                        (ADA / name).read_bytes())
        folders[student] = folder
    pairs = class_pairs(course, {"gradient-descent": folders})
    assert list(pairs) == ["gradient-descent"]
    assert all((p.a, p.b) == ("ada", "mallory") and 0 <= p.similarity <= 1
               for p in pairs["gradient-descent"])
    loaded = load_submission(folders["mallory"] / "02-seven-steps.ipynb")
    assert (loaded.notebook is None) == bool(loaded.reason)
