"""The front screen: tabs, with the SCR tab listing its tools (Vision's "SCR tab")."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from .. import text as t
from ..host import host
from .base import FramedScreen
from .bulk import BulkTransmissionScreen
from .consent_changes import ConsentChangesScreen
from .groups import GroupsScreen
from .log_viewer import LogScreen
from .reporter import ReporterScreen
from .settings import SettingsScreen


@dataclass(frozen=True)
class MenuEntry:
    key: str
    label: str
    action: str  # an action of FrontScreen
    short: str = ""  # the footer's label, so five entries and the global keys fit 80 columns


# The SCR tab's tools; an entry is listed only once its screen exists, so the menu never
# offers a dead end.
SCR_MENU: tuple[MenuEntry, ...] = (
    MenuEntry("g", "GP Summary Bulk Uploads", "bulk_uploads", "Bulk uploads"),
    MenuEntry("r", "SCR Reporter", "reporter", "Reporter"),
    MenuEntry("p", "Patient Groups", "patient_groups", "Groups"),
    MenuEntry("s", "Settings", "settings", "Settings"),
    MenuEntry("l", "Upload log", "upload_log", "Log"),
    MenuEntry("c", "Consent Migration changes", "consent_changes", "Consent"),
)


class FrontScreen(FramedScreen):
    HELP_SECTION = "Front screen"
    AUTO_FOCUS = "#scr-menu"
    BINDINGS = [Binding(entry.key, entry.action, entry.short or entry.label) for entry in SCR_MENU]

    def compose_body(self) -> ComposeResult:
        with TabbedContent(id="front-tabs"):
            with TabPane("SCR", id="tab-scr"):
                yield Static("Summary Care Record", classes="section-title")
                yield OptionList(
                    *(Option(f"{e.label}", id=e.action) for e in SCR_MENU),
                    id="scr-menu",
                    markup=False,
                )
                yield Static(
                    "Enter or the letter shown below opens the highlighted tool.",
                    classes="hint",
                    markup=False,
                )
                rejects = host(self).demo_rejects
                if rejects:
                    yield Static(t.demo_rejects_note(rejects), id="demo-note", markup=False)
                if host(self).demo_pds:
                    yield Static(t.demo_pds_note(host(self).demo_pds), classes="demo-pds-note")
            with TabPane("Practice", id="tab-practice"):
                yield Static(self._practice_text(), id="practice-info", markup=False)

    def _practice_text(self) -> str:
        s = host(self).services.settings
        rows = (
            ("Practice", s.practice_name),
            ("ODS code", s.ods_code),
            ("GP Summary", "enabled" if s.gp_summary_enabled else "NOT enabled"),
            ("MHS adaptor", s.mhs_url),
            ("Sending ASID", s.sending_asid),
            ("Smartcard", "simulated (demo)" if s.card_backend == "simulated" else "PC/SC reader"),
            ("Concurrency", f"{s.concurrency} requests at a time"),
        )
        lines = [f"{label:<14}{value}" for label, value in rows]
        lines += ["", "These settings are read from scrtui.toml in the data directory."]
        return "\n".join(lines)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id:
            getattr(self, f"action_{event.option_id}")()

    def action_bulk_uploads(self) -> None:
        self.app.push_screen(BulkTransmissionScreen())

    def action_reporter(self) -> None:
        self.app.push_screen(ReporterScreen())

    def action_patient_groups(self) -> None:
        self.app.push_screen(GroupsScreen())

    def action_settings(self) -> None:
        self.app.push_screen(SettingsScreen())

    def action_upload_log(self) -> None:
        self.app.push_screen(LogScreen())

    def action_consent_changes(self) -> None:
        self.app.push_screen(ConsentChangesScreen())

    def on_screen_resume(self) -> None:
        # Settings may have changed (GP Summary, the MHS URL): show them as they are now.
        # (FramedScreen.on_screen_resume runs too: Textual calls the handler of every class.)
        info = self.query("#practice-info")
        if info:
            info.first(Static).update(self._practice_text())
