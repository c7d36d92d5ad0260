"""Consent Migration's changes: every consent code it recoded locally, newest first, with the
code before and after, who ran it (user and role profile) and when (the consent_change table,
scrtui/store/consent_changes.py; `scrtui report --upload consent-migration --changes` prints
the same)."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from scrtui.services import ConsentChange, ServiceError

from .. import text as t
from ..host import host
from ..widgets import set_text
from .patient_data import PatientDataScreen

COLUMNS = ("NHS number", "Name", "Before", "After", "User", "Role", "When")
NO_CHANGES = (
    "Consent Migration has changed no consent code yet. Its Run recodes 93C3 to 9Ndo, 93C2 to "
    "9Ndn, and gives 9Ndl to a patient with a National Summary and no consent code."
)


def row_cells(change: ConsentChange) -> tuple[str, ...]:
    return (
        change.nhs_number,
        change.name,
        change.before or "none",
        change.after,
        change.user_name,
        change.role_profile_id,
        t.long_time(change.at)[:16],  # to the minute: dd/mm/yyyy hh:mm
    )


def summary(changes: list[ConsentChange]) -> str:
    """How many of each change, e.g. "3 changes: 93C3 -> 9Ndo 2, none -> 9Ndl 1"."""
    if not changes:
        return NO_CHANGES
    counts: dict[str, int] = {}
    for change in changes:
        key = f"{change.before or 'none'} -> {change.after}"
        counts[key] = counts.get(key, 0) + 1
    parts = ", ".join(f"{key} {n:,}" for key, n in sorted(counts.items()))
    noun = "change" if len(changes) == 1 else "changes"
    return f"{len(changes):,} {noun}: {parts}"


class ConsentChangesScreen(PatientDataScreen):
    HELP_SECTION = "Consent Migration changes"
    AUTO_FOCUS = "#consent-table"
    BINDINGS = [Binding("escape", "back", "Back")]

    def compose_body(self) -> ComposeResult:
        yield Static("Consent Migration changes", classes="tool-title")
        yield Static("Reading...", id="consent-summary", markup=False)
        table: DataTable[str] = DataTable(id="consent-table", cursor_type="row")
        table.add_columns(*COLUMNS)
        yield table

    def on_mount(self) -> None:
        self._load()

    @work(exclusive=True, group="consent-changes", exit_on_error=False)
    async def _load(self) -> None:
        try:
            changes = await host(self).services.consent_changes()
        except ServiceError as exc:  # a locked or missing database: say so, keep the screen
            set_text(self.query_one("#consent-summary", Static), f"Cannot read them: {exc}")
            return
        table = self.query_one("#consent-table", DataTable)
        table.clear()
        table.add_rows(row_cells(c) for c in changes)
        set_text(self.query_one("#consent-summary", Static), summary(changes))

    def action_back(self) -> None:
        self.app.pop_screen()
