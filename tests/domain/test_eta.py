"""The end of an upload counts the daily pauses before it (issue 22: the ETA ignored them)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from scrtui.domain.eta import finish_at, time_left
from scrtui.domain.schedule import Schedule, in_daily_pause

NIGHT = Schedule(stop=time(19, 0), resume=time(7, 0))  # pause 19:00 to 07:00, past midnight
LUNCH = Schedule(stop=time(12, 0), resume=time(13, 0))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute)


def test_without_a_pause_window_the_end_is_the_sending_time_from_now() -> None:
    assert finish_at(at(4, 10), timedelta(hours=3), None) == at(4, 13)
    assert finish_at(at(4, 10), timedelta(hours=3), Schedule(stop=time(11, 0))) == at(4, 13)


def test_work_that_ends_before_the_pause_is_not_delayed() -> None:
    assert finish_at(at(4, 10), timedelta(hours=8), NIGHT) == at(4, 18)


def test_the_overnight_pause_before_the_end_is_added() -> None:
    # 18:00 + 3 h of sending: 1 h to 19:00, paused till 07:00, 2 h more.
    assert finish_at(at(4, 18), timedelta(hours=3), NIGHT) == at(5, 9)
    assert time_left(at(4, 18), timedelta(hours=3), NIGHT) == timedelta(hours=15)


def test_every_pause_before_the_end_is_added() -> None:
    # 12 h open a day: 30 h of sending from 07:00 spans two nights.
    assert finish_at(at(4, 7), timedelta(hours=30), NIGHT) == at(6, 13)
    assert finish_at(at(4, 11), timedelta(hours=3), LUNCH) == at(4, 15)


def test_started_inside_the_pause_it_waits_for_the_resume_time() -> None:
    assert finish_at(at(4, 22), timedelta(hours=1), NIGHT) == at(5, 8)


def test_a_pause_the_user_skipped_does_not_hold_the_run() -> None:
    # Resumed at 22:00 during the pause: it sends on until the next day's 19:00.
    skipped = at(5, 7)
    assert finish_at(at(4, 22), timedelta(hours=2), NIGHT, skipped) == at(5, 0)
    assert finish_at(at(4, 22), timedelta(hours=22), NIGHT, skipped) == at(6, 8)


def test_an_unknown_rate_has_no_end() -> None:
    assert time_left(at(4, 10), None, NIGHT) is None


@settings(deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31)),
    minutes=st.integers(0, 3 * 24 * 60),
    stop=st.times(),
    resume=st.times(),
)
def test_the_open_time_to_the_end_is_the_sending_time(start, minutes, stop, resume) -> None:
    """Walking minute by minute from the start to the end, the open minutes add up to the
    sending time (the rest are the pauses), and the end is never inside a pause."""
    start = start.replace(second=0, microsecond=0)
    stop, resume = stop.replace(second=0, microsecond=0), resume.replace(second=0, microsecond=0)
    schedule = Schedule(stop=stop, resume=resume)
    end = finish_at(start, timedelta(minutes=minutes), schedule)
    assert end >= start + timedelta(minutes=minutes)
    if stop == resume:
        assert end == start + timedelta(minutes=minutes)
        return
    open_minutes = 0
    step = start
    while step < end:
        open_minutes += not in_daily_pause(step, stop, resume)
        step += timedelta(minutes=1)
    assert open_minutes == minutes
