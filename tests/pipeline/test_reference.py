"""Reference helpers: what the host lends a call, taken from the source notebook."""

from __future__ import annotations

import nbformat

from autograder.notebook_cells import read
from autograder.pipeline.reference import reference_helpers
from tests.conftest import ROOT

SOURCE = ROOT / "source" / "gradient-descent"


def test_the_reference_is_the_source_notebooks_imports_and_solution_cells(course):
    spec = course.assignment("gradient-descent").notebook("02-seven-steps.ipynb")
    refs = reference_helpers(read(SOURCE / "02-seven-steps.ipynb"), tuple(spec.autograded))
    assert refs.names == ("init_params", "quadratic", "mse", "loss_and_grad", "apply_step",
                          "train", "train_until", "standardize", "to_original_units")
    assert "import torch" in refs.code and "from tqdm.auto import tqdm" in refs.code
    assert "def apply_step(params, t, y, lr):" in refs.code
    # Only lecture code: no visible test, data, plot or demo cell; and it compiles.
    assert "looks right" not in refs.code and "signal =" not in refs.code
    assert "plt.subplots" not in refs.code and "demo" not in refs.code
    compile(refs.code, "<reference solutions>", "exec")


def test_a_call_lends_every_other_problem_function():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%matplotlib inline\nimport math"),
        nbformat.v4.new_code_cell("def mse(a, b):\n    return math.nan\n",
                                  metadata={"nbgrader": {"solution": True, "grade_id": "mse"}}),
        nbformat.v4.new_code_cell("def train(p):\n    return mse(p, p)\n",
                                  metadata={"nbgrader": {"solution": True, "grade_id": "train"}}),
        nbformat.v4.new_code_cell("HELPER = 1\n",  # a solution cell that defines no function
                                  metadata={"nbgrader": {"solution": True, "grade_id": "word"}}),
    ]
    refs = reference_helpers(nb, ("mse", "train", "word"))
    assert refs.names == ("mse", "train")
    assert refs.code.startswith("import math\n")  # the magic line is left out, not the cell
    assert refs.for_call("train") == {"code": refs.code, "names": ["mse"]}
    assert refs.for_call("mse") == {"code": refs.code, "names": ["train"]}
    assert reference_helpers(nb, ("mse",)).for_call("mse") is None
