"""The host's handle on one sandboxed worker process: start, run cells, call, kill.

Every reply is read with a deadline and size limit and decoded defensively; a
worker that hangs, dies or garbles the channel is killed, and the caller gets
CallTimeout or WorkerCrashed instead of a stuck batch.

Two limits per cell and per call: CPU seconds, which the worker enforces on itself
(inside/cpu.py: what the student's code used, whatever the machine's load), and the wall
clock, the backstop for code that sleeps or blocks. A run stopped by the wall clock alone
says so (WallTimeout, CellRun.wall_only): pipeline/execute.py retries it once with more
time before it costs anything.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.config import Limits
from autograder.errors import CallTimeout, SandboxFailed, StudentError, WorkerCrashed
from autograder.sandbox.backends import WORKER_DIR, Sandbox
from autograder.sandbox.inside.protocol import ProtocolError, decode, encode, loads
from autograder.sandbox.lines import LineTooLong, read_line

MAX_MESSAGE = 256 * 1024 * 1024
HELPER_SHARE = 10  # the lent reference's time per call, at most, as a multiple of its limit
STARTUP_SECONDS = 90


@dataclass
class CellRun:
    index: int
    ok: bool
    error: str = ""
    output: str = ""
    status: str = "ok"  # ok | error | timeout | crashed
    cpu: float = 0.0  # CPU seconds the cell used, as the worker measured it
    wall_only: bool = False  # a timeout of the wall clock, within the CPU budget


@dataclass
class CallReply:
    value: Any
    args: tuple
    kwargs: dict
    output: str = ""
    helpers: tuple[str, ...] = ()  # reference helpers the student's code called
    cpu: float = 0.0  # CPU seconds the call used, as the worker measured it
    own: tuple[str, ...] = ()  # helpers it called that were not lent (they take a function)


class WallTimeout(CallTimeout):
    """A call ran past the wall clock within its CPU budget: the machine's load, or code
    that sleeps or blocks. pipeline/execute.py gives it a second chance."""


def _cpu(message: dict) -> float:
    value = message.get("cpu")
    return float(value) if type(value) in (int, float) and value >= 0 else 0.0


class WorkerChannel:
    """The protocol with one worker over two pipes; subclasses own the process."""

    make_tensor: Any
    _req_w: int
    _rep_r: int
    clock = staticmethod(time.monotonic)  # deadlines' time source (tests: a fake clock)

    def _open(self, req_w: int, rep_r: int) -> None:
        self._req_w, self._rep_r = req_w, rep_r
        self._buffer = bytearray()
        self._ready = False
        self._dead = False

    def alive(self) -> bool:
        raise NotImplementedError

    def kill(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _death_reason(self) -> str:
        return "the worker stopped (sys.exit or os._exit, a signal, or out of memory?)"

    def _close_pipes(self) -> None:
        for fd in ("_req_w", "_rep_r"):
            try:
                os.close(getattr(self, fd))
            except (OSError, AttributeError):
                pass
            setattr(self, fd, -1)

    # ------------------------------------------------------------------ channel
    def _send(self, message: dict) -> None:
        try:
            os.write(self._req_w, (json.dumps(message) + "\n").encode())
        except OSError:
            raise WorkerCrashed(self._death_reason()) from None

    def _receive(self, deadline: float) -> dict:
        try:
            line = read_line(self._rep_r, self._buffer, deadline, self.clock, MAX_MESSAGE)
        except LineTooLong:
            raise ProtocolError("reply larger than the protocol allows") from None
        if line is None:
            self._dead = True
            raise WorkerCrashed(self._death_reason())
        message = loads(line)
        if type(message) is not dict or type(message.get("event")) is not str:
            raise ProtocolError("reply is not an event")
        return message

    def wait_ready(self) -> None:
        """Wait for the worker's "ready", which it sends before any student code runs: a
        worker that does not get there is the sandbox failing (SandboxFailed), not the
        student's code, and stops the run instead of costing a notebook its points."""
        if self._ready:
            return
        try:
            message = self._receive(self.clock() + STARTUP_SECONDS)
        except TimeoutError:
            self.kill()
            raise SandboxFailed(f"the sandboxed worker did not start within {STARTUP_SECONDS} s"
                                f"{self._startup_output()}") from None
        except (WorkerCrashed, ProtocolError) as exc:
            self.kill()
            raise SandboxFailed(f"the sandboxed worker failed to start: {exc}"
                                f"{self._startup_output()}") from None
        if message.get("event") != "ready":
            self.kill()
            raise SandboxFailed(f"the sandboxed worker failed to start: {message}")
        self._ready = True

    def _startup_output(self) -> str:
        """What the worker printed outside the protocol, for the instructor."""
        return ""

    # ------------------------------------------------------------------ operations
    def run_cells(self, sources: list[str], cell_seconds: float, total_seconds: float,
                  cpu_seconds: float | None = None, cell_cpu_seconds: float | None = None
                  ) -> list[CellRun]:
        """Run cells in order; stops at the first cell that hangs or kills the worker.

        CELL_SECONDS and TOTAL_SECONDS are wall-clock limits; CPU_SECONDS, the CPU time
        the cells may use together, CELL_CPU_SECONDS, one cell."""
        self.wait_ready()
        request: dict[str, Any] = {"op": "run", "cells": [{"source": s} for s in sources]}
        if cpu_seconds:
            request["cpu_seconds"] = cpu_seconds
        if cell_cpu_seconds:
            request["cell_cpu_seconds"] = cell_cpu_seconds
        self._send(request)
        runs: list[CellRun] = []
        end = self.clock() + total_seconds
        current = None
        cell_end = end
        while True:
            try:
                message = self._receive(min(cell_end, end))
            except TimeoutError:
                self.kill()
                if current is not None:
                    runs.append(CellRun(current, False, "the cell did not finish within "
                                        f"{cell_seconds:.0f} s of wall-clock time and was "
                                        "stopped (does it sleep, or wait for input?)", "",
                                        "timeout", wall_only=True))
                return runs
            except (WorkerCrashed, ProtocolError) as exc:
                self.kill()
                if current is not None:
                    runs.append(CellRun(current, False, str(exc), "", "crashed"))
                return runs
            event = message["event"]
            if event == "cell_start" and type(message.get("index")) is int:
                current, cell_end = message["index"], self.clock() + cell_seconds
            elif event == "cell_end" and message.get("index") == current:
                runs.append(CellRun(current, message.get("ok") is True,
                                    str(message.get("error", ""))[:4000],
                                    str(message.get("output", "")),
                                    "ok" if message.get("ok") is True else "error",
                                    _cpu(message)))
                current = None
            elif event == "over_cpu" and current is not None \
                    and message.get("index") == current and (cpu_seconds or cell_cpu_seconds):
                self.kill()
                limits = " or ".join(f"{s:.3g} s {what}" for s, what in (
                    (cell_cpu_seconds, "for a cell"), (cpu_seconds, "for the notebook")) if s)
                runs.append(CellRun(current, False, "the cell was stopped: it reached the "
                                    f"CPU time allowed ({limits}; an infinite loop, or far "
                                    "too many steps?)", "", "timeout", _cpu(message)))
                return runs
            elif event == "run_done" and len(runs) == len(sources):
                return runs
            else:  # a forged or out-of-order event: trust nothing after it
                self.kill()
                runs.append(CellRun(current if current is not None else len(runs), False,
                                    "the notebook wrote messages that imitate the grader's "
                                    "protocol; execution was stopped", "", "crashed"))
                return runs

    def call(self, call_id: int, name: str, args: tuple, kwargs: dict, seconds: float,
             reference: Any = None, cpu_seconds: float | None = None) -> CallReply:
        """Call the notebook's NAME; REFERENCE (a pipeline/lending.Lender) lends it stubs
        of other problems' functions for this call, served while the call runs. SECONDS
        is the wall-clock limit (WallTimeout), CPU_SECONDS the CPU time it may use
        (CallTimeout)."""
        self.wait_ready()
        message = {"op": "call", "id": call_id, "name": name,
                   "args": encode(list(args)), "kwargs": encode(dict(kwargs))}
        if reference:
            message["lend"] = reference.message()
        if cpu_seconds:
            message["cpu_seconds"] = cpu_seconds
        self._send(message)
        try:
            reply = self._call_reply(self.clock() + seconds, reference, seconds)
        except TimeoutError:
            self.kill()
            raise WallTimeout(f"{name}() did not return within {seconds:g} s of wall-clock "
                              "time (does it sleep, or wait for something?)") from None
        except ProtocolError as exc:
            self.kill()
            raise WorkerCrashed(f"{name}(): the worker sent an invalid reply ({exc})") from None
        except WorkerCrashed as exc:
            raise WorkerCrashed(f"{name}(): {exc}") from None
        used = _cpu(reply)
        if cpu_seconds and reply.get("id") == call_id and (
                reply.get("event") == "over_cpu"
                or reply.get("event") == "call_done" and used > cpu_seconds):
            self.kill()
            raise CallTimeout(f"{name}() used more than {cpu_seconds:.3g} s of CPU time, its "
                              "budget (an infinite loop, or far too many steps?)")
        if reply.get("event") != "call_done" or reply.get("id") != call_id:
            self.kill()
            raise WorkerCrashed(f"{name}(): the worker sent a reply out of turn "
                                "(output imitating the grader's protocol?)")
        output = str(reply.get("output", ""))
        if reply.get("ok") is not True:
            text = str(reply.get("error", "unknown error"))
            tb = str(reply.get("traceback", ""))
            printed = f"\nprinted:\n{output}" if output else ""
            raise StudentError(f"{text}\n{tb}".strip() + printed)
        try:
            value = decode(reply.get("value"), self.make_tensor)
            args_after = decode(reply.get("args"), self.make_tensor)
            kwargs_after = decode(reply.get("kwargs"), self.make_tensor)
        except ProtocolError as exc:
            raise StudentError(f"{name}() returned data the grader cannot read: {exc}") from None
        if type(args_after) is not tuple or type(kwargs_after) is not dict:
            raise StudentError(f"{name}(): the worker sent malformed arguments back")
        # Only names that were lent (or watched): the lists are shown to the student.
        return CallReply(value, args_after, kwargs_after, output,
                         _named(reply.get("helpers"), reference.names if reference else ()),
                         used, _named(reply.get("own"), reference.watch if reference else ()))

    def _call_reply(self, deadline: float, lender: Any, seconds: float) -> dict:
        """The call's reply; meanwhile the worker's stubs' "helper" events are served by
        LENDER (pipeline/lending.py). The time the reference takes is not the student's
        code's: it moves the deadline, up to HELPER_SHARE x SECONDS in all per call."""
        budget = HELPER_SHARE * seconds
        while True:
            message = self._receive(deadline)
            if message.get("event") != "helper" or not lender:
                return message
            started = self.clock()
            self._send(lender.serve(message, started + budget))
            spent = self.clock() - started
            budget -= spent
            deadline += spent


