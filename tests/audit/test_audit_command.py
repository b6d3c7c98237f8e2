"""`course audit` end to end: real sandbox, zygote and graders, on a few problems."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import ROOT, run_course

pytestmark = pytest.mark.slow
COUNTS = ("mutants", "killed", "survived", "equivalent", "leaks", "flaky", "errors")


def audit(cwd, tmp_path, problems, seeds=3):
    out = tmp_path / "out"
    result = run_course("audit", "gradient-descent", "--problems", problems, "--seeds",
                        str(seeds), "--seed", "7", "--out", str(out), "--json",
                        str(tmp_path / "audit.json"), cwd=cwd)
    assert result.returncode in (0, 1), result.stderr[-3000:]
    figures = json.loads((tmp_path / "audit.json").read_text())
    return result, figures, (out / "audit.html").read_text()


def test_audit_measures_the_graders_of_the_chosen_problems(tmp_path):
    result, figures, html = audit(ROOT, tmp_path, "mse,linear_model", seeds=4)
    assert set(figures["problems"]) == {"mse", "linear_model"}
    assert figures["seeds"] == [7, 8, 9, 10] and figures["mutant_seeds"] == [7, 8, 9]
    for p in figures["problems"].values():
        assert p["mutants"] == len(p["details"]) >= 4
        assert p["mutants"] == sum(p[k] for k in COUNTS[1:] if k != "leaks")
        assert [s["seed"] for s in p["seeds"]] == [7, 8, 9, 10]
        assert all(s["reference"] == p["possible"] and s["blank"] == 0 for s in p["seeds"])
        for d in p["details"]:
            assert len(d["scores"]) == 3 and d["diff"].startswith("---")
    details = {d["id"]: d for d in figures["problems"]["mse"]["details"]}
    assert details["mistake: mse-sum"]["status"] == "killed"
    assert details["mistake: mse-sum"]["core_wrong"].startswith("seed 7: fails the core check")
    mean_for_sum = details["mean for sum: return ((preds - targets) ** 2).mean() -> "
                           "return ((preds - targets) ** 2).sum()"]
    assert mean_for_sum["status"] == "killed" and mean_for_sum["scores"][0] < 1
    # the verdict and the exit code follow the failures, which name each leak
    assert (result.returncode == 0) == figures["ok"] == (figures["failures"] == [])
    leaks = [d for p in figures["problems"].values() for d in p["details"] if d["leak"]]
    assert len([f for f in figures["failures"] if "credit leak" in f]) == len(leaks)
    assert "mse" in result.stdout and "course audit: " in result.stdout
    assert '<table id="summary">' in html and 'id="mse"' in html
    for d in leaks:
        assert d["id"].replace("'", "&#39;").replace(">", "&gt;") in html


def test_a_grader_gap_is_found_and_its_diff_shown(course_copy, tmp_path):
    """Remove the check of mse's value: summing instead of averaging then survives, and
    the audit fails, naming the mutant as a survivor and a leak (outputs differ)."""
    graders = course_copy / "autograder" / "graders" / "gradient-descent"
    tests = graders / "test_02_seven_steps.py"
    text = tests.read_text()
    start = text.index('@problem("mse")\ndef test_mse_value_is_mean')
    end = text.index('@problem("mse")', start + 10)
    tests.write_text(text[:start] + text[end:])
    shutil.copytree(ROOT / "examples", course_copy / "examples")
    result, figures, html = audit(course_copy, tmp_path, "mse")
    assert result.returncode == 1 and not figures["ok"]
    mse = figures["problems"]["mse"]
    survivors = {d["id"]: d for d in mse["details"] if d["status"] == "survived"}
    assert "mistake: mse-sum" in survivors
    assert survivors["mistake: mse-sum"]["leak"]
    assert "returned" in survivors["mistake: mse-sum"]["core_wrong"]
    assert mse["survived"] == len(survivors) and mse["leaks"] >= len(survivors)
    assert any("mutant survives" in f and "mistake: mse-sum" in f for f in figures["failures"])
    assert "+    return ((preds - targets) ** 2).sum()" in html


def test_an_allowlist_entry_that_matches_no_mutant_is_a_warning(course_copy, tmp_path):
    (course_copy / "autograder" / "graders" / "gradient-descent" / "audit-allowlist.yml"
     ).write_text("equivalent:\n  quadratic:\n    'wrong id': never matches\n")
    result, figures, _ = audit(course_copy, tmp_path, "quadratic")
    assert any("no mutant 'wrong id' any more" in w for w in figures["warnings"])
    assert "warning: " in result.stdout


def test_a_broken_allowlist_is_a_clear_error(course_copy):
    (course_copy / "autograder" / "graders" / "gradient-descent" / "audit-allowlist.yml"
     ).write_text("equivalent:\n  msee: {x: y}\n")
    result = run_course("audit", "gradient-descent", cwd=course_copy)
    assert result.returncode == 2
    assert "audit-allowlist.yml" in result.stderr and "did you mean 'mse'?" in result.stderr
    quick = run_course("validate", "--quick", cwd=course_copy)
    assert quick.returncode == 1 and "did you mean 'mse'?" in quick.stderr
