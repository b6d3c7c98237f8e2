"""Late penalties: started hours or days, grace, cap, extensions, time zones and summer time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from autograder.config import Assignment, Extension, LatePolicy, Notebook, Problem
from autograder.lateness.rules import deadline, lateness

CET = timezone(timedelta(hours=1))
BERLIN = ZoneInfo("Europe/Berlin")
DUE = datetime(2025, 3, 14, 23, 59, tzinfo=CET)


def _rule(**kw) -> LatePolicy:
    return LatePolicy.model_validate({"per": "day", "deduct": "10%", **kw})


@pytest.mark.parametrize("after, periods, penalty", [
    (timedelta(0), 0, 0),  # at the due time: on time
    (timedelta(microseconds=1), 1, 2.8),  # a started day
    (timedelta(hours=24), 1, 2.8),  # exactly one day
    (timedelta(hours=24, seconds=1), 2, 5.6),
    (timedelta(days=3, hours=1), 4, 11.2),
])
def test_each_started_day_deducts_a_share_of_the_points(after, periods, penalty):
    late = lateness(_rule(), DUE, DUE + after, possible=28)
    assert late.periods == periods
    assert late.penalty == pytest.approx(penalty)
    assert late.late_by == (after if periods else timedelta(0))


def test_points_per_started_hour():
    late = lateness(_rule(per="hour", deduct=0.5), DUE, DUE + timedelta(minutes=61), 28)
    assert (late.periods, late.penalty) == (2, 1.0)


def test_the_grace_period_is_on_time_and_lateness_counts_from_the_due_time():
    rule = _rule(per="hour", deduct=1, grace_minutes=15)
    assert lateness(rule, DUE, DUE + timedelta(minutes=15), 28).penalty == 0
    beyond = lateness(rule, DUE, DUE + timedelta(minutes=15, seconds=1), 28)
    assert beyond.periods == 1 and beyond.late_by == timedelta(minutes=15, seconds=1)
    assert lateness(rule, DUE, DUE + timedelta(minutes=61), 28).periods == 2


@pytest.mark.parametrize("cap, expected", [("50%", 14), (3, 3), (None, 28)])
def test_the_cap_bounds_the_penalty(cap, expected):
    rule = _rule(deduct="20%", cap=cap)
    assert lateness(rule, DUE, DUE + timedelta(days=30), 28).penalty == pytest.approx(expected)


def test_points_and_percent_mix_between_deduct_and_cap():
    rule = _rule(deduct=5, cap="25%")
    assert lateness(rule, DUE, DUE + timedelta(days=2), 28).penalty == 7


def test_no_time_or_no_rule_costs_nothing():
    assert lateness(_rule(), DUE, None, 28).penalty == 0
    assert lateness(_rule(), None, DUE + timedelta(days=9), 28).penalty == 0
    late = lateness(None, DUE, DUE + timedelta(hours=5), 28)
    assert late.penalty == 0 and late.late_by == timedelta(hours=5)


def test_time_zones_compare_instants_not_clock_readings():
    # 23:30 in New York on the 14th (already summer time there, -04) is 03:30 UTC on the
    # 15th; the due time 23:59 in Berlin (+01) is 22:59 UTC: 4 h 31 min late.
    new_york = datetime(2025, 3, 14, 23, 30, tzinfo=ZoneInfo("America/New_York"))
    late = lateness(_rule(per="hour", deduct=1), DUE, new_york, 28)
    assert late.late_by == timedelta(hours=4, minutes=31) and late.periods == 5
    # 22:58 UTC is 23:58 in Berlin: on time.
    assert lateness(_rule(), DUE, datetime(2025, 3, 14, 22, 58, tzinfo=UTC), 28).penalty == 0


def test_a_day_is_24_hours_across_the_change_to_summer_time():
    # Berlin moves its clocks forward on 2025-03-30 at 02:00: that calendar day has 23 hours.
    due = datetime(2025, 3, 29, 23, 0, tzinfo=BERLIN)
    next_evening = datetime(2025, 3, 30, 23, 30, tzinfo=BERLIN)  # 23.5 h later
    late = lateness(_rule(), due, next_evening, 28)
    assert late.late_by == timedelta(hours=23, minutes=30) and late.periods == 1
    # The same wall-clock time the next day is only 23 h later: still within one day.
    assert lateness(_rule(), due, datetime(2025, 3, 30, 23, 0, tzinfo=BERLIN), 28).periods == 1
    assert lateness(_rule(), due, datetime(2025, 3, 31, 0, 0, tzinfo=BERLIN), 28).periods == 1
    assert lateness(_rule(), due, datetime(2025, 3, 31, 0, 1, tzinfo=BERLIN), 28).periods == 2


def test_the_repeated_hour_when_clocks_go_back_is_told_apart():
    # On 2025-10-26 Berlin lives 02:30 twice: first in summer time (+02), then +01.
    due = datetime(2025, 10, 26, 2, 30, tzinfo=BERLIN)  # fold=0: the first, 00:30 UTC
    second = datetime(2025, 10, 26, 2, 30, fold=1, tzinfo=BERLIN)  # 01:30 UTC
    late = lateness(_rule(per="hour", deduct=1), due, second, 28)
    assert late.late_by == timedelta(hours=1) and late.periods == 1


def _assignment(**kw) -> Assignment:
    nb = Notebook(file="a.ipynb", problems={"p": Problem(points=1)})
    return Assignment(name="a", notebooks=[nb], due=DUE, **kw)


def test_extensions_move_one_students_deadline():
    spec = _assignment(extensions={
        "carol": Extension(extra_days=2), "dan": Extension(extra_hours=36),
        "erin": Extension(due=datetime(2025, 3, 20, 12, tzinfo=UTC))})
    assert deadline(spec, "ada").due == DUE and deadline(spec, "ada").extension == ""
    assert deadline(spec, "carol").due == DUE + timedelta(hours=48)
    assert "2 day" in deadline(spec, "carol").extension
    assert deadline(spec, "dan").due == DUE + timedelta(hours=36)
    assert deadline(spec, "erin").due == datetime(2025, 3, 20, 12, tzinfo=UTC)
    assert "extension to 2025-03-20T12:00:00+00:00" == deadline(spec, "erin").extension


def test_an_extension_across_the_change_to_summer_time_is_elapsed_time():
    due = datetime(2025, 3, 29, 23, 59, tzinfo=BERLIN)
    spec = _assignment().model_copy(update={"due": due,
                                            "extensions": {"carol": Extension(extra_days=1)}})
    # 24 hours after 23:59 (+01) is 00:59 (+02) by the clock on the 31st.
    assert deadline(spec, "carol").due == datetime(2025, 3, 31, 0, 59, tzinfo=BERLIN)
    submitted = datetime(2025, 3, 31, 0, 30, tzinfo=BERLIN)
    assert lateness(_rule(), deadline(spec, "carol").due, submitted, 1).penalty == 0
