"""A scripted fake sandbox for fast tests: workers that follow a script, on a fake clock.

In the spirit of httpx's MockTransport, it replaces only the transport: a `FakeWorker`
is a real `WorkerChannel` whose pipes are replaced by a script, so the channel's own
code (deadlines, event parsing, CallTimeout and WorkerCrashed) runs unchanged, and so
do the pipeline and the batch on top of it, through `FakeSandbox.pool()`.

The script says, per cell source and per function name, what happens:

    fake = FakeSandbox(
        cells={"import torch": ok(seconds=2), "while True: pass": hangs(),
               "import os; os._exit(1)": crashes()},
        calls={"mse": lambda a, b: 0.5, "train": hangs(), "halve": [crashes(), returns(2)]},
    )
    execution = execute(notebook, fake.pool(), limits)

A cell or call not in the script runs fine in no time (a call returns None). A list is
consumed one entry per run of that cell (or call of that function) in the whole fake
sandbox, the last entry repeating. A callable stands for the student's function: it
gets the decoded arguments, what it returns goes back through the protocol's encoder
(so it must be plain data), what it raises comes back as the student's error, and it
may return a Step (`hangs()`, ...). As in the real worker, a function exists only once
a cell defining it (`def name(...)` at top level, or `ok(defines=...)`) ran without error
on that worker; other calls get the worker's NameError. A cell may also say what its
functions do, `ok(defines={"double": lambda x: 3 * x})`, so that two students' cells
can define one function differently.

Time passes only on the fake clock (`FakeSandbox.clock`), which the channels and the
Execution read through the pool: a hang costs exactly the time limit, and no test waits.

CPU time is modelled too, as the real worker reports it (sandbox/inside/cpu.py): a step
of `seconds` is busy, using that much CPU time, unless it says otherwise (`cpu=`, or
`sleeps()`: wall-clock time and no CPU). `hangs()` is an infinite loop, busy forever. On a
loaded machine, `FakeSandbox(load=4)`, a busy step takes `load` times its CPU time on the
clock. A cell or call over the CPU budget the host sent is stopped when its CPU time
reaches the budget, with the worker's `over_cpu` event.
"""

from __future__ import annotations

import ast
import math
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from autograder.errors import WorkerCrashed
from autograder.sandbox.channel import WorkerChannel
from autograder.sandbox.inside.protocol import (
    RemoteFunction,
    StudentRef,
    Unencodable,
    decode,
    encode,
    tensor_from_fields,
)
from autograder.sandbox.pool import WorkerPool

DEFAULT_CRASH = "the worker was killed by signal SIGKILL (out of memory, or killed itself?)"


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


@dataclass(frozen=True)
class Step:
    """What one run of a cell, or one call of a function, does in a fake worker."""

    kind: str = "ok"  # ok | raise | hang | crash
    seconds: float = 0.0  # fake time it takes (a hang takes forever)
    output: str = ""  # what it printed
    error: str = ""  # raise: "ValueError: ..."; crash: why the worker died
    value: Any = None  # calls: the value returned
    # cells: functions defined besides the `def`s in the source, by name, each with what a
    # call does (an entry as in the script; None: what the script's `calls` say)
    defines: dict[str, Any] = field(default_factory=dict)
    events: tuple[dict, ...] = ()  # raw protocol messages it writes (forging the protocol)
    cpu: float | None = None  # CPU seconds it uses (None: busy, as many as `seconds`)

    def cpu_seconds(self) -> float:
        return self.seconds if self.cpu is None else self.cpu


def ok(output: str = "", *, seconds: float = 0.0,
       defines: Mapping[str, Any] | Iterable[str] = ()) -> Step:
    """A cell that runs; DEFINES names functions it defines, or maps them to what they do
    (so that two students' cells can define the same function differently)."""
    found = dict(defines) if isinstance(defines, Mapping) else dict.fromkeys(defines)
    return Step("ok", seconds, output, defines=found)


def returns(value: Any, *, output: str = "", seconds: float = 0.0,
            cpu: float | None = None) -> Step:
    return Step("ok", seconds, output, value=value, cpu=cpu)


def raises(error: str | BaseException, *, output: str = "", seconds: float = 0.0) -> Step:
    if isinstance(error, BaseException):
        error = f"{type(error).__name__}: {error}"
    return Step("raise", seconds, output, error)


def hangs() -> Step:
    """An infinite loop: busy, using CPU time, forever."""
    return Step("hang", math.inf)


def sleeps(seconds: float = math.inf, value: Any = None) -> Step:
    """Sleeps or blocks (on a lock, input, the network) for SECONDS, using no CPU time,
    then returns VALUE."""
    return Step("hang" if math.isinf(seconds) else "ok", seconds, value=value, cpu=0.0)


def crashes(reason: str = DEFAULT_CRASH, *, seconds: float = 0.0) -> Step:
    return Step("crash", seconds, error=reason)


def forges(*events: dict) -> Step:
    """A cell that writes messages imitating the protocol onto the worker's channel."""
    return Step("ok", events=tuple(events))


Script = dict[str, Step | list[Step] | Callable[..., Any]]


