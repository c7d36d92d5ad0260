"""The HTTP transport: one POST per message, retries, and a verdict per patient.

`HttpTransport` is told which service it talks to by an Interaction (interaction.py): the GP
Summary's is `gp_summary` below, the consent service's and the PDS query's are in
consent_client.py and pds_client.py. The GP Summary's classification (docs/spine.md's table):
- 200 with an AA acknowledgement for our message id: SENT.
- 200 with an AE "duplicate message id" (401): SENT with a note; the Spine holds that summary.
- 200 with an AE "service not available" (502): a transient fault, retried like a 503.
- 200 with any other AE/AR: REJECTED, with the Spine's first specific error code and text.
- 400 "Request to send to Spine is too large": REJECTED (this patient's message, not the
  set-up), with a reason that says what to do.
- 202: SENT, meaning "accepted by the MHS adaptor". With wait-for-response false the Spine's
  acknowledgement goes to the adaptor's inbound queue, not to us; 202 is all we can know.
- 500 whose words say the adaptor's set-up is wrong ("Error obtaining outbound URL", ...;
  scrtui/spine/adaptor_words.py): FATAL with code MHS-SETUP: no resend can succeed.
- timeout, reset or refused connection, any other 5xx, 429: retried with the same message id, with
  exponential backoff and jitter (honouring Retry-After, capped at backoff_max), then
  RETRY_LIMIT "retry limit exceeded: <last cause>". Each of these counts as a transport failure.
- a 200 whose body is not an acknowledgement of our message (garbage, or another message's id):
  never a success. It is retried like a transport fault, because a confused adaptor may answer
  properly next time and the Spine's duplicate elimination makes the resend harmless; if it
  persists the patient ends RETRY_LIMIT with the parse error as the cause. It is not counted as
  a transport failure: the adaptor did answer.
- any other 400, 404, 415 and any other 4xx or unexpected status, a TLS failure or a bad URL:
  FATAL. Our request or configuration is wrong, so the run must stop rather than fail every
  patient.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any

import aiohttp
import orjson

from scrtui import logs
from scrtui.settings import Settings
from scrtui.spine import adaptor_words, codes
from scrtui.spine.acknowledgement import AckParseError, parse_ack
from scrtui.spine.error_text import scrubbed
from scrtui.spine.failure_log import FailureLog
from scrtui.spine.interaction import Interaction
from scrtui.spine.message import INTERACTION_ID
from scrtui.spine.outcome import SETUP_CODE, Verdict

# Re-exported: scrtui/engine/async_watch.py and the tests import them from here.
from scrtui.spine.outcome import SendOutcome as SendOutcome
from scrtui.spine.outcome import SendResult as SendResult

RETRYABLE_STATUSES = frozenset({429}) | frozenset(range(500, 600))
# How much of an adaptor's error body is looked at for error_text (scrubbed, then cut short
# enough for a table cell and a log line).
_MAX_READ_TEXT = 4096
# The most read of one answer (docs/spine.md): a GP Summary's acknowledgement, a PDS reply and
# the adaptor's error texts are a few KB; anything larger is not read, and not an answer.
MAX_ANSWER_BYTES = 1_000_000
TOO_LARGE_ANSWER = "ANSWER-TOO-LARGE"


def _body_text(body: bytes) -> str:
    """The adaptor's error text, without what could carry patient data (error_text.py)."""
    return scrubbed(body[:_MAX_READ_TEXT].decode("utf-8", errors="replace"))


def classify(status: int, body: bytes, message_id: str) -> Verdict:
    """The meaning of one HTTP answer from the MHS adaptor (a pure function, for tests)."""
    if status == 200:
        return _classify_ack(body, message_id)
    if status == 202:
        # Accepted by the MHS adaptor; the Spine's answer goes to its inbound queue.
        return Verdict(SendOutcome.SENT)
    text = _body_text(body) or f"HTTP {status}"
    if codes.about_the_message(status, text):
        return Verdict(
            SendOutcome.REJECTED,
            error_code=codes.TOO_LARGE_CODE,
            error_text=f"{codes.TOO_LARGE_TEXT} (the MHS adaptor said: {text})",
        )
    advice = adaptor_words.setup_advice(text) if status == 500 else None
    if advice is not None:
        return Verdict(
            SendOutcome.FATAL,
            error_code=SETUP_CODE,
            error_text=f"the MHS adaptor answered {status} '{text}': {advice}",
            said=text,
        )
    if status in RETRYABLE_STATUSES:
        return Verdict(
            SendOutcome.RETRY_LIMIT,
            retryable=True,
            transport_failure=True,
            error_code=f"HTTP-{status}",
            error_text=f"HTTP {status} from the MHS adaptor: {text}",
            said=text,
        )
    # 400/404/415 are the adaptor telling us our request or configuration is wrong; any other
    # status is unexpected from this API and no patient's fault either.
    return Verdict(SendOutcome.FATAL, error_code=f"HTTP-{status}", error_text=text, said=text)


