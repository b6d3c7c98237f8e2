"""One zygote for the whole batch: shared safely, unreachable from student code, replaceable.

These start a real zygote in bubblewrap and run real cells in the workers it forks.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from autograder.config import Limits
from autograder.grading import make_tensor
from autograder.sandbox.backends import Bubblewrap
from autograder.sandbox.zygote_client import DIR_PREFIX, STALE_SECONDS, Zygote, ZygoteServer
from tests.conftest import ROOT

pytestmark = [pytest.mark.sandbox,
              pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")]


@pytest.fixture
def server():
    zygote = ZygoteServer(Bubblewrap(), Limits()).start()
    yield zygote
    zygote.close()


def _run(zygote: Zygote, source: str) -> str:
    worker = zygote.fork()
    try:
        [run] = worker.run_cells([source], 30, 60)
        assert run.status == "ok", run.error
        return run.output.strip()
    finally:
        worker.close()


def test_grading_processes_share_one_zygote_and_never_a_uid(server):
    first = Zygote(server.address, Bubblewrap(), Limits(), make_tensor)
    second = Zygote(server.address, Bubblewrap(), Limits(), make_tensor)
    try:
        uids = [_run(z, "import os; print(os.getuid())") for z in (first, second, first)]
        assert len(set(uids)) == 3 and all(int(uid) >= 61000 for uid in uids)
        assert server.alive()  # still the one zygote: neither connection started its own
        assert first._own is None and second._own is None
    finally:
        first.close()
        second.close()


def test_student_code_cannot_reach_the_zygote(server):
    zygote = Zygote(server.address, Bubblewrap(), Limits(), make_tensor)
    try:
        probe = (
            "import os, socket\n"
            "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)\n"
            f"try:\n    s.connect({server.address!r}); print('connected')\n"
            "except OSError as e:\n    print('refused', type(e).__name__)\n"
            "s.close()\n"
            # No descriptor of the zygote's sockets survives in the worker either.
            "print(sorted(os.readlink(f'/proc/self/fd/{fd}') for fd in os.listdir('/proc/self/fd')"
            " if os.path.exists(f'/proc/self/fd/{fd}') and 'socket' in"
            " os.readlink(f'/proc/self/fd/{fd}')))\n")
        out = _run(zygote, probe)
        assert out.splitlines()[0].startswith("refused"), out
        assert out.splitlines()[1] == "[]", out
    finally:
        zygote.close()


def test_a_worker_holds_only_its_own_channel(server):
    # Besides stdout/stderr, a worker's only pipes are its two protocol pipes: none to
    # the zygote's killer (through which it could have other notebooks' workers killed),
    # none to the lifeline.
    zygote = Zygote(server.address, Bubblewrap(), Limits(), make_tensor)
    try:
        out = _run(zygote, "import os\n"
                           "links = {int(fd): os.readlink(f'/proc/self/fd/{fd}')\n"
                           "         for fd in os.listdir('/proc/self/fd')\n"
                           "         if os.path.exists(f'/proc/self/fd/{fd}')}\n"
                           "print(sorted(fd for fd, link in links.items() if fd > 2\n"
                           "             and link.startswith(('pipe:', 'socket:'))))")
        assert len(eval(out)) == 2, out
    finally:
        zygote.close()


def test_a_lost_zygote_is_replaced_and_grading_goes_on(server):
    zygote = Zygote(server.address, Bubblewrap(), Limits(), make_tensor)
    try:
        assert _run(zygote, "print(6 * 7)") == "42"
        server.close()  # the shared zygote dies mid-batch
        assert _run(zygote, "import torch; print(int(torch.tensor(6) * 7))") == "42"
        assert zygote._own is not None and zygote._own.alive()
    finally:
        zygote.close()


# A host that starts the zygote, says its pid, and waits to be killed. Its sandbox lacks
# --die-with-parent, as when the host dies before bwrap has armed it: only the lifeline
# can end the zygote then.
_HOST = """
import time
from autograder.config import Limits
from tests.conftest import ROOT
from autograder.sandbox.backends import Bubblewrap
from autograder.sandbox.zygote_client import ZygoteServer

class Unguarded(Bubblewrap):
    def command(self, argv, home):
        return [arg for arg in super().command(argv, home) if arg != "--die-with-parent"]

server = ZygoteServer(Unguarded(), Limits()).start()
print(server.process.pid, flush=True)
time.sleep(300)
"""


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_a_zygote_ends_with_its_host_even_when_die_with_parent_missed_it():
    host = subprocess.Popen([sys.executable, "-c", _HOST], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT)
    try:
        pid = int(host.stdout.readline())
        time.sleep(1)
        assert _running(pid)
    finally:
        host.kill()
        host.wait()
    deadline = time.time() + 60  # it first finishes importing torch and fastai
    while _running(pid) and time.time() < deadline:
        time.sleep(0.2)
    left = _running(pid)
    _kill_tree(pid)  # so that a failure here leaves nothing to fail later tests
    assert not left, "the zygote outlived the process that started it"


def _kill_tree(pid: int) -> None:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        os.kill(pid, signal.SIGKILL)
    except OSError:
        return
    for child in children:
        _kill_tree(int(child))


def test_socket_directories_of_killed_batches_are_removed(server):
    # A batch killed with SIGKILL cannot remove its socket directory; the next one does,
    # once the directory is old and nothing listens on it. Live and recent ones stay.
    old = time.time() - 2 * STALE_SECONDS
    dead = Path(tempfile.mkdtemp(prefix=DIR_PREFIX))
    (dead / "home").mkdir()
    recent = Path(tempfile.mkdtemp(prefix=DIR_PREFIX))
    live = Path(server.address).parent
    for path in (dead, live):
        os.utime(path, (old, old))
    try:
        ZygoteServer(Bubblewrap(), Limits()).start().close()
        assert not dead.exists()
        assert recent.exists() and live.exists() and server.alive()
    finally:
        shutil.rmtree(dead, ignore_errors=True)
        shutil.rmtree(recent, ignore_errors=True)
