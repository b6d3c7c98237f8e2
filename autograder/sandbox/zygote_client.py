"""Host side of the zygote (sandbox/inside/zygote.py): one sandbox, a fresh worker per notebook.

`ZygoteServer` starts the sandboxed zygote, listening on a Unix socket; the batch
starts one before anything else, so that it imports torch and fastai while the grading
processes start, and all of them share it. Each grading process connects a `Zygote`:
`fork()` hands the zygote two new pipe ends and gets back a ForkedWorker, ready in
milliseconds instead of the seconds that importing torch and fastai take. Each forked
worker still has its own uid, its own tmpfs and its own limits.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from autograder.config import Limits
from autograder.errors import SandboxFailed, WorkerCrashed
from autograder.sandbox.backends import Sandbox
from autograder.sandbox.channel import (
    STARTUP_SECONDS,
    SandboxedWorker,
    WorkerChannel,
    kill_process_group,
    worker_argv,
)
from autograder.sandbox.pool import WorkerPool

DIR_PREFIX = "course-kit-zygote-"
HOMES_PREFIX = "course-kit-homes-"
STALE_SECONDS = 600
KEPT_OUTPUT = 16 * 1024  # the end of what the zygote printed: the diagnosis if it fails


def remove_stale_directories() -> None:
    """Remove the socket directories of zygotes that are gone: a batch killed with
    SIGKILL cannot remove its own. A directory counts as stale when it is old and
    nothing listens on its socket any more."""
    for path in Path(tempfile.gettempdir()).glob(f"{DIR_PREFIX}*"):
        try:
            info = path.lstat()
            if (not path.is_dir() or path.is_symlink() or info.st_uid != os.getuid()
                    or time.time() - info.st_mtime < STALE_SECONDS):
                continue
            with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as probe:
                probe.settimeout(1)
                probe.connect(str(path / "zygote.sock"))
        except (FileNotFoundError, ConnectionRefusedError):
            shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue


class ZygoteServer:
    """The zygote process in its sandbox, and the socket it listens on."""

    def __init__(self, sandbox: Sandbox, limits: Limits):
        self.sandbox, self.limits = sandbox, limits
        self.process: subprocess.Popen | None = None
        self.address = ""
        self._dir: Path | None = None
        self._lifeline = -1  # our end of the zygote's lifeline pipe
        self._homes: Path | None = None  # container mode: the workers' homes
        self._output = bytearray()

    def start(self) -> ZygoteServer:
        remove_stale_directories()
        # A directory only this user may enter: the sandbox cannot see it, and no other
        # local user may connect and ask for forks.
        self._dir = Path(tempfile.mkdtemp(prefix=DIR_PREFIX))
        self.address = str(self._dir / "zygote.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # The lifeline: we hold its write end, the zygote exits when it reads EOF, i.e.
        # when this process ends, however it ends. bwrap's --die-with-parent alone misses
        # a host killed before bwrap has set it up, which left zygotes behind.
        lifeline_r, self._lifeline = os.pipe()
        try:
            listener.bind(self.address)
            listener.listen(64)
            argv = worker_argv(self.limits, "--listen-fd", str(listener.fileno()),
                               "--lifeline-fd", str(lifeline_r))
            home = self._dir / "home"
            if self.sandbox.name == "container":
                # Each worker's home is made here by the zygote, owned by the worker's uid:
                # the folder is traversable by them, listable by root alone.
                self._homes = Path(tempfile.mkdtemp(prefix=HOMES_PREFIX))
                self._homes.chmod(0o711)
                home = self._homes / "zygote"  # readable: the font cache matplotlib made
                argv += ["--homes", str(self._homes)]
            home.mkdir()
            home.chmod(0o755)
            command = self.sandbox.command(argv, home)
            try:
                self.process = subprocess.Popen(
                    command, env=self.sandbox.env(home), cwd=home,
                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                    pass_fds=(listener.fileno(), lifeline_r), start_new_session=True)
            except OSError as exc:
                raise SandboxFailed(f"the {self.sandbox.name} sandbox could not be started: "
                                    f"{command[0]}: {exc}") from None
        finally:
            listener.close()
            os.close(lifeline_r)
        # Output that bypasses the workers' own capture: drain it so nobody blocks.
        threading.Thread(target=self._drain, daemon=True).start()
        return self

    def _drain(self) -> None:
        assert self.process and self.process.stdout
        for chunk in iter(lambda: self.process.stdout.read1(65536), b""):
            self._output += chunk
            del self._output[:-KEPT_OUTPUT]

    def diagnosis(self) -> str:
        """Why the zygote is gone, for the instructor: its exit and what it printed."""
        if self.process is None:
            return "the zygote was never started"
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        time.sleep(0.1)  # the drain thread reads what is left in the pipe
        said = self._output.decode("utf-8", "replace").strip() or "(nothing)"
        state = "is still running" if code is None else f"exited with code {code}"
        return (f"the {self.sandbox.name} sandbox's zygote {state}; its command was "
                f"{' '.join(self.sandbox.command(['worker.py'], Path('HOME')))[:300]} ...; "
                f"it printed:\n{said}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def close(self) -> None:
        if self.process:
            kill_process_group(self.process)
        if self._lifeline >= 0:
            os.close(self._lifeline)
            self._lifeline = -1
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
        if self._homes:
            shutil.rmtree(self._homes, ignore_errors=True)


class Zygote:
    """One grading process's connection to a zygote, shared or its own.

    If a shared zygote goes away, the connection starts a zygote of its own and carries
    on: one lost zygote costs seconds, never the rest of the batch.
    """

    def __init__(self, address: str | None, sandbox: Sandbox, limits: Limits,
                 make_tensor: Any):
        self.sandbox, self.limits, self.make_tensor = sandbox, limits, make_tensor
        self.address = address
        self._own: ZygoteServer | None = None
        self._control: socket.socket | None = None
        self._lock = threading.Lock()
        if address is None:
            self._start_own()

    def _start_own(self) -> None:
        if self._own:
            self._own.close()
        self._own = ZygoteServer(self.sandbox, self.limits).start()
        self.address = self._own.address

    def _connect(self) -> None:
        control = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            control.connect(self.address)
        except OSError as exc:
            control.close()
            raise WorkerCrashed(f"cannot reach the sandbox's zygote ({exc})") from None
        self._control = control
        if self._reply(STARTUP_SECONDS).get("event") != "ready":
            raise WorkerCrashed("the sandbox's zygote failed to start")

    def _reply(self, seconds: float) -> dict:
        assert self._control is not None
        self._control.settimeout(seconds)
        try:
            data = self._control.recv(65536)
        except (TimeoutError, OSError):
            data = b""
        if not data:
            self._disconnect()
            raise WorkerCrashed("the sandbox's zygote stopped answering")
        return json.loads(data)

    def _request(self, message: dict, fds: list[int] = ()) -> dict:
        if self._control is None:
            self._connect()
        assert self._control is not None
        try:
            socket.send_fds(self._control, [json.dumps(message).encode()], list(fds))
        except OSError:
            self._disconnect()
            raise WorkerCrashed("the sandbox's zygote stopped answering") from None
        return self._reply(STARTUP_SECONDS)

    def _disconnect(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None

    def fork(self) -> ForkedWorker:
        with self._lock:
            try:
                return self._fork()
            except (WorkerCrashed, OSError):
                pass
            self._start_own()  # the zygote went away: carry on with one of our own
            try:
                return self._fork()
            except (WorkerCrashed, OSError) as exc:
                # Our own, fresh zygote cannot fork either: the sandbox cannot start here.
                # No student code has run in it, so this fails the run, not a notebook.
                assert self._own is not None
                raise SandboxFailed(f"the sandbox could not start a worker ({exc}): "
                                    f"{self._own.diagnosis()}") from None

    def _fork(self) -> ForkedWorker:
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        try:
            reply = self._request({"op": "fork"}, [req_r, rep_w])
        except BaseException:
            os.close(req_w)
            os.close(rep_r)
            raise
        finally:
            os.close(req_r)
            os.close(rep_w)
        return ForkedWorker(self, int(reply["uid"]), req_w, rep_r)

    def alive(self) -> bool:
        return self._control is not None

    def kill_uid(self, uid: int) -> None:
        """Ask for the kill and go on: the zygote does not answer it (a reply would
        cost the fork of the helper that kills, about 17 ms a notebook)."""
        with self._lock:
            if self._control is not None:
                try:
                    self._control.sendall(json.dumps({"op": "kill", "uid": uid}).encode())
                except OSError:
                    self._disconnect()  # a zygote that is gone took its workers with it

    def close(self) -> None:
        self._disconnect()
        if self._own:
            self._own.close()


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


def worker_pool(sandbox: Sandbox, limits: Limits, make_tensor: Any,
                zygote_address: str | None = None) -> WorkerPool:
    """Workers forked from a zygote, in bubblewrap or in the container mode (the one at
    ZYGOTE_ADDRESS, else one of this process's own); in the weak mode, a process each,
    one kept warm."""
    if sandbox.zygote:
        zygote = Zygote(zygote_address, sandbox, limits, make_tensor)
        return WorkerPool(zygote.fork, keep_spare=False, on_close=zygote.close)
    return WorkerPool(lambda: SandboxedWorker(sandbox, limits, make_tensor).start())
