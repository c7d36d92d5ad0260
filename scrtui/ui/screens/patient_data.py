"""Screens that show patient-identifiable data (the SCR Reporter, a group's members, Consent
Migration's changes): locked while no smartcard session is open.

Issue 22: with the card removed (F4) the SCR Reporter still listed every patient and wrote a
CSV. Access to patient data goes with the smartcard session, as the upload does: while the
card is out or its session has ended, the screen's content is hidden and its keys (export,
save to group, search...) refused until the card is back and logged in; Escape still goes
back, and the screen shows what it showed before once the session is back.
"""

from __future__ import annotations

from textual.containers import Vertical
from textual.widgets import Static

from scrtui.services import CardState, CardView

from ..state import LiveHub, LiveState
from .tool import ToolScreen

LOCKED_TEXT = (
    "Patient data is hidden: there is no smartcard session (the card is out, or its session "
    "ended). Insert your card and log in (F3) to see it again; Escape goes back."
)
OPEN_WHILE_LOCKED = frozenset({"back"})  # the screen's own keys that stay (F1, F3... are the App's)


def locks_patient_data(card: CardView) -> bool:
    return card.state is not CardState.LOGGED_IN


class PatientDataScreen(ToolScreen):
    """A tool screen whose body is patient data: hidden while locks_patient_data(card)."""

    locked = False

    def on_mount(self) -> None:
        body = self.query_one("#body", Vertical)
        lock = Static(LOCKED_TEXT, id="patient-lock", markup=False)
        lock.display = False
        self.mount(lock, after=body)
        hub = getattr(self.app, "live", None)
        if isinstance(hub, LiveHub):
            # Every change, even under a dialog: a screen behind one still shows.
            hub.signal.subscribe(self, self._follow_card, immediate=True)
            self._follow_card(hub.state)

    def _follow_card(self, state: LiveState) -> None:
        locked = locks_patient_data(state.card)
        if locked == self.locked:
            return
        self.locked = locked
        self.query_one("#body", Vertical).display = not locked
        self.query_one("#patient-lock", Static).display = locked
        if locked:
            self.set_focus(None)  # no key reaches a hidden table or search box
        else:
            self.set_focus(self.query_one(self.AUTO_FOCUS) if self.AUTO_FOCUS else None)
        self.refresh_bindings()

    def allowed_while_locked(self, action: str) -> bool | None:
        """For check_action: False for the screen's keys while locked, None to decide as usual."""
        if self.locked and action not in OPEN_WHILE_LOCKED:
            return False
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        allowed = self.allowed_while_locked(action)
        return True if allowed is None else allowed
