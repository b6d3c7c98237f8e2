"""Step 3, execute: run a restored notebook in a sandboxed worker, surviving bad cells.

Demo cells are skipped. A cell that hangs or kills the worker is recorded and
skipped on a fresh worker, which replays the cells before it; so one bad cell
costs that cell, not the notebook. The live worker then serves the graders'
calls; if a call kills it, the same replay brings up a new one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from autograder.cell_names import cell_labels
from autograder.config import Limits
from autograder.errors import CallTimeout, WorkerCrashed
from autograder.notebook_cells import is_demo
from autograder.results import CellOutcome, CellStatus
from autograder.sandbox.channel import CallReply, WorkerChannel
from autograder.sandbox.pool import WorkerPool

if TYPE_CHECKING:
    import nbformat

MAX_RESTARTS = 8  # per notebook: bounds what a worker-killing submission costs the batch


@dataclass
class Execution:
    """A notebook executed in a worker, kept alive to answer the graders' calls."""

    pool: WorkerPool
    limits: Limits
    sources: list[str]
    labels: list[str]
    outcomes: list[CellOutcome] = field(default_factory=list)
    worker: WorkerChannel | None = None
    bad: set[int] = field(default_factory=set)  # cells that hung or killed a worker
    restarts: int = 0
    broken: dict[str, Exception] = field(default_factory=dict)  # function -> why
    _calls: int = 0

    def run(self) -> None:
        """Execute every cell once; cells that break the worker are skipped on a new one.

        All attempts share one budget (limits.notebook_seconds). When it runs out, the
        cells not reached are dropped and the worker replays only the cells that ran.
        """
        results: dict[int, CellOutcome] = {}
        deadline = self.pool.clock() + self.limits.notebook_seconds
        while True:
            todo = [i for i in range(len(self.sources)) if i not in self.bad]
            self.worker = self.pool.take()
            budget = deadline - self.pool.clock()
            runs = self.worker.run_cells([self.sources[i] for i in todo],
                                         self.limits.cell_seconds, max(budget, 1.0))
            for run in runs:
                index = todo[run.index]
                results[index] = CellOutcome(self.labels[index], CellStatus(run.status), run.error,
                                              run.output)
                if run.status in ("timeout", "crashed"):
                    self.bad.add(index)
            if len(runs) == len(todo) and all(r.status in ("ok", "error") for r in runs):
                break
            self.worker.close()
            self.worker = None
            out_of_time = self.pool.clock() >= deadline
            if out_of_time or self.restarts >= MAX_RESTARTS or not runs:
                # Keep what ran; a call will replay exactly those cells on a new worker.
                self.bad.update(i for i in range(len(self.sources)) if i not in results
                                or results[i].status not in ("ok", "error"))
                break
            self.restarts += 1
        reason = "not run: the notebook ran out of its time limit"
        self.outcomes = [results.get(i, CellOutcome(self.labels[i], CellStatus.NOT_RUN, reason))
                         for i in range(len(self.sources))]

    def call(self, name: str, args: tuple, kwargs: dict,
             reference: dict[str, Any] | None = None) -> CallReply:
        """Call the student's NAME on a live worker; REFERENCE: see pipeline/reference.py."""
        if name in self.broken:
            # A function that hung or killed the worker once is not run again: each retry
            # would cost a time limit and a replay, and its problem is lost either way.
            error = self.broken[name]
            raise type(error)(f"{error} (not called again)")
        if self.worker is None or not self.worker.alive():
            self._replay()
        assert self.worker is not None
        self._calls += 1
        try:
            lend = {"reference": reference} if reference else {}  # channels without it work
            return self.worker.call(self._calls, name, args, kwargs, self.limits.call_seconds,
                                    **lend)
        except (CallTimeout, WorkerCrashed) as error:
            self.broken[name] = error
            self.worker.close()
            self.worker = None  # the next call replays the notebook on a new worker
            raise

    def _replay(self) -> None:
        if self.restarts >= MAX_RESTARTS:
            raise WorkerCrashed("the notebook crashed its worker too many times; "
                                "remaining calls were not attempted")
        self.restarts += 1
        self.worker = self.pool.take()
        todo = [i for i in range(len(self.sources)) if i not in self.bad]
        self.worker.run_cells([self.sources[i] for i in todo], self.limits.cell_seconds,
                              self.limits.notebook_seconds)

    def close(self) -> None:
        if self.worker:
            self.worker.close()
            self.worker = None


def execute(notebook: nbformat.NotebookNode, pool: WorkerPool, limits: Limits) -> Execution:
    sources, labels, skipped = [], [], []
    for cell, label in zip(notebook.cells, cell_labels(notebook.cells), strict=True):
        if cell.cell_type != "code":
            continue
        if is_demo(cell):
            skipped.append(CellOutcome(label, CellStatus.SKIPPED,
                                       "demo cell: not run when grading"))
            continue
        sources.append(str(cell.source))
        labels.append(label)
    execution = Execution(pool, limits, sources, labels)
    execution.run()
    execution.outcomes = skipped + execution.outcomes
    return execution