@dataclass
class _Crash:
    reason: str


class FakeSandbox:
    """Starts FakeWorkers that follow one script, and records every one of them."""

    name = "fake"

    def __init__(self, cells: Script | None = None, calls: Script | None = None, *,
                 clock: FakeClock | None = None, make_tensor: Any = None,
                 startup_seconds: float = 0.0, load: float = 1.0):
        self.cells, self.calls = dict(cells or {}), dict(calls or {})
        self.load = load  # wall-clock seconds per CPU second of a busy step
        self.clock = clock or FakeClock()
        self.make_tensor = make_tensor or _plain_tensor
        self.startup_seconds = startup_seconds
        self.workers: list[FakeWorker] = []  # every worker started, in order
        self._runs: dict[tuple[str, str], int] = {}  # (kind, key) -> times run so far

    def start(self) -> FakeWorker:
        worker = FakeWorker(self, len(self.workers))
        self.workers.append(worker)
        return worker

    def pool(self, keep_spare: bool = False, measure_reference: bool = False) -> WorkerPool:
        """A WorkerPool whose workers are fakes and whose clock is the fake clock; the
        budgets are course.yml's unless MEASURE_REFERENCE (the script then plays the
        reference too)."""
        return WorkerPool(self.start, keep_spare=keep_spare, clock=self.clock,
                          measure_reference=measure_reference)

    def step(self, kind: str, key: str, entry: Any) -> Step | Callable[..., Any]:
        """The Step (or callable) for this run of cell or function KEY, from its ENTRY."""
        if entry is None:
            return Step()
        if isinstance(entry, list):
            count = self._runs.get((kind, key), 0)
            self._runs[(kind, key)] = count + 1
            return entry[min(count, len(entry) - 1)] if entry else Step()
        return entry

    @property
    def calls_made(self) -> list[str]:
        """The function names called, over all workers, in order."""
        return [name for worker in self.workers for name, _, _ in worker.calls]


