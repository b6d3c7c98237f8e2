"""Step 3, execute, on the scripted fake sandbox: restarts, the time budget, replay."""

from __future__ import annotations

import nbformat
import pytest

from autograder.config import Limits
from autograder.errors import CallTimeout, StudentError, WorkerCrashed
from autograder.pipeline.execute import MAX_RESTARTS, execute
from autograder.sandbox.fake import FakeSandbox, crashes, hangs, ok, raises, returns

LIMITS = Limits(call_seconds=5, cell_seconds=10, notebook_seconds=30)
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


def test_a_cell_that_hangs_costs_its_time_limit_then_is_skipped():
    fake = FakeSandbox(cells={"while True: pass": hangs()})
    start = fake.clock()
    execution = execute(notebook(DEF_F, "while True: pass", DEF_G), fake.pool(), LIMITS)
    assert statuses(execution) == ["ok", "timeout", "ok"]
    assert "time limit (10 s)" in execution.outcomes[1].error
    assert fake.clock() - start == LIMITS.cell_seconds  # exactly the cell's limit, no more
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


def test_the_notebook_shares_one_time_budget_and_cells_not_reached_are_not_run():
    slow = [f"step_{i}()" for i in range(5)]
    fake = FakeSandbox(cells={s: ok(seconds=8) for s in slow},
                       calls={"f": returns(42)})
    start = fake.clock()
    execution = execute(notebook(DEF_F, *slow), fake.pool(), LIMITS)  # 30 s for 41 s of cells
    # DEF_F and three steps fit (24 s); the fourth is stopped when the budget ends.
    assert statuses(execution) == ["ok", "ok", "ok", "ok", "timeout", "not run"]
    assert execution.outcomes[-1].error == "not run: the notebook ran out of its time limit"
    assert fake.clock() - start == LIMITS.notebook_seconds
    assert execution.restarts == 0 and execution.worker is None
    # A call replays exactly the cells that ran, on a new worker.
    assert execution.call("f", (), {}).value == 42
    assert fake.workers[1].ran == [DEF_F, *slow[:3]]
    assert execution.restarts == 1


def test_restarts_draw_on_the_same_budget():
    # Each hang costs its 10 s cell limit; after three the 30 s are gone, whatever the
    # number of restarts left.
    hangs_ = [f"hang_{i}()" for i in range(5)]
    fake = FakeSandbox(cells={s: hangs() for s in hangs_})
    start = fake.clock()
    execution = execute(notebook(*hangs_), fake.pool(), LIMITS)
    assert statuses(execution) == ["timeout"] * 3 + ["not run"] * 2
    assert fake.clock() - start == LIMITS.notebook_seconds
    assert execution.restarts == 2 < MAX_RESTARTS


def test_a_new_worker_gets_only_what_is_left_of_the_budget():
    slow = [f"step_{i}()" for i in range(4)]
    fake = FakeSandbox(cells={"hang()": hangs(), **{s: ok(seconds=8) for s in slow}})
    start = fake.clock()
    execution = execute(notebook("hang()", *slow), fake.pool(), LIMITS)
    # 10 s for the hang, then 20 s left: two steps, and the third is stopped at 30 s.
    assert statuses(execution) == ["timeout", "ok", "ok", "timeout", "not run"]
    assert fake.clock() - start == LIMITS.notebook_seconds


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
    with pytest.raises(CallTimeout, match=r"f\(\) did not return within 5 s"):
        execution.call("f", (), {})
    assert fake.clock() - start == LIMITS.call_seconds
    with pytest.raises(CallTimeout, match=r"\(not called again\)$"):
        execution.call("f", (), {})
    assert fake.calls_made == ["f"] and len(fake.workers) == 1  # no new worker, no call
    assert fake.clock() - start == LIMITS.call_seconds
    assert execution.call("g", (), {}).value == 7  # other problems still graded
    assert fake.calls_made == ["f", "g"]


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
