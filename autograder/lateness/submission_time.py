"""When a submission came in: nbgrader's timestamp.txt in its submitted folder.

`nbgrader submit` writes the file on the student's side and `nbgrader collect` copies it
into submitted/<student>/<assignment>/. Its format is nbgrader's `Exchange.timestamp_format`
(default `%Y-%m-%d %H:%M:%S.%f %Z`, in `Exchange.timezone`, default UTC), e.g.
`2025-03-14 22:01:05.123456 UTC`; ISO 8601 (`2025-03-14T23:01:05+01:00`) is read too.
The file sits in a student's folder and its content came from the student's machine,
so it is read as every student byte is (pipeline/safe_read.py): no link followed, in
the student's and assignment's folders either, only a regular file, at most 256 bytes.
A time without a zone is not an instant: it is kept as a clock reading
(`Unknown.NO_ZONE`), for the course's policy to settle (late_work.py; nbgrader itself
would read it as UTC). A zone name that does not exist (such as `CEST`, which nbgrader
writes in a Central European summer but is no zone) makes the time unreadable rather
than a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from autograder.pipeline.safe_read import Refused, read_student_file

TIMESTAMP_FILE = "timestamp.txt"
MAX_BYTES = 256  # nbgrader writes about 30


class Unknown(StrEnum):
    """Why a submission's time is not known; the names of course.yml's `timestamps`."""

    MISSING = "missing"  # no timestamp.txt (or no known submission folder)
    UNREADABLE = "unreadable"  # not a time, an unknown zone, a link, too long, ...
    NO_ZONE = "no_zone"  # a time without its zone: a clock reading, not an instant


@dataclass(frozen=True)
class SubmissionTime:
    at: datetime | None  # with its zone; None: not known (then `problem` says why)
    problem: str = ""
    unknown: Unknown | None = None
    clock: datetime | None = None  # NO_ZONE: the time as written, without zone


def read_submission_time(folder: Path) -> SubmissionTime:
    """FOLDER/timestamp.txt, read as a student's file (pipeline/safe_read.py): no link
    followed, a regular file only, bounded."""
    where = folder / TIMESTAMP_FILE
    try:
        data = read_student_file(where, limit=MAX_BYTES)
    except Refused as exc:  # its first clause says what the entry is
        return SubmissionTime(None, f"{where} was not read: {str(exc).split(';')[0]}; a link "
                                    "is never followed, only a regular file is read",
                              Unknown.UNREADABLE)
    except OSError as exc:
        return SubmissionTime(None, f"{where} cannot be read ({exc.strerror or exc})",
                              Unknown.UNREADABLE)
    if data is None:
        if folder.is_dir():
            return SubmissionTime(None, f"no {TIMESTAMP_FILE} in {folder}", Unknown.MISSING)
        return SubmissionTime(None, f"cannot open the submission folder {folder}: no such "
                                    "folder", Unknown.MISSING)
    try:
        at = parse_timestamp(data.decode("utf-8"))
    except ValueError as exc:
        return SubmissionTime(None, f"{where}: {exc}", Unknown.UNREADABLE)
    if at.tzinfo is None:
        return SubmissionTime(None, f"{where}: {at.isoformat(sep=' ')} has no time zone",
                              Unknown.NO_ZONE, clock=at)
    return SubmissionTime(at)


_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")


def parse_timestamp(text: str) -> datetime:
    """The time TEXT says, with its zone as a fixed offset; naive if TEXT gives no zone.
    Raises ValueError saying what is wrong."""
    text = text.strip()
    if not text:
        raise ValueError("empty: no time")
    try:
        at = datetime.fromisoformat(text)  # ISO 8601, with or without a zone
    except ValueError:
        parts = text.split()
        if len(parts) != 3:
            raise ValueError(f"{_shown(text)} is not a time like 2025-03-14 22:01:05.123456 "
                             "UTC") from None
        try:
            naive = datetime.fromisoformat(f"{parts[0]} {parts[1]}")
        except ValueError:
            raise ValueError(f"{_shown(text)} is not a time like 2025-03-14 22:01:05.123456 "
                             "UTC") from None
        at = _in_zone(naive, parts[2])
    if at.tzinfo is None or at.utcoffset() is None:
        return at.replace(tzinfo=None)
    return fixed_offset(at)


def fixed_offset(at: datetime) -> datetime:
    """AT as a fixed offset: the same instant and clock reading, without the quirks of a
    named zone's repeated hour (Python never finds such a time equal to one in another
    zone)."""
    offset = at.utcoffset()
    assert offset is not None
    return at.astimezone(timezone(offset))


def _in_zone(naive: datetime, zone: str) -> datetime:
    offset = _OFFSET.fullmatch(zone)
    if offset:
        sign = -1 if offset[1] == "-" else 1
        return naive.replace(tzinfo=timezone(sign * timedelta(hours=int(offset[2]),
                                                              minutes=int(offset[3]))))
    if zone.upper() in ("UTC", "Z", "GMT"):
        return naive.replace(tzinfo=UTC)
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {_shown(zone)}; nbgrader's Exchange.timezone "
                         "= 'UTC' (its default) avoids this") from None
    # A zone such as CET that observes summer time: at the hour a clock turns back, the
    # abbreviation nbgrader wrote says which of the two readings is meant.
    for fold in (0, 1):
        at = naive.replace(tzinfo=tz, fold=fold)
        if at.tzname() == zone:
            return at
    return naive.replace(tzinfo=tz)


def _shown(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:60] + "...")
