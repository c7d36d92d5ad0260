"""Failed attempts logged with counts, not once per attempt: a night-long outage must not fill
the disk (issue 19). The first failure of a kind is logged at once; repeats of it are counted
and written as one line with the count, at most once per `every` seconds, when another kind of
failure or a success comes, and when the run's client closes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

# A failure's kind: the same status, code and words are the same failure again.
Key = tuple[int | None, str | None, str | None]


class FailureLog:
    def __init__(
        self, log: Any, every: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._log = log
        self._every = every
        self._clock = clock
        self._key: Key | None = None
        self._fields: dict[str, Any] = {}
        self._repeats = 0
        self._total = 0
        self._since = 0.0
        self._last_written = 0.0

    def failed(self, key: Key, **fields: Any) -> None:
        now = self._clock()
        if key != self._key:
            self.flush()
            self._key, self._fields, self._since, self._total = key, fields, now, 1
            self._last_written = now
            self._log.warning("mhs_attempt_failed", **fields)
            return
        self._repeats += 1
        self._total += 1
        self._fields = fields
        if now - self._last_written >= self._every:
            self._write_repeats(now)

    def answered(self) -> None:
        """The MHS answered usably: the failure run (if any) ends."""
        if self._key is not None:
            self.flush()
            self._key = None

    def flush(self) -> None:
        if self._repeats:
            self._write_repeats(self._clock())

    def _write_repeats(self, now: float) -> None:
        self._log.warning(
            "mhs_attempt_failed_repeatedly",
            repeats=self._repeats,
            failures_in_a_row=self._total,
            for_s=round(now - self._since, 1),
            last_message_id=self._fields.get("message_id"),
            status=self._fields.get("status"),
            error_code=self._fields.get("error_code"),
            cause=self._fields.get("cause"),
        )
        self._repeats = 0
        self._last_written = now
