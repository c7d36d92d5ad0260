"""When an upload will end: the sending time still needed, plus every daily pause that falls
before it ends (issue 22: the ETA ignored the pause window).

Pure: the engine gives the sending time its rate predicts (scrtui/domain/progress.py eta) and
the run's schedule; the screens show the result as the time left.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from scrtui.domain.schedule import Schedule, in_daily_pause, next_at

# A day of pauses is at most a day: a schedule that pauses for ever would loop without end.
_MOST_DAYS = 3660


def finish_at(
    now: datetime,
    sending: timedelta,
    schedule: Schedule | None,
    skip_pause_until: datetime | None = None,
) -> datetime:
    """When `sending` of open sending time, starting at `now`, is done under `schedule`'s
    daily pause (stop, resume). `skip_pause_until`: the user resumed during today's pause,
    so it does not hold the run before then."""
    stop = schedule.stop if schedule else None
    resume = schedule.resume if schedule else None
    if stop is None or resume is None or stop == resume:
        return now + sending
    at, left = now, sending
    for _ in range(_MOST_DAYS):
        skipped = skip_pause_until is not None and at < skip_pause_until
        if in_daily_pause(at, stop, resume) and not skipped:
            at = next_at(at, resume)  # wait for the resume time
            continue
        pause = next_at(at, stop)  # a skipped pause's stop is behind: the next day's
        if at + left <= pause:
            return at + left
        left -= pause - at
        at = pause
    return at + left


def time_left(
    now: datetime,
    sending: timedelta | None,
    schedule: Schedule | None,
    skip_pause_until: datetime | None = None,
) -> timedelta | None:
    """The time to the end, paused hours included; None when the rate cannot tell."""
    if sending is None:
        return None
    return finish_at(now, sending, schedule, skip_pause_until) - now
