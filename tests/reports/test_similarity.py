"""The similarity pass never stops on a student's file, and stays bounded."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from autograder.reports import similarity
from autograder.reports.similarity import SimilarityTimeout, class_pairs, normalized_tokens
from tests.conftest import ROOT
from tests.fixtures.build_fixtures import crafted as crafted_files

ADA = ROOT / "examples" / "submitted" / "ada" / "gradient-descent"


def _class(tmp_path: Path, crafted: Path) -> dict[str, dict[str, Path]]:
    folders = {}
    for student in ("ada", "ada-twin", "mallory"):
        folder = tmp_path / student / "gradient-descent"
        if student == "mallory":
            folder.mkdir(parents=True)
            shutil.copy(crafted, folder / "01-gradients.ipynb")
        else:
            shutil.copytree(ADA, folder)
        folders[student] = folder
    return {"gradient-descent": folders}


@pytest.mark.parametrize("crafted", sorted(crafted_files()))
def test_a_crafted_file_does_not_stop_the_similarity_pass(course, tmp_path, fixture_notebooks,
                                                          crafted):
    """Deeply nested JSON used to pass grading as 'not a notebook', then crash here."""
    pairs = class_pairs(course, _class(tmp_path, fixture_notebooks / "crafted" / crafted))[
        "gradient-descent"]
    assert [(p.a, p.b) for p in pairs] == [("ada", "ada-twin")]


def test_code_counts_at_most_max_tokens():
    assert len(normalized_tokens("x = 1\n" * 10_000)) == similarity.MAX_TOKENS


def test_the_pass_stops_at_its_time_budget(course, tmp_path, fixture_notebooks, monkeypatch):
    folders = _class(tmp_path, fixture_notebooks / "crafted" / "binary-junk.ipynb")
    clock = iter(range(0, 10_000, 100))
    monkeypatch.setattr(time, "monotonic", lambda: float(next(clock)))
    with pytest.raises(SimilarityTimeout):
        class_pairs(course, folders, budget=150)
