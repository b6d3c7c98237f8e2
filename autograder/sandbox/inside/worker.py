"""The sandboxed worker: executes a student's notebook, then serves calls from graders.

Runs as a plain script inside bubblewrap:
`python -I worker.py --limits JSON --requests-fd R --replies-fd W` (the weak mode), or
`--limits JSON --listen-fd L --lifeline-fd F [--homes H]` for a zygote, whose forks drop
to a uid of their own (with --homes, the container mode: each in a home of its own under
H), and which exits when the host closes its end of F.
Requests arrive as JSON lines on fd R and replies leave on fd W; fd 0 is /dev/null
so `input()` in student code cannot eat a request. Heavy libraries are imported
before the first request, so a pre-started worker hides their import time.

Messages (host -> worker):
  {"op": "run", "cells": [{"label": str, "source": str}, ...], "cpu_seconds": float,
   "cell_cpu_seconds": float}
      replies {"event": "cell_start", "index": i} before each cell and
      {"event": "cell_end", "index": i, "ok": bool, "error": str, "output": str,
       "cpu": float} after it, then {"event": "run_done"}. With "cpu_seconds" (optional),
      once the cells together used that much CPU time (or one cell "cell_cpu_seconds")
      the worker sends {"event": "over_cpu", "index": i, "cpu": float} and exits (cpu.py).
  {"op": "call", "id": int, "name": str, "args": [...], "kwargs": {...},
   "lend": {"names": [str, ...], "watch": [str, ...]}, "cpu_seconds": float}  (both optional)
      replies {"event": "call_done", "id": int, "ok": bool, "value", "args", "kwargs",
               "output", "error", "traceback", "helpers": [str, ...], "own": [str, ...],
               "cpu": float},
      or {"event": "over_cpu", "id": int, "cpu": float} when the call used more than
      "cpu_seconds" of CPU time (the worker then exits).
      With `lend`, the call runs with the notebook's functions NAMES replaced by stubs
      (stubs.py) that the host serves with the reference versions, run outside this
      process ("helper" events during the call); the student's own WATCH functions are
      noted when called. "helpers" and "own" list what the student's code called.
Everything the worker sends is checked again on the host: this process is untrusted
as soon as the first student cell runs.
"""

from __future__ import annotations

import io
import json
import math
import os
import resource
import signal
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stubs  # noqa: E402
from cpu import CpuBudget  # noqa: E402
from protocol import (  # noqa: E402
    ProtocolError,
    RemoteFunction,
    StudentRef,
    Unencodable,
    decode,
    dumps,
    encode,
    tensor_from_fields,
)

REPLIES_FD = 4  # set from --replies-fd in main()
MAIN_PID = os.getpid()
_write = os.write  # bound early: student code may monkeypatch the os module


def send(message: dict) -> None:
    data = (dumps(message) + "\n").encode()
    while data:
        data = data[_write(REPLIES_FD, data):]


class BoundedOutput(io.TextIOBase):
    """Keeps the first LIMIT characters written to it; counts and drops the rest."""

    def __init__(self, limit: int):
        self.limit, self.parts, self.size, self.dropped = limit, [], 0, 0

    def writable(self) -> bool:
        return True

    def write(self, s) -> int:
        s = str(s)
        room = self.limit - self.size
        if room > 0:
            self.parts.append(s[:room])
            self.size += min(len(s), room)
        self.dropped += max(0, len(s) - max(room, 0))
        return len(s)

    def text(self) -> str:
        out = "".join(self.parts)
        if self.dropped:
            out += f"\n[... {self.dropped} more characters of output were dropped]"
        return out


def drop_privileges(uid: int) -> None:
    """As root inside bubblewrap, become an unprivileged uid before any student code."""
    if os.getuid() == 0 and uid > 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)


def reap_strays() -> None:
    """Kill every other process in the sandbox (fork bombs, `!sleep 1000 &`).

    Only inside bubblewrap's PID namespace, where kill(-1) reaches the sandbox alone.
    """
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass  # nothing left to kill


