"""The card session as the rest of the program sees it: its state, a view of it, a login's result.

Below scrtui/services.py (which re-exports them for the UI) so the card session can answer in
these words without importing the UI's protocol.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta


class CardState(enum.StrEnum):
    NO_SERVICE = "PC/SC service not running"
    NO_READER = "No card reader"
    NO_CARD = "No smartcard"
    WRONG_CARD = "Card has no SCR application"
    INSERTED = "Card inserted: enter passcode"
    BLOCKED = "Card blocked"  # too many wrong passcodes: only the RA can unblock it
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
