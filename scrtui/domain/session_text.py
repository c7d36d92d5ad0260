"""What the smartcard session says: why the gate is closed, RBAC refusals, a blocked card.

Shared by the app (through the card view) and the headless commands; the UI's own wording is
in scrtui/ui/text.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from scrtui.domain.gate import GateState
from scrtui.domain.rbac import UPLOAD_ACTIVITY, activity_label, role_label
from scrtui.domain.records import RoleProfile

SESSION_LENGTH = timedelta(hours=10)
UPLOAD_ACTIONS = "Starting, stopping, pausing or resuming an upload"
BLOCKED_MESSAGE = "This smartcard is blocked: ask your Registration Authority to unblock it"
CHOOSE_ROLE = "Choose a role profile"


# Why a locked session holds the run, as the status says it ("Paused: ..."). The card's own
# state decides which (issue 22: "reinsert" was still said once the card was back).
CARD_OUT = "smartcard removed: reinsert the same card and enter the passcode to continue"
CARD_BACK = "card back: enter the passcode to continue"


def locked(card_in_reader: bool, service_problem: str = "") -> str:
    """Why a locked session's gate is closed: the card is out, or back and the passcode is
    still to come; `service_problem`: the card service itself cannot be reached."""
    if service_problem:
        return f"the session is locked. {service_problem}"
    return CARD_BACK if card_in_reader else CARD_OUT


def hours(length: timedelta) -> str:
    return f"{int(length.total_seconds() // 3600)} hours"


def rbac_refusal(action: str, code: str, role: RoleProfile) -> str:
    return (
        f"{action} needs RBAC activity {activity_label(code)}; your role {role_label(role)} "
        "does not have it"
    )


def needs_session(action: str, code: str) -> str:
    return f"{action} needs RBAC activity {activity_label(code)}: log in with your smartcard first"


def needs_role(action: str, code: str) -> str:
    return f"{action} needs RBAC activity {activity_label(code)}: choose a role profile"


def expired(expires: datetime) -> str:
    return (
        f"The smartcard session expired at {expires:%H:%M}, {hours(SESSION_LENGTH)} after "
        "login: enter the passcode to log in again"
    )


def ended(user_name: str) -> str:
    return (
        f"The session of {user_name} ended because a different smartcard was inserted: log in again"
    )


def real_spine(mhs_url: str) -> str:
    return (
        f"The simulated smartcard cannot send to a real Spine: the MHS URL {mhs_url or '(none)'} "
        "is not a loopback address. Use a real smartcard, or point the MHS URL at 127.0.0.1"
    )


def gate_reason(
    state: GateState,
    *,
    user_name: str,
    expires: datetime,
    role: RoleProfile | None,
    locked: str,
    mhs_url: str,
) -> str:
    """Why a logged-in session's gate is closed ("" when open); `locked` is the reader's
    account of a locked session (reinsert the card, or type the passcode)."""
    if state is GateState.OPEN:
        return ""
    if state is GateState.ENDED:
        return ended(user_name)
    if state is GateState.EXPIRED:
        return expired(expires)
    if state is GateState.LOCKED:
        return locked
    if state is GateState.REFUSED_REAL_SPINE:
        return real_spine(mhs_url)
    if state is GateState.NO_ROLE or role is None:
        return CHOOSE_ROLE
    return rbac_refusal(UPLOAD_ACTIONS, UPLOAD_ACTIVITY, role)
