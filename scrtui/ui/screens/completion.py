"""The Completion Report of an upload's last run: who ran it, for which practice, when it
started, paused and stopped, its counts and reasons, the Failed patients with what to do, and
its message rate (scrtui/domain/completion_report.py). x keeps it as HTML, CSV and JSON in the
data directory; `scrtui report --run last` prints the same."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from scrtui.domain.completion_report import text_lines
from scrtui.domain.uploads import KINDS, UploadId
from scrtui.services import ServiceError

from .. import text as t
from ..host import host
from ..modals.message import MessageModal
from ..widgets import set_text
from .tool import ToolScreen


class CompletionReportScreen(ToolScreen):
    HELP_SECTION = "Completion Report"
    AUTO_FOCUS = "#completion-scroll"
    BINDINGS = [
        Binding("x", "export", "Export HTML/CSV/JSON"),
        Binding("ctrl+t", "next_upload", "Upload", key_display="^T"),
        Binding("ctrl+r", "reload", "Reload", key_display="^R", show=False),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, upload: UploadId | None = None) -> None:
        super().__init__()
        self._asked = upload
        self.upload: UploadId = upload or UploadId.INITIAL
        self.has_report = False

    def compose_body(self) -> ComposeResult:
        if self._asked is None:
            self.upload = host(self).chosen_upload
        yield Static("", id="completion-title", classes="tool-title", markup=False)
        with VerticalScroll(id="completion-scroll", can_focus=True):
            yield Static("Reading...", id="completion-text", markup=False)
        yield Static("", id="completion-info", markup=False)

    def on_mount(self) -> None:
        self._load()

    @work(exclusive=True, group="completion", exit_on_error=False)
    async def _load(self) -> None:
        upload = self.upload
        set_text(
            self.query_one("#completion-title", Static),
            f"Completion Report - {KINDS[upload].label} (^T: next upload)",
        )
        try:
            report = await host(self).services.completion_report(upload)
        except ServiceError as exc:
            self.has_report = False
            set_text(self.query_one("#completion-text", Static), str(exc))
            return
        if upload != self.upload:
            return
        self.has_report = True
        set_text(self.query_one("#completion-text", Static), "\n".join(text_lines(report)))
        set_text(self.query_one("#completion-info", Static), "")

    def action_next_upload(self) -> None:
        ids = list(KINDS)
        self.upload = ids[(ids.index(self.upload) + 1) % len(ids)]
        self._load()

    def action_reload(self) -> None:
        self._load()

    @work(exclusive=True, group="completion-export", exit_on_error=False)
    async def action_export(self) -> None:
        try:
            paths = await host(self).services.export_completion_report(self.upload)
        except ServiceError as exc:
            self.app.push_screen(MessageModal("Export the report", str(exc), kind="refusal"))
            return
        set_text(self.query_one("#completion-info", Static), f"Exported to {paths[0]}")
        self.app.push_screen(
            MessageModal(
                "Export the report",
                t.completion_export_message(paths),
            )
        )

    def action_back(self) -> None:
        self.app.pop_screen()
