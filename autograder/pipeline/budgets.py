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
per grading process and notebook (`reference_budgets` in pipeline/submission.py, which wires
execute and grade), the first time a submission of
that notebook is graded. Where there is no source notebook (a course shipped without
it), the budgets are the fixed seconds of course.yml, in CPU time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from autograder.config import Limits

if TYPE_CHECKING:
    pass

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

