"""The zygote: a sandboxed process that has imported torch and forks one worker per notebook.

Importing torch and fastai costs seconds of CPU; forking a process that already has
them costs milliseconds. The zygote runs as root inside bubblewrap (it never runs
student code). One zygote serves a whole batch: every grading process connects to the
Unix socket it listens on (a path outside the sandbox, in a directory only the host
user can enter). For each notebook it receives two pipe ends over that connection and
forks a child that, before anything else:
  - gets a private mount namespace with a fresh tmpfs home, its only writable place
    (/tmp is read-only), so no two notebooks ever share a writable file;
  - drops to a uid of its own (unique per notebook), so it can neither signal nor read
    the zygote or any other notebook's worker, and its process limit is its own;
  - sets its rlimits, then serves the notebook exactly like a standalone worker.
In the container mode (no bubblewrap: --homes HOMES), there is no mount namespace to
make: the child makes HOMES/<uid>, owned by that uid and private (0700), its home and
only place to write, and dies with the zygote (PR_SET_PDEATHSIG), the container being
the sandbox around all of it.
The host asks the zygote to kill a worker by uid, without waiting for it: the
zygote's killer (a small process forked before the heavy imports) forks a short-lived
helper with that uid, which sends SIGKILL to every process it may signal, i.e. that
worker and its children. The zygote exits when the host's end of its lifeline pipe
closes, however the host ended.

Requires OMP_NUM_THREADS=1 (set by the host): the zygote stays single-threaded, so
forking it is safe.
"""

from __future__ import annotations

import ctypes
import itertools
import json
import os
import random
import selectors
import shutil
import signal
import socket
import struct
import tempfile

from worker import apply_limits, drop_privileges, make_shell, serve

CLONE_NEWNS = 0x00020000
MS_REC, MS_PRIVATE = 0x4000, 1 << 18
TMPFS = b"size=256m,mode=1777"
UID_BASE, UID_SPAN = 61000, 4000  # unprivileged uids, one per notebook
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


def _private_home(homes: str, uid: int) -> None:
    """The container mode's isolation: a fresh home only UID may enter, its TMPDIR."""
    home = os.path.join(homes, str(uid))
    shutil.rmtree(home, ignore_errors=True)  # a uid handed out again, after UID_SPAN
    os.mkdir(home, 0o700)
    os.chown(home, uid, uid)
    os.chdir(home)
    tmp = os.path.join(home, ".tmp")
    os.environ.update(HOME=home, TMPDIR=tmp, MPLCONFIGDIR=os.path.join(tmp, "matplotlib"),
                      IPYTHONDIR=os.path.join(tmp, "ipython"))
    tempfile.tempdir = None
    os.umask(0o077)  # what student code writes anywhere (/tmp too) is its own to read


def _die_with_parent() -> None:
    """After the uid switch, which clears it: SIGKILL when the zygote ends."""
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_PDEATHSIG = 1
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")


def _child(uid: int, requests_fd: int, replies_fd: int, limits: dict,
           homes: str | None = None) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # student code may wait for its children
    if homes:
        _private_home(homes, uid)
    else:
        _isolate_filesystem()
    drop_privileges(uid)
    if homes:
        _die_with_parent()
    for name in ("TMPDIR", "MPLCONFIGDIR", "IPYTHONDIR"):
        os.makedirs(os.environ.get(name, HOME), exist_ok=True)
    apply_limits(limits)
    serve(requests_fd, replies_fd, limits, reap=True)


def _kill_uid(uid: int) -> None:
    """In a freshly forked helper: become UID and SIGKILL every process it may signal,
    i.e. that one worker and its children; never returns."""
    try:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        os.kill(-1, signal.SIGKILL)
    finally:
        os._exit(0)


def start_killer() -> int:
    """Fork the process that kills workers by uid; returns the pipe to send it uids on.

    Called before the heavy imports, while this process is small: the killer's own
    fork per kill then costs a fraction of a millisecond, where forking the zygote with
    torch loaded costs ~15 ms of CPU that the grading processes would wait for."""
    read_fd, write_fd = os.pipe()
    if os.fork() != 0:
        os.close(read_fd)
        return write_fd
    try:
        os.closerange(3, read_fd)  # no socket, no lifeline: only the uids to kill
        os.closerange(read_fd + 1, os.sysconf("SC_OPEN_MAX"))
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the helpers
        with os.fdopen(read_fd, "rb", buffering=0) as uids:
            # Each uid is one 4-byte write (atomic on a pipe); EOF when the zygote ends.
            while len(data := uids.read(4)) == 4:
                if os.fork() == 0:
                    _kill_uid(struct.unpack("I", data)[0])
    finally:
        os._exit(0)


def run_zygote(listen_fd: int, lifeline_fd: int, killer_fd: int, limits: dict,
               homes: str | None = None) -> None:
    """Serve every grading process that connects to LISTEN_FD, until the host kills us
    or its end of LIFELINE_FD closes (the host is gone). HOMES: the container mode."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps finished workers
    make_shell()  # a clean IPython shell, inherited by every fork (it is a singleton)
    listener = socket.socket(fileno=listen_fd)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(lifeline_fd, selectors.EVENT_READ)
    clients: set[socket.socket] = set()
    # uids are handed out here, the one place that sees every notebook of the batch, so
    # no two notebooks ever share one.
    first = random.randrange(UID_SPAN)
    uids = (UID_BASE + (first + n) % UID_SPAN for n in itertools.count())

    def reply(client: socket.socket, message: dict) -> None:
        client.sendall(json.dumps(message).encode())

    while True:
        for key, _ in selector.select():
            if key.fileobj == lifeline_fd:
                # EOF: the host is gone. Leaving ends the sandbox's PID namespace, and
                # with it every worker forked here.
                os._exit(0)
            if key.fileobj is listener:
                client, _ = listener.accept()
                clients.add(client)
                selector.register(client, selectors.EVENT_READ)
                reply(client, {"event": "ready"})
                continue
            client = key.fileobj
            try:
                data, fds, _, _ = socket.recv_fds(client, 65536, 2)
            except OSError:
                data, fds = b"", []
            if not data:  # that grading process is done
                selector.unregister(client)
                clients.discard(client)
                client.close()
                continue
            request = json.loads(data)
            if request["op"] == "fork":
                uid = next(uids)
                pid = os.fork()
                if pid == 0:
                    # The worker keeps no way back to the zygote or to other notebooks.
                    selector.close()
                    listener.close()
                    os.close(lifeline_fd)
                    os.close(killer_fd)  # or student code could have other workers killed
                    for other in clients:
                        other.close()
                    try:
                        _child(uid, fds[0], fds[1], limits, homes)
                    finally:
                        os._exit(0)
                for fd in fds:
                    os.close(fd)
                reply(client, {"event": "forked", "pid": pid, "uid": uid})
            elif request["op"] == "kill":
                # No reply: the grading process goes on with its next notebook meanwhile
                # (uids are never reused, so nothing waits on the kill).
                uid = int(request["uid"])
                try:
                    os.write(killer_fd, struct.pack("I", uid))
                except OSError:  # the killer is gone: fork a helper from here instead
                    if os.fork() == 0:
                        _kill_uid(uid)
