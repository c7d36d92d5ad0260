"""Settings (SCR tab): Enable GP Summary with Vision's two prompts, the "update existing
summaries" days, the MHS adaptor URL, the ASIDs, concurrency and rate limit.

Changing anything needs the smartcard session with B0062 (the services refuse otherwise, and
the screen says why before you type); every change is checked by the services, which name the
field by its label here (scrtui.settings.LABELS), the value and what to enter, shown under the
fields; number fields take digits only; the services log each change with the user and role.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Static

from scrtui.services import ServiceError
from scrtui.settings import LABELS, Settings

from .. import text as t
from ..host import host
from ..modals.choices import ConfirmOnModal, ContinueModal
from ..modals.confirm import ConfirmModal
from ..modals.message import MessageModal
from ..state import LiveState, follow
from ..widgets import set_text
from ..widgets.ordered_input import OrderedInput
from .tool import ToolScreen

# (setting, input id, hint, characters the field takes); the labels are scrtui.settings.LABELS,
# which the services' errors use too. The days field sits inside Vision's sentence instead.
_DIGITS = r"[0-9]*"
FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("update_existing_after_days", "days", "days (0 to 99)", _DIGITS),
    ("mhs_url", "mhs-url", "http:// or https://", ""),
    ("sending_asid", "sending-asid", "12 digits: this practice's system", _DIGITS),
    ("spine_asid", "spine-asid", "12 digits", _DIGITS),
    ("concurrency", "concurrency", "messages at a time (1 to 256)", _DIGITS),
    ("rate_limit", "rate-limit", "messages a second (0: no limit)", r"[0-9]*\.?[0-9]*"),
)
MAX_LENGTH = {"sending_asid": 12, "spine_asid": 12, "concurrency": 3}
INTEGER = {"update_existing_after_days", "concurrency"}
DECIMAL = {"rate_limit"}


def shown(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def typed(attr: str, text: str) -> object:
    """The typed text as the setting's type when it reads as one; else the text (an empty
    field), so the services' check names the field and what to enter."""
    value = text.strip()
    try:
        if attr in INTEGER:
            return int(value)
        if attr in DECIMAL:
            return float(value)
    except ValueError:
        return value
    return value


