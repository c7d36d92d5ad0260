"""F1: every key, by where it works (the same table as docs/keys.md)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..keys import KEY_SECTIONS
from ..modals.base import Dialog

KEY_WIDTH = 16


def help_text() -> str:
    lines: list[str] = []
    for title, rows in KEY_SECTIONS:
        if lines:
            lines.append("")
        lines.append(title)
        lines.extend(f"  {key:<{KEY_WIDTH}}{what}" for key, what in rows)
    return "\n".join(lines)


class HelpScreen(Dialog[None]):
    AUTO_FOCUS = "#help-scroll"
    BINDINGS = [
        Binding("escape", "close", "Close"),
    ]  # F1 again also closes it: the App's F1 toggles this screen

    def __init__(self) -> None:
        super().__init__("Keys", classes="help")

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="help-scroll", can_focus=True):
            yield Static(help_text(), id="help-text", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
