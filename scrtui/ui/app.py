"""ScrApp: the screens, the global keys, the live-state poll, and the upload's worker.

The App, not a screen, owns the upload worker, so the run survives screen changes; a single
Worker.StateChanged handler turns its outcome (or its error) into a message for the user.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable, Iterable
from contextlib import suppress
from datetime import datetime
from typing import Any

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from scrtui import eventloop, logs
from scrtui.domain.progress import Snapshot, StopReason
from scrtui.domain.records import Mode
from scrtui.domain.uploads import UploadId
from scrtui.domain.uploads import kind as upload_kind
from scrtui.resources import stylesheet_path
from scrtui.services import (
    CardState,
    LoginResult,
    RoleChoice,
    ServiceError,
    Services,
    UploadGone,
    UploadRefused,
    UploadRequest,
)

from . import elsewhere as t_remote
from . import text as t
from .elsewhere import ElsewhereWatch
from .key_order import handled_in_order
from .modals.confirm import ConfirmModal
from .modals.finished import FinishedModal
from .modals.login import PasscodeModal, RoleModal
from .modals.message import MessageModal
from .screens.bulk import BulkTransmissionScreen
from .screens.completion import CompletionReportScreen
from .screens.front import FrontScreen
from .screens.help import HelpScreen
from .screens.upload import UploadScreen
from .state import LiveHub, LiveState
from .terminal import detect
from .worker_errors import on_failed_worker

POLL_SECONDS = 0.1
IDLE_SNAPSHOT_EVERY = 10  # with no upload running, read the (database-backed) snapshot at 1 Hz
STOP_GRACE_SECONDS = 60.0  # how long exit waits for the engine to finish its in-flight sends
EXIT_SIGHUP = 128 + signal.SIGHUP
EXIT_SIGTERM = 128 + signal.SIGTERM

log = logs.get("scrtui.ui")


class ScrApp(App[None]):
    CSS_PATH = stylesheet_path()
    TITLE = "SCR Bulk Uploads"
    BINDINGS = [
        Binding("f1", "help", "Help", key_display="F1", priority=True),
        Binding("f3", "login", "Log in", key_display="F3"),
        Binding("f4", "toggle_card", "Card", key_display="F4"),
        Binding("ctrl+u", "unblock_card", "Unblock card", key_display="^U"),
        Binding("f10", "quit", "Quit", key_display="F10", priority=True),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        services: Services,
        *,
        clock: Callable[[], datetime] | None = None,
        environ: dict[str, str] | None = None,
        handle_signals: bool = False,
        attach: bool = False,
    ) -> None:
        super().__init__()
        self.services = services
        self.clock: Callable[[], datetime] = clock or datetime.now
        env = os.environ if environ is None else environ
        traits = detect(env)
        # `scrtui demo` says how many patients its simulated Spine rejects (scrtui/cli/app.py).
        self.demo_rejects = int(env.get("SCRTUI_DEMO_REJECTS", "0") or 0)
        self.demo_pds = int(env.get("SCRTUI_DEMO_PDS", "0") or 0)  # PDS mismatches to rehearse
        self.demo = bool(env.get("SCRTUI_DEMO"))  # its simulator closes with the app
        self.ascii_only = traits.ascii_only
        self.sixteen_colours = traits.sixteen_colours
        self.live = LiveHub(self)
        self.remote_watch = ElsewhereWatch(self, attach=attach)  # an upload another process runs
        self._handle_signals = handle_signals
        self._upload: Worker[Snapshot] | None = None
        self._request: UploadRequest | None = None
        self._roles: tuple[RoleChoice, ...] = ()
        self._ticks = 0
        self._reading_snapshot = False
        # Whether the engine moved since the worker started: an error is then "stopped", not
        # "did not start" (the engine refuses before it changes anything).
        self._upload_started = False
        self._before_start: Snapshot | None = None
        self._quitting = False
        # The upload chosen on the Bulk Transmission screen: the status bar shows its stored
        # status while no run is in progress.
        self.chosen_upload = UploadId.INITIAL
        if self.sixteen_colours and "TEXTUAL_THEME" not in os.environ:
            self.theme = "ansi-dark"

    # ----- start-up ----------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.ascii_only:
            self.add_class("-ascii")
        if self.sixteen_colours:
            self.add_class("-sixteen")
        self._poll(react=False)  # the first screen shows the real card state from the start
        self.push_screen(FrontScreen())
        if self.live.state.card.state is CardState.INSERTED:
            self.call_after_refresh(self.open_login)  # on top of the front screen
        self.set_interval(POLL_SECONDS, self._poll)
        self.services.watch_elsewhere()
        if self._handle_signals:
            loop = asyncio.get_running_loop()
            for sig, code in ((signal.SIGHUP, EXIT_SIGHUP), (signal.SIGTERM, EXIT_SIGTERM)):
                loop.add_signal_handler(sig, self._on_signal, sig, code)

    async def on_event(self, event: events.Event) -> None:
        if not await handled_in_order(self, event):  # keys in the order typed
            await super().on_event(event)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        # The screens show patient data: no "Screenshot" (it writes an SVG to disk).
        for command in super().get_system_commands(screen):
            if command.title != "Screenshot":
                yield command

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        self.notify("Screenshots are turned off: the screens show patient data.")

    # ----- the live state ----------------------------------------------------------------------

    @property
    def upload_running(self) -> bool:
        return self._upload is not None and not self._upload.is_finished

    def _poll(self, react: bool = True) -> None:
        """Pull the snapshot and card view; publish them only when something changed."""
        previous = self.live.state
        self._ticks += 1
        try:
            card = self.services.card_view()
            snapshot = self.services.snapshot()  # from memory: cheap at every tick
            running = previous.active or self.upload_running
            if not running and self._ticks % IDLE_SNAPSHOT_EVERY == 1:
                self._read_stored_snapshot()  # the next tick shows it
        # A timer's callback, not a worker: an exception here would end the app, so every one
        # is caught (the reads are from memory; WindowServices decodes a socket's frames).
        except Exception as exc:
            log.error("ui_poll_failed", error=str(exc))
            return
        if self.upload_running and snapshot != self._before_start:
            self._upload_started = True
        now = self.clock().replace(second=0, microsecond=0)
        state = LiveState(snapshot, card, self.upload_running, self._request, now)
        if self.live.publish(state) and react:
            self._react(previous, state)
        if react:
            self.remote_watch.poll()

    def choose_upload(self, upload: UploadId) -> None:
        """The Bulk Transmission screen's chosen upload: read its stored status now."""
        if upload != self.chosen_upload:
            self.chosen_upload = upload
            if not self.live.state.active:
                self._read_stored_snapshot()

    def _read_stored_snapshot(self) -> None:
        if self._reading_snapshot:
            return
        self._reading_snapshot = True
        self.run_worker(self._stored_snapshot(), group="stored-snapshot", exit_on_error=False)

    async def _stored_snapshot(self) -> None:
        """No run here: the services read the stored status off the UI loop."""
        try:
            await self.services.read_snapshot(self.chosen_upload)
        except ServiceError as exc:  # a locked database: the status bar waits for the next
            log.error("ui_poll_failed", error=str(exc))
        finally:
            self._reading_snapshot = False

    def _react(self, before: LiveState, after: LiveState) -> None:
        if (before.card.state, before.card.simulated) != (after.card.state, after.card.simulated):
            self.refresh_bindings()
            inserted = after.card.state is CardState.INSERTED
            if inserted and before.card.state is not CardState.INSERTED:
                self.open_login()
            elif after.card.state is not CardState.INSERTED:
                top = self.screen
                if isinstance(top, PasscodeModal) and after.card.state is not CardState.LOGGED_IN:
                    top.close(None)  # the card went (or is blocked): nothing to log in to
                    if after.card.state is CardState.BLOCKED:  # the passcode just blocked it
                        self._say_blocked(after.card.simulated)

    def _say_blocked(self, simulated: bool) -> None:
        """A blocked card is no dead end: say who can unblock it (in the demo: ctrl+u)."""
        detail = " In this demo, ctrl+u unblocks the simulated card." if simulated else ""
        self.push_screen(MessageModal("Smartcard blocked", t.BLOCKED_HELP + detail, kind="refusal"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        card = self.live.state.card
        if action == "toggle_card":
            return card.simulated
        if action == "unblock_card":
            return card.simulated and card.state is CardState.BLOCKED
        if action == "login":
            return card.state is CardState.INSERTED or card.needs_role_choice
        return True

    # ----- the upload --------------------------------------------------------------------------

    def start_upload(self, request: UploadRequest) -> bool:
        """Start the run in the App's own worker; False if one is already running."""
        if self.upload_running or self._quitting:
            return False
        self._request = request
        self._upload_started = False
        self._before_start = self.services.snapshot()
        log.info(
            "ui_start_upload",
            upload=request.upload,
            mode=request.mode.value,
            group=request.group,
            schedule=request.schedule.describe(),
        )
        self._upload = self.run_worker(
            self.services.run_upload(request),
            name=f"upload-{request.mode.value}",
            group="upload",
            description=f"{t.upload_label(request.upload)} - {request.mode.label}",
            exclusive=True,
            exit_on_error=False,
        )
        self._poll()
        return True

    def follow_upload(self) -> None:
        """Follow an upload another process runs, as if started here (its end is said)."""
        if self.upload_running or self._quitting:
            return
        self._request = None
        self._upload_started = True
        self._upload = self.run_worker(
            self.services.follow_elsewhere(),
            name="upload-elsewhere",
            group="upload",
            exclusive=True,
            exit_on_error=False,
        )

    def open_upload_window(self) -> None:
        snap = self.live.state.snapshot
        request = self._request
        mode = request.mode if request else snap.mode or Mode.RUN
        upload = request.upload if request else snap.upload
        if not isinstance(self.screen, UploadScreen):
            self.push_screen(UploadScreen(mode, upload))

    def resume_upload(self, upload: UploadId) -> None:
        """Resume, the usual way (its refusal, question and window), from Bulk Transmission."""
        self.chosen_upload = upload
        top = self.screen
        bulk = top if isinstance(top, BulkTransmissionScreen) else BulkTransmissionScreen()
        if bulk is not top:
            self.push_screen(bulk)
        self.call_after_refresh(bulk.action_choose, Mode.RESUME.value)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._upload:
            on_failed_worker(self, event)  # the App's other workers (the stored status)
            return
        if not event.worker.is_finished:
            return
        self._poll()
        if self._quitting:
            return
        if event.state is WorkerState.ERROR and isinstance(event.worker.error, UploadRefused):
            self._say_refused(event.worker.error)
        elif event.state is WorkerState.ERROR:
            error = event.worker.error
            if isinstance(error, UploadGone):
                return  # the ElsewhereWatch asks whether to resume
            started = self._upload_started or self.services.snapshot() != self._before_start
            log.error("ui_upload_failed", error=repr(error), started=started)
            upload = self._request.upload if self._request else UploadId.INITIAL
            title, message = t.worker_error_message(error, started=started, upload=upload)
            self.push_screen(MessageModal(title, message, kind="error"))
        elif event.state is WorkerState.SUCCESS:
            result = event.worker.result
            snapshot = result if isinstance(result, Snapshot) else self.services.snapshot()
            title, message = t.finished_message(snapshot)
            modal = FinishedModal(title, message)
            self.push_screen(modal, self._to_report(modal, snapshot.upload))

    def _to_report(self, modal: FinishedModal, upload: UploadId) -> Callable[[None], None]:
        def answered(_result: None) -> None:
            if modal.wants_report:
                self.push_screen(CompletionReportScreen(upload))

        return answered

    def _say_refused(self, error: UploadRefused) -> None:
        """The run was refused before it began: no running view, no "stopped", no Resume."""
        request = self._request
        self._request = None  # nothing ran: nothing to view (v) either
        if isinstance(self.screen, UploadScreen):  # opened as the run was handed over
            self.pop_screen()
        title = upload_kind(request.upload).title(request.mode) if request else "SCR Upload"
        log.info("ui_upload_refused", reason=str(error))
        self.push_screen(MessageModal(title, str(error), kind="refusal"))
        self._poll()

    # ----- the card ----------------------------------------------------------------------------

    def action_login(self) -> None:
        card = self.live.state.card
        if card.needs_role_choice and self._roles:
            self._ask_role()
        elif card.state is CardState.INSERTED:
            self.open_login()

    def open_login(self) -> None:
        if self._quitting or any(isinstance(s, PasscodeModal) for s in self.screen_stack):
            return
        if not self.remote_watch.controls():
            return  # another window acts on the upload: it gives the passcode
        if self.services.card_view().state is not CardState.INSERTED:
            return  # e.g. asked for this window's card, then found an upload process logged in
        reason = ""
        view = self.services.elsewhere()
        if view is not None and view.phase == "login":
            reason = t_remote.PASSCODE_FOR_PROCESS
        elif self.live.state.active:
            reason = "Enter your passcode to continue the upload."
        self.push_screen(PasscodeModal(self.services.login, reason=reason), self._logged_in)

    def _logged_in(self, result: LoginResult | None) -> None:
        self._poll()
        if result is not None and len(result.roles) > 1:
            self._roles = result.roles
            self._ask_role()

    def _ask_role(self) -> None:
        if not any(isinstance(s, RoleModal) for s in self.screen_stack):
            self.push_screen(RoleModal(self._roles), self._role_chosen)

    def _role_chosen(self, role_profile_id: str | None) -> None:
        if role_profile_id is not None:
            self.services.choose_role(role_profile_id)
            self._roles = ()
        self._poll()

    def action_unblock_card(self) -> None:
        # The card then reads as inserted, and _react opens the passcode dialog.
        self.services.unblock_simulated_card()
        self._poll()

    def action_toggle_card(self) -> None:
        self.services.toggle_simulated_card()
        self._poll()

    # ----- help and leaving --------------------------------------------------------------------

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.close(None)
        elif not any(isinstance(s, HelpScreen) for s in self.screen_stack):
            self.push_screen(HelpScreen(self._help_section()))

    def _help_section(self) -> str | None:
        """The help section of the screen (or dialog) the user is looking at."""
        for screen in reversed(self.screen_stack):
            section = getattr(screen, "HELP_SECTION", None)
            if section:
                return str(section)
        return None

    async def action_quit(self) -> None:
        """F10, ctrl+q and the palette's Quit all ask first (Vision's exit prompt)."""
        if self._quitting or any(
            isinstance(s, ConfirmModal) and s.id == "exit-confirm" for s in self.screen_stack
        ):
            return
        leave = self.remote_watch.leave_question()
        if leave is not None:
            leave.id = "exit-confirm"
            self.push_screen(leave, self._quit_answered)
            return
        running = self.live.state.active
        upload = self._request.upload if self._request else self.chosen_upload
        detail = t.exit_during_run(upload) if running else ""
        modal = ConfirmModal("Exit", t.EXIT_QUESTION, detail, default_yes=not running)
        modal.id = "exit-confirm"
        self.push_screen(modal, self._quit_answered)

    def _quit_answered(self, yes: bool | None) -> None:
        if yes:
            self.shut_down(0)

    def _on_signal(self, signum: int, code: int) -> None:
        log.warning("ui_signal", signal=signal.Signals(signum).name)
        if self.upload_running:
            self.services.stop(StopReason.SIGNAL)  # at once: the terminal may already be gone
        self.shut_down(code)

    def shut_down(self, return_code: int) -> None:
        """Stop the upload safely (if one runs), wait for it, then exit."""
        if self._quitting:
            return
        self._quitting = True
        if self.upload_running and self.services.elsewhere() is None:
            self.push_screen(
                MessageModal(
                    "Exit",
                    "Stopping the upload safely... the application closes when it has.",
                )
            )
        self.run_worker(self._stop_then_exit(return_code), group="exit", exit_on_error=False)

    async def _stop_then_exit(self, return_code: int) -> None:
        worker = self._upload
        if worker is not None and self.services.elsewhere() is not None:
            worker.cancel()  # the upload runs in its own process: it goes on without us
        elif worker is not None and not worker.is_finished:
            self.services.stop(StopReason.EXIT)
            with suppress(Exception):
                await asyncio.wait_for(worker.wait(), timeout=STOP_GRACE_SECONDS)
        self.exit(return_code=return_code)


def run_app(services: Services, **run_options: Any) -> int:
    """Run the app full screen with mouse reporting off; returns the process exit code.

    Extra keyword arguments go to App.run_async (e.g. headless=True, auto_pilot=... for a
    scripted benchmark).
    """
    attach = bool(run_options.pop("attach", False))
    app = ScrApp(services, handle_signals=True, attach=attach)
    run_options.setdefault("mouse", False)
    eventloop.run(app.run_async(**run_options))
    return app.return_code or 0
