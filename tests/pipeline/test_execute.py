"""Step 3, execute, on the scripted fake sandbox: restarts, the time budget, replay."""

from __future__ import annotations

import nbformat
import pytest

from autograder.config import Limits
from autograder.errors import CallTimeout, StudentError, WorkerCrashed
from autograder.pipeline.budgets import RETRY_FACTOR, Budgets
from autograder.pipeline.execute import MAX_RESTARTS, execute
from autograder.sandbox.fake import FakeSandbox, crashes, hangs, ok, raises, returns, sleeps

LIMITS = Limits(call_seconds=5, cell_seconds=10, notebook_seconds=30, cpu_multiple=10,
                cpu_floor_seconds=2)
DEF_F = "def f(x):\n    return x + 1"
DEF_G = "def g(x):\n    return 2 * x"


def notebook(*sources: str, demo: tuple[int, ...] = ()) -> nbformat.NotebookNode:
    cells = [nbformat.v4.new_code_cell(s) for s in sources]
    for i in demo:
        cells[i].metadata["course"] = {"demo": True}
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# intro"), *cells])


def statuses(execution) -> list[str]:
    return [str(o.status) for o in execution.outcomes]


def test_cells_run_once_on_one_worker_and_errors_do_not_stop_the_notebook():
    fake = FakeSandbox(cells={"1 / 0": raises("ZeroDivisionError: division by zero"),
                              "print('hi')": ok("hi\n")})
    execution = execute(notebook(DEF_F, "1 / 0", "print('hi')"), fake.pool(), LIMITS)
    assert statuses(execution) == ["ok", "error", "ok"]
    assert execution.outcomes[1].error == "ZeroDivisionError: division by zero"
    assert execution.outcomes[2].output == "hi\n"
    # named as JupyterLab numbers them (every cell counts) and by the heading above them
    assert [o.label for o in execution.outcomes] == ["cell 2 (intro)", "cell 3 (intro)",
                                                     "cell 4 (intro)"]
    assert execution.restarts == 0 and len(fake.workers) == 1
    assert execution.call("f", (1,), {}).value is None  # unscripted: runs, returns None


def test_demo_cells_are_skipped_and_never_sent():
    fake = FakeSandbox()
    execution = execute(notebook(DEF_F, "train_for_an_hour()", demo=(1,)), fake.pool(), LIMITS)
    assert statuses(execution) == ["skipped", "ok"]
    assert fake.workers[0].ran == [DEF_F]


def test_a_cell_that_crashes_the_worker_is_skipped_on_a_new_worker_that_replays_the_cells_before():
    fake = FakeSandbox(cells={"import os; os._exit(1)": crashes("the worker exited (code 1)")},
                       calls={"f": lambda x: x + 1, "g": lambda x: 2 * x})
    execution = execute(notebook(DEF_F, "import os; os._exit(1)", DEF_G), fake.pool(), LIMITS)
    assert statuses(execution) == ["ok", "crashed", "ok"]
    assert execution.outcomes[1].error == "the worker exited (code 1)"
    assert execution.restarts == 1
    first, second = fake.workers
    assert first.ran == [DEF_F, "import os; os._exit(1)"] and first.closed
    assert second.ran == [DEF_F, DEF_G] and second.alive()
    # The live worker serves the graders: both functions exist on it.
    assert execution.call("f", (1,), {}).value == 2
    assert execution.call("g", (3,), {}).value == 6


def test_a_cell_that_hangs_costs_its_cpu_budget_then_is_skipped():
    fake = FakeSandbox(cells={"while True: pass": hangs()})
    start = fake.clock()
    execution = execute(notebook(DEF_F, "while True: pass", DEF_G), fake.pool(), LIMITS)
    assert statuses(execution) == ["ok", "timeout", "ok"]
    assert "reached the CPU time allowed (3.33 s for a cell" in execution.outcomes[1].error
    # Busy, it is stopped at a cell's CPU budget (a third of cell_seconds without a
    # measured reference), no later.
    assert fake.clock() - start == pytest.approx(Budgets.fixed(LIMITS).cell)
    assert fake.workers[1].ran == [DEF_F, DEF_G]


def test_restarts_are_bounded():
    sources = [f"crash_{i}()" for i in range(MAX_RESTARTS + 3)]
    fake = FakeSandbox(cells={s: crashes() for s in sources})
    execution = execute(notebook(*sources), fake.pool(), LIMITS)
    assert execution.restarts == MAX_RESTARTS
    assert len(fake.workers) == MAX_RESTARTS + 1
    assert statuses(execution) == ["crashed"] * (MAX_RESTARTS + 1) + ["not run"] * 2
    # Every worker was closed; the calls that follow find no worker to replay on.
    assert all(w.closed for w in fake.workers)
    with pytest.raises(WorkerCrashed, match="too many times"):
        execution.call("f", (), {})
    assert len(fake.workers) == MAX_RESTARTS + 1


