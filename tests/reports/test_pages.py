"""The instructor's summary page, its similarity check, and the plots graders attach."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import torch

from autograder.grading import attach, collecting_artifacts
from autograder.notebook_cells import grade_id, is_solution, read
from autograder.reports.similarity import normalized_tokens, similar_pairs
from autograder.reports.submission import render_feedback
from autograder.reports.summary import render_summary
from autograder.results import SubmissionResult
from tests.builders import ASSIGNMENT, mse_checks, synthetic_result, with_checks
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples" / "submitted"


def test_attach_keeps_plain_numbers_and_only_while_grading():
    attach("train", "fit", x=[1.0])  # outside a grading run: nothing to record, no error
    with collecting_artifacts() as found:
        attach("train", "fit", x_label="t", x=torch.arange(3.0),
               y=np.array([1.0, np.nan, np.inf]), big=torch.arange(5000))
    (art,) = found
    assert art["problem"] == "train" and art["labels"] == {"x": "t", "y": "y"}
    assert art["data"]["x"] == [0.0, 1.0, 2.0] and art["data"]["y"] == [1.0, None, None]
    assert len(art["data"]["big"]) == 1000 and art["data"]["big"][-1] == 4999.0
    json.dumps(found, allow_nan=False)  # strict JSON for results.json


def test_feedback_draws_the_attached_fit(course):
    data = synthetic_result(course, {})
    nb = data["notebooks"][2]
    nb["tests"][0]["name"] = "test_fit_draws"
    grid = np.linspace(-2, 2, 20)
    nb["artifacts"] = [{"problem": "fit_linear_regression", "kind": "fit",
                        "test": "test_fit_draws", "labels": {"x": "x", "y": "y"},
                        "data": {"x": list(grid), "y": list(2 * grid + 1), "x_curve": list(grid),
                                 "student": [None] * 20, "lstsq": list(2 * grid + 1)}}]
    page = render_feedback(SubmissionResult.from_dict(data))
    assert page.count('<img src="data:image/png;base64,') == 1
    assert "fit_linear_regression: your fit" in page


def test_names_strings_numbers_and_comments_do_not_matter():
    a = normalized_tokens("def mse(p, t):\n    # mean\n    return ((p - t) ** 2).mean()\n")
    b = normalized_tokens("def loss(yhat, y):\n    return ((yhat - y)**2).mean()  # hi\n")
    assert a == b and "def" in a and "return" in a
    assert normalized_tokens("x = 'a'\n%timeit f(1)\n") == normalized_tokens('yy = "b"\n')
    assert normalized_tokens("def broken(:\n    '''") == ("def", "ID", "(", ":")


def _renamed_copy(src: Path, dest: Path) -> None:
    """A submission with every solution cell's `params` renamed: a disguised copy."""
    dest.mkdir(parents=True)
    for path in src.glob("*.ipynb"):
        nb = read(path)
        for cell in nb.cells:
            if is_solution(cell) and grade_id(cell):
                cell.source = cell.source.replace("params", "weights")
        (dest / path.name).write_text(json.dumps(nb), encoding="utf-8")


def test_similar_pairs_flags_disguised_copies_not_blank_ones(course, tmp_path):
    folders = {}
    for student in ("ada", "bob"):
        folders[student] = EXAMPLES / student / ASSIGNMENT
    shutil.copytree(EXAMPLES / "bob" / ASSIGNMENT, tmp_path / "bob2")
    folders["bob2"] = tmp_path / "bob2"
    _renamed_copy(EXAMPLES / "ada" / ASSIGNMENT, tmp_path / "copy")
    folders["copy"] = tmp_path / "copy"
    pairs = similar_pairs(course, course.assignment(ASSIGNMENT), folders)
    assert [(p.a, p.b) for p in pairs] == [("ada", "copy")]  # bob & bob2: both blank
    (pair,) = pairs
    assert pair.similarity == 1.0 and len(pair.identical) == len(pair.problems) == 16
    assert pair.a_reference == pair.b_reference == "identical to the reference solution"


