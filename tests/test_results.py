"""results.json is SubmissionResult.to_dict(); it reads back to the same result."""

from __future__ import annotations

import json

from autograder.results import (
    CellOutcome,
    CellStatus,
    Change,
    NotebookResult,
    NotebookStatus,
    ProblemScore,
    SubmissionResult,
    TestResult,
)
from tests.builders import synthetic_result


def _one() -> SubmissionResult:
    notebook = NotebookResult(
        "02-seven-steps.ipynb", NotebookStatus.GRADED,
        problems=[ProblemScore("mse", 0.5, 1.0, 1, 2), ProblemScore("explain", None, 2.0, 0, 0)],
        tests=[TestResult("mse", "test_mse_value", False, "wrong", 0.01, kind="core")],
        cells=[CellOutcome("mse", CellStatus.ERROR, "ValueError", "printed")],
        changes=[Change("restored", "data", "locked cell was edited")],
        artifacts=[{"problem": "mse", "kind": "fit", "data": {"x": [1.0]}}],
        restarts=2, seconds=1.25)
    return SubmissionResult("ada", "gradient-descent", 7, [notebook], "bubblewrap", "f" * 64)


def test_a_result_survives_its_json_round_trip():
    result = _one()
    text = json.dumps(result.to_dict())
    again = SubmissionResult.from_dict(json.loads(text))
    assert again == result
    assert again.notebooks[0].cells[0].status is CellStatus.ERROR
    # the manual problem is pending: in `possible` (one denominator) and in `pending`
    assert (again.total, again.possible, again.pending) == (0.5, 3.0, 2.0)


def test_status_values_are_written_as_plain_strings():
    data = json.loads(json.dumps(_one().to_dict()))
    assert data["notebooks"][0]["status"] == "graded"
    assert data["notebooks"][0]["cells"][0]["status"] == "error"
    assert data["notebooks"][0]["worker_restarts"] == 2


def test_entries_of_other_kit_versions_are_ignored(course):
    data = synthetic_result(course, {"mse": 0.0})
    data["notebooks"][0]["problems"][0]["from_the_future"] = True
    data["notebooks"][0]["tests"][0]["also_new"] = 1
    result = SubmissionResult.from_dict(data)
    assert result.notebooks[0].problems[0].problem == data["notebooks"][0]["problems"][0]["problem"]
    assert result.kit_errors == []
