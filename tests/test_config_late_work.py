"""course.yml's late work (due times, late policy, extensions): read, or refused with
the key and what to write instead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from autograder.config import load_course
from tests.test_config import _edit, _error


def _assignment(data):
    return data["assignments"][0]


def test_due_late_policy_and_extensions_are_read(course_copy):
    def late_work(data):
        data["late"] = {"per": "day", "deduct": "10%", "cap": "50%", "grace_minutes": 15}
        _assignment(data).update(
            due="2025-03-14T23:59:00+01:00",
            late={"per": "hour", "deduct": 0.5, "cap": 4},
            extensions={"carol": {"extra_days": 2}, "dan": {"due": "2025-03-20T12:00:00Z"}})

    _edit(course_copy, late_work)
    course = load_course(course_copy)
    spec = course.assignment("gradient-descent")
    assert spec.due == datetime(2025, 3, 14, 22, 59, tzinfo=UTC)
    assert spec.due.utcoffset() == timedelta(hours=1)  # the zone written is kept
    assert spec.late.per == "hour" and spec.late.deduct.points(28) == 0.5
    assert spec.late.cap.points(28) == 4
    assert course.late.deduct.points(28) == pytest.approx(2.8) and course.late.grace_minutes == 15
    assert spec.extensions["carol"].extra_days == 2
    assert spec.extensions["dan"].due == datetime(2025, 3, 20, 12, tzinfo=UTC)


def test_an_unquoted_yaml_time_with_its_zone_is_read(course_copy):
    path = course_copy / "course.yml"
    path.write_text(path.read_text().replace(
        "  - name: gradient-descent\n",
        "  - name: gradient-descent\n    due: 2025-03-14T23:59:00-05:00\n"))
    assert load_course(course_copy).assignment("gradient-descent").due == \
        datetime(2025, 3, 15, 4, 59, tzinfo=UTC)


@pytest.mark.parametrize("due", ["2025-03-14T23:59:00", "2025-03-14 23:59"])
def test_a_due_time_without_zone_is_refused(course_copy, due):
    _edit(course_copy, lambda d: _assignment(d).update(due=due))
    message = _error(course_copy)
    assert "assignments.0.due" in message and "has no time zone" in message
    assert "+01:00" in message and "Z for UTC" in message  # how to write it


def test_a_due_date_without_time_is_refused(course_copy):
    _edit(course_copy, lambda d: _assignment(d).update(due="2025-03-14"))
    message = _error(course_copy)
    assert "2025-03-14 is a date without a time" in message
    assert "2025-03-14T23:59:00+01:00" in message


def test_a_due_time_that_is_not_a_time_is_refused(course_copy):
    _edit(course_copy, lambda d: _assignment(d).update(due="friday midnight"))
    assert "assignments.0.due" in _error(course_copy)


@pytest.mark.parametrize("late, words", [
    ({"per": "week", "deduct": 1}, "late.per: Input should be 'hour' or 'day'"),
    ({"per": "day", "deduct": "ten percent"}, "late.deduct: must be points"),
    ({"per": "day", "deduct": "150%"}, "150% is more than all of the points"),
    ({"per": "day", "deduct": -1}, "late.deduct.value"),
    ({"per": "day", "deduct": 1, "grace_minutes": -5}, "grace_minutes"),
    ({"per": "day"}, "late.deduct: required key is missing"),
    ({"per": "day", "deduct": 1, "grace": 15}, "allowed keys: per, deduct, cap, grace_minutes"),
])
def test_a_bad_late_policy_is_named(course_copy, late, words):
    def bad(data):
        _assignment(data).update(due="2025-03-14T23:59:00Z", late=late)

    _edit(course_copy, bad)
    message = _error(course_copy)
    assert words in message
    assert "assignments.0.late" in message


@pytest.mark.parametrize("extension, words", [
    ({}, "give exactly one of due, extra_hours or extra_days (got none)"),
    ({"extra_days": 1, "extra_hours": 3}, "(got extra_hours, extra_days)"),
    ({"extra_hours": 0}, "greater than 0"),
    ({"due": "2025-03-10T12:00:00Z"}, "is not after the assignment's due time"),
    ({"due": "2025-03-20T12:00:00"}, "has no time zone"),
    ({"extra_day": 1}, "did you mean 'extra_days'"),
])
def test_a_bad_extension_is_named(course_copy, extension, words):
    def bad(data):
        _assignment(data).update(due="2025-03-14T23:59:00Z", extensions={"carol": extension})

    _edit(course_copy, bad)
    message = _error(course_copy)
    assert words in message and "carol" in message


def test_late_work_without_a_due_time_is_refused(course_copy):
    _edit(course_copy, lambda d: _assignment(d).update(extensions={"carol": {"extra_days": 1}}))
    assert "need the assignment's due time; add due:" in _error(course_copy)


def test_the_timestamp_policy_and_submitted_at_are_read(course_copy):
    def edit(data):
        data["timestamps"] = {"missing": "on_time", "no_zone": "Europe/Berlin"}
        _assignment(data).update(due="2025-03-14T23:59:00Z",
                                 submitted_at={"dan": "2025-03-15T03:11:00+01:00"})

    _edit(course_copy, edit)
    course = load_course(course_copy)
    assert course.timestamps.missing == "on_time" and course.timestamps.unreadable == "review"
    assert course.timestamps.no_zone == "Europe/Berlin"
    assert course.assignments[0].submitted_at["dan"] == datetime(2025, 3, 15, 2, 11, tzinfo=UTC)


@pytest.mark.parametrize("timestamps, words", [
    ({"no_zone": "CEST"}, "timestamps.no_zone: 'CEST' is neither `review` nor a time zone"),
    ({"missing": "ignore"}, "timestamps.missing: Input should be 'review' or 'on_time'"),
    ({"zoneless": "UTC"}, "allowed keys: missing, unreadable, no_zone"),
])
def test_a_bad_timestamp_policy_is_named(course_copy, timestamps, words):
    _edit(course_copy, lambda d: d.update(timestamps=timestamps))
    assert words in _error(course_copy)


def test_submitted_at_needs_a_due_time_and_a_zone(course_copy):
    _edit(course_copy, lambda d: _assignment(d).update(submitted_at={"dan": "2025-03-15"}))
    assert "submitted_at.dan: 2025-03-15 is a date without a time" in _error(course_copy)
    _edit(course_copy, lambda d: _assignment(d).update(
        submitted_at={"dan": "2025-03-15T03:11:00Z"}))
    assert "submitted_at need the assignment's due time" in _error(course_copy)
