"""The "SCR Upload - <Option>" window while (and after) the upload runs.

It only renders the App's published LiveState and turns keys into intents (pause, resume,
stop); the upload itself belongs to the App's worker, so leaving this screen does not stop it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Static

from scrtui.domain import session_text
from scrtui.domain.progress import RunStatus, StopReason
from scrtui.domain.records import Mode
from scrtui.domain.uploads import INITIAL, UploadId
from scrtui.services import CardState, Elsewhere

from .. import text as t
from ..elsewhere import control_line
from ..host import host
from ..modals.confirm import ConfirmModal
from ..modals.message import MessageModal
from ..state import LiveState, follow
from ..widgets import set_text
from ..widgets.counters import Counters
from ..widgets.figures import RunFigures
from ..widgets.progress import UploadProgress
from .base import FramedScreen

# Stops whose cause somebody must fix before Resume (the message says what).
_FIX_FIRST = frozenset(
    {StopReason.FATAL.value, StopReason.OUTAGE.value, StopReason.MHS_SETUP.value}
)


def alert_text(state: LiveState) -> str:
    """The line under Status that says what, if anything, the user must do."""
    if state.card_missing_mid_run:
        if state.card.state is CardState.INSERTED:
            return "Card inserted: press F3 and enter your passcode to continue the upload."
        if state.snapshot.reason == session_text.CARD_OUT:
            return ""  # the Status row says it already: at 80x24 twice does not fit
        return t.CARD_REMOVED_HELP  # at once, before the engine's own status catches up
    status = state.snapshot.status
    resume = t.resume_path(state.snapshot.upload)
    if status is RunStatus.STOPPED and not state.worker_running:
        if t.never_started(state.snapshot):
            return f"{t.not_started_text(state.snapshot.reason)} Press c to close."
        if state.snapshot.reason == StopReason.COMPLETED.value:
            return "Check that Sending and Unprocessed are zero, then press c to Stop & Close."
        if state.snapshot.reason in _FIX_FIRST:
            return f"Fix the cause, then {resume} continues from here (c to close)."
        return f"Press c to close. {resume} continues from here."
    if status is RunStatus.STOPPING:
        return "Finishing the messages already sent; nothing new is started."
    return ""


def _controls(view: Elsewhere | None) -> bool:
    return view is None or view.gone or view.you_control


def _row(label: str, value: Widget, *, row_id: str | None = None) -> ComposeResult:
    """A label column and its value; a value that wraps stays right of the label."""
    with Horizontal(classes="row", id=row_id):
        yield Static(label, classes="row-label", markup=False)
        yield value


class UploadScreen(FramedScreen):
    HELP_SECTION = "SCR Upload window (running)"
    BINDINGS = [
        Binding("p", "pause", "Pause"),
        Binding("p", "resume", "Resume"),
        Binding("s", "stop", "Stop"),
        Binding("s", "cancel_schedule", "Cancel schedule"),
        Binding("c", "stop_and_close", "Stop & Close"),
        Binding("t", "take_control", "Take control"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, mode: Mode, upload: UploadId = INITIAL) -> None:
        super().__init__()
        self.mode = mode
        self.upload = upload
        self._shown_status: tuple[RunStatus, bool, bool, bool] | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(id="upload-window") as window:
            window.border_title = t.window_title(self.mode, self.upload)
            yield from _row("Status", Static("", id="upload-status", markup=False))
            yield Static("", id="upload-alert", markup=False)
            yield Static("", id="upload-control", markup=False)
            yield from _row(
                "Checked", UploadProgress(ascii_only=host(self).ascii_only), row_id="progress-row"
            )
            with Horizontal(id="upload-figures"):
                yield Counters(id="upload-counters")
                yield RunFigures()
            yield from _row("Schedule", Static("", id="upload-schedule", markup=False))
            yield from _row("Group", Static("", id="upload-group", markup=False))
            yield from _row("MHS", Static("", id="upload-mhs", markup=False))

    def on_mount(self) -> None:
        follow(self, self._render_state)

    def _render_state(self, state: LiveState) -> None:
        snap = state.snapshot
        set_text(self.query_one("#upload-status", Static), t.status_line(snap, state.now))
        alert = self.query_one("#upload-alert", Static)
        set_text(alert, alert_text(state))
        alert.set_class(state.card_missing_mid_run, "-warning")
        view = host(self).services.elsewhere()  # an upload another process runs (issue 25)
        control = self.query_one("#upload-control", Static)
        set_text(control, control_line(view))
        control.display = bool(control_line(view))
        self.query_one(UploadProgress).show(snap.checked, snap.total)
        self.query_one(Counters).show(snap.scope_counts or snap.counts)  # the run's group
        self.query_one(RunFigures).show(snap)
        schedule = t.schedule_line(snap) or "Start immediately"
        set_text(self.query_one("#upload-schedule", Static), schedule)
        group = (
            snap.group
            if snap.group is not None
            else (state.request.group if state.request else None)
        )
        set_text(self.query_one("#upload-group", Static), t.group_label(group))
        set_text(self.query_one("#upload-mhs", Static), t.mhs_line(snap))
        key = (snap.status, state.active, t.in_outage(snap), _controls(view))
        if key != self._shown_status:  # the footer's keys depend on these two only
            self._shown_status = key
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        state = host(self).live.state
        view = host(self).services.elsewhere()
        if action == "take_control":
            return view is not None and view.background and not view.gone and not view.you_control
        if action in ("pause", "resume", "stop", "stop_and_close") and not _controls(view):
            return False  # another window (or the terminal running it) acts on it
        if action == "pause":
            return state.active and state.status in (RunStatus.RUNNING, RunStatus.SCHEDULED)
        if action == "resume":
            # An outage ends by itself when a probe is answered: Resume cannot hurry it, so
            # it is not offered (the status says when the next try is).
            return (
                state.active
                and state.status is RunStatus.PAUSED
                and not t.in_outage(state.snapshot)
            )
        if action == "stop":
            return state.active and state.status not in (RunStatus.STOPPING, RunStatus.SCHEDULED)
        if action == "cancel_schedule":
            return state.active and state.status is RunStatus.SCHEDULED
        return True

    # ----- intents -----------------------------------------------------------------------------

    def action_pause(self) -> None:
        # Pausing loses nothing and the same key resumes, so it needs no confirmation.
        host(self).services.pause()

    def action_resume(self) -> None:
        app = host(self)
        problem = t.card_problem(app.services.card_view(), doing="continue the upload")
        if problem:
            self.app.push_screen(MessageModal("Resume", problem, kind="refusal"))
            return
        app.services.resume()

    def action_take_control(self) -> None:
        host(self).services.take_control()

    def action_stop(self) -> None:
        self._confirm_stop(close=False)

    def action_stop_and_close(self) -> None:
        if host(self).live.state.active and _controls(host(self).services.elsewhere()):
            self._confirm_stop(close=True)
        else:
            self.dismiss_window()

    def action_cancel_schedule(self) -> None:
        self._confirm_stop(close=False)

    def _confirm_stop(self, *, close: bool) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                host(self).services.stop()
                if close:
                    self.dismiss_window()

        if host(self).live.state.status is RunStatus.SCHEDULED:  # not started: cancel it
            question = ConfirmModal(
                t.CANCEL_SCHEDULE_TITLE,
                t.CANCEL_SCHEDULE_QUESTION,
                t.CANCEL_SCHEDULE_DETAIL,
                default_yes=False,
            )
        else:
            question = ConfirmModal(
                "Stop the upload", t.STOP_QUESTION, t.stop_detail(self.upload), default_yes=False
            )
        self.app.push_screen(question, answered)

    def dismiss_window(self) -> None:
        if self.app.screen is self:  # never pop a dialog that happens to be on top
            self.app.pop_screen()

    def action_back(self) -> None:
        self.dismiss_window()
