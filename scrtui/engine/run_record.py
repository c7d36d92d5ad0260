"""What the engine keeps for the completion report: each status change of the run (so its
pauses and their causes are known) and a sample of its progress now and then (the sending
rate over the run), written to the run_event table (scrtui/store/run_events.py)."""

from __future__ import annotations

import time
from datetime import datetime

from scrtui.store import run_events

# A sample a second for the first minute (short runs still draw a rate), then every 10 s:
# 3,600 rows for a 10-hour run.
FAST_SAMPLES_FOR = 60.0
FAST_INTERVAL = 1.0
SLOW_INTERVAL = 10.0


class RunRecorder:
    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self._began = time.monotonic()
        self._last_sample: float | None = None

    def status(self, at: datetime, status: str, reason: str, checked: int, messages: int) -> None:
        run_events.record(
            self.run_id,
            at,
            run_events.STATUS,
            status=status,
            reason=reason,
            checked=checked,
            messages=messages,
        )

    def progress(self, at: datetime, checked: int, messages: int, *, force: bool = False) -> None:
        now = time.monotonic()
        interval = FAST_INTERVAL if now - self._began < FAST_SAMPLES_FOR else SLOW_INTERVAL
        if not force and self._last_sample is not None and now - self._last_sample < interval:
            return
        self._last_sample = now
        run_events.record(self.run_id, at, run_events.SAMPLE, checked=checked, messages=messages)
