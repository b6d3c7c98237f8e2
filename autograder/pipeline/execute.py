"""Step 3, execute: run a restored notebook in a sandboxed worker, surviving bad cells.

Demo cells are skipped. A cell that hangs or kills the worker is recorded and
skipped on a fresh worker, which replays the cells before it; so one bad cell
costs that cell, not the notebook. The live worker then serves the graders'
calls; if a call kills it, the same replay brings up a new one.

Time limits charge CPU time against budgets from the reference solution's cost
(pipeline/budgets.py); a cell or call stopped by the wall clock alone (the machine's
load, or code that sleeps) is tried once more with RETRY_FACTOR times the time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from autograder.cell_names import cell_labels
from autograder.config import Limits
from autograder.errors import CallTimeout, WorkerCrashed
from autograder.notebook_cells import is_demo
from autograder.pipeline.budgets import RETRY_FACTOR, Budgets
from autograder.results import CellOutcome, CellStatus
from autograder.sandbox.channel import CallReply, WallTimeout, WorkerChannel
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
    retries: int = 0  # second tries of calls stopped by the wall clock alone (not restarts)
    broken: dict[str, Exception] = field(default_factory=dict)  # function -> why
    budgets: Budgets | None = None  # CPU budgets (None: course.yml's seconds, in CPU time)
    cell_cpu: list[float] = field(default_factory=list)  # CPU seconds of each cell run
    _calls: int = 0

    def __post_init__(self) -> None:
        if self.budgets is None:
            self.budgets = Budgets.fixed(self.limits)

    def run(self) -> None:
        """Execute every cell once; cells that break the worker are skipped on a new one.

        The cells together may use the notebook's CPU budget; all attempts share the
        wall-clock backstop (limits.notebook_seconds), which grows RETRY_FACTOR times,
        once, when a run was stopped by the wall clock alone. When it runs out, the cells
        not reached are dropped and the worker replays only the cells that ran.
        """
        assert self.budgets is not None
        results: dict[int, CellOutcome] = {}
        wall = self.budgets.notebook_wall(self.limits)
        cell_wall = self.budgets.cell_wall(self.limits)
        deadline = self.pool.clock() + wall
        retried = False
        while True:
            todo = [i for i in range(len(self.sources)) if i not in self.bad]
            self.worker = self.pool.take()
            budget = deadline - self.pool.clock()
            runs = self.worker.run_cells([self.sources[i] for i in todo], cell_wall,
                                         max(budget, 1.0), self.budgets.notebook,
                                         self.budgets.cell)
            self.cell_cpu = [run.cpu for run in runs]
            if not retried and runs and runs[-1].wall_only or not retried and \
                    len(runs) < len(todo) and self.pool.clock() >= deadline:
                # Stopped by the wall clock alone: the machine's load, perhaps. Once more,
                # from the start on a new worker, with more time; nothing is charged yet.
                retried = True
                cell_wall *= RETRY_FACTOR
                deadline = self.pool.clock() + wall * RETRY_FACTOR
                self.worker.close()
                self.worker = None
                continue
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
            # The notebook's CPU budget (not one cell's) ran out, or the wall clock's.
            out_of_cpu = sum(self.cell_cpu) >= self.budgets.notebook * 0.999
            out_of_time = self.pool.clock() >= deadline or out_of_cpu
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
             reference: Any = None) -> CallReply:
        """Call the student's NAME on a live worker; REFERENCE: the lent helpers (a
        pipeline/lending.Lender, see pipeline/reference.py)."""
        if name in self.broken:
            # A function that hung or killed the worker once is not run again: each retry
            # would cost a time limit and a replay, and its problem is lost either way.
            error = self.broken[name]
            raise type(error)(f"{error} (not called again)")
        assert self.budgets is not None
        wall = self.budgets.call_wall(name, self.limits)
        try:
            try:
                return self._call_once(name, args, kwargs, reference, wall)
            except WallTimeout:
                # Only the wall clock ran out, within the CPU budget: perhaps the machine's
                # load. Once more on a fresh worker, with more time, before it costs anything.
                return self._call_once(name, args, kwargs, reference, wall * RETRY_FACTOR,
                                       retry=True)
        except WallTimeout:
            self.broken[name] = CallTimeout(
                f"{name}() did not return within {wall:g} s, nor within {wall * RETRY_FACTOR:g} s "
                "on a second try, of wall-clock time, though within its CPU budget (does it "
                "sleep, or wait for something?)")
            raise self.broken[name] from None
        except CallTimeout:
            self.broken[name] = CallTimeout(
                f"{name}() used more than {self.budgets.explain(name)} of CPU time, its budget "
                "(an infinite loop, or far too many steps?)")
            raise self.broken[name] from None
        except WorkerCrashed as error:
            self.broken[name] = error
            raise

    def _call_once(self, name: str, args: tuple, kwargs: dict,
                   reference: Any, wall: float, retry: bool = False
                   ) -> CallReply:
        assert self.budgets is not None
        if self.worker is None or not self.worker.alive():
            # A second try is no restart: on a loaded machine every function may need one,
            # and MAX_RESTARTS must not turn the load into "crashed too many times".
            self._replay(counted=not retry)
        assert self.worker is not None
        self._calls += 1
        try:
            lend = {"reference": reference} if reference else {}  # channels without it work
            return self.worker.call(self._calls, name, args, kwargs, wall,
                                    cpu_seconds=self.budgets.call(name), **lend)
        except (CallTimeout, WorkerCrashed):
            self.worker.close()
            self.worker = None  # the next call replays the notebook on a new worker
            raise

    def _replay(self, counted: bool = True) -> None:
        if counted and self.restarts >= MAX_RESTARTS:
            raise WorkerCrashed("the notebook crashed its worker too many times; "
                                "remaining calls were not attempted")
        assert self.budgets is not None
        if counted:
            self.restarts += 1
        else:
            self.retries += 1
        self.worker = self.pool.take()
        todo = [i for i in range(len(self.sources)) if i not in self.bad]
        # The cells replayed ran within their limits once: the wall clock as on a retry.
        self.worker.run_cells([self.sources[i] for i in todo],
                              self.budgets.cell_wall(self.limits) * RETRY_FACTOR,
                              self.budgets.notebook_wall(self.limits) * RETRY_FACTOR,
                              self.budgets.notebook, self.budgets.cell)

    def close(self) -> None:
        if self.worker:
            self.worker.close()
            self.worker = None


def execute(notebook: nbformat.NotebookNode, pool: WorkerPool, limits: Limits,
            budgets: Budgets | None = None) -> Execution:
    """Execute NOTEBOOK's code cells (demo cells skipped) within BUDGETS (None: course.yml's
    seconds, in CPU time)."""
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
    execution = Execution(pool, limits, sources, labels, budgets=budgets)
    execution.run()
    execution.outcomes = skipped + execution.outcomes
    return execution
