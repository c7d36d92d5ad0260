"""The gates a run passes before its messages may go, read each tick by the engine's control
loop (scrtui/engine/engine.py, `_gates`), in this order:

- the card: a session ended by another card or expired stops the run; a pulled card, or a
  session not open, pauses it (scrtui/card/session.py decides the state, domain/gate.py);
- the schedule: before its start the run waits, at a stop time without a resume time it stops,
  in the daily pause it pauses (scrtui/domain/schedule.py);
- the user's pause, then an MHS outage (scrtui/engine/outage_watch.py), then in asynchronous
  mode the acknowledgement queue (scrtui/engine/async_watch.py).

The messages-per-second limit every sender passes is scrtui/engine/ratelimit.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from scrtui.domain.gate import GateState
from scrtui.domain.outage import Outage
from scrtui.domain.progress import StopReason
from scrtui.domain.records import Author
from scrtui.domain.schedule import Schedule, Window, WindowState

CARD_PULLED = "smartcard removed: reinsert the card and enter the passcode to continue"
NOT_OPEN = "smartcard session not open"
USER_PAUSE = "by the user; press p (Resume) to continue"


class Gate(Protocol):
    """What the engine needs of the card session (scrtui.card.session.CardSession)."""

    def gate_open(self) -> bool: ...
    def gate_state(self) -> GateState: ...
    def gate_reason(self) -> str: ...
    def author(self) -> Author | None: ...
    def time_left(self) -> timedelta | None: ...


def card_stop(state: GateState) -> StopReason | None:
    """The card session can never come back to this run: it stops."""
    if state is GateState.ENDED:
        return StopReason.CARD_CHANGED
    if state is GateState.EXPIRED:
        return StopReason.SESSION_EXPIRED
    return None


def card_pause(gate: Gate, state: GateState) -> str | None:
    """Why the card holds the run (the same card and its passcode continue it), or None."""
    if gate.gate_open():
        return None
    if state is GateState.LOCKED:
        return CARD_PULLED
    return gate.gate_reason() or NOT_OPEN


def waiting(window: WindowState) -> str:
    """A scheduled run before its start time."""
    return f"starts {window.next_event:%d/%m/%Y %H:%M}"


def pause(window: WindowState, by_user: bool, outage: Outage | None) -> str | None:
    """Why the schedule, the user or an outage holds an open run, or None."""
    if window.window is Window.PAUSED:
        return f"scheduled pause until {window.next_event:%H:%M}"
    if by_user:
        return USER_PAUSE
    if outage is not None:
        return outage.reason()
    return None


def describe_next(window: Window, at: datetime | None, schedule: Schedule) -> str:
    """The schedule's next change, for the screens ("next: " is theirs)."""
    if at is None:
        return ""
    label = {
        Window.WAIT_START: "start",
        # A daily window pauses at its stop time, it does not stop (issue 22: "next: stop").
        Window.OPEN: "pause" if schedule.resume else "stop",
        Window.PAUSED: "resume",
        Window.STOPPED: "",
    }[window]
    return f"{label} at {at:%d/%m/%Y %H:%M}" if label else ""
