"""The engine's outage pause: one probe at a time, each a real message, until one is answered
or the outage has lasted outage_limit_minutes (issue 19; the rules are scrtui/domain/outage.py).

The probe is the next waiting patient's own message, under its stored message id, so a probe
is never a second summary; with PDS on it may be that patient's PDS query. The engine owns the
patients and the sending (scrtui/engine/engine.py, `_outage_step`); this keeps the state, the
probe task, the cause of the latest failure and the transport's failures counted since the
last outage ended (`over_threshold`).
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from scrtui.domain.outage import Cause, Outage
from scrtui.settings import Settings
from scrtui.spine.outcome import SendResult
from scrtui.spine.transport import Transport


def cause_of(result: SendResult) -> Cause:
    """The adaptor's words for a failed message (its body), else what the connection did."""
    said = result.said or result.error_text or result.error_code or "no answer"
    return Cause(result.http_status, said)


class Step(enum.Enum):
    """What the engine does at a tick of the outage pause."""

    OVER = "over"  # the last probe was answered: the MHS is back
    GIVE_UP = "give_up"  # the last probe failed at the outage limit: the run stops
    PROBE = "probe"  # a probe is due: send the next waiting patient's message
    WAIT = "wait"  # a probe is on its way, or the next is not due yet


class OutageWatch:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self.current: Outage | None = None
        self.last_cause = Cause(None, "no answer")
        self._probe: asyncio.Task[bool] | None = None
        # The transport's failures in a row when the last outage ended: only those after it
        # count towards the next one.
        self._baseline = 0

    @property
    def active(self) -> bool:
        return self.current is not None

    def note(self, result: SendResult) -> None:
        """Remember what the latest failed message got: the pause text quotes it."""
        self.last_cause = cause_of(result)

    def note_try(self, failure: tuple[int | None, str] | None) -> None:
        """The client's latest failed try (scrtui/spine/client.py, last_failure)."""
        if failure is not None:
            self.last_cause = Cause(*failure)

    def over_threshold(self, transport: Transport) -> bool:
        """outage_after_failures failed tries in a row, over all patients, since the last
        outage ended: an outage is to be declared (or goes on)."""
        failures = transport.consecutive_transport_failures
        if failures < self._baseline:
            self._baseline = 0
        if failures - self._baseline < self._settings.outage_after_failures:
            return False
        if not self.active:
            self.note_try(transport.last_failure)
        return True

    def begin(self, url: str, now: datetime) -> Outage | None:
        """Start an outage (None when one is already under way)."""
        if self.current is not None:
            return None
        self.current = Outage(
            url=url,
            since=now,
            cause=self.last_cause,
            probe_first=self._settings.outage_probe_first,
            probe_max=self._settings.outage_probe_max,
            limit=timedelta(minutes=self._settings.outage_limit_minutes),
        )
        return self.current

    def probe_due(self, now: datetime) -> bool:
        return self.current is not None and self._probe is None and self.current.due(now)

    def start_probe(self, probe: Coroutine[Any, Any, bool]) -> None:
        self._probe = asyncio.create_task(probe, name="outage-probe")

    def probe_answered(self) -> bool | None:
        """The finished probe's result (True: the MHS answered), or None while none finished.
        A probe that raised counts as unanswered; its error is the cause."""
        task = self._probe
        if task is None or not task.done():
            return None
        self._probe = None
        if task.cancelled():
            return False
        error = task.exception()
        if error is not None:
            self.last_cause = Cause(None, f"{type(error).__name__}: {error}")
            return False
        return task.result()

    def step(self, now: datetime) -> Step:
        """Read the last probe (a failed one makes the next wait longer) and say what is next."""
        current = self.current
        assert current is not None
        answered = self.probe_answered()
        if answered:
            return Step.OVER
        if answered is False:
            current.failed_probe(now, self.last_cause)
            if current.over_limit(now):
                return Step.GIVE_UP
        return Step.PROBE if self.probe_due(now) else Step.WAIT

    def end(self, transport: Transport) -> Outage | None:
        """The MHS answers again: the failures counted so far are the ended outage's."""
        ended, self.current = self.current, None
        self._baseline = transport.consecutive_transport_failures
        return ended

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
            await asyncio.gather(self._probe, return_exceptions=True)
            self._probe = None


async def answered(transport: Transport, probe: Awaitable[None]) -> bool:
    """Send a probe; True when the MHS answered any of its tries."""
    before = transport.answers
    await probe
    return transport.answers > before
