"""Lent reference helpers, served from outside the sandbox: the grading side of the stubs.

For a grader's call, the grade step builds a Lender: the names the student's function
gets as stubs (sandbox/inside/stubs.py), and the names it keeps its own although they
are helpers (a helper that takes a function cannot be served: its argument is student
code, which runs only in the worker). While the call runs, each "helper" event of the
worker comes here (sandbox/channel.py): its arguments are checked to be plain data and
passed to the reference process (reference_server.py), whose answer goes back to the
worker. The reference code itself never crosses into the worker.

The reference process is one per grading process, started before the first call that
lends (its start, importing torch, is never charged to a student's call), reused for
every notebook, killed when a call runs past its deadline while it works, and started
again before the next call that needs it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from autograder.errors import CourseKitError
from autograder.sandbox.lines import LineTooLong, read_line

SERVER = Path(__file__).with_name("reference_server.py")
STARTUP_SECONDS = 120
MAX_REPLY = 256 * 1024 * 1024


class ReferenceUnavailable(CourseKitError):
    """The reference process could not start or stopped while serving a helper."""


class ReferenceProcess:
    """The child process that runs the reference solutions (reference_server.py)."""

    def __init__(self, memory_mb: int = 3072, clock: Callable[[], float] = time.monotonic):
        self.memory_mb, self.clock = memory_mb, clock
        self.process: subprocess.Popen | None = None
        self.loaded: set[str] = set()
        self.lock = threading.Lock()  # one request at a time, whichever thread grades
        self._buffer = bytearray()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        read_replies, write_replies = os.pipe()
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        limit = self.memory_mb * 1024 * 1024

        def limits() -> None:  # in the child, before exec: its memory is bounded
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

        self.process = subprocess.Popen(
            [sys.executable, "-I", str(SERVER), str(write_replies)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(write_replies,), cwd=tempfile.gettempdir(), env=env,
            preexec_fn=limits, start_new_session=True)
        os.close(write_replies)
        self._replies, self._buffer, self.loaded = read_replies, bytearray(), set()
        try:
            self._read(self.clock() + STARTUP_SECONDS)
        except (TimeoutError, ReferenceUnavailable):
            self.kill()
            raise ReferenceUnavailable("the reference process did not start") from None

    def ensure(self, code: str, source: str) -> None:
        """Started, with CODE's reference SOURCE loaded; outside any call's deadline."""
        with self.lock:
            if not self.alive():
                self.start()
            if code not in self.loaded:
                reply = self._request({"op": "load", "code": code, "source": source},
                                      self.clock() + STARTUP_SECONDS)
                if reply.get("ok") is not True:
                    raise ReferenceUnavailable(f"the reference solutions do not run: "
                                               f"{reply.get('error')}")
                self.loaded.add(code)

    def request(self, message: dict[str, Any], deadline: float) -> dict[str, Any]:
        """MESSAGE's reply; TimeoutError (the process killed) past DEADLINE."""
        with self.lock:
            if not self.alive() or message.get("code") not in self.loaded:
                raise ReferenceUnavailable("the reference process is not running")
            return self._request(message, deadline)

    def _request(self, message: dict[str, Any], deadline: float) -> dict[str, Any]:
        assert self.process is not None and self.process.stdin is not None
        try:
            self.process.stdin.write((json.dumps(message) + "\n").encode())
            self.process.stdin.flush()
            return self._read(deadline)
        except TimeoutError:
            self.kill()
            raise
        except (OSError, ValueError):
            self.kill()
            raise ReferenceUnavailable("the reference process stopped") from None

    def _read(self, deadline: float) -> dict[str, Any]:
        try:
            line = read_line(self._replies, self._buffer, deadline, self.clock, MAX_REPLY)
        except LineTooLong:
            line = None
        if line is None:
            self.kill()
            raise ReferenceUnavailable("the reference process stopped (out of memory?)")
        return json.loads(line)

    def kill(self) -> None:
        if self.process is not None:
            try:
                self.process.kill()
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
            for stream in (self.process.stdin,):
                try:
                    stream and stream.close()
                except OSError:
                    pass
            try:
                os.close(self._replies)
            except OSError:
                pass
        self.process, self.loaded = None, set()

    close = kill


_shared: tuple[int, ReferenceProcess] | None = None  # (the pid it belongs to, the process)
_shared_lock = threading.Lock()


def reference_process() -> ReferenceProcess:
    """This grading process's reference process (started on first use, by Lender.prepare).
    A process forked from this one gets its own: the pipes are the parent's."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared[0] != os.getpid():
            import atexit
            import multiprocessing.util

            process = ReferenceProcess()
            _shared = (os.getpid(), process)
            atexit.register(process.close)
            # Pool processes leave through os._exit, which skips atexit; finalizers run.
            multiprocessing.util.Finalize(None, process.close, exitpriority=10)
        return _shared[1]


@dataclass
class Lender:
    """What one call lends: NAMES served by the reference process (SOURCE, the reference
    code), and WATCH, helpers that stay the student's own (they take a function)."""

    source: str
    names: tuple[str, ...]
    watch: tuple[str, ...] = ()
    process: ReferenceProcess = field(default_factory=reference_process)

    @cached_property
    def code(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()[:16]

    def message(self) -> dict[str, list[str]]:
        """The call message's `lend` field (sandbox/inside/worker.py)."""
        return {"names": list(self.names), "watch": list(self.watch)}

    def prepare(self) -> None:
        """Before the call: the reference process is up with this code (not charged)."""
        if self.names:
            self.process.ensure(self.code, self.source)

    def serve(self, event: dict[str, Any], deadline: float) -> dict[str, Any]:
        """The reply to the worker's "helper" EVENT. TimeoutError past DEADLINE."""
        reply: dict[str, Any] = {"op": "helper_done", "id": event.get("id"), "ok": False}
        name, op = event.get("name"), event.get("op")
        if name not in self.names or op not in ("call", "vjp"):
            reply["error"] = f"RuntimeError: {name!r} is not lent to this call"
            return reply
        request = {"op": op, "code": self.code, "name": name,
                   "args": event.get("args"), "kwargs": event.get("kwargs"),
                   "grad_enabled": event.get("grad_enabled") is True}
        if op == "vjp":
            request["grad_outputs"] = event.get("grad_outputs")
        else:
            request["jacobians"] = event.get("jacobians") is True
        if not _plain(request):
            reply["error"] = f"TypeError: {name} is lent from the reference and takes plain data"
            return reply
        try:
            answer = self.process.request(request, deadline)
        except ReferenceUnavailable as exc:
            reply["error"] = f"RuntimeError: {name}: {exc} (not a mistake of yours)"
            return reply
        if answer.get("ok") is not True:
            reply["error"] = str(answer.get("error", "the reference failed"))[:500]
            return reply
        reply["ok"] = True
        for key in ("value", "args", "kwargs", "grads", "jacobians"):
            if key in answer:
                reply[key] = answer[key]
        return reply


def _plain(data: Any, depth: int = 0) -> bool:
    """DATA holds no grader function or student reference (the stub sends plain data only;
    anything else is forged, and would make the reference process evaluate code)."""
    if depth > 40:
        return False
    if isinstance(data, list):
        return all(_plain(v, depth + 1) for v in data)
    if isinstance(data, dict):
        if "__function__" in data or "__student__" in data:
            return False
        return all(_plain(v, depth + 1) for v in data.values())
    return True
