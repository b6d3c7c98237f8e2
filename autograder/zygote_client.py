"""Host side of the zygote (sandbox_worker/zygote.py): one sandbox, a fresh worker per notebook.

`Zygote.fork()` hands the zygote two new pipe ends and gets back a ForkedWorker, ready
in milliseconds instead of the seconds that importing torch and fastai take. Each
forked worker still has its own uid, its own tmpfs and its own limits.
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

from .config import Limits
from .errors import WorkerCrashed
from .execute import WorkerPool
from .sandbox import WORKER_DIR, Bubblewrap, Sandbox
from .worker_client import (
    STARTUP_SECONDS,
    SandboxedWorker,
    WorkerChannel,
    kill_process_group,
)

UID_BASE, UID_SPAN = 61000, 4000


class Zygote:
    """A long-lived sandboxed process that has imported the heavy libraries."""

    def __init__(self, sandbox: Sandbox, limits: Limits, make_tensor: Any):
        self.sandbox, self.limits, self.make_tensor = sandbox, limits, make_tensor
        self.process: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._next_uid = random.randrange(UID_SPAN)

    def start(self) -> Zygote:
        host_end, zygote_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._home = Path(tempfile.mkdtemp(prefix="course-kit-zygote-"))
        limits = self.limits.model_dump(include={"memory_mb", "processes", "file_size_mb",
                                                 "output_kb"})
        argv = [str(WORKER_DIR / "worker.py"), "--limits", json.dumps(limits),
                "--control-fd", str(zygote_end.fileno())]
        self.process = subprocess.Popen(
            self.sandbox.command(argv, self._home), env=self.sandbox.env(self._home),
            cwd=self._home, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, pass_fds=(zygote_end.fileno(),), start_new_session=True)
        zygote_end.close()
        self._control = host_end
        # Output that bypasses the workers' own capture: drain it so nobody blocks.
        threading.Thread(target=self._drain, daemon=True).start()
        self._ready = False
        return self

    def _drain(self) -> None:
        assert self.process and self.process.stdout
        for _ in iter(lambda: self.process.stdout.read1(65536), b""):
            pass

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _request(self, message: dict, fds: list[int] = ()) -> dict:
        socket.send_fds(self._control, [json.dumps(message).encode()], list(fds))
        return self._reply(STARTUP_SECONDS)

    def _reply(self, seconds: float) -> dict:
        self._control.settimeout(seconds)
        try:
            data = self._control.recv(65536)
        except (TimeoutError, OSError):
            data = b""
        if not data:
            self.close()
            raise WorkerCrashed("the sandbox's zygote stopped answering")
        return json.loads(data)

    def fork(self) -> ForkedWorker:
        with self._lock:
            if not self.alive():
                self.close()
                self.start()
            if not self._ready:
                if self._reply(STARTUP_SECONDS).get("event") != "ready":
                    raise WorkerCrashed("the sandbox's zygote failed to start")
                self._ready = True
            uid = UID_BASE + self._next_uid % UID_SPAN
            self._next_uid += 1
            req_r, req_w = os.pipe()
            rep_r, rep_w = os.pipe()
            try:
                self._request({"op": "fork", "uid": uid}, [req_r, rep_w])
            finally:
                os.close(req_r)
                os.close(rep_w)
            return ForkedWorker(self, uid, req_w, rep_r)

    def kill_uid(self, uid: int) -> None:
        with self._lock:
            if self.alive():
                try:
                    self._request({"op": "kill", "uid": uid})
                except (WorkerCrashed, OSError):
                    self.close()

    def close(self) -> None:
        if self.process:
            kill_process_group(self.process)
        if getattr(self, "_control", None):
            self._control.close()
            self._control = None


class ForkedWorker(WorkerChannel):
    """One notebook's worker, forked by the zygote."""

    def __init__(self, zygote: Zygote, uid: int, req_w: int, rep_r: int):
        self.zygote, self.uid, self.make_tensor = zygote, uid, zygote.make_tensor
        self._open(req_w, rep_r)
        self._killed = False

    def alive(self) -> bool:
        return not self._killed and not self._dead and self.zygote.alive()

    def kill(self) -> None:
        if not self._killed:
            self._killed = True
            self.zygote.kill_uid(self.uid)

    def close(self) -> None:
        self.kill()
        self._close_pipes()



def worker_pool(sandbox: Sandbox, limits: Limits, make_tensor: Any) -> WorkerPool:
    """Workers forked from a zygote in bubblewrap; else a process each, one kept warm."""
    if isinstance(sandbox, Bubblewrap):
        zygote = Zygote(sandbox, limits, make_tensor).start()  # starts importing right away
        return WorkerPool(zygote.fork, keep_spare=False, on_close=zygote.close)
    return WorkerPool(lambda: SandboxedWorker(sandbox, limits, make_tensor).start())
