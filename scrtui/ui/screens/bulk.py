"""GP Summary Bulk Transmission: the Initial Upload menu, the current status and counters, the
last run, and the other bulk uploads (not available yet).

Choosing an option walks the seed's steps: refusal check, confirmation, the SCR Upload form,
then the App starts the run and this screen opens the SCR Upload window.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from scrtui.domain.records import Mode
from scrtui.services import Overview, UploadRequest

from .. import text as t
from ..host import host
from ..modals.confirm import ConfirmModal
from ..modals.message import MessageModal
from ..modals.schedule import ScheduleModal
from ..state import LiveState, follow
from ..widgets import set_text
from ..widgets.counters import Counters
from .base import FramedScreen
from .upload import UploadScreen

OPTION_HINTS = {
    Mode.RUN: "send to every eligible patient",
    Mode.RESUME: "continue an interrupted upload",
    Mode.RERUN: "resend to all eligible patients",
    Mode.FAILED: "reprocess the failed uploads",
}


class BulkTransmissionScreen(FramedScreen):
    HELP_SECTION = "GP Summary Bulk Transmission"
    AUTO_FOCUS = "#initial-upload-menu"
    BINDINGS = [
        Binding("r", "choose('run')", "Run"),
        Binding("u", "choose('resume')", "Resume"),
        Binding("e", "choose('rerun')", "Rerun"),
        Binding("f", "choose('failed')", "Failed"),
        Binding("v", "view_upload", "View"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._overview: Overview | None = None
        self._was_active = False
        self._can_view = False

    def compose_body(self) -> ComposeResult:
        yield Static("GP Summary Bulk Transmission", classes="screen-title")
        with Horizontal(id="bulk-columns"):
            with Vertical(id="bulk-left"):
                yield Static("Initial Upload", classes="section-title")
                yield OptionList(
                    *(
                        Option(f"{mode.label:<8}{OPTION_HINTS[mode]}", id=mode.value)
                        for mode in Mode
                    ),
                    id="initial-upload-menu",
                    markup=False,
                )
                yield Static("Other bulk uploads (not available yet)", classes="section-title")
                yield Static(
                    "\n".join(t.OTHER_BULK_UPLOADS),
                    id="other-uploads",
                    classes="unavailable",
                    markup=False,
                )
            with Vertical(id="bulk-right"):
                yield Static("Current status", classes="section-title")
                yield Static("", id="bulk-status", markup=False)
                yield Counters(id="bulk-counters")
                yield Static("Last run", classes="section-title")
                yield Static("", id="last-run", markup=False)

    # ----- rendering ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._load_overview()
        follow(self, self._render_state)

    def on_screen_resume(self) -> None:
        # Back from the SCR Upload window or a dialog: the database may have moved on.
        # (FramedScreen.on_screen_resume runs too: Textual calls the handler of every class.)
        self._load_overview()

    @work(exclusive=True, group="overview", exit_on_error=False)
    async def _load_overview(self) -> None:
        try:
            self._overview = await host(self).services.overview()
        except Exception as exc:  # a locked or missing database: say so, keep the screen
            self._overview = Overview(status="Unknown", reason=f"cannot read the status: {exc}")
        self._render_state(host(self).live.state)

    def _render_state(self, state: LiveState) -> None:
        if self._was_active and not state.active:
            self._load_overview()  # the run just ended: show what the database says now
        self._was_active = state.active
        can_view = state.request is not None
        if can_view != self._can_view:  # the footer is rebuilt on refresh: only when needed
            self._can_view = can_view
            self.refresh_bindings()
        counters = self.query_one("#bulk-counters", Counters)
        status = self.query_one("#bulk-status", Static)
        pds_off = self._overview is not None and not self._overview.pds_sync
        warning = f"\n{t.PDS_OFF_WARNING}" if pds_off else ""
        if state.active:
            set_text(status, f"Status  {t.status_line(state.snapshot, state.now)}{warning}")
            counters.show(state.snapshot.counts)
        elif self._overview is not None:
            line = self._overview.status or "Idle"
            line = line[:1].upper() + line[1:]  # the store keeps "idle", the screen says "Idle"
            if self._overview.reason:
                line += f": {self._overview.reason}"
            if not self._overview.gp_summary_enabled:
                line += "\nGP Summary is not enabled for this practice."
            set_text(status, f"Status  {line}{warning}")
            counters.show(self._overview.counts)
        last = self._overview.last_run if self._overview else None
        set_text(self.query_one("#last-run", Static), "\n".join(t.last_run_lines(last)))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "view_upload":
            return host(self).live.state.request is not None
        return True

    # ----- the option flow ---------------------------------------------------------------------

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id:
            self.action_choose(event.option_id)

    def action_choose(self, mode_value: str) -> None:
        self._choose(Mode(mode_value))

    @work(exclusive=True, group="choose", exit_on_error=False)
    async def _choose(self, mode: Mode) -> None:
        app = host(self)
        title = f"Initial Upload - {mode.label}"
        if app.live.state.active:
            busy = t.busy_refusal(app.live.state.status)
            self.app.push_screen(MessageModal(title, busy, kind="refusal"))
            return
        try:
            refusal = await app.services.refusal(mode)
        except Exception as exc:  # a locked or missing database: say so
            refusal = f"Cannot read the upload's state: {exc}"
        if refusal is None:
            refusal = t.card_problem(app.services.card_view())
        if refusal:
            self.app.push_screen(MessageModal(title, refusal, kind="refusal"))
            return
        self.app.push_screen(
            ConfirmModal(title, t.CONFIRM_PROMPTS[mode]),
            lambda yes: self._confirmed(mode, yes),
        )

    def _confirmed(self, mode: Mode, yes: bool | None) -> None:
        if not yes:
            return
        app = host(self)
        self.app.push_screen(
            ScheduleModal(
                mode,
                clock=app.clock,
                groups=app.services.groups,
                card_problem=lambda: t.card_problem(app.services.card_view()),
                window=self._kept_window(mode),
                ascii_only=app.ascii_only,
            ),
            self._scheduled,
        )

    def _kept_window(self, mode: Mode) -> tuple[str, str] | None:
        """Resume continues the last run: it keeps that run's stop and resume times."""
        last = self._overview.last_run if self._overview else None
        if mode is not Mode.RESUME or last is None or not (last.stop_at or last.resume_at):
            return None
        return (last.stop_at or "", last.resume_at or "")

    def _scheduled(self, request: UploadRequest | None) -> None:
        if request is None:
            return
        if host(self).start_upload(request):
            self.app.push_screen(UploadScreen(request.mode))

    def action_view_upload(self) -> None:
        request = host(self).live.state.request
        if request is not None:
            self.app.push_screen(UploadScreen(request.mode))

    def action_back(self) -> None:
        self.app.pop_screen()
