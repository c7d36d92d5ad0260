"""Hostile traffic on the inbound queue, through a real RabbitMQ: another system's messages,
bodies built to break a reader, and acknowledgements relayed as AMQP binary (data sections)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import datetime

import pytest
from proton import Message, Timeout
from proton.reactor import DurableSubscription
from proton.utils import BlockingConnection

from scrtui.engine.async_watch import AckTracker, Malformed, payload_of
from scrtui.standins.simulator.queue import AckPublisher, _DurableSender, foreign_message
from tests.asyncmode.test_async_upload import everyone_sent_once, upload
from tests.engine.conftest import fast_settings, wait_for

FOREIGN = 100
DEEP_JSON = "[" * 400_000 + "]" * 400_000
LONE_SURROGATE = '{"ebXML": "", "payload": "<MCCI_IN010000UK13>\\ud800</MCCI_IN010000UK13>"}'


def log_events(home, event: str) -> list[dict]:
    lines = home.json_log.read_text(encoding="utf-8").splitlines()
    return [e for e in map(json.loads, lines) if e.get("event") == event]


def test_hostile_bodies_are_malformed_not_exceptions() -> None:
    with pytest.raises(Malformed, match="nested too deeply"):
        payload_of(DEEP_JSON)
    with pytest.raises(Malformed, match="lone surrogate"):
        payload_of(LONE_SURROGATE)
    with pytest.raises(Malformed, match="not UTF-8"):
        payload_of(memoryview(b'{"payload": "\xff"}'))
    # A data section: proton hands over a memoryview; the same acknowledgement is read.
    assert payload_of(memoryview(b'{"payload": "<ack/>"}')) == b"<ack/>"
    assert payload_of(b'{"payload": "<ack/>"}') == payload_of('{"payload": "<ack/>"}')


async def test_foreign_messages_are_logged_once_and_reach_their_owner(home, broker, queue_name):
    settings = fast_settings(
        "http://127.0.0.1:9/",
        wait_for_response=False,
        queue_brokers=broker.url,
        queue_name=queue_name,
        queue_user="guest",
        queue_password="guest",
    )
    tracker = AckTracker(settings, lambda *a, **k: None, lambda job: None, datetime.now)
    tracker.start(asyncio.get_running_loop())
    publisher = AckPublisher([broker.url], queue_name)
    try:
        for _ in range(FOREIGN):
            publisher.publish(foreign_message())
        # Nobody else consumes: each comes back to us again and again.
        assert tracker.queue is not None
        await wait_for(
            lambda: tracker.queue.received >= FOREIGN * 3, timeout=300, what="redeliveries"
        )
        # Another system's consumer attaches: it gets every one of them.
        owned = await asyncio.to_thread(consume, broker.url, queue_name, FOREIGN)
    finally:
        publisher.close()
        await tracker.close()
    assert len(set(owned)) == FOREIGN
    assert tracker.foreign == FOREIGN
    assert len(log_events(home, "queue_message_not_ours")) == FOREIGN
    assert log_events(home, "acks_closed")[-1]["foreign"] == FOREIGN


def consume(url: str, queue_name: str, wanted: int) -> list[str]:
    """Another consumer of the shared queue: the message ids it was given (and accepted)."""
    connection = BlockingConnection(url, timeout=30, user="guest", password="guest")
    try:
        receiver = connection.create_receiver(
            queue_name, credit=FOREIGN, options=DurableSubscription()
        )
        got: list[str] = []
        while len(got) < wanted:
            message = receiver.receive(timeout=300)
            got.append(str(message.properties["message-id"]))
            receiver.accept()
        return got
    finally:
        connection.close()


class Relay:
    """A shovel between the adaptor's queue and ours, as an AMQP 0-9-1 hop makes one: every
    body becomes binary. The first `hostile` answers are each preceded, under the same
    message id, by a 400,000-deep JSON array and by a payload holding a lone surrogate."""

    def __init__(self, url: str, source: str, target: str, hostile: int) -> None:
        self.url, self.source, self.target, self.hostile = url, source, target, hostile
        self.relayed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="relay", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(60)

    def _run(self) -> None:
        connection = BlockingConnection(self.url, timeout=30, user="guest", password="guest")
        try:
            receiver = connection.create_receiver(self.source, options=DurableSubscription())
            sender = connection.create_sender(self.target, options=_DurableSender())
            while not self._stop.is_set():
                try:
                    message = receiver.receive(timeout=0.2)
                except Timeout:
                    continue
                for body in self._bodies(message.body):
                    sender.send(Message(body=body, properties=message.properties, durable=True))
                receiver.accept()
                self.relayed += 1
        finally:
            connection.close()

    def _bodies(self, body: str) -> Iterator[bytes | str]:
        if self.relayed < self.hostile:
            yield DEEP_JSON
            yield LONE_SURROGATE
        yield body.encode("utf-8")


async def test_binary_bodies_are_read_and_hostile_ones_rejected(seeded, broker, queue_name, capfd):
    from tests.asyncmode.conftest import async_sim

    relay = Relay(broker.url, queue_name + "-adaptor", queue_name, hostile=3)
    try:
        async for sim in async_sim(broker.url, queue_name + "-adaptor", practice=seeded.db_path):
            final, services = await upload(
                seeded, sim.settings(queue_name=queue_name, max_attempts=1)
            )
            await everyone_sent_once(sim, final)
    finally:
        relay.close()
    tracker = services.engine._acks
    assert tracker.malformed == 6 and tracker.timeouts == 0
    reasons = [e["reason"] for e in log_events(seeded, "queue_message_malformed")]
    assert sum("nested too deeply" in r for r in reasons) == 3
    assert sum("lone surrogate" in r for r in reasons) == 3
    printed = capfd.readouterr()
    assert "Traceback" not in printed.err + printed.out
