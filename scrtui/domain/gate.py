"""The one gate every send passes: the states of the smartcard session and how they are decided.

Pure: scrtui/card/session.py gathers the facts (the session, the reader, the clock) and the
engine matches on GateState to pause, stop or go on.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from scrtui.domain.rbac import UPLOAD_ACTIVITY, holds
from scrtui.domain.records import RoleProfile


class GateState(enum.StrEnum):
    OPEN = "open"
    NO_SESSION = "no_session"
    LOCKED = "locked"  # the card left the reader: the same card and its passcode continue
    ENDED = "ended"  # another card's passcode ended the session: the run stops
    EXPIRED = "expired"  # the 10-hour session ran out: the run stops
    NO_ROLE = "no_role"
    NOT_AUTHORISED = "not_authorised"
    REFUSED_REAL_SPINE = "refused_real_spine"


@dataclass(frozen=True, slots=True)
class GateFacts:
    """What the gate is decided on, read once by the session without a lock."""

    logged_in: bool
    ended: bool
    expires: datetime | None
    locked: bool
    card_usable: bool  # the reader holds a card we can talk to
    same_insertion: bool  # ... and it has not left the reader since the login
    refuses_real_spine: bool  # a simulated card pointed at a non-loopback MHS
    role: RoleProfile | None


def decide(facts: GateFacts, now: datetime) -> GateState:
    if not facts.logged_in:
        return GateState.NO_SESSION
    if facts.ended:
        return GateState.ENDED
    if facts.expires is not None and now >= facts.expires:
        return GateState.EXPIRED
    if facts.locked or not facts.card_usable or not facts.same_insertion:
        return GateState.LOCKED
    if facts.refuses_real_spine:
        return GateState.REFUSED_REAL_SPINE
    if facts.role is None:
        return GateState.NO_ROLE
    if not holds(facts.role, UPLOAD_ACTIVITY):
        return GateState.NOT_AUTHORISED
    return GateState.OPEN
