"""The gates a run passes (scrtui/engine/gates.py), decided directly; the engine's tests run
them end to end (a pulled card, a schedule, an outage: test_engine.py, test_edges.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytest

from scrtui.domain.gate import GateState
from scrtui.domain.outage import Cause, Outage
from scrtui.domain.progress import StopReason
from scrtui.domain.records import Author
from scrtui.domain.schedule import Schedule, Window, WindowState
from scrtui.engine import gates

NOON = datetime(2026, 12, 4, 12, 0)


@dataclass
class Card:
    """A card session in one state. mypy (tests/test_types.py) checks it is a gates.Gate."""

    state: GateState = GateState.OPEN
    reason: str = ""

    def gate_open(self) -> bool:
        return self.state is GateState.OPEN

    def gate_state(self) -> GateState:
        return self.state

    def gate_reason(self) -> str:
        return self.reason

    def author(self) -> Author | None:
        return None

    def time_left(self) -> timedelta | None:
        return None


_: gates.Gate = Card()


@pytest.mark.parametrize(
    ("state", "stop"),
    [
        (GateState.ENDED, StopReason.CARD_CHANGED),
        (GateState.EXPIRED, StopReason.SESSION_EXPIRED),
        (GateState.LOCKED, None),
        (GateState.OPEN, None),
        (GateState.NO_SESSION, None),
    ],
)
def test_only_an_ended_or_expired_session_stops_the_run(
    state: GateState, stop: StopReason | None
) -> None:
    assert gates.card_stop(state) is stop


def test_a_pulled_card_pauses_with_what_to_do_and_others_with_the_sessions_words() -> None:
    assert gates.card_pause(Card(GateState.OPEN), GateState.OPEN) is None
    pulled = Card(GateState.LOCKED, "ignored")
    assert gates.card_pause(pulled, GateState.LOCKED) == gates.CARD_PULLED
    no_role = Card(GateState.NO_ROLE, "choose a role profile")
    assert gates.card_pause(no_role, GateState.NO_ROLE) == "choose a role profile"
    assert gates.card_pause(Card(GateState.NO_SESSION), GateState.NO_SESSION) == gates.NOT_OPEN


def test_the_schedule_pause_comes_before_the_users_and_the_users_before_an_outage() -> None:
    outage = Outage(
        url="http://mhs/",
        since=NOON,
        cause=Cause(503, "down"),
        probe_first=5.0,
        probe_max=300.0,
        limit=timedelta(minutes=30),
    )
    paused = WindowState(Window.PAUSED, NOON.replace(hour=18))
    open_ = WindowState(Window.OPEN, None)
    assert gates.pause(paused, True, outage) == "scheduled pause until 18:00"
    assert gates.pause(open_, True, outage) == gates.USER_PAUSE
    assert gates.pause(open_, False, outage) == outage.reason()
    assert gates.pause(open_, False, None) is None


def test_the_next_change_is_named_as_the_screens_show_it() -> None:
    daily = Schedule(start=None, stop=time(18, 0), resume=time(8, 0))
    once = Schedule(start=None, stop=time(18, 0), resume=None)
    at = NOON.replace(hour=18)
    assert gates.describe_next(Window.OPEN, at, daily) == "pause at 04/12/2026 18:00"
    assert gates.describe_next(Window.OPEN, at, once) == "stop at 04/12/2026 18:00"
    assert gates.describe_next(Window.PAUSED, at, daily) == "resume at 04/12/2026 18:00"
    assert gates.describe_next(Window.WAIT_START, at, once) == "start at 04/12/2026 18:00"
    assert gates.describe_next(Window.OPEN, None, once) == ""
    assert gates.waiting(WindowState(Window.WAIT_START, at)) == "starts 04/12/2026 18:00"
