"""The bottom status bar: the upload's status and its schedule (start, stop and resume times).

Vision shows the chosen stop and pause/resume times in the window's status bar; so do we, on
every screen, so a scheduled pause is never a surprise.
"""

from __future__ import annotations

from textual.widgets import Static

from scrtui.domain.progress import RunStatus

from ..state import LiveState, follow
from ..status_fit import fit_status_bar
from ..text import schedule_line, status_line, upload_label
from . import set_text


class StatusBar(Static):
    """One line, or two when the status needs them (scrtui/ui/status_fit.py)."""

    def __init__(self) -> None:
        super().__init__("", id="status-bar", markup=False)
        self._parts: tuple[str, tuple[str, ...]] = ("Upload: idle", ())

    def on_mount(self) -> None:
        follow(self, self._render_state)

    def on_resize(self) -> None:
        self._show()

    def _render_state(self, state: LiveState) -> None:
        if not state.active and state.snapshot.status is RunStatus.IDLE:
            self._parts = ("Upload: idle", ())
        else:
            # Which upload: several keep their own status (scrtui/domain/uploads.py).
            name = upload_label(state.snapshot.upload)
            status = f"{name}: {status_line(state.snapshot, state.now)}"
            # The whole schedule if it fits, else what it does next.
            next_event = state.snapshot.next_event_text
            shorter = f"next: {next_event}" if next_event else ""
            self._parts = (status, (schedule_line(state.snapshot), shorter))
        self._show()

    def _show(self) -> None:
        width = self.content_size.width or max(self.app.size.width - 2, 0)
        ascii_only = self.app.has_class("-ascii")
        text = fit_status_bar(*self._parts, width, ascii_only=ascii_only)
        # A second line changes the bar's height: only then is a layout needed.
        set_text(self, text, layout=text.count("\n") != str(self.content).count("\n"))
