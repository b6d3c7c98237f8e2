"""A pool of started sandboxed workers, with one spare warming up in the background."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from autograder.sandbox.channel import WorkerChannel


class WorkerPool:
    """Hands out started workers; optionally keeps one spare warming up in the background.

    CLOCK is the time source the workers' time limits are measured by (the notebook's
    budget in pipeline/execute.py too); tests pass the fake sandbox's clock.
    MEASURE_REFERENCE: the CPU budgets come from the reference solution graded on these
    workers (pipeline/budgets.py); scripted fakes have no reference to measure."""

    def __init__(self, start: Callable[[], WorkerChannel], keep_spare: bool = True,
                 on_close: Callable[[], None] | None = None,
                 clock: Callable[[], float] = time.monotonic, measure_reference: bool = True):
        self._start, self._keep_spare, self._on_close = start, keep_spare, on_close
        self.clock = clock
        self.measure_reference = measure_reference
        self._spare: WorkerChannel | None = None
        self._lock = threading.Lock()

    def take(self) -> WorkerChannel:
        with self._lock:
            worker, self._spare = self._spare, None
        if worker is None or not worker.alive():
            worker = self._start()
        self.prepare()
        return worker

    def prepare(self) -> None:
        if not self._keep_spare:
            return
        with self._lock:
            if self._spare is None:
                self._spare = self._start()

    def close(self) -> None:
        with self._lock:
            if self._spare:
                self._spare.close()
            self._spare = None
        if self._on_close:
            self._on_close()
