"""F1: every key, by where it works (the same table as docs/keys.md), opened at the section of
the screen or dialog it was called from."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..keys import KEY_SECTIONS, KeyRow
from ..modals.base import GLOBAL_KEYS, Dialog

KEY_WIDTH = 16


def section_table(rows: tuple[KeyRow, ...]) -> Table:
    """Keys in one column, what they do in the other (wrapped under itself, not the key)."""
    table = Table.grid(padding=(0, 1))
    table.add_column(width=KEY_WIDTH + 2, no_wrap=True)
    table.add_column(ratio=1)
    for key, what in rows:
        table.add_row(Text(f"  {key}", style="bold"), what)
    return table


def section_id(index: int) -> str:
    return f"help-section-{index}"


class HelpScreen(Dialog[None]):
    AUTO_FOCUS = "#help-scroll"
    BINDINGS = [
        Binding("escape", "close", "Close"),
        *GLOBAL_KEYS,
    ]  # F1 again also closes it: the App's F1 toggles this screen

    def __init__(self, section: str | None = None) -> None:
        super().__init__("Keys (Up/Down/PgUp/PgDn to scroll)", classes="help")
        self.section = section

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="help-scroll", can_focus=True):
            for index, (title, rows) in enumerate(KEY_SECTIONS):
                # A heading on a line of its own: a long one is never cut to the key column.
                yield Static(
                    Text(title, style="bold underline"),
                    id=section_id(index),
                    classes="help-heading",
                )
                yield Static(section_table(rows), classes="help-rows")

    def on_mount(self) -> None:
        titles = [title for title, _rows in KEY_SECTIONS]
        if self.section in titles:
            heading = self.query_one(f"#{section_id(titles.index(self.section))}", Static)
            self.call_after_refresh(self._scroll_to_section, heading)

    def _scroll_to_section(self, heading: Static) -> None:
        self.query_one("#help-scroll", VerticalScroll).scroll_to_widget(
            heading, animate=False, top=True
        )

    def action_close(self) -> None:
        self.close(None)
