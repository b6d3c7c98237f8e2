"""timestamp.txt: nbgrader's format and ISO 8601 read; anything odd is refused with a reason,
never followed, never read beyond a few hundred bytes."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone

import pytest

from autograder.lateness.submission_time import (
    MAX_BYTES,
    Unknown,
    parse_timestamp,
    read_submission_time,
)


@pytest.mark.parametrize("text, expected", [
    # nbgrader's default: Exchange.timestamp_format "%Y-%m-%d %H:%M:%S.%f %Z", zone UTC
    ("2025-03-14 22:01:05.123456 UTC", datetime(2025, 3, 14, 22, 1, 5, 123456, tzinfo=UTC)),
    ("2025-03-14 22:01:05.123456 UTC\n", datetime(2025, 3, 14, 22, 1, 5, 123456, tzinfo=UTC)),
    # Exchange.timezone = "CET" in winter, "EST"; a numeric %z
    ("2025-01-10 23:30:00.000000 CET", datetime(2025, 1, 10, 22, 30, tzinfo=UTC)),
    ("2025-01-10 18:00:00.000000 EST", datetime(2025, 1, 10, 23, 0, tzinfo=UTC)),
    ("2025-03-14 23:01:05.5 +0100", datetime(2025, 3, 14, 22, 1, 5, 500000, tzinfo=UTC)),
    # ISO 8601
    ("2025-03-14T23:01:05+01:00", datetime(2025, 3, 14, 22, 1, 5, tzinfo=UTC)),
    ("2025-03-14T22:01:05Z", datetime(2025, 3, 14, 22, 1, 5, tzinfo=UTC)),
])
def test_nbgrader_and_iso_timestamps_are_read(text, expected):
    assert parse_timestamp(text) == expected


def test_a_time_without_zone_is_a_clock_reading_not_an_instant(tmp_path):
    """nbgrader would read it as UTC; the course's `timestamps.no_zone` decides
    (late_work.py), so the file reader keeps the clock reading and says why."""
    assert parse_timestamp("2025-03-14 22:01:05.123456") == \
        datetime(2025, 3, 14, 22, 1, 5, 123456)
    got = read_submission_time(_folder(tmp_path, "2025-03-14T22:01:05"))
    assert got.at is None and got.unknown == Unknown.NO_ZONE
    assert got.clock == datetime(2025, 3, 14, 22, 1, 5)
    assert got.problem.endswith("timestamp.txt: 2025-03-14 22:01:05 has no time zone")


def test_the_abbreviation_tells_which_repeated_hour_is_meant():
    # CET's clocks go back at 03:00 CEST on 2025-10-26: 02:30 happens at 00:30 and 01:30 UTC.
    assert parse_timestamp("2025-10-26 02:30:00 CET") == datetime(2025, 10, 26, 1, 30,
                                                                  tzinfo=UTC)


@pytest.mark.parametrize("text, words", [
    ("", "empty"),
    ("yesterday", "is not a time like"),
    ("2025-03-14 22:01:05 CEST", "unknown time zone 'CEST'"),  # an abbreviation, no zone
    ("2025-03-14 22:01:05 ../../etc/passwd", "unknown time zone"),
    ("2025-13-14 22:01:05 UTC", "is not a time like"),
    ("a b c", "is not a time like"),
])
def test_an_unreadable_timestamp_says_why(text, words):
    with pytest.raises(ValueError, match=words):
        parse_timestamp(text)


def _folder(tmp_path, text: str | bytes | None):
    folder = tmp_path / "submitted" / "ada" / "gradient-descent"
    folder.mkdir(parents=True)
    if text is not None:
        data = text.encode() if isinstance(text, str) else text
        (folder / "timestamp.txt").write_bytes(data)
    return folder


def test_the_file_in_a_submission_folder_is_read(tmp_path):
    got = read_submission_time(_folder(tmp_path, "2025-03-14 22:01:05.123456 UTC"))
    assert got.at == datetime(2025, 3, 14, 22, 1, 5, 123456, tzinfo=UTC) and not got.problem


def test_a_missing_file_or_folder_is_unknown_with_the_reason(tmp_path):
    missing = read_submission_time(_folder(tmp_path, None))
    assert "no timestamp.txt in" in missing.problem and missing.unknown == Unknown.MISSING
    got = read_submission_time(tmp_path / "nowhere")
    assert got.at is None and "cannot open the submission folder" in got.problem


def test_a_link_is_not_followed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("2025-03-14 22:01:05 UTC")
    folder = _folder(tmp_path, None)
    (folder / "timestamp.txt").symlink_to(secret)
    got = read_submission_time(folder)
    assert got.at is None and "a link is never followed" in got.problem
    # nor a student's folder that is a link (to a classmate's, say)
    elsewhere = tmp_path / "elsewhere" / "gradient-descent"
    elsewhere.mkdir(parents=True)
    (elsewhere / "timestamp.txt").write_text("2025-03-14 22:01:05 UTC")
    (tmp_path / "submitted" / "bob").symlink_to(elsewhere.parent)
    got = read_submission_time(tmp_path / "submitted" / "bob" / "gradient-descent")
    assert got.at is None and "symbolic link" in got.problem


def test_a_fifo_or_folder_is_not_read(tmp_path):
    folder = _folder(tmp_path, None)
    os.mkfifo(folder / "timestamp.txt")  # opening it for reading would block
    assert "is a named pipe (FIFO)" in read_submission_time(folder).problem
    (folder / "timestamp.txt").unlink()
    (folder / "timestamp.txt").mkdir()
    assert read_submission_time(folder).at is None


def test_a_long_or_binary_file_is_refused(tmp_path):
    folder = _folder(tmp_path, "2025-03-14 22:01:05 UTC" + " " * MAX_BYTES)
    assert "more than the 256 bytes allowed" in read_submission_time(folder).problem
    (folder / "timestamp.txt").write_bytes(b"\xff\xfe2025")
    assert read_submission_time(folder).at is None


def test_a_fixed_offset_keeps_its_zone():
    at = parse_timestamp("2025-03-14 23:01:05 -05:30")
    assert at.utcoffset() == -timedelta(hours=5, minutes=30)
    assert at.tzinfo == timezone(-timedelta(hours=5, minutes=30))
