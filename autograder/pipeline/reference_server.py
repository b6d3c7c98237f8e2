"""The reference process: runs the reference solutions that grading lends, outside the sandbox.

A plain child of a grading process (`python -I reference_server.py`), on the grading
side of the trust boundary: it never runs student code, and no student process can
see it (under bubblewrap the workers live in their own PID namespace, as their own
uids). It holds the reference solution cells of the notebooks being graded and
evaluates them on the arguments a lent helper's stub sent (sandbox/inside/stubs.py),
relayed by the grading process (pipeline/lending.py). Its own process, not the grading
process: those arguments are the student's (`train(..., n_steps=10**9)`,
`make_linear_data(10**6, 10**6)`), so the reference may run long or big; the grading
process kills it at the call's deadline, and rlimits bound its memory.

Requests, one JSON line each on stdin; one reply line each (the fd given as argv[1]):
  {"op": "load", "code": id, "source": str}                 -> {"ok": true}
  {"op": "call", "code": id, "name": str, "args", "kwargs", "grad_enabled": bool,
   "jacobians": bool}
      -> {"ok": true, "value", "args", "kwargs", "jacobians"}   (the arguments as they
      are after it; with jacobians, those of the outputs with a graph, when small)
  {"op": "vjp", ... as call ..., "grad_outputs": [tensor, ...]}
      -> {"ok": true, "grads": [tensor or null, ...]}
      the gradients of the call's outputs that have a graph, weighted by grad_outputs,
      with respect to the arguments that require grad (both depth first).
  any failure -> {"ok": false, "error": "Type: message"} (one line, no traceback: it is
  shown to the student).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

INSIDE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "sandbox", "inside")
sys.path.insert(0, INSIDE)
from protocol import RemoteFunction, StudentRef, decode, dumps, encode  # noqa: E402

ERROR_LIMIT = 500


def make_tensor(fields: dict, factory) -> object:
    """A tensor with the autograd facts its sender gave it (requires_grad, .grad)."""
    import torch
    from protocol import tensor_from_fields

    t = tensor_from_fields(torch, fields)
    if fields["requires_grad"] and t.is_floating_point():
        t.requires_grad_(True)
    if fields["grad"] is not None and t.requires_grad:
        t.grad = factory(fields["grad"], factory)
    return t


def tensors(value) -> list:
    """The tensors in VALUE, depth first: the order the stub flattens in."""
    import torch

    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in tensors(v)]
    return []


def plain(value):
    """VALUE, refusing anything but data: no grader function or student reference here."""
    if isinstance(value, (RemoteFunction, StudentRef)):
        raise TypeError("a lent helper takes plain data only")
    if isinstance(value, (list, tuple)):
        for v in value:
            plain(v)
    elif isinstance(value, dict):
        for v in value.values():
            plain(v)
    return value


JACOBIAN_LIMIT = 200_000  # elements per output; past it, the backward asks (vjp)


def jacobians(value, args: list, kwargs: dict) -> list | None:
    """Per output of VALUE that has a graph, per argument that requires grad: the Jacobian
    as a (output elements, argument elements) matrix (None where unused), so that the
    stub's backward is a product in the worker instead of one more round trip. None when
    one is too large or cannot be batched (the backward then asks for a vjp)."""
    import torch

    outputs = [t for t in tensors(value) if t.grad_fn is not None]
    inputs = [t for t in tensors((args, kwargs)) if t.requires_grad]
    if not outputs or not inputs:
        return None
    width = sum(t.numel() for t in inputs)
    found = []
    for out in outputs:
        m = out.numel()
        if m * width > JACOBIAN_LIMIT:
            return None
        eye = torch.eye(m, dtype=out.dtype).reshape(m, *out.shape)
        try:
            rows = torch.autograd.grad(out, inputs, eye, retain_graph=True, allow_unused=True,
                                       is_grads_batched=True)
        except RuntimeError:
            return None
        found.append([None if r is None else r.reshape(m, -1) for r in rows])
    return found


class Server:
    def __init__(self) -> None:
        self.namespaces: dict[str, dict] = {}

    def handle(self, request: dict) -> dict:
        import torch

        op = request.get("op")
        if op == "load":
            namespace: dict = {"__name__": "reference_solutions"}
            exec(compile(str(request["source"]), "<reference solutions>", "exec"), namespace)
            self.namespaces[str(request["code"])] = namespace
            return {"ok": True}
        function = self.namespaces[str(request["code"])][str(request["name"])]
        args = list(plain(decode(request["args"], make_tensor)))
        kwargs = dict(plain(decode(request["kwargs"], make_tensor)))
        with torch.set_grad_enabled(request.get("grad_enabled") is True):
            if op == "call":
                value = function(*args, **kwargs)
                reply = {"ok": True, "value": encode(value), "args": encode(tuple(args)),
                         "kwargs": encode(kwargs)}
                if request.get("jacobians") is True:
                    found = jacobians(value, args, kwargs)
                    if found is not None:
                        reply["jacobians"] = encode(found)
                return reply
            if op == "vjp":
                inputs = [t for t in tensors((args, kwargs)) if t.requires_grad]
                outputs = [t for t in tensors(function(*args, **kwargs))
                           if t.grad_fn is not None]
                weights = decode(request["grad_outputs"], make_tensor)
                if type(weights) is not list or len(weights) != len(outputs):
                    raise ValueError("the gradients sent do not fit the helper's outputs")
                grads = torch.autograd.grad(outputs, inputs, weights, allow_unused=True) \
                    if outputs and inputs else [None] * len(inputs)
                return {"ok": True, "grads": encode(list(grads))}
        raise ValueError(f"unknown op {op!r}")


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def main() -> None:
    replies = int(sys.argv[1])
    # Whatever the reference prints (a progress bar) must not reach the protocol.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    import torch  # noqa: F401  (before "ready": the grading process waits for it once)

    server = Server()
    out = os.fdopen(replies, "w", buffering=1)
    out.write(dumps({"ok": True, "ready": True}) + "\n")
    for line in sys.stdin:
        try:
            reply = server.handle(json.loads(line))
        except BaseException as exc:  # the reference's error on these arguments
            text = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else \
                type(exc).__name__
            reply = {"ok": False, "error": text[:ERROR_LIMIT]}
        out.write(dumps(reply) + "\n")


if __name__ == "__main__":
    main()