def _classify_ack(body: bytes, message_id: str) -> Verdict:
    try:
        ack = parse_ack(body, message_id)
    except AckParseError as exc:
        return Verdict(
            SendOutcome.RETRY_LIMIT,
            retryable=True,
            error_code="BAD-ACK",
            error_text=f"unusable acknowledgement: {exc}",
        )
    meaning = codes.meaning(ack)
    if meaning is codes.Meaning.SENT:
        return Verdict(SendOutcome.SENT, ack_code=ack.type_code)
    if meaning is codes.Meaning.ALREADY_HELD:
        return Verdict(
            SendOutcome.SENT,
            ack_code=ack.type_code,
            error_code=codes.DUPLICATE_MESSAGE_ID,
            error_text="already held by the Spine (duplicate message id): counted as sent",
        )
    if meaning is codes.Meaning.TRY_LATER:
        return Verdict(
            SendOutcome.RETRY_LIMIT,
            retryable=True,
            transport_failure=True,
            ack_code=ack.type_code,
            error_code=codes.SERVICE_NOT_AVAILABLE,
            error_text="the Spine service is not available (AE 502)",
            said="service not available (AE 502)",
        )
    error = ack.main_error
    if error is None:
        return Verdict(SendOutcome.REJECTED, ack_code=ack.type_code, error_text="no reason given")
    return Verdict(
        SendOutcome.REJECTED,
        ack_code=ack.type_code,
        error_code=error.code,
        error_text=error.display_name or error.code,
    )


def _transport_verdict(code: str, text: str) -> Verdict:
    return Verdict(
        SendOutcome.RETRY_LIMIT,
        retryable=True,
        transport_failure=True,
        error_code=code,
        error_text=text,
        said=text,
    )


def classify_exception(exc: BaseException, settings: Settings) -> Verdict:
    """The meaning of an attempt that got no HTTP answer."""
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        return Verdict(SendOutcome.FATAL, error_code="TLS", error_text=f"TLS failure: {exc}")
    if isinstance(exc, aiohttp.InvalidURL):
        return Verdict(
            SendOutcome.FATAL, error_code="BAD-URL", error_text=f"invalid MHS URL: {exc}"
        )
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return _transport_verdict("TIMEOUT", f"no connection within {settings.connect_timeout:g} s")
    if isinstance(exc, TimeoutError):
        return _transport_verdict("TIMEOUT", f"no answer within {settings.total_timeout:g} s")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return _transport_verdict("REFUSED", f"cannot connect to the MHS adaptor: {exc.os_error}")
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientOSError):
        return _transport_verdict("RESET", f"connection reset by the MHS adaptor: {exc}")
    return _transport_verdict("TRANSPORT", f"transport error: {type(exc).__name__}: {exc}")


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, moment.timestamp() - current)


def backoff_delay(
    attempt: int, settings: Settings, retry_after: float | None, rng: random.Random
) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based).

    Exponential with "equal jitter": half the step is fixed, half random, so a burst of
    failures from many workers does not come back in lockstep. Retry-After raises the wait but
    never past backoff_max: one patient must not hold a worker for an hour.
    """
    step = min(settings.backoff_max, settings.backoff_base * 2.0 ** (attempt - 1))
    delay = step / 2 + rng.uniform(0, step / 2)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, settings.backoff_max)


async def read_capped(response: aiohttp.ClientResponse) -> bytes | None:
    """The answer's body, or None when it is over MAX_ANSWER_BYTES (never held whole)."""
    if (response.content_length or 0) > MAX_ANSWER_BYTES:
        return None
    body = bytearray()
    async for chunk in response.content.iter_chunked(65_536):
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            return None
    return bytes(body)


