"""The frame every full screen shares: header and card line on top, status bar and keys below."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.worker import Worker

from ..state import LiveHub
from ..widgets.header import AppHeader
from ..widgets.keybar import KeyBar
from ..widgets.status_bar import StatusBar
from ..worker_errors import on_failed_worker


class FramedScreen(Screen[None]):
    HEADER_TITLE = "SCR Bulk Uploads"
    HELP_SECTION: str | None = None  # the F1 help opens at this section (scrtui/ui/keys.py)

    def compose(self) -> ComposeResult:
        yield AppHeader(self.HEADER_TITLE)
        with Vertical(id="body"):
            yield from self.compose_body()
        yield StatusBar()
        yield KeyBar()

    def compose_body(self) -> ComposeResult:
        raise NotImplementedError

    def on_screen_resume(self) -> None:
        # Widgets here were not redrawn while another screen covered this one.
        hub = getattr(self.app, "live", None)
        if isinstance(hub, LiveHub):
            hub.refresh_screen(self)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        on_failed_worker(self.app, event)  # a ServiceError was caught where it was awaited
