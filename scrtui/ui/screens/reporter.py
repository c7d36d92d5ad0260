"""SCR Reporter: who was not sent, and why; mark them, save them to a patient group, export.

One bulk upload's patients (each upload keeps its own outcome per patient; ctrl+t goes to the
next upload, starting from the one chosen on the Bulk Transmission screen, and the line under
the title says which), one bucket of them (Failed first) in a table filled page by page; F11
counts Failed and Not Required per reason and narrows the list to the reason chosen there; the
search box narrows it as you type (after a short pause, not per key); the order is NHS number,
reason or name. Space marks a patient and moves down, `a` marks the whole view (up to
MARK_ALL_LIMIT), `g` saves the marked patients to a new or existing group: that upload's Failed
(or Rerun) with that group then resends to just them.

Letters act only while the table has focus (the search box takes letters as text); the bucket,
order and search keys are F-keys and ctrl chords, so they also work while typing.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Input, Static

from scrtui.domain.records import Bucket
from scrtui.domain.uploads import INITIAL, KINDS, UploadId
from scrtui.services import REPORT_ORDERS, GroupInfo, PatientRow, ReasonFilter, ServiceError

from .. import text as t
from ..host import host
from ..modals.group_form import GroupFormModal
from ..modals.message import MessageModal
from ..modals.reason_picker import ReasonPick, ReasonPickerModal
from ..widgets import set_text
from ..widgets.ordered_input import OrderedInput
from ..widgets.patient_table import ALL_COLUMNS, REPORT_COLUMNS, PatientTable
from .patient_data import PatientDataScreen

ALL = "all"
# Vision's order on the results screen's follow-up: the ones to fix first.
BUCKET_KEYS: tuple[tuple[str, str], ...] = (
    ("f5", Bucket.FAILED.value),
    ("f6", Bucket.NOT_REQUIRED.value),
    ("f7", Bucket.SENDING.value),
    ("f8", Bucket.UNPROCESSED.value),
    ("f9", Bucket.SENT.value),
    ("f11", "reasons"),
    ("f12", ALL),
)
ORDER_NAMES = {"nhs": "NHS number", "reason": "reason", "name": "name"}
SEARCH_DEBOUNCE = 0.25


def bucket_label(value: str, *, short: bool = False) -> str:
    if value == "reasons":
        return "Reason" if short else "By reason"
    if value == ALL:
        return "All" if short else "All patients"
    return Bucket(value).label


def bucket_of(value: str) -> Bucket | None:
    return None if value == ALL else Bucket(value)


class ReporterScreen(PatientDataScreen):
    HELP_SECTION = "SCR Reporter"
    AUTO_FOCUS = "#report-table"
    BINDINGS = [
        Binding("f5", "bucket('failed')", "Bucket", key_display="F5-F12"),
        Binding("f6", "bucket('not_required')", "Not Required", show=False),
        Binding("f7", "bucket('sending')", "Sending", show=False),
        Binding("f8", "bucket('unprocessed')", "Unprocessed", show=False),
        Binding("f9", "bucket('sent')", "Sent", show=False),
        Binding("f11", "reasons", "Reason filter", show=False),
        Binding("f12", "bucket('all')", "All patients", show=False),
        Binding("ctrl+o", "sort", "Sort", key_display="^O"),
        # The line under the title names the upload and this key: the footer is full at 80
        # columns.
        Binding("ctrl+t", "next_upload", "Upload", key_display="^T", show=False),
        Binding("/", "search", "Search"),
        Binding("ctrl+f", "search", "Search", show=False),
        Binding("space", "mark", "Mark", key_display="Space"),
        Binding("a", "mark_all", "Mark all"),
        Binding("u", "unmark_all", "Unmark all"),
        Binding("g", "save_group", "Save to group"),
        Binding("x", "export", "Export CSV"),
        # The bucket's own F-key reloads too, so the footer need not list ^R (80 columns).
        Binding("ctrl+r", "reload", "Reload", key_display="^R", show=False),
        Binding("escape", "back", "Back"),
        Binding("down", "into_table", "Results", show=False),
    ]

    def __init__(self, bucket: str = Bucket.FAILED.value, upload: UploadId | None = None) -> None:
        """`upload` None: the one chosen on the Bulk Transmission screen (else Initial)."""
        super().__init__()
        self.bucket = bucket
        self.upload: UploadId = upload or INITIAL
        self._upload_chosen = upload is not None
        self._opened_on: UploadId | None = None  # the upload chosen on Bulk Transmission
        self.reason: ReasonFilter | None = None  # F11's choice: one reason of one bucket
        self.search = ""
        self.order = "nhs"
        self.marks: set[int] = set()
        self._search_timer: Timer | None = None
        self._note = ""  # a one-off message under the table (export, marking, an error)
        self._note_kind = ""

    # ----- layout ------------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        if not self._upload_chosen:
            self.upload = self._opened_on = host(self).chosen_upload
        yield Static("", id="report-title", classes="tool-title", markup=False)
        yield Static("", id="report-upload", classes="hint", markup=False)
        yield Static("", id="bucket-bar", markup=False)
        with Horizontal(id="search-row"):
            yield Static("Search", classes="label")
            yield OrderedInput(placeholder="NHS number or name", id="report-search", compact=True)
            yield Static("", id="report-order", classes="hint", markup=False)
        yield PatientTable(
            ALL_COLUMNS if self.bucket == ALL else REPORT_COLUMNS,
            marks=self.marks,
            ascii_only=host(self).ascii_only,
            id="report-table",
        )
        yield Static("", id="report-detail", markup=False)
        yield Static("", id="report-info", markup=False)

    def on_mount(self) -> None:
        self._render_bar()
        self._load()

    @property
    def table(self) -> PatientTable:
        return self.query_one("#report-table", PatientTable)

    @property
    def search_box(self) -> Input:
        return self.query_one("#report-search", Input)

    def _render_bar(self) -> None:
        set_text(
            self.query_one("#report-title", Static),
            f"SCR Reporter - {KINDS[self.upload].label} - each patient's outcome",
        )
        set_text(self.query_one("#report-upload", Static), self._upload_line())
        bar = Text(no_wrap=True, overflow="crop")
        for index, (key, value) in enumerate(BUCKET_KEYS):
            if index:
                bar.append(" ")  # one space: the bar fits 80 columns with F11
            chosen = value == self.bucket or (value == "reasons" and self.reason is not None)
            style = "reverse bold" if chosen else ""
            bar.append(f"{key.upper()} {bucket_label(value, short=True)}", style)
        self.query_one("#bucket-bar", Static).update(bar)
        set_text(self.query_one("#report-order", Static), f"sorted by {ORDER_NAMES[self.order]}")

    def _upload_line(self) -> str:
        """Which upload's outcomes these are and how to see another's (or, under a reason
        filter, which reason and how to clear it)."""
        if self.reason is not None:
            return f"Only {reason_label(self.reason)}: F11 another reason or the whole bucket"
        ids = list(KINDS)
        following = KINDS[ids[(ids.index(self.upload) + 1) % len(ids)]].label
        if self.upload == self._opened_on:
            return "The upload chosen on GP Summary Bulk Transmission; ^T: the next upload"
        return f"^T: the next upload ({following})"

    # ----- the view ----------------------------------------------------------------------------

    def _load(self) -> None:
        services = host(self).services
        bucket, search, order, upload = bucket_of(self.bucket), self.search, self.order, self.upload
        self._note = ""
        reason = self.reason
        if reason is not None:
            self.table.show_view(
                lambda: services.reason_view_count(reason, search, upload),
                lambda offset, limit: services.reason_view_page(
                    reason, search, order, offset, limit, upload
                ),
            )
        else:
            self.table.show_view(
                lambda: services.report_count(bucket, search, upload),
                lambda offset, limit: services.report_page(
                    bucket, search, order, offset, limit, upload
                ),
            )
        self._render_info()

    def on_patient_table_loaded(self, event: PatientTable.Loaded) -> None:
        event.stop()
        self._render_info()
        self._render_detail()

    def on_patient_table_failed(self, event: PatientTable.Failed) -> None:
        event.stop()
        self._set_note(f"Cannot read the report: {event.error}", "error")

    def on_data_table_row_highlighted(self, event: PatientTable.RowHighlighted) -> None:
        self._render_detail()
        if not self._note:
            self._render_info()

    def _render_info(self) -> None:
        table = self.table
        info = self.query_one("#report-info", Static)
        if self._note:
            set_text(info, self._note)
            info.set_class(self._note_kind == "error", "-error")
            info.set_class(self._note_kind == "warning", "-warning")
            return
        info.remove_class("-error", "-warning")
        if table.view_pending:
            set_text(info, "Searching..." if self.search else "Loading...")
            return
        first = f"{self.view_label()}: {t.patients(table.total)}"
        if self.search:
            first += f' matching "{self.search}"'
        parts = [first, f"{len(self.marks):,} marked" if self.marks else "none marked"]
        if table.rows_loaded:
            parts.append(f"row {table.cursor_row + 1:,}")  # where you are, scrollbar or not
        if not table.all_loaded:
            parts.append(f"{len(table.rows_loaded):,} loaded so far")
        set_text(info, "; ".join(parts))

    def view_label(self) -> str:
        """The view's name in the line under the table (the preview names its own views)."""
        if self.reason is not None:
            return f"{bucket_label(self.bucket)}, reason {self.reason.code or 'none recorded'}"
        return bucket_label(self.bucket)

    def _render_detail(self) -> None:
        row = self.table.current
        detail = self.query_one("#report-detail", Static)
        if row is None:
            empty = "" if self.table.view_pending else "No patients in this view."
            set_text(detail, empty)
            return
        text = detail_text(row)
        # A long reason (a PDS mismatch names each field with both values) wraps onto more
        # lines rather than losing the values past the screen's edge; so does a long first
        # line (the last try's time at its end).
        longest = max(len(line) for line in text.splitlines())
        detail.set_class(longest > max(detail.size.width, 1), "-long")
        set_text(detail, text)

    def _set_note(self, message: str, kind: str = "") -> None:
        self._note, self._note_kind = message, kind
        self._render_info()

    # ----- keys --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        locked = self.allowed_while_locked(action)
        if locked is not None:
            return locked
        typing = isinstance(self.focused, Input)
        if action in ("mark", "mark_all", "save_group", "export", "search"):
            return not typing  # letters are text in the search box
        if action == "unmark_all":
            return not typing and bool(self.marks)
        return True

    def action_bucket(self, value: str) -> None:
        """A bucket's F-key shows the whole bucket: it clears a reason filter too."""
        if value != self.bucket or self.reason is not None:
            self.bucket = value
            self.reason = None
            self._render_bar()
            self.table.set_columns(ALL_COLUMNS if value == ALL else REPORT_COLUMNS)
        self._load()

    @work(exclusive=True, group="reasons", exit_on_error=False)
    async def action_reasons(self) -> None:
        """Failed and Not Required counted per reason (without paging through them), and a
        choice of one to narrow the list to."""
        upload = self.upload
        try:
            counts = await host(self).services.reason_counts(upload)
        except ServiceError as exc:
            self._set_note(f"Cannot read the report: {exc}", "error")
            return
        self.app.push_screen(
            ReasonPickerModal(
                f"{KINDS[upload].label}: Failed and Not Required by reason",
                counts,
                self.reason,
                ascii_only=host(self).ascii_only,
            ),
            self._reason_chosen,
        )

    def _reason_chosen(self, pick: ReasonPick | None) -> None:
        if pick is None:  # cancelled: the view stays as it was
            return
        if pick.reason is None:
            if self.reason is not None:
                self.action_bucket(self.bucket)
            return
        self.reason = pick.reason
        self.bucket = pick.reason.bucket.value
        self.table.set_columns(REPORT_COLUMNS)
        self._render_bar()
        self._load()

    def action_next_upload(self) -> None:
        """The next bulk upload's patients, in the same bucket, search and order. The marks
        were patients of the previous upload's view: they are dropped, and the note says so."""
        ids = list(KINDS)
        self.upload = ids[(ids.index(self.upload) + 1) % len(ids)]
        self.reason = None  # another upload's reasons are its own
        dropped = len(self.marks)
        if dropped:
            self.marks.clear()
            self.table.refresh_marks()
            self.refresh_bindings()
        self._render_bar()
        self._load()
        if dropped:
            self._set_note(f"{KINDS[self.upload].label}: {t.patients(dropped)} unmarked.")

    def action_sort(self) -> None:
        self.order = REPORT_ORDERS[(REPORT_ORDERS.index(self.order) + 1) % len(REPORT_ORDERS)]
        self._render_bar()
        self._load()

    def action_search(self) -> None:
        self.search_box.focus()

    def action_reload(self) -> None:
        self._load()

    def action_back(self) -> None:
        if isinstance(self.focused, Input):
            self.table.focus()
        else:
            self.app.pop_screen()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE, self._apply_search)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._apply_search()
        self.table.focus()

    def action_into_table(self) -> None:
        # Down from the search box goes to the results (the table binds Down itself).
        self._apply_search()
        self.table.focus()

    def _apply_search(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        wanted = self.search_box.value.strip()
        if wanted != self.search:
            self.search = wanted
            self._load()

    # ----- marking -----------------------------------------------------------------------------

    def action_mark(self) -> None:
        row = self.table.current
        if row is None:
            return
        if row.patient_id in self.marks:
            self.marks.discard(row.patient_id)
        else:
            self.marks.add(row.patient_id)
        self.table.refresh_mark(row.patient_id)
        self._after_marks_changed()
        self.table.action_cursor_down()

    def action_unmark_all(self) -> None:
        self.marks.clear()
        self.table.refresh_marks()
        self._after_marks_changed()

    def _after_marks_changed(self) -> None:
        self._note = ""
        self._render_info()
        self.refresh_bindings()

    def action_mark_all(self) -> None:
        if self.table.view_pending:
            return
        self._set_note("Marking...")
        self._mark_view(bucket_of(self.bucket), self.search, self.order, self.upload)

    @work(exclusive=True, group="mark-all", exit_on_error=False)
    async def _mark_view(
        self, bucket: Bucket | None, search: str, order: str, upload: UploadId
    ) -> None:
        services = host(self).services
        reason, limit = self.reason, t.MARK_ALL_LIMIT
        try:
            if reason is not None:
                total = await services.reason_view_count(reason, search, upload)
                rows = await services.reason_view_page(reason, search, order, 0, limit, upload)
            else:
                total = await services.report_count(bucket, search, upload)
                rows = await services.report_page(bucket, search, order, 0, limit, upload)
        except ServiceError as exc:
            self._set_note(f"Cannot read the view: {exc}", "error")
            return
        if upload != self.upload or reason != self.reason:  # the view changed meanwhile
            return
        self.marks.update(row.patient_id for row in rows)
        self.table.refresh_marks()
        self._note = ""
        self._after_marks_changed()
        self._set_note(
            t.mark_all_message(len(rows), total), "warning" if total > t.MARK_ALL_LIMIT else ""
        )

    # ----- saving to a group, exporting --------------------------------------------------------

    def action_save_group(self) -> None:
        if not self.marks:
            self.app.push_screen(
                MessageModal(
                    "Save to a patient group",
                    "No patients are marked. Space marks the highlighted patient; a marks every "
                    "patient in this view.",
                    kind="refusal",
                )
            )
            return
        services = host(self).services
        chosen = sorted(self.marks)

        async def save(name: str, description: str, _path: str, how: str) -> GroupInfo:
            return await services.save_group(name, description, chosen, how=how)

        self.app.push_screen(
            GroupFormModal(
                "Save to a patient group",
                f"Save the {t.patients(len(chosen))} you marked to a patient group.",
                exists=services.group_exists,
                save=save,
                can_add=True,
            ),
            self._group_saved,
        )

    def _group_saved(self, group: GroupInfo | None) -> None:
        if group is None:
            return
        self.marks.clear()
        self.table.refresh_marks()
        self._after_marks_changed()
        self.app.push_screen(
            MessageModal(
                "Patient group saved",
                t.group_saved_message(
                    group.name, group.members, KINDS[self.upload].label, bucket_of(self.bucket)
                ),
            )
        )

    def action_export(self) -> None:
        self._set_note("Exporting...")
        self._export(bucket_of(self.bucket), self.search, self.order, self.upload)

    @work(exclusive=True, group="export", exit_on_error=False)
    async def _export(
        self, bucket: Bucket | None, search: str, order: str, upload: UploadId
    ) -> None:
        services = host(self).services
        reason = self.reason
        try:
            if reason is not None:
                path = await services.export_reason_view(reason, search, order, upload)
            else:
                path = await services.export_report(bucket, search, order, upload)
        except ServiceError as exc:
            self._set_note(str(exc), "error")
            return
        self._set_note(f"Exported to {path}")
        self.app.push_screen(MessageModal("Export to CSV", t.export_message(path)))


def reason_label(reason: ReasonFilter) -> str:
    """E.g. "Failed with reason 30418"; a reason with no code by its words."""
    if reason.code is None:
        return f"{reason.bucket.label} with no reason recorded"
    return f"{reason.bucket.label} with reason {reason.code}"


def detail_text(row: PatientRow) -> str:
    """Two lines about the highlighted patient: who and where, then the whole reason."""
    first = f"{row.nhs_number}  {row.name}  {row.bucket.label}"
    if row.attempts:
        # Counted over every run, so it reads as history, not as retries of one send.
        times = "once" if row.attempts == 1 else f"{row.attempts} times"
        first += f", sent {times} over all runs"
    if row.last_attempt:
        first += f", last {t.long_time(row.last_attempt)}"
    elif not row.attempts:
        first += ", never sent"
    reason = t.reason_line(row.reason_code, row.reason_text) or "No reason recorded."
    return f"{first}\n{reason}"
