"""Reference helpers lent to one call as stubs, in a real sandboxed worker, served by the
reference process outside it, and given back after the call."""

from __future__ import annotations

import shutil

import pytest
import torch

from autograder.config import Limits
from autograder.errors import CallTimeout, StudentError
from autograder.grading import make_tensor
from autograder.pipeline.lending import Lender, ReferenceProcess
from autograder.sandbox.backends import Bubblewrap
from autograder.sandbox.zygote_client import Zygote, ZygoteServer

pytestmark = [pytest.mark.sandbox,
              pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")]

STUDENT = """
import gc, dis, io, sys, types
import torch

def mse(a, b):
    return 1000.0            # the student's wrong helper

def quadratic(t, params):
    return 0 * t             # wrong too

def train(x):
    return mse(x, x) + 1     # calls it

def own_inline(x):
    return 7.0               # reimplements it: judged on its own result

def crash(x):
    mse(x, x)
    raise ValueError("boom")

def step(params, t, y, lr):  # a step through lent helpers, with autograd
    loss = mse(quadratic(t, params), y)
    loss.backward()
    params.data -= lr * params.grad
    params.grad = None
    return loss.item()

def grad_through(params, t):  # the backward of a lent helper, large or small
    quadratic(t, params).sum().backward()
    g = params.grad
    params.grad = None
    return g

def loop(params, t, y, lr, n):  # a loop through a lent step that works in place
    return [step_ref(params, t, y, lr) for _ in range(n)]

def slow(n):
    return spin(n)

def with_fn(x):
    return grad_of(lambda v: v * v, x)

def grad_of(f, x):
    return f(x)

def snoop(x):
    # everything reachable from inside the call
    out = io.StringIO()
    for name in ("mse", "quadratic", "step_ref", "spin"):
        f = globals().get(name)
        print(name, repr(f), getattr(f, "__closure__", None), getattr(f, "__doc__", None),
              file=out)
        try:
            dis.dis(f, file=out)
        except Exception as exc:
            print(exc, file=out)
        for cell in getattr(f, "__closure__", None) or ():
            try:
                print(repr(cell.cell_contents), vars(cell.cell_contents), file=out)
            except Exception as exc:
                print(exc, file=out)
    for obj in gc.get_objects():
        if isinstance(obj, types.FunctionType):
            print(obj.__code__.co_filename, obj.__code__.co_consts, file=out)
        elif isinstance(obj, str) and "def " in obj:
            print(obj, file=out)
    frame = sys._getframe()
    while frame:
        print(frame.f_code.co_filename, list(frame.f_locals), file=out)
        frame = frame.f_back
    for module in list(sys.modules.values()):
        print(getattr(module, "__file__", None), file=out)
    return out.getvalue()
"""
REFERENCE = """import math
import torch

def mse(preds, targets):
    SECRET_MSE_MARKER = 1
    return ((preds - targets) ** 2).mean()

def quadratic(t, params):
    a, b, c = params
    return a * t ** 2 + b * t + c

def step_ref(params, t, y, lr):
    loss = mse(quadratic(t, params), y)
    loss.backward()
    params.data -= lr * params.grad
    params.grad = None
    return loss.item()

def spin(n):
    secret_spin = n
    while True:
        secret_spin += 1

def grad_of(f, x):
    return f(x)
"""


@pytest.fixture(scope="module")
def process():
    process = ReferenceProcess()
    yield process
    process.close()


@pytest.fixture(scope="module")
def worker():
    server = ZygoteServer(Bubblewrap(), Limits()).start()
    zygote = Zygote(server.address, Bubblewrap(), Limits(), make_tensor)
    worker = zygote.fork()
    [run] = worker.run_cells([STUDENT], 30, 60)
    assert run.status == "ok", run.error
    yield worker
    worker.close()
    zygote.close()
    server.close()


def lend(process, *names, watch=()):
    lender = Lender(REFERENCE, names, watch, process)
    lender.prepare()
    return lender


def test_a_call_runs_with_the_reference_helpers_it_calls(worker, process):
    reply = worker.call(1, "train", (torch.tensor([3.0]),), {}, 20,
                        reference=lend(process, "mse", "quadratic"))
    assert float(reply.value) == 1.0 and reply.helpers == ("mse",)  # quadratic lent, not called


def test_the_students_own_functions_are_back_after_the_call(worker, process):
    worker.call(2, "train", (torch.ones(1),), {}, 20, reference=lend(process, "mse", "spin"))
    assert worker.call(3, "train", (3.0,), {}, 20).value == 1001.0
    assert worker.call(4, "mse", (1.0, 2.0), {}, 20).value == 1000.0
    with pytest.raises(StudentError, match="not define a function named 'spin'"):
        worker.call(5, "spin", (2.0,), {}, 20)  # lent only: gone again


def test_they_are_given_back_when_the_call_raises(worker, process):
    with pytest.raises(StudentError, match="boom"):
        worker.call(6, "crash", (torch.ones(2),), {}, 20, reference=lend(process, "mse"))
    assert worker.call(7, "mse", (1.0, 2.0), {}, 20).value == 1000.0


def test_a_function_that_does_not_call_the_helper_is_judged_on_its_own(worker, process):
    reply = worker.call(8, "own_inline", (3.0,), {}, 20, reference=lend(process, "mse"))
    assert reply.value == 7.0 and reply.helpers == ()


def _reference_step(params, t, y, lr):
    namespace: dict = {}
    exec(REFERENCE, namespace)
    p = params.detach().clone().requires_grad_()
    loss = namespace["step_ref"](p, t, y, lr)
    return loss, p.detach()


def test_autograd_runs_through_lent_helpers(worker, process):
    # mse(quadratic(t, params), y).backward() with both helpers served outside: the
    # gradient reaches params through two stubs, and the step is the reference's.
    t, y = torch.linspace(-2, 2, 9), torch.linspace(0, 5, 9)
    params = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    reply = worker.call(9, "step", (params, t, y, 0.01), {}, 20,
                        reference=lend(process, "mse", "quadratic"))
    loss, after = _reference_step(params, t, y, 0.01)
    assert reply.value == pytest.approx(loss)
    assert torch.allclose(reply.args[0], after)
    assert reply.args[0]._course_info.grad is None and reply.helpers == ("mse", "quadratic")


@pytest.mark.parametrize("n", [50, 100_000])  # Jacobians sent with the result / asked (vjp)
def test_the_backward_of_a_lent_helper_is_the_references(worker, process, n):
    t = torch.linspace(-1, 1, n)
    params = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    reply = worker.call(20 + n % 7, "grad_through", (params, t), {}, 60,
                        reference=lend(process, "quadratic"))
    expected = torch.stack([(t**2).sum(), t.sum(), torch.tensor(float(n))])
    assert torch.allclose(reply.value, expected, rtol=1e-4, atol=1e-3)
    assert reply.args[0]._course_info.grad is None


def test_a_lent_helper_works_in_place(worker, process):
    # step_ref updates params and resets params.grad: the student's loop sees both.
    t, y = torch.linspace(-2, 2, 9), torch.linspace(0, 5, 9)
    params = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    reply = worker.call(10, "loop", (params, t, y, 0.01, 3), {}, 20,
                        reference=lend(process, "step_ref"))
    expected, p = [], params.detach().clone()
    for _ in range(3):
        loss, p = _reference_step(p, t, y, 0.01)
        expected.append(loss)
    assert reply.value == pytest.approx(expected) and len(set(reply.value)) == 3
    assert torch.allclose(reply.args[0], p)
    info = reply.args[0]._course_info
    assert info.requires_grad and info.is_leaf and info.grad is None


def test_a_helper_that_takes_a_function_stays_the_students_and_is_noted(worker, process):
    reply = worker.call(11, "with_fn", (3.0,), {}, 20, reference=lend(process, watch=("grad_of",)))
    assert reply.value == 9.0 and reply.helpers == () and reply.own == ("grad_of",)


def test_student_code_inspecting_the_stubs_finds_no_reference_code(worker, process):
    reply = worker.call(12, "snoop", (1.0,), {}, 20,
                        reference=lend(process, "mse", "quadratic", "step_ref", "spin"))
    text = reply.value
    assert "lent from the reference" in text  # the stubs were there to inspect
    for line in ("SECRET_MSE_MARKER", "a * t ** 2", "secret_spin", "preds - targets",
                 "def step_ref", "reference_solutions"):
        assert line not in text


def test_a_helper_past_the_deadline_costs_the_call_and_the_process_comes_back(process):
    server = ZygoteServer(Bubblewrap(), Limits()).start()
    zygote = Zygote(server.address, Bubblewrap(), Limits(), make_tensor)
    worker = zygote.fork()
    try:
        worker.run_cells([STUDENT], 30, 60)
        with pytest.raises(CallTimeout):
            worker.call(1, "slow", (1,), {}, 2, reference=lend(process, "spin"))
        assert not process.alive()  # killed with the call
        lender = lend(process, "mse")  # started again before the next call that lends
        assert process.alive()
        other = zygote.fork()
        other.run_cells([STUDENT], 30, 60)
        assert float(other.call(1, "train", (torch.ones(1),), {}, 20,
                                reference=lender).value) == 1.0
        other.close()
    finally:
        worker.close()
        zygote.close()
        server.close()


def test_forged_helper_arguments_never_reach_the_reference(process):
    lender = lend(process, "mse")
    forged = {"event": "helper", "id": 1, "op": "call", "name": "mse",
              "args": [{"__function__": "open('/etc/passwd').read()"}, 1.0], "kwargs": {}}
    reply = lender.serve(forged, process.clock() + 10)
    assert reply["ok"] is False and "plain data" in reply["error"]
    other = lender.serve({**forged, "name": "spin", "args": [1]}, process.clock() + 10)
    assert other["ok"] is False and "not lent" in other["error"]