def _named(found: Any, allowed: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(h for h in allowed if type(found) is list and h in found)


def worker_argv(limits: Limits, *fds: str) -> list[str]:
    """The sandboxed worker script's command line: the limits it applies itself, and FDS
    (`--requests-fd R --replies-fd W` for one worker, `--listen-fd L --lifeline-fd F` for
    a zygote)."""
    own = limits.model_dump(include={"memory_mb", "processes", "file_size_mb", "output_kb"})
    return [str(WORKER_DIR / "worker.py"), "--limits", json.dumps(own), *fds]


@dataclass
class SandboxedWorker(WorkerChannel):
    """A worker in a process of its own: the weak mode, where there is no zygote and no
    uid to switch to (under bubblewrap, workers are forked by the zygote)."""

    sandbox: Sandbox
    limits: Limits
    make_tensor: Any
    process: subprocess.Popen | None = None
    home: Path | None = None
    stray_output: list[bytes] = field(default_factory=list)

    def start(self) -> SandboxedWorker:
        """Spawn the worker; it imports the heavy libraries while we do other work."""
        self.home = Path(tempfile.mkdtemp(prefix="course-kit-home-"))
        self._req_r, self._req_w = os.pipe()
        self._rep_r, self._rep_w = os.pipe()
        argv = worker_argv(self.limits, "--requests-fd", str(self._req_r),
                           "--replies-fd", str(self._rep_w))
        self.process = subprocess.Popen(
            self.sandbox.command(argv, self.home),
            env=self.sandbox.env(self.home),
            cwd=self.home,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(self._req_r, self._rep_w),
            start_new_session=True,
        )
        os.close(self._req_r)
        os.close(self._rep_w)
        self._open(self._req_w, self._rep_r)
        self._drain = threading.Thread(target=self._drain_stdout, daemon=True)
        self._drain.start()
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _startup_output(self) -> str:
        time.sleep(0.1)  # the drain thread reads what is left in the pipe
        said = b"".join(self.stray_output).decode("utf-8", "replace").strip()
        return f"; command {self.sandbox.command(['worker.py'], Path('HOME'))[:4]}...; " \
            f"it printed:\n{said or '(nothing)'}"

    def _drain_stdout(self) -> None:
        # Output that bypasses Python's sys.stdout (C code, subprocesses): keep a little.
        kept = 0
        assert self.process and self.process.stdout
        for chunk in iter(lambda: self.process.stdout.read1(65536), b""):
            if kept < 65536:
                self.stray_output.append(chunk[: 65536 - kept])
                kept += len(chunk)

    # ------------------------------------------------------------------ teardown
    def _death_reason(self) -> str:
        code = self.process.poll() if self.process else None
        if code is None:
            try:
                code = self.process.wait(timeout=2) if self.process else None
            except subprocess.TimeoutExpired:
                code = None
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            return f"the worker was killed by signal {name} (out of memory, or killed itself?)"
        if code == 137:
            return "the worker was killed (out of memory, or killed itself?)"
        return f"the worker exited (exit code {code}; sys.exit or os._exit in student code?)"

    def kill(self) -> None:
        if self.process:
            kill_process_group(self.process)

    def close(self) -> None:
        self.kill()
        self._close_pipes()
        if self.home:
            shutil.rmtree(self.home, ignore_errors=True)
            self.home = None


def kill_process_group(process: subprocess.Popen) -> None:
    """SIGKILL a sandbox started with start_new_session=True, and reap it."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            process.kill()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
