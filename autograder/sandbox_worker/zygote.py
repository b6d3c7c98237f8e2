"""The zygote: a sandboxed process that has imported torch and forks one worker per notebook.

Importing torch and fastai costs seconds of CPU; forking a process that already has
them costs milliseconds. The zygote runs as root inside bubblewrap (it never runs
student code). For each notebook it receives two pipe ends from the host over a Unix
socket and forks a child that, before anything else:
  - gets a private mount namespace with a fresh tmpfs home, its only writable place
    (/tmp is read-only), so no two notebooks ever share a writable file;
  - drops to a uid of its own (unique per notebook), so it can neither signal nor read
    the zygote or any other notebook's worker, and its process limit is its own;
  - sets its rlimits, then serves the notebook exactly like a standalone worker.
The host asks the zygote to kill a worker by uid: a short-lived helper with that uid
sends SIGKILL to every process it may signal, i.e. that worker and its children.

Requires OMP_NUM_THREADS=1 (set by the host): the zygote stays single-threaded, so
forking it is safe.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket

from worker import apply_limits, drop_privileges, make_shell, serve

CLONE_NEWNS = 0x00020000
MS_REC, MS_PRIVATE = 0x4000, 1 << 18
TMPFS = b"size=256m,mode=1777"
HOME = "/home/student"


def _isolate_filesystem() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS) failed")
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "making / private failed")
    # A fresh home per notebook: the only writable place (TMPDIR, caches live in it).
    if libc.mount(b"tmpfs", HOME.encode(), b"tmpfs", 0, TMPFS) != 0:
        raise OSError(ctypes.get_errno(), f"mounting tmpfs on {HOME} failed")
    os.chdir(HOME)


def _child(uid: int, requests_fd: int, replies_fd: int, limits: dict) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # student code may wait for its children
    _isolate_filesystem()
    drop_privileges(uid)
    for name in ("TMPDIR", "MPLCONFIGDIR", "IPYTHONDIR"):
        os.makedirs(os.environ.get(name, HOME), exist_ok=True)
    apply_limits(limits)
    serve(requests_fd, replies_fd, limits, reap=True)


def _kill_uid(uid: int) -> None:
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)  # every process of this uid, i.e. that one worker
        finally:
            os._exit(0)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass  # already reaped (SIGCHLD is ignored in the zygote)


def run_zygote(control_fd: int, limits: dict) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps finished workers
    make_shell()  # a clean IPython shell, inherited by every fork (it is a singleton)
    control = socket.socket(fileno=control_fd)
    reply = lambda message: control.sendall((json.dumps(message) + "\n").encode())  # noqa: E731
    reply({"event": "ready"})
    while True:
        data, fds, _, _ = socket.recv_fds(control, 65536, 2)
        if not data:
            return  # the host went away
        request = json.loads(data)
        if request["op"] == "fork":
            pid = os.fork()
            if pid == 0:
                control.close()
                try:
                    _child(int(request["uid"]), fds[0], fds[1], limits)
                finally:
                    os._exit(0)
            for fd in fds:
                os.close(fd)
            reply({"event": "forked", "pid": pid})
        elif request["op"] == "kill":
            _kill_uid(int(request["uid"]))
            reply({"event": "killed"})
