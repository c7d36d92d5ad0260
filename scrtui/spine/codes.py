"""What an answer means for the patient, beyond success: the codes that say "the Spine already
has it", "try later" or "this message is wrong". docs/spine.md has the table of every code.

Kept apart from the acknowledgement reader (acknowledgement.py), which only reads what the Spine
said.
"""

from __future__ import annotations

import enum

from scrtui.spine.acknowledgement import Ack

# PSIS general categories (docs/spine.md, "Acknowledgement codes").
DUPLICATE_MESSAGE_ID = "401"
SERVICE_NOT_AVAILABLE = "502"
# Warnings and information details never decide what an acknowledgement means.
_NOT_ERRORS = frozenset({"WG", "W", "IF", "I"})

# The adaptor's own 400 answers that are about this message, not about our set-up: its
# "too large" check (MHS_SPINE_REQUEST_MAX_SIZE) and the request schema's payload length.
_TOO_LARGE = "Request to send to Spine is too large"
_PAYLOAD_LENGTH = "'payload': ['Length must be between"
TOO_LARGE_CODE = "TOO-LARGE"
TOO_LARGE_TEXT = "message too large: reduce the items in this patient's record, then use Failed"


class Meaning(enum.Enum):
    SENT = "sent"  # AA: the Spine holds the summary
    ALREADY_HELD = "already held"  # AE 401: the Spine holds a summary under this id
    TRY_LATER = "try later"  # AE 502: nothing stored; a transient fault, like a 503
    REJECTED = "rejected"  # any other AE/AR: the patient's record needs fixing


def meaning(ack: Ack) -> Meaning:
    if ack.ok:
        return Meaning.SENT
    codes = {e.code for e in ack.errors if e.qualifier not in _NOT_ERRORS}
    if DUPLICATE_MESSAGE_ID in codes:
        return Meaning.ALREADY_HELD
    if SERVICE_NOT_AVAILABLE in codes:
        return Meaning.TRY_LATER
    return Meaning.REJECTED


def about_the_message(status: int, text: str) -> bool:
    """A 4xx from the adaptor that refuses this one message (it is too large), rather than our
    request's set-up (headers, URL, content type), which would refuse every message."""
    return status == 400 and (_TOO_LARGE in text or _PAYLOAD_LENGTH in text)
