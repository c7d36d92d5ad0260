"""The consent service: SET_RESOURCE_PERMISSIONS as synchronous SOAP to the Spine.

The same transport, sessions, mutual TLS, retries, backoff, outage signals and verdicts as the
GP Summaries (scrtui/spine/client.py); only the interaction differs: the endpoint, the headers,
the body and how a 2xx is read. The reply wraps an MCCI acknowledgement in a SOAP envelope,
which the acknowledgement reader accepts.
"""

from __future__ import annotations

from scrtui.settings import Settings
from scrtui.spine.client import HttpTransport, classify
from scrtui.spine.consent_message import SOAP_ACTION
from scrtui.spine.interaction import Interaction
from scrtui.spine.outcome import SendOutcome, Verdict

SYNC_PATH = "sync-service"


def consent_url(settings: Settings) -> str:
    """The configured sync endpoint, or the one beside the MHS adaptor's URL (the bundled
    simulator serves both)."""
    return settings.consent_url or settings.mhs_url.rstrip("/") + "/" + SYNC_PATH


def classify_consent(status: int, body: bytes, message_id: str) -> Verdict:
    """The sync service answers on the call itself: only a readable acknowledgement is an
    outcome. Any other 2xx (a 202, a 204, a 200 without a body) told us nothing about the
    patient's consent, so it is retried with the same id and, if it persists, the patient is
    Failed RETRY keeping the id; never Sent."""
    if 200 < status < 300:
        return Verdict(
            SendOutcome.RETRY_LIMIT,
            retryable=True,
            error_code="NO-ACK",
            error_text=f"the consent service answered HTTP {status} without an acknowledgement",
        )
    return classify(status, body, message_id)


def _utf8(payload: str) -> bytes:
    return payload.encode("utf-8")


def consent(settings: Settings) -> Interaction:
    """Synchronous whatever the MHS mode: the answer to the call is the outcome."""
    return Interaction(
        url=consent_url(settings),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": SOAP_ACTION},
        encode=_utf8,
        classify=classify_consent,
        asynchronous=False,
    )


def consent_transport(settings: Settings, correlation_id: str) -> HttpTransport:
    return HttpTransport(settings, consent(settings), correlation_id)
