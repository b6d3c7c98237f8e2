"""What hidden graders import: the `problem` marker, the `student` proxy and `info`.

Graders run in the trusted process. `student.mse(a, b)` sends the call to the
sandboxed worker and returns plain data; `student.call(...)` also returns the
arguments as they are in the worker afterwards (to check in-place updates and
that inputs were not mutated). Tensors come back as ordinary CPU tensors; what
they were in the worker (requires_grad, leaf, grad) is `info(tensor)`.

`attach(problem, kind, **arrays)` hands plain numbers from a grader to the feedback
page (kind "fit": data points x, y and curves student, lstsq on x_curve, drawn as
a plot); it is recorded in results.json under the notebook's "artifacts".
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch

from autograder.errors import CallTimeout, StudentError, WorkerCrashed
from autograder.sandbox.channel import CallReply
from autograder.sandbox.inside.protocol import RemoteFunction, StudentRef, tensor_from_fields

__all__ = ["problem", "contract", "requires", "info", "attach", "TensorInfo", "Student", "Call",
           "StudentError", "CallTimeout", "WorkerCrashed"]


def problem(grade_id: str) -> pytest.MarkDecorator:
    """Mark a test as one of the tests of the problem GRADE_ID (from course.yml)."""
    return pytest.mark.problem(grade_id)


def contract(weight: float) -> pytest.MarkDecorator:
    """Mark a test as a *contract* check of its problem (no mutation, detached, dtype, ...).

    Unmarked tests are *core* checks: does the function compute the right thing on the
    grader's inputs. WEIGHT (0 < weight <= 1) is the share of the problem's points that
    failing this check costs once the core checks pass (see pipeline/score.py).
    """
    if not 0 < weight <= 1:
        raise ValueError(f"contract weight must be in (0, 1], not {weight!r}")
    return pytest.mark.contract(weight)


def requires(*quotes: str) -> pytest.MarkDecorator:
    """The requirement a test enforces, as short QUOTES of its problem's text in the source
    notebook: no check costs points for a rule the student was never told. The feedback
    shows them next to a failed check, and a kit test holds each quote against the
    notebook's markdown (tests/authoring/test_requirements_stated.py)."""
    if not quotes or not all(isinstance(q, str) and q.strip() for q in quotes):
        raise ValueError("requires() takes one or more quotes of the problem's text")
    return pytest.mark.requires(*quotes)


MAX_POINTS = 1000  # per attached array: a plot needs no more, results.json stays small
_artifacts: ContextVar[list[dict[str, Any]] | None] = ContextVar("course_artifacts",
                                                                  default=None)


def attach(problem: str, kind: str, *, x_label: str = "x", y_label: str = "y",
           **arrays: Any) -> None:
    """Record data for the student's feedback page, e.g. a fit against the data.

    Arrays (tensors, numpy arrays, lists of numbers) are stored as plain lists of
    floats (non-finite values become None), evenly thinned to MAX_POINTS. Outside a
    grading run this does nothing, so graders can be run on their own.
    """
    sink = _artifacts.get()
    if sink is None:
        return
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split("::")[-1].split(" ")[0]
    sink.append({"problem": str(problem), "kind": str(kind), "test": test,
                 "labels": {"x": str(x_label), "y": str(y_label)},
                 "data": {name: _plain(values) for name, values in arrays.items()}})


def _plain(values: Any) -> list[float | None]:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().double().numpy()
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    if len(flat) > MAX_POINTS:
        flat = flat[np.linspace(0, len(flat) - 1, MAX_POINTS).round().astype(int)]
    return [float(v) if math.isfinite(v) else None for v in flat]


@contextmanager
def collecting_artifacts() -> Iterator[list[dict[str, Any]]]:
    """Collect what graders `attach` while the block runs (used by grade.run_graders)."""
    found: list[dict[str, Any]] = []
    token = _artifacts.set(found)
    try:
        yield found
    finally:
        _artifacts.reset(token)


@dataclass(frozen=True)
class TensorInfo:
    """Autograd facts about a tensor as it was inside the worker."""

    requires_grad: bool
    is_leaf: bool
    has_grad_fn: bool
    grad: torch.Tensor | None


def info(t: torch.Tensor) -> TensorInfo:
    """The worker-side facts of a tensor returned by student code."""
    found = getattr(t, "_course_info", None)
    if found is None:
        raise TypeError("info() takes a tensor returned by the student fixture")
    return found


def make_tensor(fields: dict, factory: Callable) -> torch.Tensor:
    """Build a plain tensor from checked protocol fields (see protocol.check_tensor_fields)."""
    t = tensor_from_fields(torch, fields)
    grad = None if fields["grad"] is None else factory(fields["grad"], factory)
    t._course_info = TensorInfo(fields["requires_grad"], fields["is_leaf"],
                                fields["has_grad_fn"], grad)
    return t


@dataclass
class Call:
    """One call into student code: its value and the arguments after the call."""

    value: Any
    args: tuple
    kwargs: dict
    output: str


class Student:
    """Proxy to the student's notebook: `student.f(*args)` calls `f` in the worker."""

    def __init__(self, send: Callable[[str, tuple, dict], CallReply]):
        self._send = send
        self._ids = itertools.count(1)

    def call(self, name: str, *args: Any, **kwargs: Any) -> Call:
        reply = self._send(name, args, kwargs)
        return Call(reply.value, reply.args, reply.kwargs, reply.output)

    def function(self, source: str) -> RemoteFunction:
        """A grader-defined function (an expression, e.g. a lambda) to pass to student code."""
        return RemoteFunction(source)

    def ref(self, name: str) -> StudentRef:
        """The student's own function NAME, to pass as an argument."""
        return StudentRef(name)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self.call(name, *args, **kwargs).value

    def __repr__(self) -> str:
        return "<student notebook>"
