"""PDS ahead of the summaries: the PDS checks run in their own workers (`[pds] concurrency`),
so a summary's sender never spends its slot waiting for a PDS answer.

The producer hands each patient that needs PDS here instead of to the senders; a worker asks
PDS (the engine's `_pds_passed`, scrtui/engine/engine.py, with its rules unchanged) and passes
a patient that matched on to the senders' queue. Nothing else changes:
- a patient's summary is never built before its PDS answer: only a matched patient
  (`pds_checked`) reaches the senders from here;
- a PDS fault is handled as before (retried, an outage pause, a fatal set-up error), never Not
  Required; such a patient goes to the senders unchecked, and its sender asks PDS itself;
- until its summary leaves the patient stays in the engine's `_unsent` (Sending, its message id
  stored), so a Stop or a kill anywhere here puts it back or leaves it for Resume, which asks
  PDS again under the same message id.
The senders' queue is bounded, so PDS runs at most that queue ahead of the summaries (an answer
is at most a second or so old when its summary goes).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrtui.engine.job import Job


class PdsAhead:
    """The queue of patients waiting for their PDS check, and the workers that drain it."""

    def __init__(self, workers: int, capacity: int) -> None:
        self.workers = workers
        self.queue: asyncio.Queue[Job] = asyncio.Queue(maxsize=capacity)
        self._busy = 0

    def idle(self) -> bool:
        """Nothing waits for, or is in, a PDS check."""
        return self.queue.empty() and self._busy == 0

    async def work(
        self,
        open_gate: Callable[[], Awaitable[bool]],
        may_send: Callable[[], bool],
        passed: Callable[[Job], Awaitable[bool]],
        deliver: Callable[[Job], Awaitable[None]],
        put_back: Callable[[Job], None],
    ) -> None:
        """One worker. `open_gate` waits until PDS queries may go (False: the run stops);
        `passed` is the PDS check; `deliver` hands a matched patient to the senders. A patient
        taken as the gate closed (a pause, an outage, a stop) is `put_back` to the senders'
        side unchecked, never held here: an outage's probe must find it (its sender asks PDS)."""
        while await open_gate():
            job = await self.queue.get()
            if not may_send():
                put_back(job)
                continue
            self._busy += 1
            try:
                if await passed(job):
                    await deliver(job)
            finally:
                self._busy -= 1

    def take(self) -> Job | None:
        """A patient waiting for its PDS check, for an outage's probe; None when none waits."""
        try:
            return self.queue.get_nowait()
        except asyncio.QueueEmpty:
            return None


def for_run(pds_applies: bool, workers: int, capacity: int) -> PdsAhead | None:
    """The PDS stage of a run whose upload checks PDS with synchronisation on, else None."""
    return PdsAhead(workers, capacity) if pds_applies else None
