"""One zygote for the whole batch: shared safely, unreachable from student code, replaceable.

These start a real zygote in bubblewrap and run real cells in the workers it forks.
"""

from __future__ import annotations

import shutil

import pytest

from autograder.config import Limits
from autograder.grading import make_tensor
from autograder.sandbox import Bubblewrap
from autograder.zygote_client import Zygote, ZygoteServer

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")


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


def test_a_lost_zygote_is_replaced_and_grading_goes_on(server):
    zygote = Zygote(server.address, Bubblewrap(), Limits(), make_tensor)
    try:
        assert _run(zygote, "print(6 * 7)") == "42"
        server.close()  # the shared zygote dies mid-batch
        assert _run(zygote, "import torch; print(int(torch.tensor(6) * 7))") == "42"
        assert zygote._own is not None and zygote._own.alive()
    finally:
        zygote.close()
