"""Asynchronous mode: the messages awaiting their acknowledgement from the MHS adaptor's queue.

The engine sends with `wait-for-response: false`; a 202 hands the patient here (still Sending,
its message id stored in awaiting_ack). Each message from the queue is matched on its
`message-id` property (docs/async-mode.md) and read by the same acknowledgement reader and code
table as the synchronous path (client.classify, docs/spine.md):
- AA, or AE 401 "duplicate message id": Sent; any other AE/AR: Failed with the Spine's code;
  AE 502 "service not available": sent again under the same id.
- The message is accepted on the broker only after the outcome is committed (`committed()`), so
  a crash in between means it comes again and is applied once.
- An answer to a message already answered (a duplicate, a redelivery): accepted, nothing changes.
- An answer to one of ours the engine has not met yet this run (sent before a crash, or racing
  its own 202): held unsettled until the engine meets that patient.
- Not ours (another system's traffic on the shared queue): released at once the first times
  it comes, so its owner (another consumer) gets it without waiting; if it keeps coming back
  nobody else is taking it, so it is held FOREIGN_HOLD_S before each release, or a lone
  consumer would spin on it. Logged once per message (the count is in `acks_closed`).
- Malformed (not the adaptor's JSON, nested too deeply, text that is not UTF-8 or holds half a
  character, or not an acknowledgement of that message): rejected, with the reason logged; the
  patient keeps waiting.
No answer within `ack_timeout` seconds: sent again with the same id (the Spine's duplicate
elimination makes that safe), up to `max_attempts` times, then Failed RETRY "no acknowledgement",
keeping its id. While the queue is unreachable the clock stops (an outage fails nobody) and,
once `max_awaiting` messages wait, sends pause until it is back.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scrtui import logs
from scrtui.domain.progress import RunStatus
from scrtui.domain.records import Bucket
from scrtui.engine.job import Job
from scrtui.settings import Settings
from scrtui.spine.client import SendOutcome, SendResult, classify
from scrtui.spine.queue import AckQueue, QueueSettings, Received
from scrtui.store import awaiting
from scrtui.store.upload_state import NO_ACK_CODE, PatientOutcome

# A message that is not ours goes back at once its first FOREIGN_AT_ONCE times (another
# consumer is its owner), then is held FOREIGN_HOLD_S before each release (nobody else took
# it: a lone consumer must not spin on it). Not longer: RabbitMQ may hand a released message
# to the same consumer again, and while we hold it its owner cannot have it. Up to
# FOREIGN_REMEMBERED of them are remembered, so each is logged once.
FOREIGN_AT_ONCE = 3
FOREIGN_HOLD_S = 1.0
FOREIGN_REMEMBERED = 10_000
UNREACHABLE = "acknowledgement queue unreachable"
NO_ACK_TEXT = "no acknowledgement"


class Malformed(ValueError):
    """A queue message that is not the adaptor's acknowledgement of that message."""


def payload_of(body: Any) -> bytes:
    """The MCCI inside the adaptor's JSON body {"ebXML", "payload", "attachments"}, as UTF-8.

    The body is an AMQP string as the adaptor sends it, or binary (a data section, which
    proton hands over as a memoryview): what a shovel or a relay from AMQP 0-9-1 delivers.
    """
    if isinstance(body, bytes | bytearray | memoryview):
        try:
            body = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Malformed(f"the body is not UTF-8 text ({exc.reason})") from None
    if not isinstance(body, str):
        raise Malformed(f"the body is {type(body).__name__}, not the adaptor's JSON string")
    try:
        data = json.loads(body)
    except RecursionError:
        raise Malformed("the body is not JSON: nested too deeply") from None
    except ValueError as exc:
        raise Malformed(f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("payload"), str):
        raise Malformed("the body has no payload string")
    try:
        return str(data["payload"]).encode("utf-8")
    except UnicodeEncodeError:
        raise Malformed("the payload holds half a character (a lone surrogate)") from None


@dataclass(slots=True)
class Awaited:
    job: Job
    sent: float | None  # monotonic time the send began (None: taken before a crash)
    deadline: float  # monotonic


Finalise = Callable[..., None]


