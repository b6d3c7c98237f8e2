"""Reading newline-delimited messages from a pipe, up to a deadline and a size.

The grading side reads two kinds of child process this way: a sandbox worker (student
code: hostile) and the reference process (trusted, but it must not hang the grading).
Either may stop mid-line, stall, or send without end, so a read is bounded in time and
in bytes.
"""

from __future__ import annotations

import os
import selectors
from collections.abc import Callable


class LineTooLong(Exception):
    """A message grew past the size its reader allows."""


def read_line(fd: int, buffer: bytearray, deadline: float, clock: Callable[[], float],
              limit: int) -> bytes | None:
    """The next line from FD, without its newline, or None at end of file. BUFFER holds
    what was read past the line (and what a timeout left): pass the same one each time.
    Raises TimeoutError once CLOCK passes DEADLINE and LineTooLong past LIMIT bytes."""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while b"\n" not in buffer:
            remaining = deadline - clock()
            if remaining <= 0:
                raise TimeoutError
            if not selector.select(min(remaining, 1.0)):
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None
            buffer += chunk
            if len(buffer) > limit:
                raise LineTooLong
    line, _, rest = bytes(buffer).partition(b"\n")
    buffer[:] = rest
    return line
