"""GP Summary Bulk Transmission: the five bulk uploads, the chosen one's options, its status,
counters and last run.

Up/Down choose the upload (scrtui/domain/uploads.py KINDS, in Vision's order); r/u/e/f (or
Enter on the option list) choose its option. Choosing an option walks the seed's steps:
refusal check, the Consent Migration warning (Initial Upload - Run only), confirmation, the
SCR Upload form, then the App starts the run and this screen opens the SCR Upload window.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from scrtui.domain import uploads
from scrtui.domain.records import Mode
from scrtui.domain.uploads import INITIAL, KINDS, GpSummaryNeed, UploadId, UploadKind
from scrtui.services import Overview, Preflight, ServiceError, UploadRequest

from .. import text as t
from ..host import host
from ..modals.confirm import ConfirmModal
from ..modals.group_picker import GroupPick, GroupPickerModal
from ..modals.message import MessageModal
from ..modals.schedule import ScheduleModal
from ..state import LiveState, follow
from ..widgets import set_text
from ..widgets.counters import Counters
from ..widgets.end_stop_list import EndStopOptionList
from .base import FramedScreen
from .completion import CompletionReportScreen
from .preview import PreviewScreen
from .upload import UploadScreen

OPTION_HINTS = {
    Mode.RUN: "send to every eligible patient",
    Mode.RESUME: "continue an interrupted upload",
    Mode.RERUN: "resend to all eligible patients",
    Mode.FAILED: "reprocess the failed uploads",
}


def upload_note(kind: UploadKind, gp_summary_enabled: bool) -> str:
    """Why the upload cannot run now, or what it needs first, in a few words (choosing an
    option then says it in full); "" when nothing stands in the way."""
    if kind.standing_refusal(gp_summary_enabled=gp_summary_enabled):
        return f"Available once GP Summary is {'off' if gp_summary_enabled else 'on'}."
    if kind.needs_group:
        return "Needs a patient group: choose it in the upload window (Group Name)."
    return ""


def gp_summary_off_note(kind: UploadKind) -> str:
    """GP Summary off: a refusal for the uploads that send summaries, the expected state for
    the one that runs only then (Practice No Longer Contributing; issue 22)."""
    if kind.gp_summary is GpSummaryNeed.OFF:
        return "GP Summary is off for this practice, as this upload needs: it can run."
    return "GP Summary is not enabled for this practice."


class BulkTransmissionScreen(FramedScreen):
    HELP_SECTION = "GP Summary Bulk Transmission"
    AUTO_FOCUS = "#upload-list"
    BINDINGS = [
        Binding("r", "choose('run')", "Run"),
        Binding("u", "choose('resume')", "Resume"),
        Binding("e", "choose('rerun')", "Rerun"),
        Binding("f", "choose('failed')", "Failed"),
        Binding("v", "view_upload", "View"),
        Binding("p", "preview", "Preview"),
        Binding("c", "completion_report", "Report"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._overview: Overview | None = None
        self._was_active = False
        self._can_view = False
        self.upload = INITIAL  # the chosen upload's id

    @property
    def kind(self) -> UploadKind:
        return KINDS[self.upload]

    def compose_body(self) -> ComposeResult:
        yield Static("GP Summary Bulk Transmission", classes="screen-title")
        with Horizontal(id="bulk-columns"):
            with Vertical(id="bulk-left"):
                yield Static("Bulk uploads", classes="section-title")
                yield EndStopOptionList(
                    *(Option(kind.label, id=kind.id) for kind in KINDS.values()),
                    id="upload-list",
                    markup=False,
                )
                yield Static(self.kind.label, id="options-title", classes="section-title")
                yield EndStopOptionList(
                    *(
                        Option(f"{mode.label:<8}{OPTION_HINTS[mode]}", id=mode.value)
                        for mode in Mode
                    ),
                    id="option-menu",
                    markup=False,
                )
                yield Static("", id="upload-note", classes="unavailable", markup=False)
            # The chosen upload's panel, boxed and titled with its name: beside the list, its
            # first row read as the list's first upload's status (issue 22).
            with Vertical(id="bulk-right") as panel:
                panel.border_title = self.kind.label
                yield Static("", id="bulk-status", markup=False)
                yield Counters(id="bulk-counters")
                yield Static("Last run", classes="section-title")
                yield Static("", id="last-run", markup=False)

    # ----- rendering ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.upload = host(self).chosen_upload
        self.query_one("#upload-list", OptionList).highlighted = list(KINDS).index(self.upload)
        self._show_chosen()
        self.call_after_refresh(self._title_panel)  # once the panel's width is known
        follow(self, self._render_state)

    def on_screen_resume(self) -> None:
        # Back from the SCR Upload window or a dialog: the database may have moved on.
        # (FramedScreen.on_screen_resume runs too: Textual calls the handler of every class.)
        self._load_overview()

    @on(OptionList.OptionHighlighted, "#upload-list")
    def _upload_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option_id and event.option_id != self.upload:
            self.upload = UploadId(event.option_id)
            self._overview = None  # never show one upload's figures under another's name
            self._show_chosen()

    def _show_chosen(self) -> None:
        host(self).choose_upload(self.upload)
        set_text(self.query_one("#options-title", Static), self.kind.label)
        self._title_panel()
        note = upload_note(self.kind, host(self).services.settings.gp_summary_enabled)
        set_text(self.query_one("#upload-note", Static), note)
        self._load_overview()

    def on_resize(self) -> None:
        self._title_panel()

    def _title_panel(self) -> None:
        """The panel's title, cut with the console's mark when the name is longer than the
        box (the list beside it shows the whole name)."""
        panel = self.query_one("#bulk-right")
        room = panel.outer_size.width - 6  # the corners, the rule and a space each side
        label = self.kind.label
        fits = room <= 0 or len(label) <= room
        panel.border_title = (
            label if fits else t.clip(label, room, ascii_only=host(self).ascii_only)
        )

    @work(exclusive=True, group="overview", exit_on_error=False)
    async def _load_overview(self) -> None:
        upload = self.upload
        try:
            overview = await host(self).services.overview(upload)
        except ServiceError as exc:  # a locked or missing database: say so, keep the screen
            overview = Overview(status="Unknown", reason=f"cannot read the status: {exc}")
        if upload == self.upload:  # not chosen away from while reading
            self._overview = overview
            self._render_state(host(self).live.state)

    def _render_state(self, state: LiveState) -> None:
        if self._was_active and not state.active:
            self._load_overview()  # the run just ended: show what the database says now
        self._was_active = state.active
        can_view = state.request is not None or (state.active and state.snapshot.mode is not None)
        if can_view != self._can_view:  # the footer is rebuilt on refresh: only when needed
            self._can_view = can_view
            self.refresh_bindings()
        counters = self.query_one("#bulk-counters", Counters)
        status = self.query_one("#bulk-status", Static)
        warning = f"\n{t.PDS_OFF_WARNING}" if self._pds_off() else ""
        if state.active and state.snapshot.upload == self.upload:
            set_text(status, f"Status  {t.status_line(state.snapshot, state.now)}{warning}")
            counters.show(state.snapshot.counts)
        elif self._overview is not None:
            set_text(status, f"Status  {self._status_text(self._overview)}{warning}")
            counters.show(self._overview.counts)
        last = self._overview.last_run if self._overview else None
        lines = t.last_run_lines(last, self.upload)
        set_text(self.query_one("#last-run", Static), "\n".join(lines))

    def _pds_off(self) -> bool:
        """The PDS check is switched off and the chosen upload is one that makes it."""
        overview = self._overview
        return (
            overview is not None and not overview.pds_sync and uploads.kind(self.upload).checks_pds
        )

    def _status_text(self, overview: Overview) -> str:
        line = overview.status or "Idle"
        line = line[:1].upper() + line[1:]  # the store keeps "idle", the screen says "Idle"
        if overview.reason:
            line += f": {overview.reason}"
        if not overview.gp_summary_enabled:
            line += f"\n{gp_summary_off_note(self.kind)}"
        return line

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "view_upload":
            return host(self).live.state.request is not None
        return True

    # ----- the option flow ---------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#upload-list")
    def _upload_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()  # Enter on an upload: on to its options
        self.query_one("#option-menu", OptionList).focus()

    @on(OptionList.OptionSelected, "#option-menu")
    def _option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_id:
            self.action_choose(event.option_id)

    def action_choose(self, mode_value: str) -> None:
        self._choose(Mode(mode_value), self.kind)

    @work(exclusive=True, group="choose", exit_on_error=False)
    async def _choose(self, mode: Mode, kind: UploadKind) -> None:
        app = host(self)
        title = kind.title(mode)
        if app.live.state.active:
            busy = t.busy_refusal(app.live.state.status)
            self.app.push_screen(MessageModal(title, busy, kind="refusal"))
            return
        # The one preflight (scrtui/domain/preflight.py), as `scrtui upload` asks it; an
        # upload that needs a group is asked again once the window has one (_start).
        try:
            pre = await app.services.preflight(mode, None, kind.id, before_group=True)
        except ServiceError as exc:  # a locked or missing database: say so
            pre = Preflight(refusal=f"Cannot read the upload's state: {exc}")
        refusal = pre.refusal or t.card_problem(app.services.card_view())
        if refusal:
            self.app.push_screen(MessageModal(title, refusal, kind="refusal"))
            return
        self.app.push_screen(
            ConfirmModal(title, pre.prompt, t.CARD_OUT_PAUSES, warning=pre.warning or ""),
            lambda yes: self._confirmed(mode, kind, yes, pre.kept_window),
        )

    def _confirmed(
        self, mode: Mode, kind: UploadKind, yes: bool | None, window: tuple[str, str] | None
    ) -> None:
        if not yes:
            return
        app = host(self)
        self.app.push_screen(
            ScheduleModal(
                mode,
                clock=app.clock,
                groups=app.services.groups,
                card_problem=lambda: t.card_problem(app.services.card_view()),
                session_ends=lambda: t.session_end(app.clock(), app.services.card_view()),
                window=window,
                ascii_only=app.ascii_only,
                upload=kind.id,
            ),
            self._scheduled,
        )

    def _scheduled(self, request: UploadRequest | None) -> None:
        if request is not None:
            self._start(request)

    @work(exclusive=True, group="start", exit_on_error=False)
    async def _start(self, request: UploadRequest) -> None:
        kind = KINDS[request.upload]
        # Asked again with the group chosen in the window (Failed on a group with nobody
        # failed): a refusal is said before anything starts, never as a stopped run.
        if kind.needs_group or request.group is not None:
            try:
                pre = await host(self).services.preflight(
                    request.mode, request.group, request.upload, upload_date=request.upload_date
                )
            except ServiceError as exc:  # a locked or missing database: say so
                pre = Preflight(refusal=f"Cannot read the upload's state: {exc}")
            if pre.refusal:
                title = kind.title(request.mode)
                self.app.push_screen(MessageModal(title, pre.refusal, kind="refusal"))
                return
        if host(self).start_upload(request):
            self.app.push_screen(UploadScreen(request.mode, request.upload))

    def action_view_upload(self) -> None:
        state = host(self).live.state
        if state.request is not None:
            self.app.push_screen(UploadScreen(state.request.mode, state.request.upload))
        elif state.active and state.snapshot.mode is not None:  # run by another process
            self.app.push_screen(UploadScreen(state.snapshot.mode, state.snapshot.upload))

    # ----- before and after: the preview and the completion report (scrtui/ui/screens/) ------

    @work(exclusive=True, group="preview", exit_on_error=False)
    async def action_preview(self) -> None:
        """Preview the highlighted option (Run unless another is) for the group chosen next."""
        highlighted = self.query_one("#option-menu", OptionList).highlighted
        mode = list(Mode)[highlighted or 0]
        upload = self.upload
        try:
            groups = await host(self).services.groups()
        except ServiceError as exc:  # a locked or missing database: say so
            self.app.push_screen(MessageModal("Preview", f"Cannot read the groups: {exc}"))
            return

        def picked(pick: GroupPick | None) -> None:
            if pick is not None:
                self.app.push_screen(PreviewScreen(mode, upload, pick.name))

        self.app.push_screen(GroupPickerModal(groups), picked)

    def action_completion_report(self) -> None:
        self.app.push_screen(CompletionReportScreen(self.upload))

    def action_back(self) -> None:
        self.app.pop_screen()
