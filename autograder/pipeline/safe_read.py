"""Read a student's file safely: never through a link, only a regular file, bounded.

Every byte a student submits is read here (load, fingerprint, similarity, the Dask
client, the Gradescope runner, the submission's timestamp.txt), so the rules hold in one
place:

- The path's last components are the student's (`<student>/<assignment>/<notebook>`
  in nbgrader's submitted layout): each is opened relative to the one before with
  O_NOFOLLOW, and the opened descriptor is checked (fstat), not the path, so a link
  swapped in between the check and the read is not followed either. The components
  before them are the instructor's and are opened as usual.
- The entry must be a regular file: a link (to the course's source, to a classmate's
  file), a FIFO (whose read would block the batch), a device, a socket or a folder is
  refused with a reason the student can act on.
- At most `limit` bytes are read, whatever the file's size says.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from autograder.errors import Refused

MAX_NOTEBOOK_BYTES = 200 * 1024 * 1024
SUBMITTED_PARTS = 3  # <student>/<assignment>/<notebook>: the part of a path a student controls

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a FIFO that slipped in after the check must not wait for a writer.
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def read_student_file(path: Path, *, limit: int = MAX_NOTEBOOK_BYTES,
                      untrusted: int = SUBMITTED_PARTS) -> bytes | None:
    """The bytes of PATH, or None when nothing is there; raises Refused.

    The last UNTRUSTED components of PATH (folders, then the file) are the student's
    and are never followed through a link; the rest of PATH is trusted."""
    parts = Path(path).parts
    untrusted = max(1, min(untrusted, len(parts)))
    head = Path(*parts[:-untrusted]) if len(parts) > untrusted else Path(".")
    *folders, name = parts[-untrusted:]
    for part in (*folders, name):
        if part in (".", "..", "/") or "/" in part:
            raise Refused(f"{path}: a path inside a submission may not contain {part!r}")
    try:
        fd = os.open(head, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        for folder in folders:
            entry = _lstat(folder, fd)
            if entry is None:
                return None
            if not stat.S_ISDIR(entry.st_mode):
                raise Refused(_not_regular(folder, entry, fd, folder=True))
            fd = _reopen(fd, folder, _DIR_FLAGS)
            if not stat.S_ISDIR(os.fstat(fd).st_mode):  # swapped after the check
                raise Refused(f"the folder {folder} changed while it was read; submit again")
        entry = _lstat(name, fd)
        if entry is None:
            return None
        if not stat.S_ISREG(entry.st_mode):
            raise Refused(_not_regular(name, entry, fd))
        return _read_regular(fd, name, limit)
    finally:
        os.close(fd)


def describe_entry(path: Path) -> str:
    """Why PATH (not followed if it is a link) is not a regular file, or "" if it is one."""
    try:
        entry = os.lstat(path)
    except OSError:
        return ""
    if stat.S_ISREG(entry.st_mode):
        return ""
    return _not_regular(path.name, entry, None, folder=stat.S_ISDIR(entry.st_mode))


def _lstat(name: str, dir_fd: int) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _reopen(dir_fd: int, name: str, flags: int) -> int:
    """NAME opened in DIR_FD, which is then closed (on failure the caller closes it)."""
    try:
        fd = os.open(name, flags, dir_fd=dir_fd)
    except OSError as exc:  # ELOOP: it became a link after the check
        raise Refused(f"{name} could not be opened safely ({exc.strerror}); "
                      "submit the files themselves") from None
    os.close(dir_fd)
    return fd


def _read_regular(dir_fd: int, name: str, limit: int) -> bytes:
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        raise Refused(f"{name} could not be opened safely ({exc.strerror}); "
                      "submit the notebook file itself") from None
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):  # swapped after the check
            raise Refused(f"{name} is not a regular file; submit the notebook file itself")
        if opened.st_size > limit:
            raise Refused(_too_big(name, opened.st_size, limit))
        chunks, size = [], 0
        while size <= limit:  # the size fstat gave may be a lie (a growing file)
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise Refused(_too_big(name, size, limit))
        return b"".join(chunks)
    finally:
        os.close(fd)


def _too_big(name: str, size: int, limit: int) -> str:
    if limit < 2**20:  # a small file (timestamp.txt)
        return f"{name} is more than the {limit} bytes allowed"
    return (f"{name} is {size / 2**20:.0f} MB, more than the {limit / 2**20:.0f} MB allowed; "
            "clear the outputs and resubmit")


def _not_regular(name: str, entry: os.stat_result, dir_fd: int | None,
                 folder: bool = False) -> str:
    mode = entry.st_mode
    where = f"your folder {name}" if folder else name
    if stat.S_ISLNK(mode):
        try:
            target = os.readlink(name, dir_fd=dir_fd) if dir_fd is not None else ""
        except OSError:
            target = ""
        to = f" (to {target[:200]})" if target else ""
        return (f"{where} is a symbolic link{to}; links are never followed, so it counts "
                "zero: submit the file itself, not a link to it")
    if folder and stat.S_ISREG(mode):
        return f"{name} should be a folder but is a file"
    if stat.S_ISDIR(mode):
        return f"{name} is a folder, not a file; it counts zero: submit the notebook file"
    kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else
            "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else
            "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    return f"{where} is {kind}, not a file; it counts zero: submit the notebook file itself"
