"""An upload another process runs on this data directory (issue 25, issue 22 bug 4): the
prompts to open its window, to leave it running when this window closes, and to resume it
when its process has gone; and the line the running view shows about who controls it.

Only the Services seam is used (elsewhere(), take_control(), forget_gone()): the socket is the
services' business.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from textual.screen import ModalScreen, Screen

from scrtui.domain.uploads import UploadId
from scrtui.services import Elsewhere, Services

from .modals.confirm import ConfirmModal
from .modals.login import PasscodeModal


class Window(Protocol):
    """What the watch asks of the App (scrtui.ui.app imports this module, so not ScrApp)."""

    services: Services
    demo: bool  # its simulator closes with the app

    @property
    def screen(self) -> Screen[object]: ...
    @property
    def upload_running(self) -> bool: ...
    def push_screen(
        self, screen: Screen[Any], callback: Callable[[Any], None] | None = None
    ) -> object: ...
    def follow_upload(self) -> None: ...
    def open_upload_window(self) -> None: ...
    def resume_upload(self, upload: UploadId) -> None: ...


LEAVE_RUNNING_QUESTION = "The upload goes on in the background. Leave it running?"
LEAVE_RUNNING_DETAIL = (
    "Yes closes this window; the upload carries on in its own process, and opening the app "
    "again (or scrtui attach) shows it. No keeps this window open (s on the upload's window "
    "stops it safely)."
)
DEMO_EXIT_DETAIL = (
    "The upload runs in the background, but the demo's simulated Spine closes with the demo: "
    "the upload is stopped safely first, and Resume continues it."
)
ATTACH_QUESTION = "Open its window?"
PASSCODE_FOR_PROCESS = (
    "The upload runs in a process of its own, which reads the card: enter your passcode "
    "to start it."
)
GONE_QUESTION = "Resume it now?"


def describe(view: Elsewhere) -> str:
    where = "in the background" if view.background else "from a terminal (scrtui upload)"
    return f"{view.title} is running {where}: process {view.pid}, started by {view.started_by}."


def attach_text(view: Elsewhere) -> str:
    if view.background:
        control = (
            f" {view.control} holds control: you can watch it, and take control with t."
            if view.control
            else ""
        )
        return describe(view) + control
    return (
        describe(view) + " You can watch it here; only its terminal acts on it (Ctrl+C there, "
        "or scrtui stop)."
    )


def gone_text(view: Elsewhere) -> str:
    if not view.pid:  # found so when this window opened
        return (
            f"{view.title} (started by {view.started_by}) did not finish: the process running "
            "it ended (it was killed, it crashed, or the power went). Nothing already sent is "
            "lost; Resume continues it with the same message ids."
        )
    which = "background upload process" if view.background else "scrtui upload"
    return (
        f"The {which} (pid {view.pid}, {view.title}) has gone without "
        "finishing the run: it was killed, or it crashed. Nothing already sent is lost; "
        "Resume continues it with the same message ids."
    )


def control_line(view: Elsewhere | None) -> str:
    """The running view's line about where the upload runs and who acts on it."""
    if view is None or view.gone:
        return ""
    if not view.background:
        return (
            f"Run by scrtui upload in a terminal (pid {view.pid}, {view.started_by}): watch "
            "only; stop it there or with scrtui stop."
        )
    if view.you_control:
        return f"Runs in the background (pid {view.pid}): closing this window leaves it running."
    return f"Watching: {view.control or 'another window'} holds control. t takes control."


class ElsewhereWatch:
    """Called at each poll of the App: says once what it sees."""

    def __init__(self, app: Window, *, attach: bool = False) -> None:
        self.app = app
        self.attach = attach  # `scrtui attach`: straight to the upload's window
        self._seen: int | None = None
        self._gone_said: int | None = None

    def poll(self) -> None:
        view = self.app.services.elsewhere()
        if view is None:
            return
        if view.gone:
            # Found when the window opened: said once its own dialogs (the passcode) are done.
            waits = not view.pid and isinstance(self.app.screen, ModalScreen)
            if self._gone_said != view.pid and not waits:
                self._gone_said = view.pid
                self._say_gone(view)
            return
        if view.pid == self._seen:
            return
        self._seen = view.pid
        started_here = self.app.upload_running
        top = self.app.screen
        if isinstance(top, PasscodeModal) and view.phase != "login":
            top.close(None)  # asked for this window's card: the upload process has its own
        if not started_here:
            self.app.follow_upload()
            if self.attach:
                self.attach = False
                self.app.open_upload_window()
            else:
                self.app.push_screen(
                    ConfirmModal("Upload running", ATTACH_QUESTION, attach_text(view)),
                    lambda yes: self.app.open_upload_window() if yes else None,
                )

    def _say_gone(self, view: Elsewhere) -> None:
        upload = view.upload

        def answered(yes: bool | None) -> None:
            self.app.services.forget_gone()
            if yes:
                self.app.resume_upload(upload)

        self.app.push_screen(
            ConfirmModal("Upload process gone", GONE_QUESTION, gone_text(view)), answered
        )

    def leave_question(self) -> ConfirmModal | None:
        """The exit question while an upload runs elsewhere (None: the usual one)."""
        view = self.app.services.elsewhere()
        if view is None or view.gone:
            return None
        if view.background and self.app.demo:
            return ConfirmModal("Exit", "Exit the application?", DEMO_EXIT_DETAIL)
        if view.background:
            return ConfirmModal("Exit", LEAVE_RUNNING_QUESTION, LEAVE_RUNNING_DETAIL)
        return ConfirmModal(
            "Exit", "Exit the application?", f"{describe(view)} It goes on in its terminal."
        )

    def controls(self) -> bool:
        """Whether this window may act (pause, stop, passcode) on the upload it shows."""
        view = self.app.services.elsewhere()
        return view is None or view.gone or view.you_control
