"""The scripted fake sandbox behaves as the real channel says a worker does.

The fake replaces only the transport, so these also test the channel's own handling of
replies: deadlines, crashes, forged events and what comes back from a call.
"""

from __future__ import annotations

import pytest

from autograder.errors import CallTimeout, SandboxFailed, StudentError, WorkerCrashed
from autograder.sandbox.fake import (
    FakeClock,
    FakeSandbox,
    Step,
    crashes,
    forges,
    hangs,
    ok,
    raises,
    returns,
)
from autograder.sandbox.inside.protocol import RemoteFunction, StudentRef

DEF_F = "def f(x):\n    return x"


def started(**script) -> tuple[FakeSandbox, object]:
    fake = FakeSandbox(**script)
    worker = fake.pool().take()
    return fake, worker


def test_cells_report_what_the_script_says():
    fake, worker = started(cells={"a": ok("out\n", seconds=2), "b": raises(KeyError("k"))})
    runs = worker.run_cells(["a", "b", "c"], cell_seconds=10, total_seconds=60)
    assert [(r.index, r.status, r.ok) for r in runs] == [(0, "ok", True), (1, "error", False),
                                                         (2, "ok", True)]
    assert runs[0].output == "out\n" and runs[1].error == "KeyError: 'k'"
    assert worker.ran == ["a", "b", "c"] and fake.clock.now == 1002


def test_a_run_stops_at_a_crash_and_the_worker_is_dead():
    fake, worker = started(cells={"b": crashes("killed by signal SIGKILL", seconds=1)})
    runs = worker.run_cells(["a", "b", "c"], 10, 60)
    assert [r.status for r in runs] == ["ok", "crashed"]
    assert runs[1].error == "killed by signal SIGKILL"
    assert not worker.alive() and worker.ran == ["a", "b"]
    with pytest.raises(WorkerCrashed):
        worker.call(1, "f", (), {}, 5)


def test_hangs_cost_the_cell_limit_or_what_is_left_of_the_notebook():
    clock = FakeClock(0)
    fake = FakeSandbox(cells={"slow": ok(seconds=7), "stuck": hangs()}, clock=clock)
    runs = fake.start().run_cells(["stuck"], cell_seconds=10, total_seconds=60)
    assert runs[0].status == "timeout" and clock.now == 10
    runs = fake.start().run_cells(["slow", "stuck"], cell_seconds=10, total_seconds=12)
    assert [r.status for r in runs] == ["ok", "timeout"] and clock.now == 22


def test_forged_protocol_messages_stop_execution():
    fake, worker = started(cells={"evil": forges({"event": "run_done"})})
    runs = worker.run_cells(["a", "evil", "b"], 10, 60)
    assert [r.status for r in runs] == ["ok", "crashed"]
    assert "imitate the grader's protocol" in runs[1].error
    assert not worker.alive()


def test_a_worker_that_does_not_start_in_time():
    """The sandbox failing, not the student's code (nothing of theirs ran yet): it stops
    the run (SandboxFailed), it does not cost the notebook its points."""
    fake = FakeSandbox(startup_seconds=1000)
    with pytest.raises(SandboxFailed, match="did not start within"):
        fake.start().run_cells(["a"], 10, 60)


def test_calls_return_plain_data_and_the_arguments_after_the_call():
    def append_one(items, *, twice=False):
        items.append(1)
        return {"n": len(items), "pair": (1, 2.5), "nan": float("nan")}

    fake, worker = started(calls={"f": append_one})
    worker.run_cells([DEF_F], 10, 60)
    reply = worker.call(1, "f", ([0],), {"twice": True}, 5)
    assert reply.value["n"] == 2 and reply.value["pair"] == (1, 2.5)
    assert reply.value["nan"] != reply.value["nan"]
    assert reply.args == ([0, 1],) and reply.kwargs == {"twice": True}
    assert worker.calls == [("f", ([0],), {"twice": True})]  # as the worker received them


def test_values_that_are_not_plain_data_are_the_students_error():
    fake, worker = started(calls={"f": returns(object())})
    worker.run_cells([DEF_F], 10, 60)
    with pytest.raises(StudentError, match=r"f returned a value of type builtins\.object"):
        worker.call(1, "f", (), {}, 5)


