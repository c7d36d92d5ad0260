"""The adaptor's inbound side in asynchronous mode: the Spine's acknowledgement published to the
broker as the MHS adaptor publishes it (docs/async-mode.md): a durable sender, a durable message
whose body is an AMQP string holding JSON {"ebXML", "payload", "attachments",
"external_attachments"}, and application properties `message-id` and `correlation-id`.

A thread owns the AMQP connection (proton's BlockingConnection); the server hands it messages
through a heap ordered by when each is due, which is also how late and out-of-order
acknowledgements are made. A message is kept until the broker has it: while the broker is down
it is tried again, as the Spine re-sends an acknowledgement the adaptor could not take.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from proton import Delivery, Message, Terminus
from proton.reactor import LinkOption
from proton.utils import BlockingConnection

from scrtui import logs
from scrtui.standins.simulator.answers import Answer, build_ack, hl7_now
from scrtui.standins.simulator.state import SimulatorState

ACK_INTERACTION = "MCCI_IN010000UK13"
_RECONNECT_S = 0.2
_BATCH = 256
# A batch is gathered for up to this long after its first message is due: one send and one
# wait for the broker for what came meanwhile, not one a message while answers trickle in
# (each wait runs proton's loop in this thread, against the server's for the GIL; issue 23).
GATHER_S = 0.005
# How far an out-of-order acknowledgement is held back, so that later ones overtake it.
OUT_OF_ORDER_S = 0.3


class _DurableSender(LinkOption):
    """The adaptor's sender: target durability DELIVERIES (it makes the queue durable)."""

    def apply(self, link: Any) -> None:
        link.target.durability = Terminus.DELIVERIES

    def test(self, link: Any) -> bool:
        return bool(link.is_sender)


def ebxml_for(ref_to_message_id: str, correlation_id: str) -> str:
    """A minimal ebXML header of the Spine's acknowledgement (what the adaptor passes on)."""
    return (
        '<SOAP:Envelope xmlns:SOAP="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:eb="http://www.oasis-open.org/committees/ebxml-msg/schema/msg-header-2_0.xsd">'
        '<SOAP:Header><eb:MessageHeader SOAP:mustUnderstand="1" eb:version="2.0">'
        f"<eb:ConversationId>{correlation_id}</eb:ConversationId>"
        f"<eb:Service>urn:nhs:names:services:psis</eb:Service>"
        f"<eb:Action>{ACK_INTERACTION}</eb:Action>"
        f"<eb:MessageData><eb:MessageId>{uuid.uuid4()}</eb:MessageId>"
        f"<eb:Timestamp>{hl7_now()}</eb:Timestamp>"
        f"<eb:RefToMessageId>{ref_to_message_id}</eb:RefToMessageId></eb:MessageData>"
        "</eb:MessageHeader></SOAP:Header><SOAP:Body/></SOAP:Envelope>"
    )


def inbound_message(message_id: str, correlation_id: str, payload: str) -> Message:
    """The message the adaptor's inbound service publishes for an acknowledgement."""
    body = {
        "ebXML": ebxml_for(message_id, correlation_id),
        "payload": payload,
        "attachments": [],
        "external_attachments": [],
    }
    return Message(
        id=str(uuid.uuid4()).upper(),
        content_type="application/json",
        body=json.dumps(body),
        properties={"message-id": message_id, "correlation-id": correlation_id},
        durable=True,
    )


@dataclass
class PublisherStats:
    published: int = 0
    reconnects: int = 0


def _all_settled(deliveries: list[Any]) -> Any:
    """A wait condition true once every delivery is settled. proton evaluates it after each
    event: looking at all of them each time cost O(n²) a batch (the simulator's largest cost
    a message in the asynchronous bench, issue 23), so it resumes where it stopped."""
    done = 0

    def settled() -> bool:
        nonlocal done
        while done < len(deliveries) and deliveries[done].settled:
            done += 1
        return done == len(deliveries)

    return settled


