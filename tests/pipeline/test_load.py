"""Broken files become a reason a student can act on, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.pipeline.load import load_submission
from tests.conftest import FIXTURES

BROKEN = FIXTURES / "broken"


@pytest.mark.parametrize(("name", "words"), [
    ("truncated-json.ipynb", "invalid JSON"),
    ("empty-file.ipynb", "is empty"),
    ("python-script.ipynb", "script renamed to .ipynb"),
    ("json-not-notebook.ipynb", "not a Jupyter notebook"),
])
def test_broken_files_get_a_reason(name, words):
    loaded = load_submission(BROKEN / name)
    assert loaded.notebook is None
    assert words in loaded.reason and name in loaded.reason


def test_a_missing_notebook_is_reported_as_not_submitted(tmp_path):
    loaded = load_submission(tmp_path / "02-seven-steps.ipynb")
    assert loaded.notebook is None and "was not submitted" in loaded.reason


def test_an_old_nbformat_notebook_is_upgraded():
    loaded = load_submission(BROKEN / "nbformat-v3.ipynb")
    assert loaded.notebook is not None
    assert loaded.notebook.nbformat == 4
    assert "def linear_model" in loaded.notebook.cells[0].source


def test_outputs_are_dropped_on_load(tmp_path):
    """A notebook full of outputs (here 50 MB) loads, and its outputs are not kept."""
    big = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{
        "cell_type": "code", "id": "big", "metadata": {}, "execution_count": 1,
        "source": "print('x')",
        "outputs": [{"output_type": "stream", "name": "stdout", "text": "x" * (50 * 2**20)}],
    }]}
    path: Path = tmp_path / "50MB-of-outputs.ipynb"
    path.write_text(json.dumps(big))
    loaded = load_submission(path)
    assert loaded.notebook is not None
    assert loaded.notebook.cells[0].outputs == []


@pytest.mark.parametrize(("name", "words"), [
    ("deep-nesting.ipynb", "nested more than"),
    ("deep-metadata.ipynb", "nested more than"),
    ("many-cells.ipynb", "6000 cells"),
    ("invalid-utf8.ipynb", "invalid JSON"),
    ("binary-junk.ipynb", "invalid JSON"),
    ("wrong-types.ipynb", "not a valid notebook"),
])
def test_crafted_files_get_a_reason(fixture_notebooks, name, words):
    loaded = load_submission(fixture_notebooks / "crafted" / name, untrusted=1)
    assert loaded.notebook is None
    assert words in loaded.reason, loaded.reason


def test_a_blanked_kernelspec_is_loaded_for_restore_to_replace(fixture_notebooks):
    """nbgrader's own fixture case: the kernelspec is restored, the notebook graded."""
    loaded = load_submission(fixture_notebooks / "crafted" / "blank-kernelspec.ipynb",
                             untrusted=1)
    assert loaded.notebook is not None, loaded.reason
