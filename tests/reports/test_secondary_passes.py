"""A secondary pass (figures, the summary page, the gradebook) that fails is reported and
never stops grades.csv."""

from __future__ import annotations

import csv

import pytest

from autograder.integrations import gradebook
from autograder.reports import class_reports, summary
from autograder.reports.class_reports import write_class_reports
from autograder.reports.submission import render_feedback
from autograder.results import SubmissionResult
from tests.builders import synthetic_result


def _results(course) -> list[SubmissionResult]:
    return [SubmissionResult.from_dict({**synthetic_result(course, {}), "student": s})
            for s in ("ada", "eve")]


def _boom(*args, **kwargs):
    raise ValueError("cannot draw this")


def test_a_figure_that_cannot_be_drawn_is_left_out_and_reported(course, tmp_path, monkeypatch):
    monkeypatch.setattr(summary, "histogram", _boom)
    failed = write_class_reports(course, tmp_path, _results(course), {})
    page = (tmp_path / "summary.html").read_text()
    assert failed == ["figure not drawn (gradient-descent histogram): ValueError: cannot draw "
                      "this"]
    assert "Parts of this report could not be made" in page and "cannot draw this" in page
    assert 'id="histogram-gradient-descent"' not in page
    assert len(list(csv.DictReader((tmp_path / "grades.csv").open()))) == 2


def test_a_summary_that_cannot_be_rendered_still_leaves_grades_csv(course, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setattr(class_reports, "write_summary", _boom)
    failed = write_class_reports(course, tmp_path, _results(course), None,
                                 ["similarity check not completed: RecursionError: deep"])
    assert failed[0].startswith("similarity check not completed")
    assert failed[1] == "summary page not rendered: ValueError: cannot draw this"
    assert "could not be rendered" in (tmp_path / "summary.html").read_text()
    rows = list(csv.DictReader((tmp_path / "grades.csv").open()))
    assert [r["student"] for r in rows] == ["ada", "eve"] and rows[0]["total"] == "26"


def test_a_fit_plot_that_fails_leaves_a_caption(course, monkeypatch):
    from autograder.reports import figures

    monkeypatch.setattr(figures, "fit_figure", _boom)
    result = _results(course)[0]
    result.notebooks[2].artifacts = [{"kind": "fit", "problem": "fit_linear_regression",
                                      "test": "t", "data": {"x": [1, 2], "y": [1, "x"]}}]
    page = render_feedback(result)
    assert "fit_linear_regression: the plot could not be drawn (ValueError" in page


def test_a_submission_the_gradebook_cannot_take_costs_only_itself(course, tmp_path,
                                                                  monkeypatch):
    pytest.importorskip("nbgrader")
    real = gradebook._write_submission

    def picky(gb, cells, r, submitted):
        if r.student == "eve":
            raise ValueError("eve cannot be written")
        real(gb, cells, r, submitted)

    monkeypatch.setattr(gradebook, "_write_submission", picky)
    db = tmp_path / "gradebook.db"
    _, failed = gradebook.write_gradebook(course, _results(course), str(db))
    assert failed == ["gradebook: eve/gradient-descent not written: ValueError: eve cannot be "
                      "written"]
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{db}") as gb:
        assert [s.id for s in gb.students] == ["ada"]
