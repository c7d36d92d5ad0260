"""F1: every key, by where it works (the same table as docs/keys.md)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..keys import KEY_SECTIONS
from ..modals.base import GLOBAL_KEYS, Dialog

KEY_WIDTH = 16


def help_table() -> Table:
    """Keys in one column, what they do in the other (wrapped under itself, not the key)."""
    table = Table.grid(padding=(0, 1))
    table.add_column(width=KEY_WIDTH + 2, no_wrap=True)
    table.add_column(ratio=1)
    for index, (title, rows) in enumerate(KEY_SECTIONS):
        if index:
            table.add_row("", "")
        table.add_row(Text(title, style="bold underline"), "")
        for key, what in rows:
            table.add_row(Text(f"  {key}", style="bold"), what)
    return table


class HelpScreen(Dialog[None]):
    AUTO_FOCUS = "#help-scroll"
    BINDINGS = [
        Binding("escape", "close", "Close"),
        *GLOBAL_KEYS,
    ]  # F1 again also closes it: the App's F1 toggles this screen

    def __init__(self) -> None:
        super().__init__("Keys (Up/Down/PgUp/PgDn to scroll)", classes="help")

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="help-scroll", can_focus=True):
            yield Static(help_table(), id="help-text")

    def action_close(self) -> None:
        self.close(None)
