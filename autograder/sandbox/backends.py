"""Where student code runs: bubblewrap, or (only when explicitly accepted) a weaker mode.

A backend turns the worker's argv into a command line. `Bubblewrap` gives the worker
an empty root with the system and the Python environment mounted read-only, a private
writable home, a private /tmp, no network, its own PID namespace (everything in it dies
with the worker) and no view of the course directory. The worker itself drops to an
unprivileged uid and sets rlimits before any student code runs (see sandbox/inside/).
`Unsandboxed` is the weak mode: rlimits and a private working directory only.
"""

from __future__ import annotations

import os
import shutil
import sys
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


@dataclass
class Unsandboxed:
    """The weak mode: rlimits and a private directory, but the filesystem and network are open."""

    name: str = "unsandboxed"

    def command(self, worker_argv: list[str], home: Path) -> list[str]:
        return [sys.executable, "-I", *worker_argv]

    def env(self, home: Path) -> dict[str, str]:
        (home / ".tmp").mkdir(exist_ok=True)
        return {**_worker_env(str(home), str(home / ".tmp")), "TMPDIR": str(home / ".tmp")}


def choose_sandbox(allow_unsandboxed: bool = False) -> Sandbox:
    """Bubblewrap if it works; the weak mode only when the instructor accepted it."""
    try:
        return Bubblewrap()
    except SandboxUnavailable:
        if allow_unsandboxed:
            print(
                "WARNING: grading WITHOUT a sandbox (--unsafe-no-sandbox). Student code can read "
                "and write your files and use the network. See SECURITY.md.",
                file=sys.stderr,
            )
            return Unsandboxed()
        raise
