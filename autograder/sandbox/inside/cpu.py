"""CPU-time accounting inside the sandboxed worker: what the student's code itself used.

A time limit in seconds of the wall clock charges the student for the grading machine's
load (more grading processes than cores, a busy Gradescope host). The worker therefore
measures the CPU time of its own process, and of the children it waited for, around each
cell and each call, and reports it; a budget of CPU seconds is enforced by a profiling
timer (ITIMER_PROF counts the CPU time of every thread of this process, and nothing else),
whose signal reports the overrun and ends the worker. The host keeps a wall-clock limit as
the backstop for code that sleeps, blocks, or disarms the timer.
"""

from __future__ import annotations

import math
import os
import resource
import signal
from collections.abc import Callable


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its children that were waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class CpuBudget:
    """`with CpuBudget(seconds, over) as spent:` runs the block with at most SECONDS of CPU.

    Past the budget, OVER(used) is called from the signal handler; it must not return
    (the worker reports the overrun and exits: an exception could be caught by student
    code). `spent.used` is the CPU time the block used. SECONDS None, 0 or infinite: no budget.
    """

    def __init__(self, seconds: float | None, over: Callable[[float], None]):
        self.seconds = seconds if seconds and math.isfinite(seconds) else None
        self.over = over
        self.start = self.used = 0.0

    def _expired(self, signum: int, frame: object) -> None:
        self.over(cpu_seconds() - self.start)
        os._exit(3)  # OVER must not return; never let the student's code go on

    def __enter__(self) -> CpuBudget:
        self.start = cpu_seconds()
        if self.seconds:
            signal.signal(signal.SIGPROF, self._expired)
            signal.setitimer(signal.ITIMER_PROF, self.seconds)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.seconds:
            signal.setitimer(signal.ITIMER_PROF, 0)
        self.used = cpu_seconds() - self.start