class AckTracker:
    def __init__(
        self,
        settings: Settings,
        finalise: Finalise,
        resend: Callable[[Job], None],
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.timeout = settings.ack_timeout
        self._finalise = finalise
        self._resend = resend
        self.clock = clock
        self.log = logs.get("scrtui.engine.async_watch")
        self.awaited: dict[str, Awaited] = {}
        self._inflight: set[str] = set()  # handed to the MHS adaptor, 202 not yet seen
        self._early: dict[str, Received] = {}  # answers met before their patient
        self._answered: set[str] = set()  # answered this run (later copies are duplicates)
        self._resending: set[str] = set()
        self._resends: dict[str, int] = {}
        self._to_settle: dict[int, int] = {}  # patient id -> delivery, accepted once committed
        self._new_rows: list[tuple[str, int, datetime]] = []
        self.queue: AckQueue | None = None
        self._foreign_seen: dict[str, int] = {}  # message id -> times it came to us
        self.foreign = self.duplicates = self.malformed = self.timeouts = 0
        self.latencies_ms: list[float] = []

    # --- life ---

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.queue = AckQueue(QueueSettings.from_settings(self.settings), loop, self.on_message)
        self.queue.start()

    async def close(self) -> None:
        self._write_rows()
        if self.queue is not None:
            await asyncio.to_thread(self.queue.close)
        self.log.info(
            "acks_closed",
            awaiting=len(self.awaited),
            foreign=self.foreign,
            duplicates=self.duplicates,
            malformed=self.malformed,
            timeouts=self.timeouts,
        )

    @property
    def connected(self) -> bool:
        return self.queue is not None and self.queue.connected

    def count(self) -> int:
        return len(self.awaited)

    def hold(self) -> tuple[RunStatus, str] | None:
        """Sends pause while the queue is unreachable and the bound of awaited is reached."""
        if not self.connected and len(self.awaited) >= self.settings.max_awaiting:
            return RunStatus.PAUSED, f"{UNREACHABLE}: will continue when it is back"
        return None

    # --- the engine's side ---

    def intercept(self, job: Job) -> bool:
        """Before a send: True when the message must not go now (its answer is here, or it was
        taken before a crash and its answer may still come)."""
        mid = job.message_id.upper()
        if mid in self._resending:
            self._resending.discard(mid)
        elif mid in self._early:
            self._await(job, None, time.monotonic() + self.timeout)
            self.on_message(self._early.pop(mid))
            return True
        elif (taken := awaiting.sent_at(mid)) is not None:
            age = (self.clock() - taken).total_seconds()
            self._await(job, None, time.monotonic() + max(0.0, self.timeout - age))
            return True
        self._inflight.add(mid)
        return False

    def took(self, job: Job, result: SendResult) -> bool:
        """After a send: True when the answer was a 202 and the acknowledgement is awaited."""
        mid = job.message_id.upper()
        self._inflight.discard(mid)
        if result.outcome is not SendOutcome.SENT or result.http_status != 202:
            return False
        now = time.monotonic()
        # Send-to-acknowledgement time counts from when the send began, not from the 202.
        self._await(job, now - result.latency_ms / 1000, now + self.timeout)
        self._new_rows.append((job.message_id, job.item.patient_id, self.clock()))
        early = self._early.pop(mid, None)
        if early is not None:
            self.on_message(early)
        return True

    def committed(self, batch: Sequence[PatientOutcome]) -> None:
        """Outcomes are in the database: their queue messages may now be accepted."""
        if not self._to_settle or self.queue is None:
            return
        for outcome in batch:
            tag = self._to_settle.pop(outcome.patient_id, None)
            if tag is not None:
                self.queue.accept(tag)

    async def watch(self, tick: float) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(tick)
            now = time.monotonic()
            self._write_rows()
            if not self.connected:
                for entry in self.awaited.values():  # the clock stops during a queue outage
                    entry.deadline += now - last
            else:
                self._expire(now)
            last = now

    # --- inside ---

    def _await(self, job: Job, sent: float | None, deadline: float) -> None:
        self.awaited[job.message_id.upper()] = Awaited(job, sent, deadline)

    def _write_rows(self) -> None:
        rows, self._new_rows = self._new_rows, []
        awaiting.record(rows)

    def _expire(self, now: float) -> None:
        late = [mid for mid, entry in self.awaited.items() if entry.deadline <= now]
        for mid in late:
            job = self.awaited.pop(mid).job
            self.timeouts += 1
            resends = self._resends.get(mid, 0)
            if resends < self.settings.max_attempts:
                self._resends[mid] = resends + 1
                self._resending.add(mid)
                self.log.info("ack_timeout_resend", message_id=mid, resend=resends + 1)
                self._resend(job)
            else:
                text = (
                    f"{NO_ACK_TEXT} from the Spine within {self.timeout:g} s, "
                    f"after {resends + 1} sends"
                )
                self._outcome(job, Bucket.FAILED, NO_ACK_CODE, text, None, None)

    def _outcome(
        self,
        job: Job,
        bucket: Bucket,
        code: str | None,
        text: str | None,
        ack_code: str | None,
        latency_ms: float | None,
    ) -> None:
        item = job.item
        self._finalise(
            item, bucket, code, text, job.message_id, job.attempts, self.clock(),
            http_status=202, ack_code=ack_code, latency_ms=latency_ms,
        )  # fmt: skip

    def on_message(self, received: Received) -> None:
        """A message from the queue, on the event loop."""
        assert self.queue is not None
        mid = (received.message_id or "").upper()
        entry = self.awaited.get(mid) if mid else None
        if entry is not None:
            self._answer(entry, received)
        elif mid and (mid in self._answered or mid in self._early):
            self.duplicates += 1
            self.queue.accept(received.tag)
        elif mid and (mid in self._inflight or awaiting.pending_patient(mid) is not None):
            self._early[mid] = received  # its patient is met later: held till then
        elif mid and awaiting.is_ours(mid):
            self.duplicates += 1  # answered in an earlier run
            self.queue.accept(received.tag)
        else:
            self._not_ours(received)

    def _not_ours(self, received: Received) -> None:
        """Another system's message: back to the queue for its owner, logged once."""
        assert self.queue is not None
        key = received.message_id or ""
        times = self._foreign_seen.pop(key, 0)
        self._foreign_seen[key] = times + 1  # the latest seen last: the oldest is forgotten
        if len(self._foreign_seen) > FOREIGN_REMEMBERED:
            del self._foreign_seen[next(iter(self._foreign_seen))]
        if times == 0:
            self.foreign += 1
            self.log.info("queue_message_not_ours", message_id=received.message_id)
        if times < FOREIGN_AT_ONCE:
            self.queue.release(received.tag)
        else:
            asyncio.get_running_loop().call_later(FOREIGN_HOLD_S, self.queue.release, received.tag)

    def _answer(self, entry: Awaited, received: Received) -> None:
        assert self.queue is not None
        job = entry.job
        mid = job.message_id.upper()
        try:
            payload = payload_of(received.body)
        except Malformed as exc:
            self._reject(received, mid, str(exc))
            return
        verdict = classify(200, payload, job.message_id)
        if verdict.outcome is SendOutcome.RETRY_LIMIT and verdict.error_code == "BAD-ACK":
            self._reject(received, mid, verdict.error_text or "unusable acknowledgement")
            return
        del self.awaited[mid]
        if verdict.outcome is SendOutcome.RETRY_LIMIT:  # AE 502: the Spine asks to send it later
            self.queue.accept(received.tag)
            self._resending.add(mid)
            self._resend(job)
            return
        self._answered.add(mid)
        latency = None if entry.sent is None else (time.monotonic() - entry.sent) * 1000
        if latency is not None:
            self.latencies_ms.append(latency)
        bucket = Bucket.SENT if verdict.outcome is SendOutcome.SENT else Bucket.FAILED
        self._to_settle[job.item.patient_id] = received.tag
        self._outcome(
            job, bucket, verdict.error_code, verdict.error_text, verdict.ack_code, latency
        )

    def _reject(self, received: Received, mid: str, reason: str) -> None:
        assert self.queue is not None
        self.malformed += 1
        self.log.warning("queue_message_malformed", message_id=mid, reason=reason)
        self.queue.reject(received.tag)


def requeue(queue: asyncio.Queue[Job], deferred: deque[Job]) -> Callable[[Job], None]:
    """How a message goes again: through the senders' queue, which wakes an idle sender (a
    full queue means busy senders, who look at `deferred` first)."""

    def resend(job: Job) -> None:
        try:
            queue.put_nowait(job)
        except asyncio.QueueFull:
            deferred.append(job)

    return resend


def for_settings(
    settings: Settings, finalise: Finalise, resend: Callable[[Job], None],
    clock: Callable[[], datetime],
) -> AckTracker | None:  # fmt: skip
    """The tracker in asynchronous mode (wait_for_response = false), else None."""
    if settings.wait_for_response:
        return None
    return AckTracker(settings, finalise, resend, clock)
