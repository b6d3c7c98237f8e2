"""What hidden graders import: the `problem` marker, the `student` proxy and `info`.

Graders run in the trusted process. `student.mse(a, b)` sends the call to the
sandboxed worker and returns plain data; `student.call(...)` also returns the
arguments as they are in the worker afterwards (to check in-place updates and
that inputs were not mutated). Tensors come back as ordinary CPU tensors; what
they were in the worker (requires_grad, leaf, grad) is `info(tensor)`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import torch

from .errors import CallTimeout, StudentError, WorkerCrashed
from .sandbox_worker.protocol import RemoteFunction, StudentRef
from .worker_client import CallReply

__all__ = ["problem", "info", "TensorInfo", "Student", "Call", "StudentError", "CallTimeout",
           "WorkerCrashed"]


def problem(grade_id: str) -> pytest.MarkDecorator:
    """Mark a test as one of the tests of the problem GRADE_ID (from course.yml)."""
    return pytest.mark.problem(grade_id)


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


_DTYPES = {name: getattr(torch, name) for name in (
    "float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8",
    "bool")}


def make_tensor(fields: dict, factory: Callable) -> torch.Tensor:
    """Build a plain tensor from checked protocol fields (see protocol.check_tensor_fields)."""
    t = torch.tensor(fields["data"], dtype=_DTYPES[fields["dtype"]]).reshape(fields["shape"])
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
