"""A message that waits for OK: refusals, "Process completed.", errors."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static

from .base import GLOBAL_KEYS, Dialog


class MessageModal(Dialog[None]):
    """Dismisses None on OK, Enter or Escape. kind: "info", "refusal" or "error" (styling)."""

    AUTO_FOCUS = "#ok"
    BINDINGS = [Binding("escape", "close", "OK"), *GLOBAL_KEYS]

    def __init__(self, title: str, text: str, *, kind: str = "info", low: bool = False) -> None:
        # low: at the bottom of the screen, so the figures it asks to check stay in view.
        super().__init__(title, classes=f"message -{kind}" + (" -low" if low else ""))
        self.text = text

    def compose_body(self) -> ComposeResult:
        yield Static(self.text, id="message-text", markup=False)
        with Horizontal(classes="buttons"):
            yield Button("OK", id="ok", variant="primary", compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.close(None)

    def action_close(self) -> None:
        self.close(None)
