"""The real Services behind the UI: database, upload engine and smartcard session."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from scrtui.card.session import CardSession
from scrtui.domain.progress import RunStatus, Snapshot
from scrtui.domain.records import Mode
from scrtui.engine.engine import Refused, UploadEngine, refusal
from scrtui.paths import Home
from scrtui.services import (
    CardView,
    GroupInfo,
    LastRun,
    LoginResult,
    Overview,
    UploadRequest,
)
from scrtui.settings import Settings
from scrtui.store import groups as group_store
from scrtui.store import queries
from scrtui.store.db import open_database

UPLOAD_ACTIVITY = "B0062"


def make_backend(settings: Settings, card: str | None = None, reader: str | None = None) -> object:
    """The card backend the settings (or a command-line override) ask for."""
    kind = card or settings.card_backend
    if kind == "simulated":
        from scrtui.card.simulated import SimulatedBackend

        return SimulatedBackend()
    from scrtui.card.pcsc import PcscBackend

    return PcscBackend(reader if reader is not None else settings.card_reader)


class AppServices:
    """Implements scrtui.services.Services."""

    def __init__(
        self,
        home: Home,
        settings: Settings,
        session: CardSession,
        backend: object,
        *,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.home = home
        self.settings = settings
        self.session = session
        self.backend = backend
        self.clock = clock
        self.engine: UploadEngine | None = None

    # ----- the upload ------------------------------------------------------------------------

    def overview(self) -> Overview:
        state = queries.upload_state()
        run = queries.last_run()
        last = None
        if run is not None:
            last = LastRun(
                user_name=run.user_name,
                role=run.job_role,
                mode=Mode(run.mode),
                started_at=run.started_at or run.created_at,
                ended_at=run.ended_at,
                outcome=run.outcome or "not finished",
            )
        return Overview(
            status=state.status,
            reason=state.status_reason,
            counts=queries.bucket_counts(),
            last_run=last,
            gp_summary_enabled=self.settings.gp_summary_enabled,
        )

    def groups(self) -> list[GroupInfo]:
        return [
            GroupInfo(name=g.name, description=g.description, members=g.members, system=g.system)
            for g in group_store.list_groups()
        ]

    def refusal(self, mode: Mode) -> str | None:
        if self.engine is not None and self.engine.running:
            return "An upload is already running: pause or stop it first."
        reason = refusal(mode, None, self.settings)
        if reason:
            return reason
        return self._card_refusal()

    def _card_refusal(self) -> str | None:
        if self.session.author() is None:
            return "Log in with your smartcard first (insert the card and enter your passcode)."
        if not self.session.has_activity(UPLOAD_ACTIVITY):
            try:
                self.session.require(UPLOAD_ACTIVITY)
            except Exception as exc:  # NotAuthorised: its message names activity and role
                return str(exc)
        if not self.session.gate_open():
            return self.session.gate_reason()
        return None

    async def run_upload(self, request: UploadRequest) -> Snapshot:
        reason = self._card_refusal()
        if reason:
            raise Refused(reason)
        self.engine = UploadEngine(self.home, self.settings, self.session, clock=self.clock)
        return await self.engine.run(request)

    def snapshot(self) -> Snapshot:
        if self.engine is not None:
            return self.engine.snapshot()
        return Snapshot(status=RunStatus.IDLE, counts=queries.bucket_counts())

    def pause(self) -> None:
        if self.engine is not None:
            self.engine.pause()

    def resume(self) -> None:
        if self.engine is not None:
            self.engine.resume()

    def stop(self) -> None:
        if self.engine is not None:
            self.engine.stop()

    # ----- the card --------------------------------------------------------------------------

    def card_view(self) -> CardView:
        return self.session.view()

    async def login(self, passcode: str) -> LoginResult:
        # APDUs block for a few ms (more on a slow reader): keep them off the UI loop.
        return await asyncio.to_thread(self.session.login, passcode)

    def choose_role(self, role_profile_id: str) -> None:
        self.session.choose_role(role_profile_id)

    def toggle_simulated_card(self) -> None:
        toggle = getattr(self.backend, "toggle", None)
        if toggle is not None:  # only the simulated card can be moved from the keyboard
            toggle()

    def close(self) -> None:
        self.backend.stop()  # type: ignore[attr-defined]


def create_services(
    home: Home,
    settings: Settings,
    *,
    card: str | None = None,
    reader: str | None = None,
    clock: Callable[[], datetime] = datetime.now,
) -> AppServices:
    open_database(home.db_path)
    backend = make_backend(settings, card, reader)
    session = CardSession(
        backend,  # type: ignore[arg-type]
        queries.find_user,
        clock=clock,
        mhs_url=settings.mhs_url,
    )
    backend.start()  # type: ignore[attr-defined]
    return AppServices(home, settings, session, backend, clock=clock)
