"""The message shown when an upload run ends ("Process completed." or why it stopped), with
the way on to that run's Completion Report (r, or its button), so the report is one key away.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static

from .base import GLOBAL_KEYS
from .message import MessageModal


class FinishedModal(MessageModal):
    """A MessageModal (OK, Enter, Escape close it) whose `wants_report` says whether it was
    closed for the Completion Report."""

    BINDINGS = [
        Binding("r", "report", "Completion Report"),
        Binding("escape", "close", "OK"),
        *GLOBAL_KEYS,
    ]

    def __init__(self, title: str, text: str) -> None:
        super().__init__(title, text, kind="info", low=True)
        self.wants_report = False

    def compose_body(self) -> ComposeResult:
        yield Static(self.text, id="message-text", markup=False)
        with Horizontal(classes="buttons"):
            yield Button("OK", id="ok", variant="primary", compact=True)
            yield Button("Completion Report (r)", id="report", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.wants_report = event.button.id == "report"
        self.close(None)

    def action_report(self) -> None:
        self.wants_report = True
        self.close(None)
