"""Run status and the progress snapshot that watchers pull (about 10 a second)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from scrtui.domain.records import Bucket, Mode
from scrtui.domain.run_tally import RunTally
from scrtui.domain.uploads import UploadId


class RunStatus(enum.StrEnum):
    IDLE = "Idle"
    SCHEDULED = "Scheduled"
    RUNNING = "Running"
    PAUSED = "Paused"
    STOPPING = "Stopping"
    STOPPED = "Stopped"


# Statuses during which an upload is under way (it may be waiting, but it is not finished).
ACTIVE_STATUSES = frozenset(
    {RunStatus.SCHEDULED, RunStatus.RUNNING, RunStatus.PAUSED, RunStatus.STOPPING}
)


class StopReason(enum.StrEnum):
    COMPLETED = "completed"
    USER = "stopped by the user"
    CANCELLED = "schedule cancelled before the upload started"
    SIGNAL = "stopped: the terminal closed or the process was asked to end"
    EXIT = "stopped because the application was closed"
    STOP_TIME = "stop time reached"
    SESSION_EXPIRED = "smartcard session expired"
    CARD_CHANGED = "a different smartcard was inserted"
    FATAL = "fatal error"
    # The MHS adaptor gave no usable answer for outage_limit_minutes, or its words say its
    # set-up is wrong: nobody is Failed, Resume continues once it is fixed (exit 3).
    OUTAGE = "stopped: the MHS did not answer usably within the outage limit"
    MHS_SETUP = "stopped: the MHS adaptor's set-up is wrong"


def status_text(status: str, reason: str) -> str:
    """ "Stopped: the MHS adaptor's set-up is wrong", "Stopped: by the user": the status word,
    then why. Stop reasons begin with "stopped" so they read alone as a run's outcome; after
    the word "Stopped" that would say it twice."""
    if not reason:
        return status
    for repeat in (f"{status.lower()}: ", f"{status.lower()} "):
        if reason.lower().startswith(repeat):
            reason = reason[len(repeat) :]
            break
    return f"{status}: {reason}"


@dataclass(frozen=True, slots=True)
class Snapshot:
    status: RunStatus = RunStatus.IDLE
    reason: str = ""
    upload: UploadId = UploadId.INITIAL  # which bulk upload (scrtui/domain/uploads.py)
    mode: Mode | None = None
    group: str | None = None
    counts: dict[Bucket, int] = field(default_factory=lambda: {b: 0 for b in Bucket})
    # The buckets of the patients the run is over: its group's (the practice's without one;
    # empty when no run set them, and then `counts` stands for them).
    scope_counts: dict[Bucket, int] = field(default_factory=dict)
    run: RunTally = field(default_factory=RunTally)  # what this run itself did
    started: bool = False  # the run has begun (a scheduled one: its start time came)
    checked: int = 0  # patients decided this run (sent, failed or not required)
    total: int = 0  # patients this run will check
    queued: int = 0  # messages handed to the MHS adaptor
    avg_seconds_per_patient: float | None = None
    rate_per_second: float = 0.0
    eta: timedelta | None = None
    schedule_text: str = ""
    next_event: datetime | None = None  # when the schedule's window next changes
    next_event_text: str = ""  # what happens then, e.g. "stop at 26/11/2026 19:00"
    session_left: timedelta | None = None
    fatal_message: str = ""
    outage_since: datetime | None = None  # the MHS has been unreachable since then
    next_check: datetime | None = None  # when its health is next checked (None: checking now)
    awaiting_ack: int = 0  # asynchronous mode: sent (202), the Spine's acknowledgement to come
    asynchronous: bool = False  # the run's mode: acknowledgements through a queue
    mhs_url: str = ""  # the MHS adaptor the run sends to


def eta(remaining: int, rate_per_second: float) -> timedelta | None:
    if remaining <= 0:
        return timedelta(0)
    if rate_per_second <= 0:
        return None
    return timedelta(seconds=round(remaining / rate_per_second))


class RollingRate:
    """Events per second over the last `window` seconds, from (time, count) samples."""

    def __init__(self, window: float = 10.0) -> None:
        self.window = window
        self._samples: list[tuple[float, int]] = []

    def add(self, at: float, total: int) -> None:
        self._samples.append((at, total))
        cutoff = at - self.window
        while len(self._samples) > 2 and self._samples[0][0] < cutoff:
            self._samples.pop(0)

    def rate(self) -> float:
        if len(self._samples) < 2:
            return 0.0
        (t0, n0), (t1, n1) = self._samples[0], self._samples[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0

    def reset(self) -> None:
        self._samples.clear()


def whole_minutes(value: timedelta | None) -> timedelta | None:
    """Rounded up to the minute, as screens show it; views that hold it then compare equal
    between two polls a tenth of a second apart, so the UI redraws only on real change."""
    if value is None:
        return None
    return timedelta(minutes=-(-value // timedelta(minutes=1)))


def format_duration(value: timedelta | None) -> str:
    if value is None:
        return "--:--:--"
    seconds = max(0, int(value.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
