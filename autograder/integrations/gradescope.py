"""Gradescope's run side: grade the one submission in /autograder, write results.json.

run_autograder (`python -m autograder.integrations.gradescope`, rendered from
templates/gradescope/; the zip is made by gradescope_export.py) grades the notebooks the
student uploaded to ROOT/submission/ (found as gradescope_uploads.py says) with the same
engine as `course autograde`, and writes ROOT/results/results.json in Gradescope's
format: one test per problem (the score and points from course.yml, the failed checks'
messages as output). ROOT is /autograder, or $GRADESCOPE_ROOT (for trying it out locally
and for tests).

A run that cannot grade fails loudly: when the sandbox cannot start, or the kit fails on
a notebook, it exits non-zero (Gradescope shows an autograder failure; the instructor
can regrade), results.json tells the student that the grading system failed, not their
code, and the diagnosis (what the sandbox printed, the kit's traceback) goes to stdout,
which Gradescope shows the instructor alone. No kit traceback reaches the student.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from autograder.config import Course, load_course
from autograder.integrations.gradescope_uploads import (
    collect_uploads,
    describe_uploads,
    grade_ids,
)
from autograder.pipeline.safe_read import Refused
from autograder.reports.feedback_view import cell_label
from autograder.results import BROKEN_CELL, NotebookStatus, SubmissionResult

STUDENT = "submission"  # folder name of the one submission inside the temporary layout
SYSTEM_FAILED = ("The grading system failed on {what} (not your code): it was not graded. "
                 "Your instructor can see the details and regrade it; please tell them.")

# ------------------------------------------------------------------ results.json
def to_gradescope(course: Course, result: SubmissionResult, seconds: float) -> dict[str, Any]:
    """Our results.json for one submission as Gradescope's results.json."""
    tests = []
    for nb in result.notebooks:
        for p in nb.problems:
            tests.append(_test(nb, p))
    return {
        "score": float(sum(p.points for p in result.problems
                           if not p.manual and p.points is not None)),
        "execution_time": int(round(seconds)),
        "output": _overview(course, result),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {"seed": result.seed, "sandbox": result.sandbox},
        "tests": tests,
    }


