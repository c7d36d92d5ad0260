"""What the UI may ask of the rest of the program: plain views and intents.

The UI (scrtui/ui) imports only this module, scrtui.domain and scrtui.settings; the real
implementation (scrtui/wiring.py) talks to the database, the engine and the card.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from scrtui.domain.progress import Snapshot
from scrtui.domain.records import Bucket, Mode
from scrtui.domain.schedule import Schedule
from scrtui.settings import Settings


class CardState(enum.StrEnum):
    NO_SERVICE = "PC/SC service not running"
    NO_READER = "No card reader"
    NO_CARD = "No smartcard"
    WRONG_CARD = "Card has no SCR application"
    INSERTED = "Card inserted: enter passcode"
    LOCKED = "Card removed: session locked"
    LOGGED_IN = "Logged in"
    EXPIRED = "Session expired"
    ENDED = "Session ended"


@dataclass(frozen=True)
class CardView:
    state: CardState
    message: str = ""  # the plain-English detail, e.g. what to do next
    simulated: bool = False
    user_name: str | None = None
    role_name: str | None = None
    has_b0062: bool = False
    time_left: timedelta | None = None
    needs_role_choice: bool = False


@dataclass(frozen=True)
class RoleChoice:
    role_profile_id: str
    label: str  # e.g. "R8000 System Administrator (555000000011)"


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    message: str  # why not, e.g. "Wrong passcode: 2 tries left"
    roles: tuple[RoleChoice, ...] = ()  # more than one: the user must choose


@dataclass(frozen=True)
class LastRun:
    user_name: str
    role: str
    mode: Mode
    started_at: datetime | None
    ended_at: datetime | None
    outcome: str


@dataclass(frozen=True)
class Overview:
    status: str
    reason: str
    counts: dict[Bucket, int] = field(default_factory=dict)
    last_run: LastRun | None = None
    gp_summary_enabled: bool = True


@dataclass(frozen=True)
class GroupInfo:
    name: str
    description: str
    members: int
    system: bool


@dataclass(frozen=True)
class UploadRequest:
    mode: Mode
    schedule: Schedule
    group: str | None = None


class Services(Protocol):
    settings: Settings

    # the upload
    def overview(self) -> Overview: ...
    def groups(self) -> list[GroupInfo]: ...
    def refusal(self, mode: Mode) -> str | None:
        """Why `mode` cannot start now (nothing to resume, no failures, no card...), or None."""

    async def run_upload(self, request: UploadRequest) -> Snapshot:
        """Run to the end (completed or stopped); the App runs this in its own worker."""

    def snapshot(self) -> Snapshot: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def stop(self) -> None: ...

    # the card
    def card_view(self) -> CardView: ...
    async def login(self, passcode: str) -> LoginResult: ...
    def choose_role(self, role_profile_id: str) -> None: ...
    def toggle_simulated_card(self) -> None:
        """Demo only: insert or remove the simulated card."""