def _too_large(status: int) -> Verdict:
    """An answer too large to be one: unreadable, retried like any unreadable answer."""
    return Verdict(
        SendOutcome.RETRY_LIMIT,
        retryable=True,
        error_code=TOO_LARGE_ANSWER,
        error_text=f"the answer (HTTP {status}) is over {MAX_ANSWER_BYTES:,} bytes: not read",
    )


def ssl_context(settings: Settings) -> ssl.SSLContext | bool:
    """Verification against ca_bundle (else the system CAs), plus the client cert for mTLS."""
    if not settings.ca_bundle and not settings.client_cert:
        return True
    context = ssl.create_default_context(cafile=settings.ca_bundle or None)
    if settings.client_cert:
        context.load_cert_chain(settings.client_cert, settings.client_key or None)
    return context


def connections(settings: Settings) -> int:
    """The connection pool: the summaries' senders, and the PDS workers ahead of them."""
    return settings.concurrency + (settings.pds_concurrency if settings.pds_sync else 0)


def gp_summary(settings: Settings, correlation_id: str) -> Interaction:
    """The MHS adaptor's GP Summary interaction: JSON-wrapped, synchronous or not by the
    settings' wait_for_response."""
    return Interaction(
        url=settings.mhs_url,
        headers={
            "Content-Type": "application/json",
            "Interaction-Id": INTERACTION_ID,
            "wait-for-response": "true" if settings.wait_for_response else "false",
            "Correlation-Id": correlation_id,
            "from-asid": settings.sending_asid,
            # No ods-code: the adaptor reads it as the *receiving* system's ODS code and looks
            # the route up with it (its OpenAPI: "defaults to Spines ODS Code if not
            # provided"); every message here goes to the Spine, and the practice's identity
            # travels in the message itself (issue 19).
        },
        encode=_json_body,
        classify=classify,
        asynchronous=not settings.wait_for_response,
    )


def _json_body(payload: str) -> bytes:
    """The request body for one message (the adaptor takes it wrapped in JSON)."""
    return orjson.dumps({"payload": payload})


def mhs_transport(settings: Settings, correlation_id: str) -> HttpTransport:
    """The run's GP Summaries (and its PDS queries) through the MHS adaptor."""
    return HttpTransport(settings, gp_summary(settings, correlation_id), correlation_id)


