"""The bottom status bar: the upload's status and its schedule (start, stop and resume times).

Vision shows the chosen stop and pause/resume times in the window's status bar; so do we, on
every screen, so a scheduled pause is never a surprise.
"""

from __future__ import annotations

from textual.widgets import Static

from scrtui.domain.progress import RunStatus

from ..state import LiveState, follow
from ..text import schedule_line, status_line, upload_label
from . import set_text


class StatusBar(Static):
    def __init__(self) -> None:
        super().__init__("", id="status-bar", markup=False)

    def on_mount(self) -> None:
        follow(self, self._render_state)

    def _render_state(self, state: LiveState) -> None:
        if not state.active and state.snapshot.status is RunStatus.IDLE:
            text = "Upload: idle"
        else:
            # Which upload: several keep their own status (scrtui/domain/uploads.py).
            name = upload_label(state.snapshot.upload)
            text = f"{name}: {status_line(state.snapshot, state.now)}"
            schedule = schedule_line(state.snapshot)
            if schedule:
                text += f"  |  {schedule}"
        set_text(self, text, layout=False)
