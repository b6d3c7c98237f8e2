"""Grade many notebook variants with the batch's engine: one sandboxed zygote, N grading
processes forked from the batch's fork server (as `course autograde --workers N`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

from tqdm import tqdm

from autograder.audit.grading import Variant, VariantResult, grade_variant, init_audit_process
from autograder.config import Course
from autograder.sandbox.backends import Unsandboxed, choose_sandbox
from autograder.sandbox.zygote_client import ZygoteServer


def grade_variants(course: Course, variants: list[Variant], *, workers: int = 2,
                   unsafe_no_sandbox: bool = False, progress: bool = True,
                   desc: str = "auditing") -> Iterator[VariantResult]:
    """Each variant's result, in order of completion, with a progress bar on stderr."""
    sandbox = choose_sandbox(allow_unsandboxed=unsafe_no_sandbox)
    unsafe = isinstance(sandbox, Unsandboxed)
    zygote = None if unsafe or not variants else ZygoteServer(sandbox, course.limits).start()
    address = zygote.address if zygote else None
    bar = tqdm(total=len(variants), desc=desc, unit="notebook", disable=not progress,
               file=sys.stderr, dynamic_ncols=True)
    try:
        run = _in_process if workers <= 1 else _in_processes
        for result in run(course, variants, unsafe, address, workers):
            bar.set_postfix_str(result.key, refresh=False)
            bar.update()
            yield result
    finally:
        bar.close()
        if zygote:
            zygote.close()


def _in_process(course: Course, variants: list[Variant], unsafe: bool, address: str | None,
                workers: int) -> Iterator[VariantResult]:
    if not variants:
        return
    from autograder.batch.grading_process import close_process

    init_audit_process(str(course.root), unsafe, address)
    try:
        for variant in variants:
            yield grade_variant(variant)
    finally:
        close_process()


def _in_processes(course: Course, variants: list[Variant], unsafe: bool, address: str | None,
                  workers: int) -> Iterator[VariantResult]:
    from autograder.batch.local_runner import in_grading_processes

    yield from in_grading_processes(workers, init_audit_process,
                                    (str(course.root), unsafe, address, os.getpid()),
                                    grade_variant, variants)