class HttpTransport:
    """Sends one interaction's messages (scrtui/spine/interaction.py) over one aiohttp session;
    one per run, used as an async context manager. A scrtui.spine.transport.Transport."""

    def __init__(self, settings: Settings, interaction: Interaction, correlation_id: str) -> None:
        self._settings = settings
        self._interaction = interaction
        self._session: aiohttp.ClientSession | None = None
        self._consecutive_failures = 0
        self._last_failure: tuple[int | None, str] | None = None
        self._answers = 0
        self._rng = random.Random()
        self._log = logs.get("scrtui.spine").bind(correlation_id=correlation_id)
        self._failures = FailureLog(self._log)

    @property
    def interaction(self) -> Interaction:
        return self._interaction

    @property
    def consecutive_transport_failures(self) -> int:
        """Failed transport attempts in a row, over all patients: the engine's outage signal."""
        return self._consecutive_failures

    @property
    def last_failure(self) -> tuple[int | None, str] | None:
        """(HTTP status or None, the adaptor's words) of the latest failed try, if any."""
        return self._last_failure

    @property
    def answers(self) -> int:
        """Attempts the MHS answered (anything but a transport fault), over all patients."""
        return self._answers

    async def __aenter__(self) -> HttpTransport:
        connector = aiohttp.TCPConnector(
            limit=connections(self._settings), ssl=ssl_context(self._settings)
        )
        # sock_connect, not connect: aiohttp's `connect` also counts the wait for a free
        # pooled connection, and a busy pool must not look like an unreachable adaptor.
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(
                total=self._settings.total_timeout, sock_connect=self._settings.connect_timeout
            ),
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._failures.flush()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(
        self,
        message_id: str,
        payload: str,
        *,
        give_up: asyncio.Event | None = None,
        attempts: int | None = None,
        interaction: Interaction | None = None,
    ) -> SendResult:
        """POST one message, retrying transport faults with the same message id.

        `interaction`: another interaction through the same session, retries and outage
        counting (the PDS query, scrtui/spine/pds_client.py), else the run's own.
        `attempts` caps the tries below max_attempts (an outage probe makes one).
        """
        if self._session is None:
            raise RuntimeError("HttpTransport.send() outside `async with`")
        started = time.monotonic()
        interaction = interaction or self._interaction
        body = interaction.encode(payload)
        attempt = 0
        max_attempts = min(attempts or self._settings.max_attempts, self._settings.max_attempts)
        while True:
            attempt += 1
            status, verdict, retry_after = await self._attempt(message_id, body, interaction)
            self._count(verdict, status)
            if not verdict.retryable:
                self._log_final(message_id, status, verdict, attempt)
                return self._result(verdict, verdict.outcome, status, attempt, started)
            last_attempt = attempt >= max_attempts
            delay = 0.0 if last_attempt else self._delay(attempt, retry_after)
            self._failures.failed(
                (status, verdict.error_code, verdict.error_text),
                message_id=message_id,
                attempt=attempt,
                status=status,
                error_code=verdict.error_code,
                cause=verdict.error_text,
                retry_in_s=None if last_attempt else round(delay, 3),
            )
            if last_attempt:
                text = f"retry limit exceeded: {verdict.error_text}"
                return self._result(
                    verdict, SendOutcome.RETRY_LIMIT, status, attempt, started, text
                )
            if await self._pause(delay, give_up):
                text = f"interrupted while waiting to retry: {verdict.error_text}"
                return self._result(
                    verdict, SendOutcome.INTERRUPTED, status, attempt, started, text
                )

    async def _attempt(
        self, message_id: str, body: bytes, interaction: Interaction
    ) -> tuple[int | None, Verdict, float | None]:
        assert self._session is not None
        headers = {**interaction.headers, "Message-Id": message_id}
        try:
            async with self._session.post(
                interaction.url, data=body, headers=headers, allow_redirects=False
            ) as response:
                answer = await read_capped(response)
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                if answer is None:
                    return response.status, _too_large(response.status), retry_after
                verdict = interaction.classify(response.status, answer, message_id)
                return response.status, verdict, retry_after
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return None, classify_exception(exc, self._settings), None

    def _count(self, verdict: Verdict, status: int | None) -> None:
        if verdict.transport_failure:
            self._last_failure = (status, verdict.said or verdict.error_text or "no answer")
            self._consecutive_failures += 1
        else:
            self._consecutive_failures = 0
            self._answers += 1
            if not verdict.retryable:
                self._failures.answered()

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        return backoff_delay(attempt, self._settings, retry_after, self._rng)

    @staticmethod
    async def _pause(delay: float, give_up: asyncio.Event | None) -> bool:
        """Sleep before a retry; True when give_up was set first (or already)."""
        if give_up is None:
            await asyncio.sleep(delay)
            return False
        if give_up.is_set():
            return True
        try:
            await asyncio.wait_for(give_up.wait(), delay)
        except TimeoutError:
            return False
        return True

    def _log_final(
        self, message_id: str, status: int | None, verdict: Verdict, attempts: int
    ) -> None:
        if verdict.outcome is SendOutcome.SENT:
            return
        log: Any = self._log.error if verdict.outcome is SendOutcome.FATAL else self._log.info
        log(
            "mhs_send_" + verdict.outcome.value,
            message_id=message_id,
            status=status,
            attempts=attempts,
            error_code=verdict.error_code,
            error=verdict.error_text,
        )

    @staticmethod
    def _result(
        verdict: Verdict,
        outcome: SendOutcome,
        status: int | None,
        attempts: int,
        started: float,
        text: str | None = None,
    ) -> SendResult:
        return SendResult(
            outcome=outcome,
            http_status=status,
            ack_code=verdict.ack_code,
            error_code=verdict.error_code,
            error_text=text if text is not None else verdict.error_text,
            attempts=attempts,
            latency_ms=(time.monotonic() - started) * 1000,
            transport=verdict.transport_failure,
            detail=verdict.detail,
            said=verdict.said,
        )