def test_a_raising_function_sends_its_error_traceback_and_output():
    def f():
        print("partial")
        raise ValueError("wrong shape")

    fake, worker = started(calls={"f": f, "g": raises("TypeError: no", output="printed")})
    worker.run_cells([DEF_F, "def g():\n    pass"], 10, 60)
    with pytest.raises(StudentError, match="ValueError: wrong shape") as error:
        worker.call(1, "f", (), {}, 5)
    assert "Traceback" in str(error.value) and "in f" in str(error.value)
    with pytest.raises(StudentError, match="TypeError: no\n*printed:\nprinted"):
        worker.call(2, "g", (), {}, 5)


def test_timeouts_and_crashes_in_calls():
    fake, worker = started(calls={"f": [returns(1, seconds=4), Step("ok", 6)]})
    worker.run_cells([DEF_F], 10, 60)
    assert worker.call(1, "f", (), {}, 5).value == 1
    with pytest.raises(CallTimeout, match=r"f\(\) did not return within 5 s"):
        worker.call(2, "f", (), {}, 5)
    assert not worker.alive()
    fake, worker = started(calls={"f": crashes("exit code 3")})
    worker.run_cells([DEF_F], 10, 60)
    with pytest.raises(WorkerCrashed, match=r"^f\(\): exit code 3$"):
        worker.call(1, "f", (), {}, 5)


def test_a_list_is_consumed_across_workers_and_its_last_entry_repeats():
    fake = FakeSandbox(cells={"a": [crashes(), ok()]})
    assert fake.start().run_cells(["a"], 10, 60)[0].status == "crashed"
    for _ in range(2):
        assert fake.start().run_cells(["a"], 10, 60)[0].status == "ok"


def test_cells_can_say_what_their_functions_do():
    fake = FakeSandbox(cells={"wrong": ok(defines={"f": lambda x: -x}), "named": ok(defines=["g"])},
                       calls={"f": lambda x: x, "g": returns("g")})
    right, wrong = fake.start(), fake.start()
    right.run_cells([DEF_F, "named"], 10, 60)
    wrong.run_cells(["wrong"], 10, 60)
    assert right.call(1, "f", (3,), {}, 5).value == 3
    assert wrong.call(1, "f", (3,), {}, 5).value == -3
    assert right.call(2, "g", (), {}, 5).value == "g"
    with pytest.raises(StudentError, match="does not define a function named 'g'"):
        wrong.call(2, "g", (), {}, 5)


def test_grader_functions_and_student_references_reach_the_students_function():
    fake, worker = started(calls={"apply": lambda fn, x: fn(x), "f": lambda x: x * 10})
    worker.run_cells([DEF_F, "def apply(fn, x):\n    return fn(x)"], 10, 60)
    assert worker.call(1, "apply", (RemoteFunction("lambda x: x + 1"), 1), {}, 5).value == 2
    reply = worker.call(2, "apply", (StudentRef("f"), 2), {}, 5)
    assert reply.value == 20 and reply.args == (StudentRef("f"), 2)


def test_tensors_cross_as_tensors_with_their_autograd_facts():
    torch = pytest.importorskip("torch")
    from autograder.grading import info, make_tensor

    def step(w):
        w.requires_grad_(True)
        return (w * 2).sum()

    fake = FakeSandbox(calls={"step": step}, make_tensor=make_tensor)
    worker = fake.start()
    worker.run_cells(["def step(w):\n    pass"], 10, 60)
    reply = worker.call(1, "step", (torch.tensor([1.0, 2.0]),), {}, 5)
    assert reply.value.item() == 6.0 and info(reply.value).has_grad_fn
    assert info(reply.args[0]).requires_grad and info(reply.args[0]).is_leaf


def test_closed_workers_are_not_alive_and_the_pool_starts_a_new_one():
    fake = FakeSandbox()
    pool = fake.pool(keep_spare=True)
    first = pool.take()
    assert len(fake.workers) == 2  # one taken, one spare warming up
    first.close()
    assert not first.alive() and first.closed
    assert pool.take() is fake.workers[1]
    pool.close()
    assert fake.workers[2].closed  # the spare