def apply_limits(limits: dict) -> None:
    mib = 1024 * 1024
    for which, value in (
        (resource.RLIMIT_AS, limits["memory_mb"] * mib),
        (resource.RLIMIT_NPROC, limits["processes"]),
        (resource.RLIMIT_FSIZE, limits["file_size_mb"] * mib),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(which, (value, value))
    # Past the file-size limit, writes fail with EFBIG instead of killing the worker.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def make_shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.xmode = "Plain"
    return InteractiveShell.instance(config=config)


def make_tensor(fields: dict, factory) -> object:
    import torch

    t = tensor_from_fields(torch, fields)
    if fields["requires_grad"]:
        t.requires_grad_(True)
    if fields["grad"] is not None and t.requires_grad:
        t.grad = factory(fields["grad"], factory)
    return t


class Worker:
    def __init__(self, output_limit: int, reap: bool):
        self.shell = make_shell()
        self.output_limit = output_limit
        self.reap = reap
        self.reader = None  # the request channel (serve), read by lent helpers' stubs

    def capture(self) -> BoundedOutput:
        buffer = BoundedOutput(self.output_limit)
        sys.stdout = sys.stderr = buffer
        return buffer

    def release(self) -> None:
        if os.getpid() != MAIN_PID:
            # A child that student code forked came back into the worker loop: it must not
            # answer the host or reap the real worker.
            os._exit(0)
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        if self.reap:
            reap_strays()
        try:
            import matplotlib.pyplot as plt

            plt.close("all")  # figures are never shown when grading; free them
        except Exception:
            pass

    def run(self, cells: list, budget: float | None = None, cell_budget: float | None = None
            ) -> None:
        used = 0.0  # CPU seconds of the cells so far, against BUDGET
        for index, cell in enumerate(cells):
            send({"event": "cell_start", "index": index})
            buffer = self.capture()
            left = None if budget is None else max(budget - used, 0.001)
            spent = CpuBudget(min(x for x in (left, cell_budget, math.inf) if x is not None),
                              _report_over("index", index))
            try:
                with spent:
                    result = self.shell.run_cell(str(cell["source"]), store_history=False)
                error = result.error_before_exec or result.error_in_exec
            except BaseException as exc:  # SystemExit, KeyboardInterrupt raised past IPython
                error = exc
            finally:
                self.release()
            used += spent.used
            send({"event": "cell_end", "index": index, "ok": error is None,
                  "error": "" if error is None else _one_line(error), "output": buffer.text(),
                  "cpu": round(spent.used, 4)})
        send({"event": "run_done"})

    def resolve(self, value):
        if isinstance(value, RemoteFunction):
            import torch

            return eval(value.source, {"torch": torch, "math": math})  # grader-written source
        if isinstance(value, StudentRef):
            return self.shell.user_ns.get(value.name)
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.resolve(v) for v in value)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        return value

    def call(self, request: dict) -> None:
        reply = {"event": "call_done", "id": request.get("id"), "ok": False}
        name = str(request.get("name"))
        function = self.shell.user_ns.get(name)
        if not callable(function):
            reply["error"] = (f"NameError: the notebook does not define a function named "
                              f"{name!r} (did a cell fail, or was it renamed?)")
            send(reply)
            return
        raw_args = decode(request.get("args", []), make_tensor)
        raw_kwargs = decode(request.get("kwargs", {}), make_tensor)
        args, kwargs = self.resolve(raw_args), self.resolve(raw_kwargs)
        used: set = set()
        own: set = set()
        lend = request.get("lend") or {}
        replaced = stubs.lend(self.shell.user_ns, [str(n) for n in lend.get("names", ())],
                              [str(n) for n in lend.get("watch", ())],
                              stubs.Transport(send, self.reader.readline), used, own) \
            if lend else {}
        spent = CpuBudget(_budget(request), _report_over("id", request.get("id")))
        buffer = self.capture()
        try:
            try:
                with spent:
                    value = function(*args, **kwargs)
            finally:
                stubs.give_back(self.shell.user_ns, replaced)
            reply["helpers"], reply["own"] = sorted(used), sorted(own)
            reply["value"] = encode(value)
        except Unencodable as exc:
            reply["error"] = f"{name} returned {exc}"
        except BaseException as exc:  # the student's code raised, possibly SystemExit
            reply["error"] = _one_line(exc)
            # Skip this file's own frame: the student needs only their code's frames.
            frames = traceback.format_exception(type(exc), exc, exc.__traceback__.tb_next)
            frames = [f for f in frames if stubs.__file__ not in f]  # nor the stubs' frames
            reply["traceback"] = "".join(frames[-12:])
        else:
            # The arguments as they are now (in-place updates); functions go back as markers.
            try:
                reply["args"] = encode(tuple(_unresolve(a, r) for a, r in zip(args, raw_args)))
                reply["kwargs"] = encode({k: _unresolve(v, raw_kwargs[k])
                                          for k, v in kwargs.items()})
                reply["ok"] = True
            except Unencodable as exc:
                reply["error"] = f"{name} left an argument that is not plain data: {exc}"
        finally:
            self.release()
        reply["output"] = buffer.text()
        reply["cpu"] = round(spent.used, 4)
        send(reply)


