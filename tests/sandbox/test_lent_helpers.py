"""Reference helpers lent to one call, in a real sandboxed worker, and given back after it."""

from __future__ import annotations

import shutil

import pytest

from autograder.config import Limits
from autograder.errors import StudentError
from autograder.grading import make_tensor
from autograder.sandbox.backends import Bubblewrap
from autograder.sandbox.zygote_client import Zygote, ZygoteServer

pytestmark = [pytest.mark.sandbox,
              pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")]

STUDENT = """
def mse(a, b):
    return 1000.0            # the student's wrong helper

def train(x):
    return mse(x, x) + 1     # calls it

def own_inline(x):
    return 7.0               # reimplements it: judged on its own result

def crash(x):
    mse(x, x)
    raise ValueError("boom")
"""
REFERENCE = {"code": "import math\n\ndef mse(a, b):\n    return math.fsum([a, -b]) ** 2\n\n"
                     "def quadratic(t):\n    return t * t\n",
             "names": ["mse", "quadratic", "train"]}


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


def test_a_call_runs_with_the_reference_helpers_it_calls(worker):
    reply = worker.call(1, "train", (3.0,), {}, 20, reference=REFERENCE)
    assert reply.value == 1.0 and reply.helpers == ("mse",)  # quadratic was lent, not called


def test_the_students_own_functions_are_back_after_the_call(worker):
    worker.call(2, "train", (3.0,), {}, 20, reference=REFERENCE)
    assert worker.call(3, "train", (3.0,), {}, 20).value == 1001.0
    assert worker.call(4, "mse", (1.0, 2.0), {}, 20).value == 1000.0
    with pytest.raises(StudentError, match="not define a function named 'quadratic'"):
        worker.call(5, "quadratic", (2.0,), {}, 20)  # lent only: gone again


def test_they_are_given_back_when_the_call_raises(worker):
    with pytest.raises(StudentError, match="boom"):
        worker.call(6, "crash", (1.0,), {}, 20, reference=REFERENCE)
    assert worker.call(7, "mse", (1.0, 2.0), {}, 20).value == 1000.0


def test_a_function_that_does_not_call_the_helper_is_judged_on_its_own(worker):
    reply = worker.call(8, "own_inline", (3.0,), {}, 20, reference=REFERENCE)
    assert reply.value == 7.0 and reply.helpers == ()
