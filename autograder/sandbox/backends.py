"""Where student code runs: bubblewrap, the container mode, or (only when accepted) a weak mode.

A backend turns the worker's argv into a command line. `Bubblewrap` gives the worker
an empty root with the system and the Python environment mounted read-only, a private
writable home, a private /tmp, no network, its own PID namespace (everything in it dies
with the worker) and no view of the course directory. The worker itself drops to an
unprivileged uid and sets rlimits before any student code runs (see sandbox/inside/).
`Container` is for a container where bubblewrap cannot create namespaces (Docker,
Gradescope): the container is the sandbox. The zygote runs as root without bubblewrap;
each notebook's worker gets a private home and drops to a uid of its own with the same
rlimits, and what is secret is made readable by root alone (sandbox/container.py).
`Unsandboxed` is the weak mode: rlimits and a private working directory only.

Which one runs is decided by trying (choose_sandbox), never by finding a binary:
bubblewrap must create the namespaces the sandbox uses; the container mode must be
able to switch to an unprivileged uid. COURSE_KIT_SANDBOX=bubblewrap|container insists
on one of them.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from autograder.errors import SandboxUnavailable

WORKER_DIR = Path(__file__).parent / "inside"
HOME = "/home/student"
KIT = "/opt/course-kit"
TMPFS_BYTES = 256 * 1024 * 1024


class Sandbox(Protocol):
    name: str
    zygote: bool  # workers are forked by a zygote (sandbox/zygote_client.py)

    def command(self, worker_argv: list[str], home: Path) -> list[str]:
        """The full command that starts the worker (argv[0] is the worker script)."""
        ...

    def env(self, home: Path) -> dict[str, str]: ...


def _worker_env(home: str, tmp: str) -> dict[str, str]:
    return {
        "HOME": home,
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{tmp}/matplotlib",
        "IPYTHONDIR": f"{tmp}/ipython",
        "OMP_NUM_THREADS": "1",  # one core per worker: workers run side by side
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "TQDM_MININTERVAL": "5",
        "LANG": "C.UTF-8",
    }


@dataclass
class Bubblewrap:
    """Isolation with bubblewrap (the sandbox behind Flatpak)."""

    name: str = "bubblewrap"
    executable: str = "bwrap"
    zygote: bool = True

    def __post_init__(self) -> None:
        found = shutil.which(self.executable)
        if not found:
            raise SandboxUnavailable(
                "bubblewrap (`bwrap`) is not installed, so student code cannot be isolated.\n"
                "Install it (Debian/Ubuntu: `apt-get install -y bubblewrap`), or accept the weak "
                "mode with --unsafe-no-sandbox (see SECURITY.md for what that does not protect)."
            )
        self.executable = found

    def command(self, worker_argv: list[str], home: Path) -> list[str]:
        prefix = Path(sys.prefix)  # the virtualenv
        base = Path(sys.base_prefix)  # the interpreter it points to
        for path in (prefix, base):
            if Path(HOME) in (path, *path.parents):
                raise SandboxUnavailable(f"the Python environment {path} lies under {HOME}, "
                                         "which the sandbox replaces; install it elsewhere")
        ro = []
        for path in ("/usr", "/bin", "/lib", "/lib64", "/sbin", "/etc/alternatives",
                     "/etc/ld.so.cache", "/etc/localtime", "/etc/ssl"):
            if os.path.exists(path):
                ro += ["--ro-bind", path, path]
        parents: list[str] = []
        for path in sorted({str(prefix), str(base)}):
            # bwrap would create missing parents as 0700, unreadable once the worker drops root.
            for parent in reversed(Path(path).parents[:-1]):
                if str(parent) not in parents:
                    parents.append(str(parent))
            ro += ["--ro-bind", path, path]
        dirs = [arg for parent in parents for arg in ("--perms", "0755", "--dir", parent)]
        script = worker_argv[0]
        return [
            self.executable,
            "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session",
            "--hostname", "sandbox",
            # An empty /tmp that students cannot write (TMPDIR is in their home), mounted
            # first: the virtualenv may live under /tmp and is bound on top of it.
            "--perms", "0755", "--size", str(1024 * 1024), "--tmpfs", "/tmp",
            *dirs,
            *ro,
            "--ro-bind", str(WORKER_DIR), KIT,
            # The one writable place is a size-capped tmpfs: nothing written reaches disk.
            "--perms", "1777", "--size", str(TMPFS_BYTES), "--tmpfs", HOME,
            "--proc", "/proc", "--dev", "/dev",
            "--chdir", HOME,
            sys.executable, "-I", f"{KIT}/{Path(script).name}", *worker_argv[1:],
            "--reap-strays", "1",  # own PID namespace: the worker may kill(-1) its leftovers
        ]

    def env(self, home: Path) -> dict[str, str]:
        return {**_worker_env(HOME, f"{HOME}/.tmp"), "TMPDIR": f"{HOME}/.tmp"}


class _NoNamespaces:
    """A worker started as a plain process of the host (the weak and the container modes):
    its home is a private folder, the only isolation its own (the container mode's zygote
    adds a uid and a home per notebook)."""

    def command(self, worker_argv: list[str], home: Path) -> list[str]:
        return [sys.executable, "-I", *worker_argv]

    def env(self, home: Path) -> dict[str, str]:
        (home / ".tmp").mkdir(exist_ok=True)
        return {**_worker_env(str(home), str(home / ".tmp")), "TMPDIR": str(home / ".tmp")}


@dataclass
class Unsandboxed(_NoNamespaces):
    """The weak mode: rlimits and a private directory, but the filesystem and network are open."""

    name: str = "unsandboxed"
    zygote: bool = False


@dataclass
class Container(_NoNamespaces):
    """The container is the sandbox: a zygote as root outside bubblewrap, whose forks each
    take a private home and a uid of their own (sandbox/inside/zygote.py, --homes)."""

    name: str = "container"
    zygote: bool = True


PROBE_UID = 60999  # just below the zygote's uids: only tried, never runs anything


@functools.cache
def bubblewrap_problem(executable: str = "bwrap") -> str | None:
    """None when bubblewrap creates the namespaces the sandbox uses, here; else why not."""
    found = shutil.which(executable)
    if not found:
        return "bubblewrap (`bwrap`) is not installed"
    probe = [found, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
             "--unshare-cgroup-try", "--die-with-parent", "--new-session",
             "--ro-bind", "/", "/", "--perms", "0755", "--size", str(1024 * 1024),
             "--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev", "true"]
    try:
        done = subprocess.run(probe, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not be run ({type(exc).__name__}: {exc})"
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip()[-500:] or f"exit code {done.returncode}"
        return ("bubblewrap cannot create the namespaces the sandbox needs here "
                f"(bwrap said: {said})")
    return None


@functools.cache
def container_problem() -> str | None:
    """None when student code can run here as an unprivileged uid of its own, with the
    Python environment readable to it; else why not."""
    if os.geteuid() != 0:
        return "this is not root, so student code cannot run as a uid of its own"
    needed = sorted({sysconfig.get_path(k) for k in ("stdlib", "platstdlib", "purelib",
                                                     "platlib")})
    pid = os.fork()
    if pid == 0:  # try the switch in a child that does nothing else
        try:
            os.setgroups([])
            os.setgid(PROBE_UID)
            os.setuid(PROBE_UID)
            if os.getuid() != PROBE_UID:
                os._exit(1)
            os._exit(2 if any(not os.access(p, os.R_OK | os.X_OK) for p in needed) else 0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) == 2:
        return (f"the Python environment ({', '.join(needed)}) is not readable by other "
                "users, as student code's uid must find it: install it where all may read "
                "(e.g. /opt or /autograder/venv, not under /root)")
    return None if status == 0 else "root here cannot switch to an unprivileged uid (CAP_SETUID?)"


def choose_sandbox(allow_unsandboxed: bool = False, announce: bool = True) -> Sandbox:
    """Bubblewrap if it works here; else the container mode if this is root; the weak
    mode only when the instructor accepted it. ANNOUNCE: say which, when it is not
    bubblewrap (once a run: the grading processes choose again, silently)."""
    wanted = os.environ.get("COURSE_KIT_SANDBOX", "auto")
    if wanted not in ("auto", "bubblewrap", "container"):
        raise SandboxUnavailable(f"COURSE_KIT_SANDBOX={wanted!r}: use auto, bubblewrap or "
                                 "container")
    no_bwrap = bubblewrap_problem() if wanted != "container" else "not tried"
    if no_bwrap is None:
        return Bubblewrap()
    no_container = container_problem() if wanted != "bubblewrap" else "not tried"
    if no_container is None:
        if announce:
            print(f"note: {no_bwrap}. Container mode: student code runs as an unprivileged "
                  "uid that can read no grader, reference or submission and write no result "
                  "(SECURITY.md).", file=sys.stderr)
        return Container()
    why = f"{no_bwrap}; container mode: {no_container}"
    if allow_unsandboxed:
        if announce:
            print(f"WARNING: grading WITHOUT a sandbox (--unsafe-no-sandbox): {why}. Student "
                  "code can read and write your files and use the network. See SECURITY.md.",
                  file=sys.stderr)
        return Unsandboxed()
    raise SandboxUnavailable(
        f"student code cannot be isolated here: {why}.\n"
        "Install bubblewrap where it can create namespaces (Debian/Ubuntu: `apt-get install "
        "-y bubblewrap`), or grade as root in a container (container mode), or accept the weak "
        "mode with --unsafe-no-sandbox (see SECURITY.md for what that does not protect).")
