"""The similarity pass never stops on a student's file, and stays bounded."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from autograder.reports import similarity
from autograder.reports.similarity import SimilarityTimeout, class_pairs, normalized_tokens
from tests.conftest import FIXTURES, ROOT

ADA = ROOT / "examples" / "submitted" / "ada" / "gradient-descent"


def _class(tmp_path: Path, crafted: str) -> dict[str, dict[str, Path]]:
    folders = {}
    for student in ("ada", "ada-twin", "mallory"):
        folder = tmp_path / student / "gradient-descent"
        if student == "mallory":
            folder.mkdir(parents=True)
            shutil.copy(FIXTURES / "crafted" / crafted, folder / "01-gradients.ipynb")
        else:
            shutil.copytree(ADA, folder)
        folders[student] = folder
    return {"gradient-descent": folders}


@pytest.mark.parametrize("crafted", sorted(p.name for p in (FIXTURES / "crafted").iterdir()))
def test_a_crafted_file_does_not_stop_the_similarity_pass(course, tmp_path, crafted):
    """Deeply nested JSON used to pass grading as 'not a notebook', then crash here."""
    pairs = class_pairs(course, _class(tmp_path, crafted))["gradient-descent"]
    assert [(p.a, p.b) for p in pairs] == [("ada", "ada-twin")]


def test_code_counts_at_most_max_tokens():
    assert len(normalized_tokens("x = 1\n" * 10_000)) == similarity.MAX_TOKENS


def test_the_pass_stops_at_its_time_budget(course, tmp_path, monkeypatch):
    clock = iter(range(0, 10_000, 100))
    monkeypatch.setattr(time, "monotonic", lambda: float(next(clock)))
    with pytest.raises(SimilarityTimeout):
        class_pairs(course, _class(tmp_path, "binary-junk.ipynb"), budget=150)
