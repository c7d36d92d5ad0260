"""Schedules: dd/mm/yyyy and hh:mm parsing, refusals, and where a run stands at a time."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from scrtui.domain.schedule import (
    Schedule,
    ScheduleError,
    Window,
    WindowState,
    build_schedule,
    parse_date,
    parse_time,
    window_at,
)

NOW = datetime(2026, 11, 25, 14, 30, 12)


def test_parse_date_and_time() -> None:
    assert parse_date("25/12/2026") == date(2026, 12, 25)
    assert parse_date(" 01/02/2027 ") == date(2027, 2, 1)
    assert parse_time("09:30") == time(9, 30)
    assert parse_time("23.59") == time(23, 59)
    assert parse_time("00:00") == time(0, 0)


@pytest.mark.parametrize("text", ["2026-12-25", "31/02/2026", "25/12/26", "", "tomorrow"])
def test_bad_dates_say_what_to_enter(text: str) -> None:
    with pytest.raises(ScheduleError, match="dd/mm/yyyy"):
        parse_date(text)


@pytest.mark.parametrize(
    "text",
    ["9:30", "24:00", "12:60", "0930", "", "noon", "12:3", "+1:30", "1 :30", "-0:30", "٠٩:٣٠"],
)
def test_bad_times_say_what_to_enter(text: str) -> None:
    with pytest.raises(ScheduleError, match="hh:mm"):
        parse_time(text)


def test_blank_means_start_immediately() -> None:
    assert build_schedule(NOW) == Schedule()
    assert Schedule().describe() == "Start immediately"


def test_a_start_in_the_past_is_refused_but_this_minute_is_allowed() -> None:
    with pytest.raises(ScheduleError, match="in the past"):
        build_schedule(NOW, "25/11/2026", "14:29")
    assert build_schedule(NOW, "25/11/2026", "14:30").start == datetime(2026, 11, 25, 14, 30)


def test_a_deferred_start_needs_date_and_time() -> None:
    with pytest.raises(ScheduleError, match="both a date"):
        build_schedule(NOW, start_date="26/11/2026")
    with pytest.raises(ScheduleError, match="both a date"):
        build_schedule(NOW, start_time="08:00")


def test_resume_without_stop_is_refused() -> None:
    with pytest.raises(ScheduleError, match="needs a stop time"):
        build_schedule(NOW, resume="06:00")


def test_stop_and_resume_must_differ() -> None:
    with pytest.raises(ScheduleError, match="the same"):
        build_schedule(NOW, stop="22:00", resume="22:00")


def test_window_waits_for_a_deferred_start() -> None:
    schedule = build_schedule(NOW, "26/11/2026", "19:00")
    state = window_at(schedule, NOW, None)
    assert state.window is Window.WAIT_START
    assert state.next_event == datetime(2026, 11, 26, 19, 0)
    assert window_at(schedule, datetime(2026, 11, 26, 19, 0), None).window is Window.OPEN
    assert schedule.describe() == "Start 26/11/2026 19:00"


def test_stop_alone_stops_at_the_next_stop_time_after_opening() -> None:
    schedule = build_schedule(NOW, stop="06:00")
    opened = datetime(2026, 11, 25, 20, 0)
    state = window_at(schedule, datetime(2026, 11, 26, 5, 59), opened)
    assert state == WindowState(Window.OPEN, datetime(2026, 11, 26, 6, 0))
    assert window_at(schedule, datetime(2026, 11, 26, 6, 0), opened).window is Window.STOPPED
    assert window_at(schedule, datetime(2026, 11, 26, 6, 0), opened).next_event is None
    assert schedule.describe() == "Start immediately; stop 06:00"
    # Opened before the stop time on the same day: stops that day.
    early = datetime(2026, 11, 25, 5, 0)
    assert window_at(schedule, datetime(2026, 11, 25, 6, 0), early).window is Window.STOPPED


def test_daily_pause_across_midnight() -> None:
    schedule = build_schedule(NOW, stop="22:00", resume="06:00")
    assert schedule.describe() == "Start immediately; pause 22:00, resume 06:00 daily"
    at = datetime(2026, 11, 25, 21, 59)
    assert window_at(schedule, at, at) == WindowState(Window.OPEN, datetime(2026, 11, 25, 22, 0))
    at = datetime(2026, 11, 25, 22, 0)
    assert window_at(schedule, at, at) == WindowState(Window.PAUSED, datetime(2026, 11, 26, 6, 0))
    at = datetime(2026, 11, 26, 2, 0)
    assert window_at(schedule, at, at) == WindowState(Window.PAUSED, datetime(2026, 11, 26, 6, 0))
    at = datetime(2026, 11, 26, 6, 0)
    assert window_at(schedule, at, at) == WindowState(Window.OPEN, datetime(2026, 11, 26, 22, 0))


def test_daily_pause_within_one_day() -> None:
    schedule = build_schedule(NOW, stop="12:00", resume="13:00")
    at = datetime(2026, 11, 26, 12, 30)
    assert window_at(schedule, at, at) == WindowState(Window.PAUSED, datetime(2026, 11, 26, 13, 0))
    at = datetime(2026, 11, 26, 23, 0)
    assert window_at(schedule, at, at) == WindowState(Window.OPEN, datetime(2026, 11, 27, 12, 0))


def test_resume_during_the_daily_pause_opens_until_the_next_stop() -> None:
    """issue 22 bug 10: p (Resume) during a scheduled pause sends now; the pause comes back
    at the next stop time."""
    from scrtui.domain.schedule import pause_end

    schedule = Schedule(stop=time(18, 0), resume=time(8, 0))
    night = datetime(2026, 12, 3, 22, 0)
    until = pause_end(schedule, night)
    assert until == datetime(2026, 12, 4, 8, 0)
    assert window_at(schedule, night, night).window is Window.PAUSED
    skipped = window_at(schedule, night, night, skip_pause_until=until)
    assert skipped == WindowState(Window.OPEN, datetime(2026, 12, 4, 18, 0))
    assert pause_end(schedule, datetime(2026, 12, 4, 12, 0)) is None  # not in a pause
    assert pause_end(Schedule(stop=time(18, 0)), night) is None  # a stop alone never resumes


def test_times_after_the_card_session_ends_are_named() -> None:
    """issue 22 bug 1: at 23:50 with 9h 48m left, a start in 11h 41m would never come."""
    from scrtui.domain.schedule import after_session

    now = datetime(2026, 12, 3, 23, 50)
    ends = datetime(2026, 12, 4, 9, 38)
    late = Schedule(start=datetime(2026, 12, 4, 11, 31))
    field, text = after_session(late, now, ends) or ("", "")
    assert field == "start"
    assert text.startswith("the start 04/12/2026 11:31 is after your card session ends at 09:38")
    assert after_session(Schedule(start=datetime(2026, 12, 4, 2, 0)), now, ends) is None
    assert after_session(Schedule(), now, ends) is None
    assert after_session(Schedule(stop=time(7, 0)), now, ends) is None
    stop = after_session(Schedule(stop=time(10, 0)), now, ends)
    assert stop is not None and stop[0] == "stop" and "04/12/2026 10:00" in stop[1]
    # A pause at 01:00 resuming at 08:00 resumes before 09:38; one resuming at 10:00 never does.
    assert after_session(Schedule(stop=time(1, 0), resume=time(8, 0)), now, ends) is None
    never = after_session(Schedule(stop=time(1, 0), resume=time(10, 0)), now, ends)
    assert never is not None and never[0] == "resume" and "never resume" in never[1]
    # Already in the pause (22:00 to 10:00): the resume at 10:00 comes after the session.
    paused = after_session(Schedule(stop=time(22, 0), resume=time(10, 0)), now, ends)
    assert paused is not None and paused[0] == "resume"
    assert after_session(Schedule(stop=time(22, 0), resume=time(6, 0)), now, ends) is None
