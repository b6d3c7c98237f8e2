"""Reference helpers: what the grade step lends a call, taken from the source notebook."""

from __future__ import annotations

import nbformat

from autograder.notebook_cells import read
from autograder.pipeline.grade import run_graders
from autograder.pipeline.lending import Lender
from autograder.pipeline.reference import reference_helpers
from autograder.sandbox.channel import CallReply
from tests.conftest import ROOT

SOURCE = ROOT / "source" / "gradient-descent"


def _solution(grade_id: str, source: str):
    return nbformat.v4.new_code_cell(source, metadata={
        "nbgrader": {"solution": True, "grade_id": grade_id}})


def _notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%matplotlib inline\nimport math"),
                _solution("mse", "def mse(a, b):\n    return math.nan\n"),
                _solution("train", "def train(p):\n    return mse(p, p)\n"),
                _solution("word", "HELPER = 1\n"),  # defines no function of its name
                _solution("step", "def step(p):\n    return p\n")]
    return nb


def test_the_reference_is_the_source_notebooks_imports_and_solution_cells(course):
    spec = course.assignment("gradient-descent").notebook("02-seven-steps.ipynb")
    refs = reference_helpers(read(SOURCE / "02-seven-steps.ipynb"), tuple(spec.autograded))
    assert refs.names == ("init_params", "quadratic", "mse", "loss_and_grad", "apply_step",
                          "train", "train_until", "standardize", "to_original_units")
    lent = refs.lender("train", {"mse", "quadratic", "apply_step", "train"})
    assert lent.names == ("quadratic", "mse", "apply_step") and lent.watch == ()
    assert lent.message() == {"names": ["quadratic", "mse", "apply_step"], "watch": []}
    code = lent.source  # what the reference process runs; the worker gets names only
    assert "import torch" in code and "from tqdm.auto import tqdm" in code
    assert "def apply_step(params, t, y, lr):" in code
    # Only the problems' solution cells: no visible test, data, plot or demo cell.
    assert "looks right" not in code and "signal =" not in code and "plt.sub" not in code
    compile(code, "<reference solutions>", "exec")


def test_a_call_is_lent_the_other_lendable_problem_functions():
    refs = reference_helpers(_notebook(), ("mse", "train", "word", "step"))
    assert refs.names == ("mse", "train", "step")
    lent = refs.lender("train", {"mse", "train", "word"})
    assert lent.names == ("mse",)
    assert lent.source.startswith("import math\n")  # the magic line is left out, not the cell
    assert refs.lender("mse", {"mse"}) is None and refs.lender("mse", set()) is None


def test_a_helper_that_takes_a_function_is_watched_not_lent(course):
    spec = course.assignment("gradient-descent").notebook("01-gradients.ipynb")
    refs = reference_helpers(read(SOURCE / "01-gradients.ipynb"), tuple(spec.autograded))
    assert refs.take_a_function == {"gradient"}  # gradient(f, x) calls f
    lent = refs.lender("grad_of_square", {"sum_of_squares", "gradient"})
    assert lent.names == ("sum_of_squares",) and lent.watch == ("gradient",)


def test_a_problems_reference_is_lent_only_once_all_its_checks_have_run(tmp_path, monkeypatch):
    # Student code can ask what is lent: were mse lent before its own checks, a
    # submission could pass them with the reference's answers. And a helper that passed
    # every check is not lent at all: the student's own costs nothing twice.
    graders = tmp_path / "test_nb.py"
    graders.write_text(
        "from autograder.grading import problem\n\n"
        "@problem('mse')\ndef test_mse(student):\n    assert student.mse(1) == 'right'\n\n"
        "@problem('train')\ndef test_train(student):\n    student.train(1)\n\n"
        "@problem('mse')\ndef test_mse_again(student):\n    student.mse(2)\n\n"
        "@problem('step')\ndef test_step(student):\n    assert student.step(1) == 'right'\n\n"
        "@problem('train')\ndef test_train_again(student):\n    student.train(2)\n")
    lent = []

    def send(name, args, kwargs, reference=None):
        lent.append((name, list(reference.names) if reference else []))
        return CallReply(None, args, kwargs, "", ())

    refs = reference_helpers(_notebook(), ("mse", "train", "step"))
    monkeypatch.setattr(Lender, "prepare", lambda self: None)  # no reference process needed
    results = run_graders(graders, send, seed=1, references=refs)
    assert [r.passed for r in results] == [False, True, True, False, True]
    # mse failed a check: lent once all its checks ran; train passed all of its: never lent
    assert lent == [("mse", []), ("train", []), ("mse", []), ("step", ["mse"]),
                    ("train", ["mse", "step"])]