class AckPublisher:
    """Publishes to `queue_name` on the first of `urls` that answers; `publish()` is thread-safe."""

    def __init__(self, urls: list[str], queue_name: str) -> None:
        self.urls = urls
        self.queue_name = queue_name
        self.stats = PublisherStats()
        self.log = logs.get("scrtui.simulator.queue")
        self._due: list[tuple[float, int, Message]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="ack-publisher", daemon=True)
        self._thread.start()

    def publish(self, message: Message, delay: float = 0.0) -> None:
        with self._wake:
            heapq.heappush(self._due, (time.monotonic() + delay, next(self._order), message))
            self._wake.notify()

    def pending(self) -> int:
        with self._wake:
            return len(self._due)

    def close(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        self._thread.join(10)

    def _next_batch(self) -> list[Message]:
        """The messages due now (waiting for the first, then GATHER_S for more), at most
        _BATCH; [] when closing."""
        with self._wake:
            while not self._stopping:
                if self._due and self._due[0][0] <= time.monotonic():
                    batch = self._take_due([])
                    gather_until = time.monotonic() + GATHER_S
                    while len(batch) < _BATCH and not self._stopping:
                        left = gather_until - time.monotonic()
                        if left <= 0:
                            break
                        self._wake.wait(left)
                        batch = self._take_due(batch)
                    return batch
                wait = self._due[0][0] - time.monotonic() if self._due else None
                self._wake.wait(wait)
            return []

    def _take_due(self, batch: list[Message]) -> list[Message]:
        while self._due and self._due[0][0] <= time.monotonic() and len(batch) < _BATCH:
            batch.append(heapq.heappop(self._due)[2])
        return batch

    def _requeue(self, messages: list[Message]) -> None:
        with self._wake:
            for message in messages:
                heapq.heappush(self._due, (time.monotonic(), -next(self._order), message))

    def _run(self) -> None:
        connection: BlockingConnection | None = None
        sender = None
        try:  # at once, not when the first answer is due: the adaptor holds its connection
            connection, sender = self._connect()
        except ConnectionError as exc:  # not up yet: tried again with the first batch
            self.log.info("ack_publisher_not_connected", error=repr(exc))
        while batch := self._next_batch():
            try:
                if connection is None or sender is None:
                    connection, sender = self._connect()
                self._send(connection, sender, batch)
                self.stats.published += len(batch)
            except Exception as exc:  # the broker is down or restarting: keep them, try again
                # Some of the batch may have reached the queue: a second copy is what the
                # adaptor's own retries can produce too, and the consumer applies it once.
                self.log.warning("ack_publish_failed", error=repr(exc))
                self._requeue(batch)
                if connection is not None:
                    with contextlib.suppress(Exception):  # already gone
                        connection.close()
                connection = sender = None
                self.stats.reconnects += 1
                time.sleep(_RECONNECT_S)
        if connection is not None:
            connection.close()

    @staticmethod
    def _send(connection: BlockingConnection, sender: Any, batch: list[Message]) -> None:
        """Send the batch without waiting for each, then wait until the broker has all of it
        (BlockingSender.send waits for every message in turn: about 20 times slower)."""
        link = sender.link
        deliveries = []
        for message in batch:
            if not link.credit:
                connection.wait(lambda: link.credit > 0, timeout=10, msg="broker credit")
            deliveries.append(link.send(message))
        connection.wait(_all_settled(deliveries), timeout=10, msg="settled")
        refused = [d for d in deliveries if d.remote_state != Delivery.ACCEPTED]
        if refused:
            raise ConnectionError(f"the broker refused {len(refused)} messages")

    def _connect(self) -> tuple[BlockingConnection, Any]:
        last: Exception | None = None
        for url in self.urls:  # tried in turn, as MHS_INBOUND_QUEUE_BROKERS
            try:
                connection = BlockingConnection(url, timeout=5, user="guest", password="guest")
                sender = connection.create_sender(self.queue_name, options=_DurableSender())
                return connection, sender
            except Exception as exc:
                last = exc
        raise ConnectionError(f"no broker answered: {last!r}")


def foreign_message() -> Message:
    """Traffic on the shared queue that is not an answer to us (another system's message id)."""
    return inbound_message(str(uuid.uuid4()).upper(), str(uuid.uuid4()).upper(), "<other/>")


def publish_answer(
    publisher: AckPublisher,
    state: SimulatorState,
    message_id: str,
    correlation_id: str,
    answer: Answer,
    after: float = 0.0,
) -> None:
    """Publish the Spine's answer to an asynchronous send `after` seconds (the Spine's latency),
    with the queue faults of the config."""
    config = state.config
    message = inbound_message(message_id, correlation_id, build_ack(message_id, answer))
    delay = after
    if state.chance(config.late_ack_share):
        state.faults["late_ack"] += 1
        delay += config.late_ack_seconds
    elif state.chance(config.out_of_order_share):
        state.faults["out_of_order"] += 1
        delay += OUT_OF_ORDER_S
    publisher.publish(message, delay)
    if state.chance(config.duplicate_ack_share):
        state.faults["duplicate_ack"] += 1
        publisher.publish(message, delay)
    if state.chance(config.foreign_share):
        state.faults["foreign"] += 1
        publisher.publish(foreign_message())