def test_summary_lists_failures_changes_and_slow_notebooks(course):
    good = {**synthetic_result(course, {}), "student": "ada"}
    bad = {**synthetic_result(course, {"mse": 0.0}), "student": "eve"}
    nb = bad["notebooks"][1]
    nb["seconds"] = 99.5
    nb["cells"] = [{"label": "test_mse", "status": "error", "error": "AssertionError: <b>",
                    "output": ""}]
    nb["changes"] = [{"kind": "restored", "cell": "setup", "detail": "locked cell edited"}]
    bad["notebooks"][2].update(status="not_graded", reason="03-linear-regression.ipynb was "
                                                           "not submitted")
    page = render_summary(course, [SubmissionResult.from_dict(r) for r in (good, bad)])
    assert page.count('src="data:image/png;base64,') == 2  # histogram and pass rates
    assert 'id="histogram-gradient-descent"' in page
    assert "AssertionError: &lt;b&gt;" in page  # student text is escaped
    assert "locked cell edited" in page and "was not submitted" in page
    assert page.index("eve") < page.index("99.5")
    assert "Not checked" in page  # similarity needs the submitted folder


def _mse_section(page: str) -> str:
    return page[page.index("<h2>02-seven-steps.ipynb"):page.index("<h2>03-linear")]


def test_feedback_says_plainly_why_a_problem_earns_nothing(course):
    result = with_checks(course, "mse", mse_checks(value_is_mean="expected 42.667, got 256",
                                                   is_0dim="got shape (1,)"))
    page = _mse_section(render_feedback(result))
    assert ("Your <code>mse</code> gives a wrong result on the grader&#39;s data (check “mse "
            "value is mean”), so this problem earns 0; the other checks below are for your "
            "information.") in page
    assert "core check: the problem earns 0" in page and "for your information" in page
    assert "Your <code>mse</code> calls <code>quadratic</code>" in page
    assert "All 4 checks passed" not in page


def test_feedback_names_each_contract_slip_with_what_it_cost(course):
    result = with_checks(course, "mse", mse_checks(does_not_modify_inputs="preds changed"))
    page = _mse_section(render_feedback(result))
    assert "0.75 / 1" in page and "costs 0.25 points" in page
    assert "“mse does not modify inputs” costs 0.25 points. It earns 0.75 of 1." in page
    assert "All 4 checks passed" not in page
    full = _mse_section(render_feedback(with_checks(course, "mse", mse_checks())))
    assert "All 4 checks passed." in full and "1 / 1" in full


def test_an_unattempted_problem_is_one_line_and_its_cells_are_counted(course):
    data = synthetic_result(course, {"mse": 0.0, "train": 0.0})
    nb = data["notebooks"][1]
    stub = "Traceback (most recent call last):\n  ...\nNotImplementedError"
    for t in nb["tests"]:
        if t["problem"] == "mse":
            t["message"] = f"mse raised NotImplementedError\n{stub}"
    nb["tests"] += [dict(nb["tests"][2], name=f"test_mse_{i}") for i in range(5)]  # 6 checks
    nb["cells"] = [{"label": "test_mse", "status": "error", "error": stub},
                   {"label": "cell 20 (Step 3: calculate the loss)", "status": "error",
                    "error": stub},
                   {"label": "test_train", "status": "error",
                    "error": "AssertionError: losses[1] should be about 27884.7"}]
    next(p for p in nb["problems"] if p["problem"] == "train")["helpers"] = ["mse"]
    page = render_feedback(SubmissionResult.from_dict(data))
    assert page.count("not attempted yet:") == 1
    assert "not attempted yet: <code>mse</code> still raises NotImplementedError" in page
    assert "Traceback" not in page and "mse raised" not in page  # no check of mse listed
    assert "2 cells stopped at the <code>NotImplementedError</code>" in page
    assert "the test cell of <code>train</code>" in page and "cell cell" not in page
    assert ("Likely cause: <code>mse</code>, which <code>train</code> calls and which lost "
            "points above") in page
    assert "train is wrong: expected 1" in page  # an attempted problem's check is listed


def test_a_fit_plots_caption_states_its_problems_verdict(course):
    grid = list(np.linspace(-2, 2, 20))
    fit = {"problem": "fit_linear_regression", "kind": "fit", "test": "test_fit_linear_"
           "regression_works", "data": {"x": grid, "y": grid, "student": grid, "lstsq": grid}}
    for points, verdict in ((0.0, "This problem earned 0 of 3 points"),
                            (3.0, "Full marks for this problem (3 / 3)")):
        data = synthetic_result(course, {"fit_linear_regression": points})
        data["notebooks"][2]["tests"][2]["passed"] = True  # the plotted check passed anyway
        data["notebooks"][2]["artifacts"] = [fit]
        page = render_feedback(SubmissionResult.from_dict(data))
        caption = page.split("<figcaption>")[1].split("</figcaption>")[0]
        assert verdict in caption and "passed" not in caption
