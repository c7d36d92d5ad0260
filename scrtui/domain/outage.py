"""An MHS outage as the run sees it: since when, what the adaptor says, when the next probe
goes, and when the run gives up (docs/spine.md, "Outages").

An outage is decided by what the messages get, never by the adaptor's /healthcheck, which the
NHS adaptor answers 200 whatever happens behind it. While it lasts the engine sends one real
message at a time (a probe), with a wait that doubles up to `probe_max` seconds; the run goes
on when a probe is answered, and stops (nobody Failed, Resume continues) once the outage has
lasted `limit` (scrtui/engine/outage_probe.py does the sending).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

# Every outage reason starts with this, so screens can tell it from the card's or the user's.
PREFIX = "the MHS at "
NEXT_TRY = "; next try "  # what follows is when the next probe goes (Outage.reason)


@dataclass(frozen=True, slots=True)
class Cause:
    """What the last failed message got: an HTTP answer, or no answer at all."""

    status: int | None  # None: no HTTP answer (refused, reset, timeout)
    said: str  # the adaptor's own words (its body), or what went wrong with the connection

    def describe(self) -> str:
        if self.status is None:
            return f"does not answer ({self.said})"
        return f"answers {self.status} '{self.said}'"


@dataclass(slots=True)
class Outage:
    url: str
    since: datetime
    cause: Cause
    probe_first: float  # seconds before the first probe
    probe_max: float  # the wait between probes grows to this
    limit: timedelta  # after this long the run stops
    next_try: datetime = field(init=False)
    tries: int = 0  # probes that failed
    wait: float = field(init=False)

    def __post_init__(self) -> None:
        self.wait = self.probe_first
        self.next_try = self.since + timedelta(seconds=self.wait)

    def due(self, now: datetime) -> bool:
        return now >= self.next_try

    def failed_probe(self, now: datetime, cause: Cause) -> None:
        """A probe got no usable answer: wait twice as long (up to probe_max) for the next,
        but never past the limit, so the run stops at the limit rather than a long wait after."""
        self.tries += 1
        self.cause = cause
        self.wait = min(self.probe_max, max(self.wait * 2, self.probe_first))
        self.next_try = min(now + timedelta(seconds=self.wait), self.since + self.limit)

    def over_limit(self, now: datetime) -> bool:
        return now - self.since >= self.limit

    def reason(self) -> str:
        """The status reason while paused: who, what, since when, next try."""
        return (
            f"{PREFIX}{self.url} {self.cause.describe()} to every message since "
            f"{self.since:%H:%M}{NEXT_TRY}{self.next_try:%H:%M}"
        )

    def giving_up(self, now: datetime) -> str:
        """Why the run stopped: the adaptor's words, how long, and what to check."""
        minutes = max(1, round((now - self.since).total_seconds() / 60))
        return (
            f"{PREFIX}{self.url} {self.cause.describe()} to every message since "
            f"{self.since:%H:%M} ({minutes} min, {self.tries} probes); nobody was "
            "marked Failed. Check that the MHS adaptor is running and can reach the Spine "
            "(its network, its Spine certificates and its log), then use Resume"
        )