def _test(nb: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    name = f"{nb.notebook}: {p.problem}"
    if p.manual or p.points is None:  # a Gradescope question graded by hand, not ours
        return {"name": name, "score": 0.0, "max_score": 0.0, "visibility": "visible",
                "output": f"Graded by your instructor ({p.possible:g} points), not by the "
                          "autograder; this score appears once it is graded."}
    failed = [t for t in nb.tests if t.problem == p.problem and not t.passed]
    if nb.status == NotebookStatus.ERROR:  # the kit's failure: its details are not for students
        output = SYSTEM_FAILED.format(what="this notebook")
    elif nb.status != NotebookStatus.GRADED:
        output = f"Not graded: {nb.reason}"
    elif not p.tests:
        output = "No checks ran for this problem."
    elif failed:
        output = (p.summary or f"{p.passed} of {p.tests} checks passed.") + \
            "\n\nWhat to fix:\n\n" + "\n\n".join(
                f"- {t.label} ({p.cost_of(t)}): {t.message}" for t in failed)
    else:
        output = p.summary or f"All {p.tests} checks passed."
    full = p.points >= p.possible
    return {"name": name, "score": float(p.points), "max_score": float(p.possible),
            "status": "passed" if full else "failed", "visibility": "visible",
            "output": output}


def _overview(course: Course, result: SubmissionResult) -> str:
    auto = [p for p in result.problems if not p.manual and p.points is not None]
    lines = [f"Autograded score: {sum(p.points for p in auto):g} / "
             f"{sum(p.possible for p in auto):g} (problems graded by hand are added later)."]
    for nb in result.notebooks:
        if nb.status == NotebookStatus.ERROR:
            lines.append(f"{nb.notebook}: " + SYSTEM_FAILED.format(what="this notebook"))
        elif nb.status != NotebookStatus.GRADED:
            lines.append(f"{nb.notebook}: not graded: {nb.reason.splitlines()[0]}")
        broken = [c for c in nb.cells if c.status in BROKEN_CELL]
        problems = {p.problem for p in nb.problems}
        for c in broken:
            lines.append(f"{nb.notebook}: {cell_label(c.label, problems)} {c.status}: "
                         f"{(c.error.strip().splitlines() or [''])[-1][:300]}")
        for ch in nb.changes:
            lines.append(f"{nb.notebook}: the grader undid a change: "
                         f"{ch.cell or 'notebook'}: {ch.detail}")
    lines.append(f"Grading seed {result.seed} (lets your instructor replay this grading).")
    return "\n".join(lines)


# ------------------------------------------------------------------ run_autograder
def run(root: Path, assignment: str, unsafe_no_sandbox: bool = False) -> dict[str, Any]:
    """Grade ROOT/submission and write ROOT/results/results.json; returns what was written.
    Raises when it cannot grade (SandboxFailed, SandboxUnavailable, a kit bug); a
    notebook the kit failed on is in the results as such (status ERROR).

    One submission, not a class: the pipeline's grade_submission, as a grading process of
    `course autograde` runs it, without the class's reports, similarity pass and feedback
    pages (nobody would read them). The sandbox's zygote starts first, so that it imports
    torch and fastai while this process imports its own (the wait a student sees is about
    one import of torch, not two in a row)."""
    from autograder.sandbox.backends import Container, Unsandboxed, choose_sandbox
    from autograder.sandbox.container import secret_paths, shield
    from autograder.sandbox.zygote_client import ZygoteServer

    started = time.perf_counter()
    course = load_course(root / "source", check_sources=False)
    spec = course.assignment(assignment)
    # Said once, on stdout (the instructor's): which sandbox, and why not bubblewrap.
    sandbox = choose_sandbox(allow_unsandboxed=unsafe_no_sandbox)
    if isinstance(sandbox, Container):  # before any student code: the secrets are root's
        shield(secret_paths(course, root / "submission", root / "results",
                            root / "submission_metadata.json"))
    zygote = ZygoteServer(sandbox, course.limits).start() if sandbox.zygote else None
    try:
        files = [nb.file for nb in spec.notebooks]
        with tempfile.TemporaryDirectory(prefix="course-kit-gradescope-") as tmp:
            layout = Path(tmp) / STUDENT / spec.name
            layout.mkdir(parents=True)
            refused: dict[str, str] = {}
            uploads = collect_uploads(root / "submission", files,
                                      _cells(course, spec.name, files))
            for name, item in uploads.items():
                if isinstance(item, Refused):
                    refused[name] = str(item)
                else:
                    (layout / name).write_bytes(item)
            result = _grade(course, spec.name, layout, isinstance(sandbox, Unsandboxed),
                            zygote.address if zygote else None, sandbox.name, refused)
    finally:
        if zygote:
            zygote.close()
    data = to_gradescope(course, result, time.perf_counter() - started)
    missing = [f for f in files if f not in uploads]
    if missing:
        data["output"] += (f"\n\n{', '.join(missing)}: not found among your files ("
                           f"{describe_uploads(root / 'submission')}). Upload "
                           f"{'it' if len(missing) == 1 else 'them'} with "
                           f"{'this name' if len(missing) == 1 else 'these names'}.")
    data["extra_data"]["kit_failed"] = len(result.kit_errors)
    write_results(root, data)
    if result.kit_errors:  # details (tracebacks) go to stdout, which only instructors see
        print("the kit failed on:\n" + "\n".join(result.kit_errors))
    return data


def _grade(course: Course, assignment: str, directory: Path, weak: bool, zygote: str | None,
           sandbox: str, refused: dict[str, str]) -> SubmissionResult:
    """The submission in DIRECTORY through the pipeline, with workers from ZYGOTE. Only
    what grading needs is imported (torch, pytest): not the batch's grading process,
    which brings matplotlib and the report pages for a class."""
    import random

    os.environ["OMP_NUM_THREADS"] = "1"  # as in a grading process: before torch
    import torch

    from autograder.grading import make_tensor
    from autograder.pipeline.submission import grade_submission
    from autograder.sandbox.backends import choose_sandbox
    from autograder.sandbox.zygote_client import worker_pool

    torch.set_num_threads(1)  # the graders' tensors are small; leave the cores to the sandbox
    pool = worker_pool(choose_sandbox(allow_unsandboxed=weak, announce=False), course.limits,
                       make_tensor, zygote)
    try:
        return grade_submission(course, STUDENT, assignment, directory, pool,
                                random.SystemRandom().randrange(2**31), sandbox, refused)
    finally:
        pool.close()


def _cells(course: Course, assignment: str, files: list[str]) -> dict[str, set[str]]:
    """Each notebook's nbgrader cell ids, from the release: to match uploads by content."""
    release = course.path("release") / assignment
    return {f: grade_ids((release / f).read_bytes()) for f in files if (release / f).is_file()}


def write_results(root: Path, data: dict[str, Any]) -> None:
    from autograder.reports.files import write_atomic

    write_atomic(root / "results" / "results.json", json.dumps(data, indent=2, ensure_ascii=False))


def main(argv: list[str] | None = None) -> int:
    """Exit 0 when the submission was graded; 1 when the grading system failed (on all of
    it, or on a notebook): Gradescope then shows an autograder failure."""
    parser = argparse.ArgumentParser(prog="python -m autograder.integrations.gradescope",
                                     description="grade one Gradescope submission")
    parser.add_argument("--assignment", required=True)
    args = parser.parse_args(argv)
    root = Path(os.environ.get("GRADESCOPE_ROOT", "/autograder"))
    unsafe = os.environ.get("COURSE_KIT_UNSAFE_NO_SANDBOX", "0") == "1"
    print(f"course kit {Path(__file__).resolve().parent}; grading {root / 'submission'}",
          flush=True)
    try:
        data = run(root, args.assignment, unsafe)
    except Exception as exc:  # the kit could not grade: say so, and exit non-zero
        print(f"GRADING FAILED: {type(exc).__name__}: {exc}", flush=True)
        traceback.print_exc(file=sys.stdout)
        write_results(root, {"score": 0.0, "output": SYSTEM_FAILED.format(
            what="this submission"), "tests": [], "stdout_visibility": "hidden"})
        return 1
    print(f"score {data['score']:g}; results in {root / 'results' / 'results.json'}")
    return 1 if data["extra_data"].get("kit_failed") else 0


if __name__ == "__main__":
    sys.exit(main())
