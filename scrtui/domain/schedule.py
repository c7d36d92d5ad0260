"""Schedules as the SCR Upload window takes them: start now or at dd/mm/yyyy hh:mm, a daily
stop time, and a daily resume time (a pause needs both)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta


class ScheduleError(ValueError):
    """What is wrong with a schedule field, and what to enter instead."""


def parse_date(text: str) -> date:
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        raise ScheduleError(f'"{text}" is not a date: enter dd/mm/yyyy, e.g. 25/12/2026') from None


def parse_time(text: str) -> time:
    value = text.strip().replace(".", ":")
    try:
        hour_text, minute_text = value.split(":")
        # Two ASCII digits each: int() alone would also take "+1", " 1" and "٠٩".
        if not all(len(t) == 2 and t.isascii() and t.isdigit() for t in (hour_text, minute_text)):
            raise ValueError
        return time(int(hour_text), int(minute_text))
    except ValueError:
        raise ScheduleError(f'"{text}" is not a time: enter hh:mm (00:00 to 23:59)') from None


@dataclass(frozen=True, slots=True)
class Schedule:
    """start None means immediately; stop alone stops; stop with resume pauses daily."""

    start: datetime | None = None
    stop: time | None = None
    resume: time | None = None

    def describe(self) -> str:
        parts = [f"Start {self.start:%d/%m/%Y %H:%M}" if self.start else "Start immediately"]
        if self.stop and self.resume:
            parts.append(f"pause {self.stop:%H:%M}, resume {self.resume:%H:%M} daily")
        elif self.stop:
            parts.append(f"stop {self.stop:%H:%M}")
        return "; ".join(parts)


def build_schedule(
    now: datetime,
    start_date: str = "",
    start_time: str = "",
    stop: str = "",
    resume: str = "",
) -> Schedule:
    """Validate the form's fields into a Schedule; blank start fields mean immediately."""
    start: datetime | None = None
    if start_date.strip() or start_time.strip():
        if not start_date.strip() or not start_time.strip():
            raise ScheduleError(
                "a deferred start needs both a date (dd/mm/yyyy) and a time (hh:mm)"
            )
        start = datetime.combine(parse_date(start_date), parse_time(start_time))
        if start < now.replace(second=0, microsecond=0):
            raise ScheduleError(
                f"the start {start:%d/%m/%Y %H:%M} is in the past: enter a later date and time, "
                "or start immediately"
            )
    stop_at = parse_time(stop) if stop.strip() else None
    resume_at = parse_time(resume) if resume.strip() else None
    if resume_at and not stop_at:
        raise ScheduleError("a resume time needs a stop time: enter when to pause (hh:mm)")
    if stop_at and resume_at and stop_at == resume_at:
        raise ScheduleError("the stop and resume times are the same: enter different times")
    return Schedule(start=start, stop=stop_at, resume=resume_at)


def after_session(
    schedule: Schedule, now: datetime, session_ends: datetime
) -> tuple[str, str] | None:
    """The first of the schedule's times that comes after the card session ends, as (field,
    what to say), or None. An upload runs only while the session lasts (its end stops the
    run), so such a time would never act (issue 22: "in 11h 41m" with 9h 48m left)."""
    ends = f"your card session ends at {session_ends:%H:%M} on {session_ends:%d/%m/%Y}"
    if schedule.start is not None and schedule.start >= session_ends:
        return (
            "start",
            f"the start {schedule.start:%d/%m/%Y %H:%M} is after {ends}: the upload could "
            "never start. Start before then, or schedule it after logging in again",
        )
    begins = schedule.start or now
    if schedule.stop is None:
        return None
    paused_now = schedule.resume is not None and in_daily_pause(
        begins, schedule.stop, schedule.resume
    )
    stop_at = begins if paused_now else _next_at(begins, schedule.stop)
    if not paused_now and stop_at >= session_ends:
        return (
            "stop",
            f"the stop {stop_at:%d/%m/%Y %H:%M} is after {ends}, which stops the upload "
            "first. Enter an earlier stop, or leave it blank",
        )
    if schedule.resume is None:
        return None
    resume_at = _next_at(stop_at, schedule.resume)
    if resume_at >= session_ends:
        return (
            "resume",
            f"the resume {resume_at:%d/%m/%Y %H:%M} is after {ends}: the upload would "
            "pause and never resume. Leave Resume blank to stop at the stop time",
        )
    return None


class Window(enum.Enum):
    WAIT_START = "scheduled"
    OPEN = "open"
    PAUSED = "paused"  # between the daily stop and resume times
    STOPPED = "stopped"  # the stop time came, with no resume time


@dataclass(frozen=True, slots=True)
class WindowState:
    window: Window
    next_event: datetime | None  # when the window next changes, if it will


def _next_at(now: datetime, at: time) -> datetime:
    candidate = datetime.combine(now.date(), at)
    return candidate if candidate > now else candidate + timedelta(days=1)


def next_at(now: datetime, at: time) -> datetime:
    """When the clock next shows `at` after `now` (today, or tomorrow once it has passed)."""
    return _next_at(now, at)


def pause_end(schedule: Schedule, now: datetime) -> datetime | None:
    """The end of the daily pause `now` is in (its resume time), or None outside one."""
    if schedule.stop and schedule.resume and in_daily_pause(now, schedule.stop, schedule.resume):
        return _next_at(now, schedule.resume)
    return None


def in_daily_pause(now: datetime, stop: time, resume: time) -> bool:
    t = now.time()
    if stop < resume:
        return stop <= t < resume
    return t >= stop or t < resume  # the pause runs past midnight


def window_at(
    schedule: Schedule,
    now: datetime,
    started_at: datetime | None,
    skip_pause_until: datetime | None = None,
) -> WindowState:
    """Where a run stands at `now`. `started_at` is when it first opened (None: not yet);
    `skip_pause_until`: the user resumed during a daily pause, which ends early until then."""
    if schedule.start and now < schedule.start:
        return WindowState(Window.WAIT_START, schedule.start)
    if schedule.stop and schedule.resume:
        skipped = skip_pause_until is not None and now < skip_pause_until
        if in_daily_pause(now, schedule.stop, schedule.resume) and not skipped:
            return WindowState(Window.PAUSED, _next_at(now, schedule.resume))
        return WindowState(Window.OPEN, _next_at(now, schedule.stop))
    if schedule.stop:
        opened = started_at or schedule.start or now
        deadline = datetime.combine(opened.date(), schedule.stop)
        if deadline <= opened:
            deadline += timedelta(days=1)
        if now >= deadline:
            return WindowState(Window.STOPPED, None)
        return WindowState(Window.OPEN, deadline)
    return WindowState(Window.OPEN, None)
