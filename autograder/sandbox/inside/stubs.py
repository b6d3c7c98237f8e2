"""Stubs of lent reference helpers, as the student's code sees them in the worker.

So that one bug is charged once, a grader's call may lend the student's function the
reference versions of other problem functions of its notebook. Their code never enters
this process: each name is replaced, for the call, by a stub that sends its arguments
to the host as plain data and returns what the reference, run outside the sandboxed
worker, returned (pipeline/lending.py). Nothing here holds a secret: reading this
module, its closures or its frames shows a name and a pipe.

The stub keeps what a local function would do:
  - in-place effects: an argument the reference changed (apply_step's params and their
    .grad) is changed here too, in place, so the caller's tensor sees it;
  - autograd: an output the reference computed with a graph is returned through a
    torch.autograd.Function whose backward asks the host for the vector-Jacobian
    product, so `mse(quadratic(t, params), y).backward()` reaches `params.grad`.
The reference also sends the Jacobians of small outputs with its result, so that the
backward is a product here rather than another round trip; past a size, it asks.
Messages (worker -> host, during a call):
  {"event": "helper", "id": n, "op": "call"|"vjp", "name": str, "args", "kwargs",
   "grad_enabled": bool, "jacobians": bool (call), "grad_outputs": [...] (vjp)}
the host answers on the request channel with {"op": "helper_done", "id": n, "ok": bool,
"value", "args", "kwargs", "jacobians", "grads", "error"}.
"""

from __future__ import annotations

import functools
import itertools

from protocol import ProtocolError, Unencodable, decode, encode

_MISSING = object()
_ids = itertools.count(1)


class Transport:
    """The worker's half of the helper round trip: SEND a message, READ one reply line."""

    def __init__(self, send, read_line):
        self._send, self._read_line = send, read_line

    def ask(self, message: dict) -> dict:
        import json

        number = next(_ids)
        self._send({"event": "helper", "id": number, **message})
        line = self._read_line()
        if not line:
            raise RuntimeError("the grader closed the channel during a helper call")
        reply = json.loads(line)
        if type(reply) is not dict or reply.get("op") != "helper_done" \
                or reply.get("id") != number:
            raise RuntimeError("the grader's reply to a helper call was out of turn")
        if reply.get("ok") is not True:
            raise _error(str(reply.get("error", "the reference helper failed")))
        return reply

    def decode(self, data):
        return decode(data, _reply_tensor)


def _reply_tensor(fields: dict, factory):
    """A tensor of a reply: a reference output computed with a graph is marked (the stub
    attaches it to its inputs' graph), a leaf that requires grad is one here too, and the
    .grad an argument has after the call is kept aside for _update_in_place."""
    import torch
    from protocol import tensor_from_fields

    t = tensor_from_fields(torch, fields)
    if fields["has_grad_fn"]:
        t._course_graph = True
    elif fields["requires_grad"] and (t.is_floating_point() or t.is_complex()):
        t.requires_grad_(True)
    t._course_grad = None if fields["grad"] is None else factory(fields["grad"], factory)
    if t.requires_grad and t._course_grad is not None:
        t.grad = t._course_grad.to(t.dtype)
    return t


def _error(text: str) -> Exception:
    """The reference's error as an exception of the same builtin type where there is one."""
    kind, _, message = text.partition(": ")
    types = {t.__name__: t for t in (TypeError, ValueError, RuntimeError, IndexError,
                                     KeyError, ZeroDivisionError, AttributeError)}
    return types.get(kind, RuntimeError)(message or text)


def lend(namespace: dict, names, watched, transport: Transport, used: set, own: set) -> dict:
    """Put stubs for NAMES (served by TRANSPORT) into NAMESPACE, and wrap the student's own
    WATCHED functions (helpers that cannot be lent) to note their calls in OWN; returns
    what was replaced, for give_back."""
    replaced = {}
    for name in names:
        replaced[name] = namespace.get(name, _MISSING)
        namespace[name] = _stub(name, transport, used)
    for name in watched:
        function = namespace.get(name)
        if name not in replaced and callable(function):
            replaced[name] = function
            namespace[name] = _noting(function, name, own)
    return replaced


def give_back(namespace: dict, replaced: dict) -> None:
    for name, own in replaced.items():
        if own is _MISSING:
            namespace.pop(name, None)
        else:
            namespace[name] = own


def _noting(function, name: str, own: set):
    @functools.wraps(function)
    def noted(*args, **kwargs):
        own.add(name)
        return function(*args, **kwargs)
    return noted


def _stub(name: str, transport: Transport, used: set):
    def stub(*args, **kwargs):
        used.add(name)
        return _serve(name, transport, args, kwargs)
    stub.__name__ = stub.__qualname__ = name
    stub.__doc__ = f"{name}, lent from the reference solution: it runs outside your notebook."
    return stub