class FakeWorker(WorkerChannel):
    """A WorkerChannel whose other end is the script instead of a sandboxed process."""

    def __init__(self, sandbox: FakeSandbox, number: int):
        self.sandbox, self.number = sandbox, number
        self.clock = sandbox.clock  # the channel measures its deadlines with it
        self.make_tensor = sandbox.make_tensor
        self._open(-1, -1)
        self.ran: list[str] = []  # sources of the cells started on this worker, in order
        self.calls: list[tuple[str, tuple, dict]] = []  # (name, args, kwargs) received
        self.defined: dict[str, Any] = {}  # functions defined on this worker -> entry
        self.killed = self.closed = False
        self._replies: Iterator[tuple[float, dict | _Crash]] = iter(
            [(sandbox.startup_seconds, {"event": "ready"})])
        self._pending: tuple[float, dict | _Crash] | None = None
        self._crash = ""

    def __repr__(self) -> str:
        return f"<FakeWorker {self.number}: ran {len(self.ran)} cells, {len(self.calls)} calls>"

    # ------------------------------------------------------------------ process
    def alive(self) -> bool:
        return not (self.killed or self._dead)

    def kill(self) -> None:
        self.killed = True

    def close(self) -> None:
        self.kill()
        self.closed = True

    def _death_reason(self) -> str:
        return self._crash or "the worker was stopped"

    # ------------------------------------------------------------------ transport
    def _send(self, message: dict) -> None:
        if not self.alive():
            raise WorkerCrashed(self._death_reason())  # as writing to a dead worker's pipe
        if message["op"] == "run":
            self._replies = self._run([str(c["source"]) for c in message["cells"]],
                                      message.get("cpu_seconds"),
                                      message.get("cell_cpu_seconds"))
        elif message["op"] == "call":
            self._replies = self._call(message)
        self._pending = None

    def _receive(self, deadline: float) -> dict:
        if self._pending is None:
            # Nothing more to say: a real worker would be silent, waiting for a request.
            self._pending = next(self._replies, (math.inf, {}))
        seconds, reply = self._pending
        if self.clock() + seconds > deadline:
            self._pending = (seconds - max(deadline - self.clock(), 0.0), reply)
            self.clock.advance(deadline - self.clock())
            raise TimeoutError
        self.clock.advance(seconds)
        self._pending = None
        if isinstance(reply, _Crash):
            self._dead, self._crash = True, reply.reason
            raise WorkerCrashed(reply.reason)
        return reply

    # ------------------------------------------------------------------ the worker's side
    def _wall(self, step: Step, cpu: float | None = None) -> float:
        """Clock seconds STEP takes (until it has used CPU seconds of CPU time, if given)."""
        if cpu is None:
            return step.seconds * self.sandbox.load if step.cpu is None else step.seconds
        if step.cpu is None or math.isinf(step.cpu_seconds()):
            return cpu * self.sandbox.load if step.cpu is None else cpu
        return step.seconds * cpu / step.cpu_seconds()

    def _run(self, sources: list[str], budget: float | None = None,
             cell_budget: float | None = None) -> Iterator[tuple[float, dict | _Crash]]:
        used = 0.0
        for index, source in enumerate(sources):
            yield 0.0, {"event": "cell_start", "index": index}
            self.ran.append(source)
            step = self.sandbox.step("cell", source, self.sandbox.cells.get(source))
            if callable(step):
                raise TypeError("a cell's script entry is a Step or a list of Steps")
            for event in step.events:
                yield 0.0, event
            allowed = min(budget - used if budget else math.inf, cell_budget or math.inf)
            if step.cpu_seconds() > allowed:
                yield self._wall(step, allowed), {"event": "over_cpu", "index": index,
                                                  "cpu": allowed}
                return  # the real worker exits
            used += step.cpu_seconds()
            if step.kind == "crash":
                yield self._wall(step), _Crash(step.error)
            if step.kind == "ok":
                for name in _functions(source) | set(step.defines):
                    self.defined[name] = step.defines.get(name)
            yield self._wall(step), {"event": "cell_end", "index": index,
                                     "ok": step.kind == "ok", "error": step.error,
                                     "output": step.output, "cpu": step.cpu_seconds()}
        yield 0.0, {"event": "run_done"}

    def _call(self, request: dict) -> Iterator[tuple[float, dict | _Crash]]:
        name = str(request["name"])
        reply: dict[str, Any] = {"event": "call_done", "id": request["id"], "ok": False}
        raw_args = decode(request["args"], self.make_tensor)
        raw_kwargs = decode(request["kwargs"], self.make_tensor)
        self.calls.append((name, tuple(raw_args), dict(raw_kwargs)))
        if name not in self.defined:
            reply["error"] = (f"NameError: the notebook does not define a function named "
                              f"{name!r} (did a cell fail, or was it renamed?)")
            yield 0.0, reply
            return
        args, kwargs = self._resolve(raw_args), self._resolve(raw_kwargs)
        step = self._function(name)
        if callable(step):
            try:
                step = _as_step(step(*args, **kwargs))
            except Exception as exc:
                step = Step("raise", error=f"{type(exc).__name__}: {exc}")
                reply["traceback"] = "".join(traceback.format_exception(exc)[-12:])
        budget = request.get("cpu_seconds")
        if budget and step.cpu_seconds() > budget:
            yield self._wall(step, budget), {"event": "over_cpu", "id": request["id"],
                                             "cpu": budget}
            return  # the real worker exits
        if step.kind == "crash":
            yield self._wall(step), _Crash(step.error)
        reply["output"] = step.output
        if not math.isinf(step.cpu_seconds()):
            reply["cpu"] = step.cpu_seconds()
        if step.kind == "raise":
            reply["error"] = step.error
        else:
            try:
                reply["value"] = encode(step.value)
                reply["args"] = encode(tuple(r if isinstance(r, (RemoteFunction, StudentRef))
                                             else a for a, r in zip(args, raw_args)))
                reply["kwargs"] = encode({k: raw_kwargs[k] if isinstance(
                    raw_kwargs[k], (RemoteFunction, StudentRef)) else v
                    for k, v in kwargs.items()})
                reply["ok"] = True
            except Unencodable as exc:
                reply["error"] = f"{name} returned {exc}"
        yield self._wall(step), reply

    def _resolve(self, value: Any) -> Any:
        """Arguments as the student's function sees them (the worker's `resolve`)."""
        if isinstance(value, RemoteFunction):
            return eval(value.source, {"math": math, "torch": sys.modules.get("torch")})
        if isinstance(value, StudentRef):
            return self._student_function(value.name)
        if isinstance(value, list):
            return [self._resolve(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self._resolve(v) for v in value)
        if isinstance(value, dict):
            return {k: self._resolve(v) for k, v in value.items()}
        return value


    def _function(self, name: str) -> Step | Callable[..., Any]:
        """What calling NAME does now: as the cell that defined it says, else the script."""
        entry = self.defined.get(name)
        if entry is None:
            entry = self.sandbox.calls.get(name)
        return self.sandbox.step("call", name, entry)

    def _student_function(self, name: str) -> Callable[..., Any]:
        """The student's function NAME, passed as an argument (StudentRef)."""
        def function(*args: Any, **kwargs: Any) -> Any:
            step = self._function(name)
            step = _as_step(step(*args, **kwargs)) if callable(step) else step
            if step.kind != "ok":
                raise RuntimeError(step.error or f"{name} {step.kind}s")
            return step.value
        return function


def _as_step(value: Any) -> Step:
    return value if isinstance(value, Step) else returns(value)


def _functions(source: str) -> set[str]:
    """The functions a cell defines at top level (none if it is not plain Python)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def _plain_tensor(fields: dict, factory: Any) -> Any:
    """Tensors without the grader's autograd facts (pass grading.make_tensor for those)."""
    import torch  # only when a script sends tensors

    if fields["grad"] is not None:
        factory(fields["grad"], factory)  # checked like the rest
    return tensor_from_fields(torch, fields)


__all__ = ["FakeClock", "FakeSandbox", "FakeWorker", "Step", "ok", "returns", "raises", "hangs",
           "sleeps", "crashes", "forges"]