def test_the_notebook_shares_one_cpu_budget_and_cells_not_reached_are_not_run():
    slow = [f"step_{i}()" for i in range(5)]
    fake = FakeSandbox(cells={s: ok(seconds=3) for s in slow}, calls={"f": returns(42)})
    start = fake.clock()
    # 10 s of CPU for the notebook (a third of notebook_seconds), 15 s of cells.
    execution = execute(notebook(DEF_F, *slow), fake.pool(), LIMITS)
    # DEF_F and three steps fit (9 s); the fourth is stopped when the budget ends.
    assert statuses(execution) == ["ok", "ok", "ok", "ok", "timeout", "not run"]
    assert execution.outcomes[-1].error == "not run: the notebook ran out of its time limit"
    assert fake.clock() - start == pytest.approx(Budgets.fixed(LIMITS).notebook)
    assert execution.restarts == 0 and execution.worker is None
    # A call replays exactly the cells that ran, on a new worker.
    assert execution.call("f", (), {}).value == 42
    assert fake.workers[1].ran == [DEF_F, *slow[:3]]
    assert execution.restarts == 1


def test_cells_that_sleep_are_stopped_by_the_wall_clock_retried_once_and_share_its_budget():
    # A cell that sleeps uses no CPU: the wall clock stops it (10 s), the notebook runs once
    # more with twice the time (20 s a cell, 60 s in all), and then each sleeping cell
    # costs 20 s until the 60 s are gone, whatever the number of restarts left.
    sleepy = [f"sleep_{i}()" for i in range(5)]
    fake = FakeSandbox(cells={s: sleeps() for s in sleepy})
    start = fake.clock()
    execution = execute(notebook(*sleepy), fake.pool(), LIMITS)
    assert statuses(execution) == ["timeout"] * 3 + ["not run"] * 2
    assert "10 s" not in execution.outcomes[0].error and "20 s of wall-clock time" in \
        execution.outcomes[0].error
    assert fake.clock() - start == LIMITS.cell_seconds + RETRY_FACTOR * LIMITS.notebook_seconds
    assert execution.restarts == 2 < MAX_RESTARTS


def test_a_notebook_slowed_by_a_loaded_machine_is_retried_with_more_time_and_runs():
    # Four times slower than its CPU time: the second cell overruns the 10 s wall clock.
    # Within its CPU budget, the notebook runs again, with 20 s a cell, and nothing is lost.
    fake = FakeSandbox(cells={"work()": ok(seconds=3)}, load=4)
    execution = execute(notebook(DEF_F, "work()", DEF_G), fake.pool(), LIMITS)
    assert statuses(execution) == ["ok", "ok", "ok"]
    assert len(fake.workers) == 2 and fake.workers[1].ran == [DEF_F, "work()", DEF_G]
    assert execution.restarts == 0 and execution.cell_cpu == [0.0, 3.0, 0.0]


def test_a_call_that_crashes_the_worker_is_replayed_on_a_new_worker():
    fake = FakeSandbox(calls={"f": crashes("the worker was killed by signal SIGKILL"),
                              "g": lambda x: 2 * x})
    execution = execute(notebook(DEF_F, "x = 1", DEF_G), fake.pool(), LIMITS)
    with pytest.raises(WorkerCrashed, match=r"^f\(\): the worker was killed by signal SIGKILL"):
        execution.call("f", (1,), {})
    assert execution.worker is None and fake.workers[0].closed
    assert execution.call("g", (4,), {}).value == 8  # on a new worker, the notebook replayed
    assert len(fake.workers) == 2 and execution.restarts == 1
    assert fake.workers[1].ran == [DEF_F, "x = 1", DEF_G]
    assert [name for name, _, _ in fake.workers[1].calls] == ["g"]


def test_replay_skips_the_cells_that_broke_a_worker():
    fake = FakeSandbox(cells={"boom()": crashes()}, calls={"f": [crashes(), returns(1)]})
    execution = execute(notebook(DEF_F, "boom()", DEF_G), fake.pool(), LIMITS)
    with pytest.raises(WorkerCrashed):
        execution.call("f", (), {})
    execution.call("g", (), {})
    assert fake.workers[-1].ran == [DEF_F, DEF_G]


def test_a_function_that_hung_is_not_called_again():
    fake = FakeSandbox(calls={"f": hangs(), "g": returns(7)})
    execution = execute(notebook(DEF_F, DEF_G), fake.pool(), LIMITS)
    start = fake.clock()
    with pytest.raises(CallTimeout, match=r"f\(\) used more than 1.67 s of CPU time"):
        execution.call("f", (), {})
    cost = fake.clock() - start
    assert cost == pytest.approx(LIMITS.call_seconds / 3)  # its CPU budget, no retry
    with pytest.raises(CallTimeout, match=r"\(not called again\)$"):
        execution.call("f", (), {})
    assert fake.calls_made == ["f"] and len(fake.workers) == 1  # no new worker, no call
    assert fake.clock() - start == cost
    assert execution.call("g", (), {}).value == 7  # other problems still graded
    assert fake.calls_made == ["f", "g"]


MEASURED = Budgets.from_costs(LIMITS, {"f": 0.1, "g": 0.5}, cell=0.2, notebook=0.5)


