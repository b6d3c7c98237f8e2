"""Time budgets that measure the student's code, not the machine it runs on.

A cell or a call is charged for slowness only from the CPU time it used (the worker's
own accounting, sandbox/inside/cpu.py), against a budget derived from the reference
solution's cost, measured on the same machine in the same run: `cpu_multiple` times
what the reference needed, never less than a floor (`cpu_floor_seconds` for a call,
`cell_seconds` for executing the notebook). The wall clock stays as the backstop for
code that sleeps or blocks, generous against the CPU budget; a cell or call stopped by
the wall clock alone is retried once with RETRY_FACTOR times the time before it costs
anything (pipeline/execute.py).

The reference is measured by grading the source notebook with the hidden graders once
per grading process and notebook (`reference_budgets`), the first time a submission of
that notebook is graded. Where there is no source notebook (a course shipped without
it), the budgets are the fixed seconds of course.yml, in CPU time.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder.config import Limits

if TYPE_CHECKING:
    from autograder.config import Course, Notebook
    from autograder.sandbox.pool import WorkerPool

RETRY_FACTOR = 2.0  # a run stopped by the wall clock alone gets this much more time, once
WALL_PER_CPU = 3.0  # course.yml's seconds are wall clock; a third of them is CPU time


@dataclass(frozen=True)
class Budgets:
    """CPU seconds per call of each function, per cell, and for executing the notebook;
    and the wall-clock backstops that go with them."""

    default_call: float  # a function the reference was never called as
    cell: float
    notebook: float
    calls: Mapping[str, float] = field(default_factory=dict)
    measured: bool = False  # derived from the reference's cost (else course.yml's seconds)
    rule: str = ""  # how, in words: " (10 times what the reference solution needs, ...)"
    costs: Mapping[str, float] = field(default_factory=dict)  # the reference's, measured

    @classmethod
    def fixed(cls, limits: Limits) -> Budgets:
        """From course.yml's wall-clock seconds alone: when there is no reference to measure
        (and while the reference itself is measured)."""
        return cls(limits.call_seconds / WALL_PER_CPU, limits.cell_seconds / WALL_PER_CPU,
                   limits.notebook_seconds / WALL_PER_CPU)

    @classmethod
    def from_costs(cls, limits: Limits, calls: Mapping[str, float], cell: float,
                   notebook: float) -> Budgets:
        """Budgets from the reference's costs: CALLS, the most CPU seconds a call of each
        function took; CELL, its most expensive cell; NOTEBOOK, all its cells."""
        fixed = cls.fixed(limits)

        def allow(cost: float, floor: float) -> float:
            return round(max(floor, limits.cpu_multiple * cost), 3)

        return cls(default_call=fixed.default_call,
                   cell=allow(cell, fixed.cell), notebook=allow(notebook, fixed.notebook),
                   calls={name: allow(cost, limits.cpu_floor_seconds)
                          for name, cost in sorted(calls.items())},
                   measured=True,
                   rule=f" ({limits.cpu_multiple:g} times what the reference solution needs, "
                        f"at least {limits.cpu_floor_seconds:g} s)",
                   costs={**calls, "(a cell)": cell, "(the notebook)": notebook})

    def call(self, name: str) -> float:
        return self.calls.get(name, self.default_call)

    def call_wall(self, name: str, limits: Limits) -> float:
        """The wall-clock backstop of one call of NAME."""
        return max(limits.call_seconds, WALL_PER_CPU * self.call(name))

    def cell_wall(self, limits: Limits) -> float:
        return max(limits.cell_seconds, WALL_PER_CPU * self.cell)

    def notebook_wall(self, limits: Limits) -> float:
        return max(limits.notebook_seconds, WALL_PER_CPU * self.notebook)

    def explain(self, name: str) -> str:
        """The budget of a call of NAME in words, for feedback."""
        return f"{self.call(name):.3g} s{self.rule if name in self.calls else ''}"


# ------------------------------------------------------------------ measuring the reference
_MEASURED: dict[tuple[str, str, str], Budgets] = {}


def reference_budgets(course: Course, assignment: str, spec: Notebook, pool: WorkerPool,
                      seed: int) -> Budgets:
    """SPEC's budgets, from its reference solution graded once in this process on POOL
    (cached: the same machine, the same run). Without a source notebook: the fixed ones."""
    key = (str(course.root), assignment, spec.file)
    if key not in _MEASURED:
        source = course.source_notebook(assignment, spec.file)
        _MEASURED[key] = (measure(course, assignment, spec, source, pool, seed)
                          if source.is_file() else Budgets.fixed(course.limits))
    return _MEASURED[key]


def measure(course: Course, assignment: str, spec: Notebook, source: Path, pool: WorkerPool,
            seed: int) -> Budgets:
    """Execute the SOURCE notebook and run the hidden graders on it, recording the CPU
    time of its cells and of each call; the budgets follow from those costs."""
    from autograder.notebook_cells import read
    from autograder.pipeline.execute import execute
    from autograder.pipeline.grade import grader_file, run_graders
    from autograder.pipeline.restore import restore
    from autograder.pipeline.submission import references_of

    reference = read(source)
    notebook, _ = restore(copy.deepcopy(reference), reference)
    generous = Budgets.fixed(course.limits)
    execution = execute(notebook, pool, course.limits, generous)
    costs: dict[str, float] = {}

    def recording(name: str, args: tuple, kwargs: dict, **lend: Any) -> Any:
        reply = execution.call(name, args, kwargs, **lend)
        costs[name] = max(costs.get(name, 0.0), reply.cpu)
        return reply

    try:
        run_graders(grader_file(course.path("graders"), assignment, spec.stem), recording, seed,
                    references=references_of(course, assignment, spec))
    finally:
        execution.close()
    return Budgets.from_costs(course.limits, costs, max(execution.cell_cpu, default=0.0),
                              sum(execution.cell_cpu))
