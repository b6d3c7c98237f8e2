"""CPU-time accounting in a real sandboxed worker (sandbox/inside/cpu.py).

The worker measures what the student's code used and stops it at its CPU budget, whatever
the wall clock says; code that sleeps uses none and is left to the wall clock.
"""

from __future__ import annotations

import shutil

import pytest

from autograder.config import Limits
from autograder.errors import CallTimeout
from autograder.grading import make_tensor
from autograder.sandbox.backends import Bubblewrap
from autograder.sandbox.channel import WallTimeout
from autograder.sandbox.zygote_client import Zygote, ZygoteServer

pytestmark = [pytest.mark.sandbox,
              pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")]

CELLS = ["import time\n"
         "def spin(seconds):\n"
         "    end = time.process_time() + seconds\n"
         "    while time.process_time() < end:\n"
         "        pass\n"
         "    return 1\n"
         "def nap(seconds):\n"
         "    time.sleep(seconds)\n"
         "    return 2\n"
         "def stubborn():\n"
         "    import signal\n"
         "    signal.signal(signal.SIGPROF, signal.SIG_IGN)  # disarms the CPU timer\n"
         "    time.sleep(60)\n"]


@pytest.fixture(scope="module")
def worker():
    server = ZygoteServer(Bubblewrap(), Limits()).start()
    zygote = Zygote(server.address, Bubblewrap(), Limits(), make_tensor)
    live = []

    def fresh():
        w = zygote.fork()
        runs = w.run_cells(CELLS, 30, 60, cpu_seconds=30, cell_cpu_seconds=10)
        assert [r.status for r in runs] == ["ok"], runs
        live.append(w)
        return w

    yield fresh
    for w in live:
        w.close()
    zygote.close()
    server.close()


def test_a_call_reports_the_cpu_time_it_used_not_the_time_it_slept(worker):
    w = worker()
    busy = w.call(1, "spin", (0.3,), {}, 30, cpu_seconds=5)
    assert busy.value == 1 and 0.3 <= busy.cpu < 1.0
    idle = w.call(2, "nap", (0.5,), {}, 30, cpu_seconds=5)
    assert idle.value == 2 and idle.cpu < 0.1


def test_a_call_is_stopped_when_its_cpu_time_reaches_the_budget(worker):
    w = worker()
    with pytest.raises(CallTimeout, match=r"spin\(\) used more than 0.5 s of CPU time") as raised:
        w.call(1, "spin", (30,), {}, 60, cpu_seconds=0.5)
    assert type(raised.value) is CallTimeout and not w.alive()


def test_code_that_sleeps_or_disarms_the_timer_meets_the_wall_clock(worker):
    w = worker()
    with pytest.raises(WallTimeout, match="of wall-clock time"):
        w.call(1, "stubborn", (), {}, 2, cpu_seconds=0.5)
    assert not w.alive()


def test_a_cell_is_stopped_at_its_cpu_budget(worker):
    w = worker()
    runs = w.run_cells(["spin(30)", "print('never')"], 60, 60, cpu_seconds=30,
                       cell_cpu_seconds=0.5)
    assert [(r.status, r.wall_only) for r in runs] == [("timeout", False)]
    assert "reached the CPU time allowed (0.5 s for a cell" in runs[0].error
