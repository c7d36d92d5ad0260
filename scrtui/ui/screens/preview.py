"""The go-live preview: who the chosen option would send now, and why not the others.

Shown as the SCR Reporter shows an upload's patients (views by outcome, counts per reason,
search, marks, save to a group, CSV export), but over the preview's own rows, held in memory:
nothing here is a run, and its title says so. ctrl+r previews again (after fixing records).
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Static

from scrtui.domain import nhs_number
from scrtui.domain.preview import PreviewResult, PreviewRow, Verdict, matches, title
from scrtui.domain.records import Bucket, Mode
from scrtui.domain.uploads import KINDS, UploadId
from scrtui.services import PatientRow, ReasonCount, ServiceError

from .. import text as t
from ..host import host
from ..modals.message import MessageModal
from ..widgets import set_text
from ..widgets.patient_table import Column, PatientTable
from .reporter import ORDER_NAMES, ReporterScreen

ALL = "all"
VIEW_KEYS: tuple[tuple[str, str], ...] = (
    ("f5", Verdict.SEND.value),
    ("f6", Verdict.NOT_SEND.value),
    ("f7", Verdict.UNDECIDED.value),
    ("f11", "reasons"),
    ("f12", ALL),
)
ORDERS = ("nhs", "reason", "name")
VERDICTS = {verdict.value for verdict in Verdict}


# Without the reporter's tries and last try (nothing has been tried): the reason gets the room.
PREVIEW_COLUMNS = (
    Column("mark", " ", 1),
    Column("nhs", "NHS number", 12),
    Column("name", "Name", 18),
    Column("reason", "Reason", 36),
)
SHORT_LABELS = {
    Verdict.SEND.value: "Send",
    Verdict.NOT_SEND.value: "Not send",
    Verdict.UNDECIDED.value: "Undecided",
    "reasons": "Reason",
    ALL: "All",
}


def view_label(value: str, *, short: bool = False) -> str:
    if short:
        return SHORT_LABELS[value]
    if value == "reasons":
        return "By reason"
    if value == ALL:
        return "All patients"
    return Verdict(value).label


def _as_row(row: PreviewRow) -> PatientRow:
    return PatientRow(
        patient_id=row.patient_id,
        nhs_number=nhs_number.format_334(row.nhs_number),
        name=row.name,
        bucket=Bucket.UNPROCESSED,  # nothing has happened to the patient: it is a preview
        reason_code=row.reason_code,
        reason_text=row.reason_text or row.verdict.label,
        attempts=0,
        last_attempt=None,
    )


class PreviewScreen(ReporterScreen, inherit_bindings=False):
    HELP_SECTION = "Preview"
    AUTO_FOCUS = "#report-table"
    BINDINGS = [
        Binding("f5", "bucket('would_send')", "View", key_display="F5-F12"),
        Binding("f6", "bucket('would_not_send')", "Would not send", show=False),
        Binding("f7", "bucket('undecided')", "Undecided", show=False),
        Binding("f11", "reasons", "By reason", show=False),
        Binding("f12", "bucket('all')", "All patients", show=False),
        Binding("ctrl+o", "sort", "Sort", key_display="^O"),
        Binding("/", "search", "Search"),
        Binding("ctrl+f", "search", "Search", show=False),
        Binding("space", "mark", "Mark", key_display="Space"),
        Binding("a", "mark_all", "Mark all"),
        Binding("u", "unmark_all", "Unmark all", show=False),
        Binding("g", "save_group", "Save to group"),
        Binding("x", "export", "Export CSV"),
        Binding("ctrl+r", "reload", "Preview again", key_display="^R"),
        Binding("escape", "back", "Back"),
        Binding("down", "into_table", "Results", show=False),
    ]

    def __init__(self, mode: Mode, upload: UploadId, group: str | None = None) -> None:
        super().__init__(Verdict.SEND.value, upload)
        self.mode = mode
        self.group = group
        self.result: PreviewResult | None = None
        self._error = ""

    def compose_body(self) -> ComposeResult:
        yield Static("", id="report-title", classes="tool-title", markup=False)
        yield Static("", id="bucket-bar", markup=False)
        with Horizontal(id="search-row"):
            yield Static("Search", classes="label")
            yield Input(placeholder="NHS number or name", id="report-search", compact=True)
            yield Static("", id="report-order", classes="hint", markup=False)
        yield PatientTable(
            PREVIEW_COLUMNS, marks=self.marks, ascii_only=host(self).ascii_only, id="report-table"
        )
        yield Static("", id="report-detail", markup=False)
        yield Static("", id="report-info", markup=False)

    def on_mount(self) -> None:
        self._render_bar()
        self._preview()

    @property
    def heading(self) -> str:
        return title(KINDS[self.upload].label, self.mode)

    def _render_bar(self) -> None:
        group = f", group {self.group}" if self.group else ""
        set_text(self.query_one("#report-title", Static), f"{self.heading}{group}: nothing is sent")
        bar = Text(no_wrap=True, overflow="crop")
        counts = self.result.counts if self.result else {}
        for index, (key, value) in enumerate(VIEW_KEYS):
            if index:
                bar.append(" ")
            style = "reverse bold" if value == self.bucket else ""
            figure = f" {counts[Verdict(value)]:,}" if value in VERDICTS and counts else ""
            bar.append(f"{key.upper()} {view_label(value, short=True)}{figure}", style)
        self.query_one("#bucket-bar", Static).update(bar)
        set_text(self.query_one("#report-order", Static), f"sorted by {ORDER_NAMES[self.order]}")

    # ----- the preview and its views -------------------------------------------------------------

    @work(exclusive=True, group="preview", exit_on_error=False)
    async def _preview(self) -> None:
        self.result, self._error = None, ""
        pds = KINDS[self.upload].checks_pds and host(self).services.settings.pds_sync
        self._set_note(
            "Previewing: asking PDS about each patient the rules let through..."
            if pds
            else "Previewing..."
        )
        try:
            result = await host(self).services.preview(self.mode, self.group, self.upload)
        except ServiceError as exc:
            self._error = str(exc)
            self._set_note(str(exc), "error")
            return
        self.result = result
        self._render_bar()
        self._note = ""
        self._load()
        if result.blocked:  # what it would do, once the option can start
            self._set_note(f"The option cannot start now: {result.blocked}", "warning")

    def _view(self) -> list[PreviewRow]:
        if self.result is None:
            return []
        rows = [
            r
            for r in self.result.rows
            if (self.bucket == ALL or r.verdict.value == self.bucket) and matches(r, self.search)
        ]
        if self.order == "reason":
            rows.sort(key=lambda r: (r.reason_code or "", r.nhs_number))
        elif self.order == "name":
            rows.sort(key=lambda r: (r.name.lower(), r.nhs_number))
        return rows

    def _load(self) -> None:
        if self.result is None:
            return
        rows = self._view()  # 60,000 rows filter in tens of ms; only shown pages are converted

        async def count() -> int:
            return len(rows)

        async def page(offset: int, limit: int) -> list[PatientRow]:
            return [_as_row(r) for r in rows[offset : offset + limit]]

        self._note = ""
        self.table.show_view(count, page)
        self._render_info()

    def view_label(self) -> str:
        return view_label(self.bucket)

    def _render_detail(self) -> None:
        super()._render_detail()
        row = self.table.current
        if row is not None:
            verdict = "Would send" if row.reason_code is None else "Would not send"
            first = f"{row.nhs_number}  {row.name}  {verdict} (a preview: nothing is sent)"
            reason = t.reason_line(row.reason_code, row.reason_text)
            set_text(self.query_one("#report-detail", Static), f"{first}\n{reason}")

    # ----- keys ----------------------------------------------------------------------------------

    def action_bucket(self, value: str) -> None:
        if value != self.bucket:
            self.bucket = value
            self._render_bar()
        self._load()

    def action_sort(self) -> None:
        self.order = ORDERS[(ORDERS.index(self.order) + 1) % len(ORDERS)]
        self._render_bar()
        self._load()

    def action_reload(self) -> None:
        self.marks.clear()
        self.table.refresh_marks()
        self._preview()

    def action_next_upload(self) -> None:
        """The preview is of one upload's option: ctrl+t has nothing to go to here."""

    @work(exclusive=True, group="reasons", exit_on_error=False)
    async def action_reasons(self) -> None:
        if self.result is None:
            return
        counts = [
            ReasonCount(Bucket.NOT_REQUIRED, r.reason_code, r.reason_text, r.patients)
            for r in self.result.reasons()
        ]
        self.app.push_screen(
            MessageModal(f"{self.heading}: not sent, by reason", t.reason_summary(counts))
        )

    def action_mark_all(self) -> None:
        self._mark_view(None, self.search, self.order, self.upload)

    def action_export(self) -> None:
        self._export(None, self.search, self.order, self.upload)

    @work(exclusive=True, group="mark-all", exit_on_error=False)
    async def _mark_view(
        self, bucket: Bucket | None, search: str, order: str, upload: UploadId
    ) -> None:
        rows = self._view()[: t.MARK_ALL_LIMIT]
        self.marks.update(row.patient_id for row in rows)
        self.table.refresh_marks()
        self._note = ""
        self._after_marks_changed()
        total = len(self._view())
        self._set_note(
            t.mark_all_message(len(rows), total), "warning" if total > t.MARK_ALL_LIMIT else ""
        )

    @work(exclusive=True, group="export", exit_on_error=False)
    async def _export(
        self, bucket: Bucket | None, search: str, order: str, upload: UploadId
    ) -> None:
        if self.result is None:
            self._set_note("Nothing to export yet: the preview is still being made.", "warning")
            return
        verdict = None if self.bucket == ALL else Verdict(self.bucket)
        try:
            path = await host(self).services.export_preview(self.result, verdict, self.search)
        except ServiceError as exc:
            self._set_note(str(exc), "error")
            return
        self._set_note(f"Exported to {path}")
        self.app.push_screen(MessageModal("Export to CSV", t.export_message(path)))
