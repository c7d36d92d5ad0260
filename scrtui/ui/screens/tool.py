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