def _serve(name: str, transport: Transport, args: tuple, kwargs: dict):
    import torch

    try:
        sent_args, sent_kwargs = encode(list(args)), encode(dict(kwargs))
    except Unencodable as exc:
        raise TypeError(f"{name} is lent from the reference solution and takes plain data "
                        f"only: {exc}") from None
    differentiable = torch.is_grad_enabled() and any(
        t.requires_grad for t in _tensors((args, kwargs)))
    reply = transport.ask({"op": "call", "name": name, "args": sent_args,
                           "kwargs": sent_kwargs, "grad_enabled": torch.is_grad_enabled(),
                           "jacobians": differentiable})
    try:
        jacobians = transport.decode(reply.get("jacobians"))
        value = transport.decode(reply.get("value"))
        args_after = transport.decode(reply.get("args"))
        kwargs_after = transport.decode(reply.get("kwargs"))
    except ProtocolError as exc:
        raise RuntimeError(f"the grader's reply to {name}() is not plain data: {exc}") from None
    _update_in_place(list(args), args_after)
    _update_in_place(list(kwargs.values()), [kwargs_after.get(k) for k in kwargs])
    graph = [t for t in _tensors(value) if getattr(t, "_course_graph", False)]
    inputs = [t for t in _tensors((args, kwargs)) if t.requires_grad]
    if not graph or not inputs or not torch.is_grad_enabled():
        return value
    backward = _Backward(name, transport, sent_args, sent_kwargs, inputs, graph, jacobians)
    outputs = _Served.apply(backward, *inputs)
    swap = {id(old): new for old, new in zip(graph, outputs)}
    return _replace(value, swap)


class _Backward:
    """What the backward of one served call needs: the arguments as they were sent, and
    the Jacobians the reference sent with its result, when they were small enough."""

    def __init__(self, name, transport, args, kwargs, inputs, graph, jacobians=None):
        self.name, self.transport, self.args, self.kwargs = name, transport, args, kwargs
        self.inputs, self.graph = inputs, graph
        fits = type(jacobians) is list and len(jacobians) == len(graph) and all(
            type(row) is list and len(row) == len(inputs) for row in jacobians)
        self.jacobians = jacobians if fits else None

    def vjp(self, grads) -> list:
        if self.jacobians is not None:
            return self._product(grads)
        return self._ask(grads)

    def _product(self, grads) -> list:
        """The vector-Jacobian product, here: sum over outputs of grad_output @ J."""
        found = []
        for k, tensor in enumerate(self.inputs):
            total = None
            for row, grad in zip(self.jacobians, grads):
                J = row[k]
                if J is None or grad is None:
                    continue
                part = (grad.reshape(-1).to(J.dtype) @ J).reshape(tensor.shape)
                total = part if total is None else total + part
            found.append(total)
        return found

    def _ask(self, grads) -> list:
        reply = self.transport.ask({"op": "vjp", "name": self.name, "args": self.args,
                                    "kwargs": self.kwargs, "grad_enabled": True,
                                    "grad_outputs": encode(list(grads))})
        found = self.transport.decode(reply.get("grads"))
        if type(found) is not list or len(found) != len(self.inputs):
            raise RuntimeError(f"the grader's gradients for {self.name}() do not fit")
        return found


def _autograd_function():
    import torch
    from torch.autograd.function import once_differentiable

    class Served(torch.autograd.Function):
        """Outputs computed outside the worker, attached to the graph of their inputs."""

        @staticmethod
        def forward(ctx, backward, *inputs):
            ctx.backward = backward
            return tuple(t.detach().clone() for t in backward.graph)

        @staticmethod
        @once_differentiable
        def backward(ctx, *grads):
            return (None, *ctx.backward.vjp(grads))

    return Served


class _LazyFunction:
    """torch is imported by the worker before any call; build the Function on first use."""

    _function = None

    def apply(self, *args):
        if self._function is None:
            type(self)._function = _autograd_function()
        outputs = self._function.apply(*args)
        return outputs if isinstance(outputs, tuple) else (outputs,)


_Served = _LazyFunction()


def _tensors(value) -> list:
    """The tensors in VALUE, depth first (the order both sides flatten in)."""
    import torch

    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    return []


def _replace(value, swap: dict):
    import torch

    if isinstance(value, torch.Tensor):
        return swap.get(id(value), value)
    if isinstance(value, list):
        return [_replace(v, swap) for v in value]
    if isinstance(value, tuple):
        return tuple(_replace(v, swap) for v in value)
    if isinstance(value, dict):
        return {k: _replace(v, swap) for k, v in value.items()}
    return value


def _update_in_place(before: list, after) -> None:
    """Copy what the reference changed in the arguments (values, .grad) into the caller's."""
    import torch

    if not isinstance(after, (list, tuple)) or len(after) != len(before):
        return
    for mine, theirs in zip(before, after):
        if isinstance(mine, (list, tuple)):
            _update_in_place(list(mine), theirs)
            continue
        if not (isinstance(mine, torch.Tensor) and isinstance(theirs, torch.Tensor)):
            continue
        if theirs.shape == mine.shape and theirs.dtype == mine.dtype \
                and not torch.equal(mine.detach(), theirs):
            with torch.no_grad():
                mine.copy_(theirs)
        if mine.is_leaf:
            grad = getattr(theirs, "_course_grad", None)
            if grad is None and mine.grad is not None:
                mine.grad = None
            elif grad is not None and (mine.grad is None or not torch.equal(mine.grad, grad)):
                mine.grad = grad.to(mine.dtype)
