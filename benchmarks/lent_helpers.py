"""What serving lent reference helpers from outside the sandbox costs.

    python benchmarks/lent_helpers.py [--repeat 3]

Grades the reference solutions of 02-seven-steps and 03-linear-regression (their
functions call each other: `train` calls `apply_step`, `fit_linear_regression` calls
`linear_model` on every step, forward and backward) with the real engine, in one run,
alternately with the helpers lent (stubs served by the reference process) and without
lending (each function calls its own helpers, which for the reference notebook are
the same code), REPEAT times each, and prints the fastest of each with the ratio. Also
times one stub round trip (a call, and a call with its backward), and grades 03 with a
wrong `linear_model`, which is then lent to `fit_linear_regression` (served on every
step) or not. The machine's speed cancels out of the ratios.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.config import load_course  # noqa: E402
from autograder.grading import make_tensor  # noqa: E402
from autograder.notebook_cells import read  # noqa: E402
from autograder.pipeline.execute import execute  # noqa: E402
from autograder.pipeline.grade import grader_file, run_graders  # noqa: E402
from autograder.pipeline.lending import Lender  # noqa: E402
from autograder.pipeline.restore import restore  # noqa: E402
from autograder.pipeline.submission import references_of  # noqa: E402
from autograder.sandbox.backends import Bubblewrap  # noqa: E402
from autograder.sandbox.zygote_client import worker_pool  # noqa: E402

ASSIGNMENT = "gradient-descent"


WRONG_LINEAR_MODEL = "def linear_model(X, theta, theta0):\n    return X @ theta + theta0 + 1\n"


def grade_once(course, pool, notebook: str, lend: bool, wrong: str = "") -> float:
    """Seconds the graders of NOTEBOOK take on its reference solution (with the solution
    cell of WRONG's function replaced by WRONG: that helper then fails and is lent)."""
    spec = course.assignment(ASSIGNMENT).notebook(notebook)
    source = read(course.source_notebook(ASSIGNMENT, notebook))
    submitted = read(course.source_notebook(ASSIGNMENT, notebook))
    for cell in submitted.cells:
        if wrong and cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == \
                wrong.split("(")[0].removeprefix("def "):
            cell.source = wrong
    nb, _ = restore(submitted, source)
    execution = execute(nb, pool, course.limits)
    try:
        references = references_of(course, ASSIGNMENT, spec) if lend else None
        if references is not None:  # the reference process is up before timing
            Lender(references.code, ("mse",)).prepare()
        started = time.perf_counter()
        results = run_graders(grader_file(course.path("graders"), ASSIGNMENT, spec.stem),
                              execution.call, 1, references=references)
        seconds = time.perf_counter() - started
    finally:
        execution.close()
    failed = [r.name for r in results if not r.passed and not wrong]
    assert not failed, f"the reference fails {failed}"
    return seconds


def round_trips(pool, n: int = 300) -> tuple[float, float]:
    worker = pool.take()
    worker.run_cells(["import torch\n"
                      "def forward(X, th, n):\n"
                      "    for _ in range(n):\n"
                      "        linear_model(X, th, th[0])\n"
                      "def both(X, th, n):\n"
                      "    for _ in range(n):\n"
                      "        linear_model(X, th, th[0]).sum().backward()\n"], 30, 60)
    code = "import torch\n\ndef linear_model(X, theta, theta0):\n    return X @ theta + theta0\n"
    lender = Lender(code, ("linear_model",))
    lender.prepare()
    X, th = torch.randn(100, 5), torch.randn(5, requires_grad=True)
    times = []
    for name in ("forward", "both"):
        started = time.perf_counter()
        worker.call(1, name, (X, th, n), {}, 600, reference=lender)
        times.append((time.perf_counter() - started) / n)
    worker.close()
    return times[0], times[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    course = load_course(ROOT)
    torch.set_num_threads(1)
    pool = worker_pool(Bubblewrap(), course.limits, make_tensor)
    try:
        call, backward = round_trips(pool)
        print(f"one lent call: {call * 1e3:.2f} ms; with its backward: {backward * 1e3:.2f} ms")
        for notebook in ("02-seven-steps.ipynb", "03-linear-regression.ipynb"):
            best = {True: float("inf"), False: float("inf")}
            for _ in range(args.repeat):
                for lend in (False, True):
                    best[lend] = min(best[lend], grade_once(course, pool, notebook, lend))
            print(f"{notebook}: graders {best[False]:.2f} s without lending, "
                  f"{best[True]:.2f} s with lending on (nothing fails, nothing is lent: "
                  f"x{best[True] / best[False]:.2f})")
        # A wrong linear_model: fit_linear_regression's steps call the served reference.
        best = {True: float("inf"), False: float("inf")}
        for _ in range(args.repeat):
            for lend in (False, True):
                best[lend] = min(best[lend], grade_once(
                    course, pool, "03-linear-regression.ipynb", lend, WRONG_LINEAR_MODEL))
        print(f"03 with a wrong linear_model: graders {best[False]:.2f} s with the student's "
              f"own, {best[True]:.2f} s with the reference's served (x"
              f"{best[True] / best[False]:.2f})")
    finally:
        pool.close()


if __name__ == "__main__":
    main()
