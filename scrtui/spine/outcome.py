"""What one message came to: the words every transport, classifier and the engine share.

`SendResult` is a whole send (every attempt); `Verdict` is what one answer means, as a
classifier reads it (scrtui/spine/client.py for GP Summaries, consent_client.py, pds_client.py).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The adaptor's set-up is wrong (its 500 words, scrtui/spine/adaptor_words.py): no resend can
# succeed, the run stops with nobody Failed.
SETUP_CODE = "MHS-SETUP"


class SendOutcome(enum.StrEnum):
    """What one send() came to (the patient's recorded outcome is store/upload_state.py's)."""

    SENT = "sent"
    REJECTED = "rejected"
    RETRY_LIMIT = "retry_limit"
    FATAL = "fatal"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    http_status: int | None
    ack_code: str | None  # AA / AE / AR when an acknowledgement was read
    error_code: str | None  # Spine code ("30418"), or HTTP-nnn, TIMEOUT, RESET, REFUSED, ...
    error_text: str | None
    attempts: int
    latency_ms: float  # whole send(): every attempt and every backoff wait
    transport: bool = False  # the last attempt's cause was a transport fault (MHS unreachable)
    detail: Any = None  # what the verdict read from the answer (a PDS reply), if anything
    said: str | None = None  # the adaptor's own words (its error body), when it answered so


@dataclass(frozen=True)
class Verdict:
    """What one attempt means. `retryable` verdicts become RETRY_LIMIT when attempts run out."""

    outcome: SendOutcome
    retryable: bool = False
    transport_failure: bool = False
    ack_code: str | None = None
    error_code: str | None = None
    error_text: str | None = None
    detail: Any = None
    said: str | None = None


# How one answer is read: (HTTP status, body, our message id) -> its meaning.
Classifier = Callable[[int, bytes, str], Verdict]