def _budget(request: dict, key: str = "cpu_seconds") -> float | None:
    """The CPU seconds a request allows (None: no budget; the host's wall clock only)."""
    seconds = request.get(key)
    return float(seconds) if type(seconds) in (int, float) and seconds > 0 else None


def _report_over(key: str, value) -> object:
    """What the CPU timer does when a cell or call overruns: tell the host, which kills
    this worker (cpu.py exits it anyway)."""
    def over(used: float) -> None:
        send({"event": "over_cpu", key: value, "cpu": round(used, 4)})
    return over


def _unresolve(value, raw):
    return raw if isinstance(raw, (RemoteFunction, StudentRef)) else value


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) < 2000 else text[:2000] + " ..."


def import_heavy_libraries() -> None:
    """Pay the heavy imports before a submission is assigned to this process."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import torch  # noqa: F401
    from fastai.torch_core import set_seed  # noqa: F401
    from tqdm.auto import tqdm  # noqa: F401


def serve(requests_fd: int, replies_fd: int, limits: dict, reap: bool) -> None:
    """Answer one notebook's requests until the host closes the channel."""
    global REPLIES_FD, MAIN_PID
    REPLIES_FD, MAIN_PID = replies_fd, os.getpid()
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    worker = Worker(limits["output_kb"] * 1024, reap)
    send({"event": "ready"})
    reader = io.BufferedReader(os.fdopen(requests_fd, "rb", buffering=0), buffer_size=1 << 16)
    worker.reader = reader
    while True:
        line = reader.readline()
        if not line:
            return  # the host closed the channel
        try:
            request = json.loads(line)
            if request.get("op") == "run":
                worker.run(request["cells"], _budget(request),
                           _budget(request, "cell_cpu_seconds"))
            elif request.get("op") == "call":
                worker.call(request)
            else:
                send({"event": "error", "error": f"unknown op {request.get('op')!r}"})
        except (ProtocolError, ValueError, KeyError, TypeError) as exc:
            send({"event": "error", "error": f"bad request: {exc}"})


def main() -> None:
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    limits = json.loads(args["--limits"])
    for name in ("TMPDIR", "MPLCONFIGDIR", "IPYTHONDIR"):
        os.makedirs(os.environ.get(name, "."), exist_ok=True)
    if "--listen-fd" in args:  # a zygote: forks one isolated worker per notebook
        from zygote import run_zygote, start_killer

        killer = start_killer()  # while this process is small
        import_heavy_libraries()
        run_zygote(int(args["--listen-fd"]), int(args["--lifeline-fd"]), killer, limits,
                   args.get("--homes"))
        return
    apply_limits(limits)
    import_heavy_libraries()
    serve(int(args["--requests-fd"]), int(args["--replies-fd"]), limits,
          args.get("--reap-strays") == "1")


if __name__ == "__main__":
    main()