class SettingsScreen(ToolScreen):
    HELP_SECTION = "Settings"
    AUTO_FOCUS = "#days"
    BINDINGS = [
        Binding("f2", "save", "Save", key_display="F2"),
        Binding("f5", "toggle_gp_summary", "GP Summary on/off", key_display="F5"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._refusal: str | None = ""

    def compose_body(self) -> ComposeResult:
        yield Static("Settings", classes="tool-title")
        yield Static("", id="settings-refusal", classes="refusal", markup=False)
        with Horizontal(classes="setting", id="gp-row"):
            yield Static(LABELS["gp_summary_enabled"], classes="label")
            yield Static("", id="gp-summary", markup=False)
        yield Static(
            "Update existing summaries during the initial upload for patients",
            id="days-question",
            markup=False,
        )
        with Horizontal(id="days-row"):
            yield Static("registered for more than ", markup=False)
            yield OrderedInput(id="days", max_length=2, restrict=r"[0-9]*", compact=True)
            yield Static(" days (0 to 99)", markup=False)
        yield Static("", classes="gap")
        for attr, field_id, hint, chars in FIELDS[1:]:
            with Horizontal(classes="setting"):
                yield Static(LABELS[attr], classes="label")
                yield OrderedInput(
                    id=field_id,
                    compact=True,
                    classes=f"-{attr}",
                    restrict=chars or None,
                    max_length=MAX_LENGTH.get(attr, 0),
                )
                yield Static(hint, classes="hint", markup=False)
        yield Static("", id="settings-error", classes="error", markup=False)
        yield Static("", id="settings-saved", classes="hint", markup=False)

    def on_mount(self) -> None:
        self._fill(host(self).services.settings)
        follow(self, self._render_state)

    def _fill(self, settings: Settings) -> None:
        for attr, field_id, _hint, _chars in FIELDS:
            self.query_one(f"#{field_id}", Input).value = shown(getattr(settings, attr))
        self._fill_gp(settings)

    def _render_state(self, state: LiveState) -> None:
        # The card may have been logged in (F3) or removed while this screen is open.
        refusal = host(self).services.settings_refusal()
        if refusal == self._refusal:
            return
        self._refusal = refusal
        banner = self.query_one("#settings-refusal", Static)
        set_text(banner, f"Read only. {refusal}" if refusal else "")
        banner.display = bool(refusal)
        for _attr, field_id, _hint, _chars in FIELDS:
            self.query_one(f"#{field_id}", Input).disabled = bool(refusal)
        if not refusal and self.focused is None:
            self.query_one("#days", Input).focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "toggle_gp_summary"):
            return None if self._refusal else True
        return True

    # ----- saving ------------------------------------------------------------------------------

    def changes(self) -> dict[str, object]:
        """What the user changed, as the settings' types (unchanged fields are left out)."""
        current = host(self).services.settings
        found: dict[str, object] = {}
        for attr, field_id, _hint, _chars in FIELDS:
            value = typed(attr, self.query_one(f"#{field_id}", Input).value)
            if value != getattr(current, attr):  # "0.0" for a rate of 0 is no change
                found[attr] = value
        return found

    @work(exclusive=True, group="settings-save", exit_on_error=False)
    async def action_save(self) -> None:
        changes = self.changes()
        if not changes:
            self._show("", "Nothing to save: no setting was changed.")
            return
        services = host(self).services
        before = services.settings
        try:
            updated = await services.update_settings(**changes)
        except ServiceError as exc:
            self._show(str(exc), "", blame=exc.field)
            return
        done = ", ".join(
            f"{LABELS[attr]} {shown(getattr(before, attr))} -> {shown(getattr(updated, attr))}"
            for attr in changes
        )
        self._fill(updated)
        self._show("", f"Saved: {done}. The change is logged with your name and role.")

    def _show(self, error: str, saved: str, *, blame: str | None = None) -> None:
        set_text(self.query_one("#settings-error", Static), error)
        set_text(self.query_one("#settings-saved", Static), saved)
        for attr, field_id, _hint, _chars in FIELDS:
            bad = attr == blame
            field = self.query_one(f"#{field_id}", Input)
            field.set_class(bad, "-bad")
            if bad:
                field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    # ----- Enable GP Summary (docs/domain.md §1.10) --------------------------------------------

    def action_toggle_gp_summary(self) -> None:
        services = host(self).services
        refusal = services.settings_refusal()
        if refusal:
            self.app.push_screen(MessageModal("Enable GP Summary", refusal, kind="refusal"))
            return
        if services.settings.gp_summary_enabled:
            self.app.push_screen(
                ConfirmModal(
                    "GP Summary",
                    t.GP_SUMMARY_OFF_QUESTION,
                    t.GP_SUMMARY_OFF_DETAIL,
                    default_yes=False,
                ),
                self._switch_off,
            )
            return
        self.app.push_screen(ContinueModal("Enable GP Summary", t.ENABLE_CONTINUE), self._continued)

    def _continued(self, yes: bool | None) -> None:
        if yes:
            self.app.push_screen(
                ConfirmOnModal("Enable GP Summary", t.ENABLE_CONFIRM),
                self._switch_on,
            )

    def _switch_off(self, yes: bool | None) -> None:
        if yes:
            self._set_gp_summary(False)

    def _switch_on(self, sure: bool | None) -> None:
        if sure:
            self._set_gp_summary(True)

    @work(exclusive=True, group="settings-save", exit_on_error=False)
    async def _set_gp_summary(self, on: bool) -> None:
        services = host(self).services
        try:
            updated = await services.update_settings(gp_summary_enabled=on)
        except ServiceError as exc:
            self.app.push_screen(MessageModal("Enable GP Summary", str(exc), kind="refusal"))
            return
        self._fill_gp(updated)
        self.app.push_screen(
            MessageModal(
                "GP Summary", t.GP_SUMMARY_ON_DONE if on else t.GP_SUMMARY_OFF_DONE, kind="info"
            )
        )

    def _fill_gp(self, settings: Settings) -> None:
        # Only the GP Summary line: what the user typed in the other fields stays.
        on = settings.gp_summary_enabled
        gp = self.query_one("#gp-summary", Static)
        set_text(
            gp,
            "ON: GP Summaries may be sent (F5 switches it off)"
            if on
            else "OFF: the Initial Upload cannot run (F5 switches it on)",
        )
        gp.set_class(not on, "-off")

    # ----- leaving -----------------------------------------------------------------------------

    def action_back(self) -> None:
        if not self.changes() or self._refusal:
            self.app.pop_screen()
            return
        self.app.push_screen(
            ConfirmModal(
                "Settings",
                "Leave without saving your changes?",
                "F2 saves them; Yes throws them away.",
                default_yes=False,
            ),
            self._leave_if,
        )

    def _leave_if(self, yes: bool | None) -> None:
        if yes:
            self.app.pop_screen()
