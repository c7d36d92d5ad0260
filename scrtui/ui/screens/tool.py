"""The frame of the after-upload tools (SCR Reporter, Patient Groups, Settings, the run log):
the shared header and status bar, with a key bar that wraps onto a second line, so every key
of a busy screen is listed at 80 columns."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical

from ..widgets.header import AppHeader
from ..widgets.keybar import KeyBar
from ..widgets.status_bar import StatusBar
from .base import FramedScreen


class ToolScreen(FramedScreen):
    def compose(self) -> ComposeResult:
        yield AppHeader(self.HEADER_TITLE)
        with Vertical(id="body"):
            yield from self.compose_body()
        yield StatusBar()
        yield KeyBar()

    def on_screen_suspend(self) -> None:
        # A dialog on top shows its own keys on the last line: the second line of this
        # screen's keys would show through above it, listing keys that do not work there.
        self.query_one(KeyBar).display = False

    def on_screen_resume(self) -> None:
        # (Textual also calls FramedScreen.on_screen_resume: handlers run for every class.)
        self.query_one(KeyBar).display = True
