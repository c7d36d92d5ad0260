"""Failures logged with counts (scrtui/spine/failure_log.py): a night's outage stays small."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scrtui.spine.failure_log import FailureLog


class Lines:
    def __init__(self) -> None:
        self.lines: list[tuple[str, dict[str, Any]]] = []

    def warning(self, event: str, **fields: Any) -> None:
        self.lines.append((event, fields))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _stands_for_a_clock(fake: Clock) -> Callable[[], float]:
    """Never called: mypy (tests/test_types.py) checks the fake is FailureLog's clock."""
    return fake


KEY = (500, "HTTP-500", "HTTP 500 from the MHS adaptor: Error making outbound request")


def test_a_ten_minute_outage_at_ten_attempts_a_second_is_a_few_lines() -> None:
    log, clock = Lines(), Clock()
    failures = FailureLog(log, every=60, clock=clock)
    for attempt in range(6000):  # the old loop: ten a second for ten minutes
        clock.now = attempt / 10
        failures.failed(KEY, message_id=f"ID-{attempt}", status=500)
    failures.flush()
    assert len(log.lines) == 11  # the first, then one line of counts a minute
    assert log.lines[0][0] == "mhs_attempt_failed"
    counted = sum(f["repeats"] for e, f in log.lines if e == "mhs_attempt_failed_repeatedly")
    assert counted == 5999
    assert log.lines[-1][1]["failures_in_a_row"] == 6000


def test_another_failure_or_an_answer_writes_the_count_at_once() -> None:
    log, clock = Lines(), Clock()
    failures = FailureLog(log, every=60, clock=clock)
    for _ in range(3):
        failures.failed(KEY, message_id="A")
    failures.failed((None, "TIMEOUT", "no answer within 30 s"), message_id="B")
    failures.answered()
    failures.failed(KEY, message_id="C")
    events = [(e, f.get("repeats")) for e, f in log.lines]
    assert events == [
        ("mhs_attempt_failed", None),
        ("mhs_attempt_failed_repeatedly", 2),
        ("mhs_attempt_failed", None),
        ("mhs_attempt_failed", None),
    ]
