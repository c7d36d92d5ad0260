"""The outage's probe schedule, limit and words (scrtui/domain/outage.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from scrtui.domain.outage import Cause, Outage

START = datetime(2026, 12, 3, 2, 14)
SPINE_DOWN = Cause(500, "Error making outbound request")


def outage(limit_minutes: float = 30) -> Outage:
    return Outage(
        url="http://mhs:80/",
        since=START,
        cause=SPINE_DOWN,
        probe_first=5,
        probe_max=300,
        limit=timedelta(minutes=limit_minutes),
    )


def probe_times(o: Outage, until: datetime) -> list[float]:
    """Seconds after the start of each probe that goes before `until`, every one failing."""
    times = []
    while o.next_try <= until and not o.over_limit(o.next_try):
        now = o.next_try
        times.append((now - START).total_seconds())
        o.failed_probe(now, SPINE_DOWN)
    return times


def test_probes_back_off_to_five_minutes() -> None:
    assert probe_times(outage(), START + timedelta(minutes=10)) == [5, 15, 35, 75, 155, 315]


def test_the_pause_says_who_what_since_and_next_try() -> None:
    o = outage()
    assert o.reason() == (
        "the MHS at http://mhs:80/ answers 500 'Error making outbound request' to every "
        "message since 02:14; next try 02:14"
    )
    o.failed_probe(START + timedelta(minutes=5), Cause(None, "no answer within 30 s"))
    assert o.reason().endswith("does not answer (no answer within 30 s) to every message "
                               "since 02:14; next try 02:19")  # fmt: skip


def test_the_limit_ends_it_with_the_adaptors_words_and_what_to_check() -> None:
    o = outage()
    end = START + timedelta(minutes=30)
    assert not o.over_limit(end - timedelta(seconds=1)) and o.over_limit(end)
    text = o.giving_up(end)
    assert "answers 500 'Error making outbound request'" in text
    assert "nobody was marked Failed" in text and "Resume" in text and "http://mhs:80/" in text


@settings(deadline=None)
@given(st.floats(min_value=0.01, max_value=1440))
def test_any_outage_gets_a_bounded_number_of_probes(limit: float) -> None:
    """However long the limit, probes are at most one a probe_max after the first minutes."""
    o = outage(limit)
    count = len(probe_times(o, START + timedelta(days=2)))
    assert count <= 7 + limit * 60 / 300


def test_the_last_probe_goes_at_the_limit_not_a_long_wait_after() -> None:
    """A 1.5-minute limit with waits of 5, 10, 20, 40 s: the next wait (80 s) would end long
    after the limit (the run stopped at 2 min 38 s by hand against the real adaptor)."""
    o = outage(1.5)
    assert probe_times(o, START + timedelta(hours=1)) == [5, 15, 35, 75]
    assert o.next_try == START + timedelta(minutes=1.5) and o.over_limit(o.next_try)
