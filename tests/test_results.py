"""results.json is SubmissionResult's JSON; it reads back to the same result, files of
earlier kits too, and a file that does not fit is refused in one clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.errors import ResultsUnreadable
from autograder.reports.submission import render_feedback
from autograder.results import (
    CellOutcome,
    CellStatus,
    Change,
    NotebookResult,
    NotebookStatus,
    ProblemScore,
    SubmissionResult,
    TestResult,
    read_results,
    results_json,
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


# A results.json written by the kit before results became pydantic types (graded from
# examples/submitted/carol with seed 7, by commit c9a7822): later kits must read it.
BEFORE = Path(__file__).parent / "fixtures" / "results" / "results-before-pydantic.json"


def test_a_results_json_from_before_the_pydantic_types_still_reads():
    written = json.loads(BEFORE.read_text())
    result = read_results(BEFORE)
    assert (result.student, result.assignment, result.seed) == ("carol", "gradient-descent", 7)
    # one denominator now: `possible` includes the pending written answer the old file left out
    assert (result.total, result.possible - result.pending) == \
        (written["total"], written["possible"])
    assert [nb.restarts for nb in result.notebooks] == \
        [nb["worker_restarts"] for nb in written["notebooks"]]
    assert [p.manual for p in result.problems] == [p["manual"] for nb in written["notebooks"]
                                                   for p in nb["problems"]]
    assert "explain_lecture_bug" in [p.problem for p in result.problems if p.manual]
    # Written again, it says the same (to the rounding of the seconds it already had),
    # but for one denominator and the fields added since, at their defaults (the record
    # of which answer a score was for; the helpers not lent and the requirements of a check).
    again = json.loads(results_json(result))
    assert again.pop("possible") == written.pop("possible") + result.pending
    for nb in again["notebooks"]:
        for p in nb["problems"]:
            assert (p.pop("scored_answer"), p.pop("history")) == ("", [])
        for test in nb["tests"]:
            assert test.pop("unlent") == [] and test.pop("requires") == []
    assert again == written
    assert render_feedback(result)


def test_an_older_kits_results_json_reads_through_its_aliases_and_defaults():
    older = json.loads(BEFORE.read_text())
    for key in ("fingerprint", "submitted", "total", "possible"):
        del older[key]
    for nb in older["notebooks"]:
        for p in nb["problems"]:  # before written answers: no manual flag, answer, comment
            for key in ("manual", "answer", "comment", "graded_by", "helpers", "rule"):
                p.pop(key, None)
    result = SubmissionResult.from_dict(older)
    pending = [p.problem for p in result.problems if p.points is None]
    assert [p.problem for p in result.problems if p.manual] == pending  # pending were manual
    assert result.fingerprint == ""  # so a rerun grades it again


def test_a_damaged_results_json_is_refused_with_one_error_that_says_where(tmp_path):
    path = tmp_path / "results.json"
    data = _one().to_dict()
    data["notebooks"][0]["status"] = "graded-ish"
    data["notebooks"][0]["problems"][0]["points"] = "lots"
    path.write_text(json.dumps(data))
    with pytest.raises(ResultsUnreadable) as caught:
        read_results(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: not a results.json of this kit")
    assert "notebooks.0.status" in message and "notebooks.0.problems.0.points" in message
    assert "\n" not in message
    path.write_text('{"student": "cy", "tot')
    with pytest.raises(ResultsUnreadable, match="Invalid JSON"):
        read_results(path)
    with pytest.raises(ResultsUnreadable, match="cannot be read"):
        read_results(tmp_path / "missing.json")
