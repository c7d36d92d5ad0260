"""The app window's services (issue 25): the same Services as scrtui/wiring.py's AppServices,
except that an upload runs in a background process of its own, and that an upload another
process runs on this data directory (background or `scrtui upload`) is followed live.

While an upload process is followed, the run's figures, the card (the process that sends
reads it) and the intents (pause, resume, stop, the passcode, the role) go to that process
over the socket; everything else (the reporter, groups, settings, the log) is read from the
database and files as before. The UI sees only the Services protocol.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import cast

from scrtui.card import CardBackend
from scrtui.card.session import CardSession
from scrtui.domain import uploads
from scrtui.domain.progress import Snapshot, StopReason
from scrtui.domain.records import Mode
from scrtui.domain.uploads import UploadId
from scrtui.engine.engine import Refused
from scrtui.paths import Home
from scrtui.remote import host, wire
from scrtui.remote.client import Follower, Link, window_name
from scrtui.remote.files import RunFiles
from scrtui.services import (
    CardView,
    Elsewhere,
    LoginResult,
    ServiceError,
    UploadGone,
    UploadRequest,
)
from scrtui.settings import Settings
from scrtui.store import queries
from scrtui.wiring import AppServices, in_thread, tail_lines

SPAWN_WAIT = 30.0  # seconds for a new upload process to open its socket


class WindowServices(AppServices):
    def __init__(
        self,
        home: Home,
        settings: Settings,
        session: CardSession,
        backend: CardBackend,
        *,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        super().__init__(home, settings, session, backend, clock=clock)
        self.files = RunFiles(home.root)
        self.card_kind: str | None = None  # the --card and --reader the app was opened with
        self.reader: str | None = None
        self.follower = Follower(self.files, window_name())
        self._decoded: tuple[int, Snapshot, CardView] | None = None
        # An upload whose process ended without finishing before this window opened.
        self._interrupted: Elsewhere | None = None
        self._looked: asyncio.Future[None] | None = None

    # ----- following -------------------------------------------------------------------------

    def watch_elsewhere(self) -> None:
        self.follower.start()
        self._looked = asyncio.ensure_future(self._look_for_interrupted())

    async def _look_for_interrupted(self) -> None:
        found = await in_thread(interrupted_upload)
        if found is not None and self.follower.link is None:
            self._interrupted = found

    @property
    def _link(self) -> Link | None:
        return self.follower.link

    def _views(self, link: Link) -> tuple[Snapshot, CardView]:
        state = link.state
        if self._decoded is None or self._decoded[0] != id(state):
            self._decoded = (
                id(state),
                wire.snapshot_in(state["snapshot"]),
                wire.card_in(state["card"]),
            )
        return self._decoded[1], self._decoded[2]

    def elsewhere(self) -> Elsewhere | None:
        link = self._link
        gone = link is None and self.follower.gone is not None
        link = link or self.follower.gone
        if link is None:
            return self._interrupted
        state = link.state
        return Elsewhere(
            pid=link.pid,
            started_by=str(state.get("started_by") or "someone (waiting for the passcode)"),
            title=str(link.welcome.get("title", "")),
            background=bool(link.welcome.get("background")),
            control=str(state.get("control", "")),
            you_control=bool(state.get("you_control")) and not gone,
            phase=str(state.get("phase", "running")),
            gone=gone,
            message=str(state.get("message", "")),
            upload=self._views(link)[0].upload if state else UploadId.INITIAL,
        )

    def forget_gone(self) -> None:
        self.follower.gone = None
        self._interrupted = None

    async def follow_elsewhere(self) -> Snapshot:
        link = self._link
        if link is None:
            raise ServiceError("No upload runs in another process.")
        await link.closed.wait()
        ending = link.ending
        if ending is None or ending.snapshot is None:
            which = "background upload process" if link.welcome.get("background") else "upload"
            raise UploadGone(
                f"The {which} (pid {link.pid}) has gone without finishing "
                "the run (it was killed, or it crashed). Nothing already sent is lost: Resume "
                "continues it."
            )
        if ending.message and link.state.get("phase") != "running":
            raise Refused(ending.message)
        return ending.snapshot

    def take_control(self) -> None:
        if self._link is not None:
            self._link.send({"t": "take"})

    # ----- the upload ------------------------------------------------------------------------

    async def _busy(self) -> str | None:
        """Another process runs an upload here: said before any prompt."""
        view = self.elsewhere()
        if view is not None and not view.gone:
            return (
                f"An upload is already running in another process ({view.title}, pid "
                f"{view.pid}, started by {view.started_by}). Press v to view it."
            )
        pid = await in_thread(self.files.holder)
        if pid is not None:
            return f"An upload is already running in another process (pid {pid})."
        return None

    async def run_upload(self, request: UploadRequest) -> Snapshot:
        # The preflight the user was shown, once more before a process is spawned for it (its
        # engine asks it again when the run starts).
        reason = (
            await self.preflight(
                request.mode, request.group, request.upload, upload_date=request.upload_date
            )
        ).refusal
        if reason:
            raise Refused(reason)
        process = await in_thread(
            host.spawn,
            self.home,
            self.settings,
            request,
            card=self.card_kind,
            reader=self.reader,
            origin=self.follower.who.removeprefix("the "),
            starter=self.follower.who,
        )
        self._stored = None
        linked = asyncio.ensure_future(self.follower.wait_linked(process.pid))
        waited = 0.0
        while not linked.done() and process.returncode is None and waited < SPAWN_WAIT:
            await asyncio.wait({linked}, timeout=0.1)
            waited += 0.1
        if not linked.done():
            linked.cancel()
            output = self.home.log_dir / host.OUTPUT_NAME
            last = await in_thread(tail_lines, output, 1)
            said = f" ({last[0].removeprefix('scrtui: ')})" if last else ""
            raise Refused(
                f"The background upload process (pid {process.pid}) did not start{said}: see "
                f"{output}."
            )
        return await self.follow_elsewhere()

    def snapshot(self) -> Snapshot:
        link = self._link
        if link is not None:
            self._stored = None  # the followed run's figures stand, and after its end too
            return self._views(link)[0]
        ended = self.follower.ended
        if ended is not None and self._stored is None:
            return ended  # its window shows the run's figures after the end
        return super().snapshot()

    async def read_snapshot(self, upload: UploadId = UploadId.INITIAL) -> Snapshot:
        link = self._link
        if link is not None:
            return self._views(link)[0]
        ended = self.follower.ended
        if ended is not None and ended.upload == upload:
            self._stored = None
            return ended
        return await super().read_snapshot(upload)

    def _intent(self, what: str, **fields: object) -> bool:
        link = self._link
        if link is None:
            return False
        link.send({"t": what, **fields})
        return True

    def pause(self) -> None:
        if not self._intent("pause"):
            super().pause()

    def resume(self) -> None:
        if not self._intent("resume"):
            super().resume()

    def stop(self, reason: StopReason = StopReason.USER) -> None:
        # Closing this window (EXIT, SIGNAL) never stops an upload that runs elsewhere.
        if reason in (StopReason.EXIT, StopReason.SIGNAL) and self._link is not None:
            return
        if not self._intent("stop"):
            super().stop(reason)

    def settings_refusal(self) -> str | None:
        if self._link is not None:
            return "An upload is running: stop it before changing the settings."
        return super().settings_refusal()

    # ----- the card: the upload process's while one is followed ------------------------------

    def card_view(self) -> CardView:
        link = self._link
        if link is not None:
            return self._views(link)[1]
        return super().card_view()

    async def login(self, passcode: str) -> LoginResult:
        link = self._link
        if link is None:
            return await super().login(passcode)
        try:
            reply = await link.request({"t": "login", "passcode": passcode})
        except ConnectionError:
            return LoginResult(False, "The upload process has gone.")
        if "roles" not in reply:
            return LoginResult(False, str(reply.get("message", "")))
        return wire.login_in(reply)

    def choose_role(self, role_profile_id: str) -> None:
        if not self._intent("choose_role", role=role_profile_id):
            super().choose_role(role_profile_id)

    def toggle_simulated_card(self) -> None:
        if not self._intent("toggle_card"):
            super().toggle_simulated_card()

    def unblock_simulated_card(self) -> None:
        if not self._intent("unblock_card"):
            super().unblock_simulated_card()


def interrupted_upload() -> Elsewhere | None:
    """An upload whose process ended without finishing it (killed, crashed, a power cut),
    as the database says (scrtui/store/queries.py upload_state), or None."""
    for kind in uploads.KINDS.values():
        state = queries.upload_state(kind.id)
        run = queries.last_run(kind.id)
        if state.status_reason == queries.INTERRUPTED and run is not None:
            return Elsewhere(
                pid=0,
                started_by=f"{run.user_name} ({run.job_role})",
                title=kind.title(Mode(run.mode)),
                background=True,
                gone=True,
                upload=kind.id,
            )
    return None


def as_window(services: AppServices) -> WindowServices:
    return cast(WindowServices, services)