def test_budgets_are_a_multiple_of_the_reference_cost_with_a_floor():
    assert MEASURED.call("f") == 2  # 10 x 0.1 s is below the floor of 2 s
    assert MEASURED.call("g") == 5  # 10 x 0.5 s
    assert MEASURED.call("h") == Budgets.fixed(LIMITS).default_call  # never measured
    assert MEASURED.notebook == 10 and MEASURED.cell == pytest.approx(10 / 3, rel=1e-3)  # floors
    assert MEASURED.call_wall("g", LIMITS) == 15  # the backstop: 3 x the CPU budget


def test_a_call_over_its_cpu_budget_is_charged_at_once():
    fake = FakeSandbox(calls={"f": returns(1, seconds=3)})
    execution = execute(notebook(DEF_F), fake.pool(), LIMITS, MEASURED)
    start = fake.clock()
    with pytest.raises(CallTimeout) as raised:
        execution.call("f", (), {})
    assert str(raised.value) == (
        "f() used more than 2 s (10 times what the reference solution needs, at least 2 s) "
        "of CPU time, its budget (an infinite loop, or far too many steps?)")
    assert fake.clock() - start == 2  # stopped when its CPU time reached the budget
    assert fake.calls_made == ["f"]  # no second try: CPU time does not depend on the load


def test_a_call_slow_only_by_the_wall_clock_on_a_loaded_machine_is_retried_and_passes():
    # 1.5 s of CPU, within its 2 s budget; five times that on the clock overruns the 6 s
    # backstop. The call is made once more, on a fresh worker, with 12 s: it costs nothing.
    fake = FakeSandbox(calls={"f": returns(1, seconds=1.5)}, load=5)
    execution = execute(notebook(DEF_F), fake.pool(), LIMITS, MEASURED)
    reply = execution.call("f", (), {})
    assert reply.value == 1 and reply.cpu == 1.5
    assert fake.calls_made == ["f", "f"] and len(fake.workers) == 2
    assert execution.broken == {}
    assert (execution.restarts, execution.retries) == (0, 1)  # a second try, no restart
    assert execution.call("f", (), {}).value == 1  # and it is called again as usual


def test_second_tries_on_a_loaded_machine_never_use_up_the_restarts():
    # Every function slowed past the wall clock once: each gets its second try, however
    # many there are, and none is lost to "crashed its worker too many times".
    names = [f"f{i}" for i in range(MAX_RESTARTS + 3)]
    fake = FakeSandbox(calls={n: returns(1, seconds=1.5) for n in names}, load=5)
    execution = execute(notebook(*(f"def {n}(): pass" for n in names)), fake.pool(), LIMITS,
                        MEASURED)
    assert all(execution.call(n, (), {}).value == 1 for n in names)
    assert (execution.restarts, execution.retries) == (0, len(names))


def test_a_sleeping_call_is_caught_by_the_wall_clock_after_one_retry():
    fake = FakeSandbox(calls={"f": sleeps()})
    execution = execute(notebook(DEF_F), fake.pool(), LIMITS, MEASURED)
    start = fake.clock()
    with pytest.raises(CallTimeout) as raised:
        execution.call("f", (), {})
    assert str(raised.value) == (
        "f() did not return within 6 s, nor within 12 s on a second try, of wall-clock time, "
        "though within its CPU budget (does it sleep, or wait for something?)")
    assert type(raised.value) is CallTimeout  # charged: "too slow" on the feedback page
    assert fake.clock() - start == 6 + 12
    assert fake.calls_made == ["f", "f"]
    with pytest.raises(CallTimeout, match="not called again"):
        execution.call("f", (), {})
    assert fake.calls_made == ["f", "f"]


def test_a_worker_that_died_between_calls_is_replaced():
    fake = FakeSandbox(calls={"f": returns(1)})
    execution = execute(notebook(DEF_F), fake.pool(), LIMITS)
    assert execution.call("f", (), {}).value == 1
    fake.workers[0].kill()  # e.g. the kernel's OOM killer, after the call returned
    assert execution.call("f", (), {}).value == 1
    assert len(fake.workers) == 2 and fake.workers[1].ran == [DEF_F]


def test_errors_in_student_functions_do_not_restart_the_worker():
    def f(x):
        raise ValueError(f"bad {x}")

    fake = FakeSandbox(calls={"f": f})
    execution = execute(notebook(DEF_F), fake.pool(), LIMITS)
    for _ in range(2):  # raised, not broken: called again each time
        with pytest.raises(StudentError, match="ValueError: bad 3"):
            execution.call("f", (3,), {})
    assert execution.broken == {} and len(fake.workers) == 1 and fake.calls_made == ["f", "f"]


def test_a_function_whose_cell_failed_does_not_exist():
    fake = FakeSandbox(cells={DEF_F: raises("SyntaxError: invalid syntax")})
    execution = execute(notebook(DEF_F), fake.pool(), LIMITS)
    with pytest.raises(StudentError, match="does not define a function named 'f'"):
        execution.call("f", (), {})


def test_close_closes_the_live_worker():
    fake = FakeSandbox()
    execution = execute(notebook(DEF_F), fake.pool(), LIMITS)
    execution.close()
    assert fake.workers[0].closed and execution.worker is None
