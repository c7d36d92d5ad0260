"""A table of patients that loads page by page, so 60,000 patients open at once and scroll
without a freeze.

The queries (a count and pages of rows) run in a thread; only the rows near the cursor are in
the table: the next page is fetched when the cursor comes within NEAR_END rows of the last one
loaded. A new view (bucket, search, order) discards any page still on its way for the old one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from rich.console import JustifyMethod
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable
from textual.worker import Worker

from scrtui.services import PatientRow, ServiceError

from .. import text as t
from ..worker_errors import on_failed_worker

# The services' own async reads (off the UI loop: scrtui/wiring.py in_thread).
Count = Callable[[], Awaitable[int]]
Fetch = Callable[[int, int], Awaitable[list[PatientRow]]]  # offset, limit -> rows

PAGE = 200
NEAR_END = 50
MARK = "*"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int


# 78 columns wide (80 less the body's padding), one cell space either side of each column.
# The reason gets the room (issue 22: 20 characters cut most reasons); the tries and the last
# try are in the detail line under the table, with the highlighted patient's whole reason.
REPORT_COLUMNS = (
    Column("mark", " ", 1),
    Column("nhs", "NHS number", 12),
    Column("name", "Name", 16),
    Column("reason", "Reason", 39),
)
# All patients: the bucket too (the tries are in the detail line under the table).
ALL_COLUMNS = (
    Column("mark", " ", 1),
    Column("nhs", "NHS number", 12),
    Column("name", "Name", 14),
    Column("bucket", "Upload", 12),
    Column("reason", "Reason", 29),
)
# Columns that take the width beyond 80 columns, and their shares of it.
FLEXIBLE = {"name": 1, "reason": 3}
CELL_PADDING = 2  # DataTable's one space either side of each cell
SCROLLBAR = 2


def column_widths(columns: Sequence[Column], width: int) -> dict[str, int]:
    """Each column's width when the table is `width` wide: the base widths, and what is left
    shared among the name and reason columns, so wide screens show names and reasons whole."""
    widths = {c.key: c.width for c in columns}
    used = sum(widths.values()) + CELL_PADDING * len(columns) + SCROLLBAR
    spare = width - used
    flexible = [c.key for c in columns if c.key in FLEXIBLE]
    if spare <= 0 or not flexible:
        return widths
    shares = sum(FLEXIBLE[key] for key in flexible)
    for key in flexible:
        widths[key] += spare * FLEXIBLE[key] // shares
    return widths


MEMBER_COLUMNS = (
    Column("nhs", "NHS number", 12),
    Column("name", "Name", 18),
    Column("bucket", "Upload", 12),
    Column("reason", "Reason", 25),
)


class RowTable(DataTable[Text]):
    """A table whose cursor is a row: Home/End go to the first/last row (DataTable's own
    Home/End scroll sideways, which a row table never needs)."""

    BINDINGS = [
        Binding("home", "scroll_top", "First row", show=False),
        Binding("end", "scroll_bottom", "Last row", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(cursor_type="row", id=id)


class PatientTable(RowTable):
    """Patients, a page at a time; End near the last row loads the next page, so End, End...
    walks to the end of any view."""

    class Loaded(Message):
        """A page arrived: `first` when it is the first page of a new view."""

        def __init__(self, table: PatientTable, *, first: bool) -> None:
            super().__init__()
            self.table = table
            self.first = first

    class Failed(Message):
        def __init__(self, table: PatientTable, error: str) -> None:
            super().__init__()
            self.table = table
            self.error = error

    def __init__(
        self,
        columns: Sequence[Column] = REPORT_COLUMNS,
        *,
        marks: set[int] | None = None,
        ascii_only: bool = False,
        id: str | None = None,  # noqa: A002 - Textual's name
    ) -> None:
        super().__init__(id=id)
        self.columns_spec = tuple(columns)
        self.widths = {c.key: c.width for c in self.columns_spec}
        self.marks = marks if marks is not None else set()
        self.ascii_only = ascii_only
        self.rows_loaded: list[PatientRow] = []
        self._ids: set[int] = set()
        self.total = 0
        self._fetch: Fetch | None = None
        self._generation = 0
        self.loading_page = False
        self.view_pending = False  # a new view was asked for and has not arrived yet

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        for column in self.columns_spec:
            self.add_column(column.label, width=self.widths[column.key], key=column.key)

    def on_resize(self) -> None:
        self._lay_out(self.columns_spec)

    def set_columns(self, columns: Sequence[Column]) -> None:
        """Other columns (the All view adds the bucket); the rows are drawn again."""
        self._lay_out(tuple(columns))

    def _lay_out(self, columns: tuple[Column, ...]) -> None:
        widths = column_widths(columns, self.size.width) if self.size.width else self.widths
        if columns == self.columns_spec and widths == self.widths:
            return
        self.columns_spec, self.widths = columns, widths
        cursor = self.cursor_row
        self.clear(columns=True)
        self._add_columns()
        for row in self.rows_loaded:
            self.add_row(*self._cells(row), key=str(row.patient_id))
        if self.rows_loaded:
            self.move_cursor(row=min(cursor, len(self.rows_loaded) - 1))

    # ----- loading -----------------------------------------------------------------------------

    def show_view(self, count: Count, fetch: Fetch) -> None:
        """Replace the rows with a new view: its total and first page, fetched off the UI."""
        self._generation += 1
        self._fetch = fetch
        self.view_pending = True
        self.loading_page = True
        self.run_worker(
            self._load_first(self._generation, count, fetch),
            group="patient-table",
            exclusive=True,
            exit_on_error=False,
        )

    async def _load_first(self, generation: int, count: Count, fetch: Fetch) -> None:
        try:
            total = await count()
            rows = await fetch(0, PAGE)
        except ServiceError as exc:  # a locked database, a closed connection: say so, keep going
            if generation == self._generation:
                self.loading_page = self.view_pending = False
                self.post_message(self.Failed(self, str(exc)))
            return
        if generation != self._generation:
            return
        self.clear()
        self.rows_loaded = []
        self._ids = set()
        self.total = total
        self._append(rows)
        self.loading_page = self.view_pending = False
        self.post_message(self.Loaded(self, first=True))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.maybe_load_more()  # not stopped: the screen shows the row's details too

    def maybe_load_more(self) -> None:
        if self.loading_page or self._fetch is None or len(self.rows_loaded) >= self.total:
            return
        if self.cursor_row < len(self.rows_loaded) - NEAR_END:
            return
        self.loading_page = True
        self.run_worker(
            self._load_more(self._generation, self._fetch, len(self.rows_loaded)),
            group="patient-table-more",
            exit_on_error=False,
        )

    async def _load_more(self, generation: int, fetch: Fetch, offset: int) -> None:
        try:
            rows = await fetch(offset, PAGE)
        except ServiceError as exc:
            if generation == self._generation:
                self.loading_page = False
                self.post_message(self.Failed(self, str(exc)))
            return
        if generation != self._generation:
            return
        self._append(rows)
        if not rows:
            self.total = len(self.rows_loaded)  # the view shrank meanwhile (a run is moving it)
        self.loading_page = False
        self.post_message(self.Loaded(self, first=False))
        self.maybe_load_more()

    def _append(self, rows: list[PatientRow]) -> None:
        for row in rows:
            if row.patient_id in self._ids:  # the view moved under us (a run is changing it)
                continue
            self._ids.add(row.patient_id)
            self.rows_loaded.append(row)
            self.add_row(*self._cells(row), key=str(row.patient_id))

    # ----- cells -------------------------------------------------------------------------------

    def _cells(self, row: PatientRow) -> list[Text]:
        values = {
            "mark": MARK if row.patient_id in self.marks else "",
            "nhs": row.nhs_number,
            "name": row.name,
            "bucket": row.bucket.label,
            "reason": t.reason_line(row.reason_code, row.reason_text),
            "tries": str(row.attempts) if row.attempts else "",
            "last": t.short_time(row.last_attempt),
        }
        cells = []
        for column in self.columns_spec:
            width = self.widths.get(column.key, column.width)
            value = t.clip(values[column.key], width, ascii_only=self.ascii_only)
            justify: JustifyMethod = "right" if column.key == "tries" else "left"
            cells.append(Text(value, justify=justify, no_wrap=True))
        return cells

    @property
    def current(self) -> PatientRow | None:
        """The highlighted patient, if any."""
        if not self.rows_loaded or not 0 <= self.cursor_row < len(self.rows_loaded):
            return None
        return self.rows_loaded[self.cursor_row]

    def refresh_mark(self, patient_id: int) -> None:
        if "mark" not in {c.key for c in self.columns_spec} or patient_id not in self._ids:
            return
        self.update_cell(str(patient_id), "mark", Text(MARK if patient_id in self.marks else ""))

    def refresh_marks(self) -> None:
        for row in self.rows_loaded:
            self.refresh_mark(row.patient_id)

    @property
    def all_loaded(self) -> bool:
        return len(self.rows_loaded) >= self.total

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        on_failed_worker(self.app, event)  # a ServiceError was caught where it was awaited
