"""The consent service client: SET_RESOURCE_PERMISSIONS as synchronous SOAP to the Spine.

The same sessions, mutual TLS, retries, backoff, outage signals and verdicts as the MHS client
(scrtui/spine/client.py); only the endpoint, the headers and the body differ. The reply wraps an
MCCI acknowledgement in a SOAP envelope, which the acknowledgement reader accepts.
"""

from __future__ import annotations

from scrtui.settings import Settings
from scrtui.spine.client import MhsClient, SendOutcome, Verdict, classify
from scrtui.spine.consent_message import SOAP_ACTION

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


class ConsentClient(MhsClient):
    def __init__(self, settings: Settings, correlation_id: str) -> None:
        super().__init__(settings, correlation_id)
        self._url = consent_url(settings)
        # The sync service has no health page: any answer from the endpoint means it is up.
        self._health_url = self._url
        self._headers = {
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": SOAP_ACTION,
        }

    @staticmethod
    def classify(status: int, body: bytes, message_id: str) -> Verdict:
        return classify_consent(status, body, message_id)

    @staticmethod
    def _body(payload: str) -> bytes:
        return payload.encode("utf-8")

    async def healthcheck(self) -> bool:
        """Reachable when the endpoint answers a GET at all (405 included)."""
        if self._session is None:
            return False
        try:
            async with self._session.get(self._health_url, allow_redirects=False) as response:
                await response.read()
                return response.status < 500
        except Exception as exc:  # noqa: BLE001 - a probe reports, it never fails the caller
            self._log.info("consent_healthcheck_failed", error=f"{type(exc).__name__}: {exc}")
            return False
