"""The MHS adaptor's inbound queue (AMQP 1.0): a consumer in its own thread, bridged to asyncio.

python-qpid-proton's Container runs in a thread; each message is handed to the event loop with
`call_soon_threadsafe`, and the loop settles it later (accept, release, reject) through an
EventInjector, because proton objects may only be touched on the container's thread. Nothing is
accepted automatically: the engine accepts a message only once its outcome is committed, so a
crash in between means the broker delivers it again (docs/async-mode.md).

The receiver is a durable subscription: the adaptor's durable sender makes a durable queue, and
a plain receiver cannot attach to it (docs/async-mode.md, "Durability gotcha").
"""

from __future__ import annotations

import asyncio
import itertools
import queue
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cproton import pn_message_body, pn_message_properties
from proton import Data, Delivery, Endpoint, Handler, Message, SSLDomain
from proton.handlers import EndpointStateHandler, MessagingHandler
from proton.reactor import ApplicationEvent, Container, DurableSubscription, EventInjector

from scrtui import logs
from scrtui.settings import Settings, secret_text

_PREFETCH = 500
_RECONNECT_S = 0.5
_CLOSE = "close"


@dataclass(frozen=True, slots=True)
class Received:
    """One message from the queue, as the event loop sees it."""

    tag: int  # how the loop names it when settling
    message_id: str | None  # the `message-id` application property: the outbound Message-Id
    body: Any


@dataclass(frozen=True, slots=True)
class QueueSettings:
    urls: tuple[str, ...]
    name: str
    user: str | None
    password: str | None
    ca_bundle: str

    @classmethod
    def from_settings(cls, settings: Settings) -> QueueSettings:
        password = settings.queue_password
        if settings.queue_password_file:
            password = secret_text(settings.queue_password_file)
        return cls(
            urls=tuple(u.strip() for u in settings.queue_brokers.split(",")),
            name=settings.queue_name,
            user=settings.queue_user or None,
            password=password or None,
            ca_bundle=settings.queue_ca_bundle,
        )


class _Read(Message):
    """A queue message decoded for what the consumer reads (its properties and body), reused
    for every delivery: proton's Message decodes its instructions and annotations too, into a
    new object each time (issue 23's profile: a third of the decode)."""

    def _post_decode(self) -> None:
        properties = Data(pn_message_properties(self._msg))
        body = Data(pn_message_body(self._msg))
        self.properties = properties.get_object() if properties.next() else None
        self.body = body.get_object() if body.next() else None


class _Receive(Handler):
    """Deliveries read here instead of through MessagingHandler's IncomingMessageHandler and
    OutgoingMessageHandler (each event went through both, and a weak proxy, for a receiver
    that never sends), with the credit in batches: proton's own FlowController gives one
    credit back per message, a flow frame a message for us and the broker (issue 23's
    profile); this tops the window up once half of it is used."""

    def __init__(self, window: int, owner: _Handler) -> None:
        self.window = window
        self.owner = owner
        self.message = _Read()

    def on_link_local_open(self, event: Any) -> None:
        self._flow(event.link)

    def on_link_remote_open(self, event: Any) -> None:
        self._flow(event.link)

    def on_delivery(self, event: Any) -> None:
        delivery = event.delivery
        link = delivery.link
        if not link.is_receiver:
            return
        if delivery.aborted:
            delivery.settle()  # nothing of it was handed over: the broker sends it again
        elif delivery.readable and not delivery.partial:
            data = link.recv(delivery.pending)
            link.advance()
            if not link.state & Endpoint.LOCAL_CLOSED:  # closing: it stays unsettled, goes back
                self.message.decode(data)
                self.owner.received(delivery, self.message)
        self._flow(link)

    def _flow(self, link: Any) -> None:
        if link.is_receiver and link.credit <= self.window // 2:
            link.flow(self.window - link.credit)


class _Handler(MessagingHandler):
    def __init__(self, owner: AckQueue) -> None:
        super().__init__(prefetch=0, auto_accept=False)
        # Connection and link states as MessagingHandler reports them; deliveries: _Receive.
        self.handlers = [
            _Receive(_PREFETCH, self),
            EndpointStateHandler(False, weakref.proxy(self)),
        ]
        self.owner = owner
        self.deliveries: dict[int, Delivery] = {}
        self.tags = itertools.count(1)
        self.connection: Any = None
        self.attempts = itertools.count()
        self.closing = False
        self.reconnecting = False

    def on_start(self, event: Any) -> None:
        event.container.selectable(self.owner.injector)
        self._connect(event.container)

    def _connect(self, container: Any) -> None:
        """Connect to the next broker of the list (tried in turn, as the adaptor does) and
        attach the durable subscription. Reconnection is ours, not proton's: a broker that
        shuts down closes the connection cleanly, which proton would not reconnect."""
        owner = self.owner
        config = owner.config
        url = config.urls[next(self.attempts) % len(config.urls)]
        options: dict[str, Any] = {}
        if url.startswith("amqps://"):
            domain = SSLDomain(SSLDomain.MODE_CLIENT)
            if config.ca_bundle:
                domain.set_trusted_ca_db(config.ca_bundle)
            domain.set_peer_authentication(SSLDomain.VERIFY_PEER_NAME)
            options["ssl_domain"] = domain
        self.connection = container.connect(
            url=url,
            user=config.user,
            password=config.password,
            allow_insecure_mechs=config.user is not None,
            reconnect=False,
            **options,
        )
        container.create_receiver(self.connection, config.name, options=DurableSubscription())

    def on_link_opened(self, event: Any) -> None:
        if event.receiver is not None:
            self.owner.set_connected(True)

    def on_link_remote_close(self, event: Any) -> None:
        self._closed_by_peer(event, event.link.remote_condition)

    def on_session_remote_close(self, event: Any) -> None:
        self._closed_by_peer(event, event.session.remote_condition)

    def on_connection_remote_close(self, event: Any) -> None:
        self._closed_by_peer(event, event.connection.remote_condition)

    def _closed_by_peer(self, event: Any, condition: Any) -> None:
        self.owner.log.warning("queue_closed_by_broker", condition=str(condition))
        self._lost()
        event.connection.close()

    def on_transport_error(self, event: Any) -> None:
        self.owner.log.warning("queue_transport_error", condition=str(event.transport.condition))
        self._lost()

    def on_transport_closed(self, event: Any) -> None:
        self._lost()
        if not self.closing and not self.reconnecting:
            self.reconnecting = True
            event.container.schedule(_RECONNECT_S, self)

    def on_timer_task(self, event: Any) -> None:
        self.reconnecting = False
        if not self.closing:
            self._connect(event.container)

    def _lost(self) -> None:
        # Unsettled deliveries die with the connection: the broker delivers them again.
        self.deliveries.clear()
        self.owner.set_connected(False)

    def received(self, delivery: Delivery, message: Message) -> None:
        tag = next(self.tags)
        self.deliveries[tag] = delivery
        properties: dict[Any, Any] = message.properties or {}
        message_id = properties.get("message-id")
        body: Any = message.body
        if isinstance(body, memoryview):
            # A binary (data section) body is a view of proton's buffer, which the next
            # delivery overwrites: copied here, on proton's thread, before it is handed over.
            body = bytes(body)
        self.owner.hand_over(
            Received(tag, message_id if isinstance(message_id, str) else None, body)
        )

    def on_settle(self, event: Any) -> None:
        while True:
            try:
                tag, state = self.owner.commands.get_nowait()
            except queue.Empty:
                return
            if tag == 0:
                self._close()
                return
            delivery = self.deliveries.pop(tag, None)
            if delivery is None:
                continue  # its connection has gone: it will be delivered again
            if state == Delivery.ACCEPTED:
                self.accept(delivery)
            elif state == Delivery.REJECTED:
                self.reject(delivery)
            else:
                self.release(delivery, delivered=False)

    def _close(self) -> None:
        self.closing = True
        if self.connection is not None:
            self.connection.close()
        self.owner.injector.close()
        container = self.owner.container
        if container is not None:
            container.stop()


class AckQueue:
    """The consumer: `start()`, then messages reach `on_message` on the event loop; settle them
    with accept/release/reject from the loop; `close()` at the end (unsettled ones go back)."""

    def __init__(
        self,
        config: QueueSettings,
        loop: asyncio.AbstractEventLoop,
        on_message: Callable[[Received], None],
    ) -> None:
        self.config = config
        self.loop = loop
        self.on_message = on_message
        self.log = logs.get("scrtui.queue")
        self.injector = EventInjector()
        self.commands: queue.SimpleQueue[tuple[int, Any]] = queue.SimpleQueue()
        self.connected = False
        self.received = 0
        # Messages for the loop, handed over in batches: one wake-up of the loop for all that
        # came meanwhile, not one a message (issue 23's profile of the asynchronous path).
        self._arrived: list[Received] = []
        self._arrived_lock = threading.Lock()
        self._trigger_due = False  # a settle trigger is scheduled on the loop (loop only)
        self._thread: threading.Thread | None = None
        self.container: Container | None = None  # made on the consumer's thread

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ack-queue", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            # Made on this thread: a Container loads OpenSSL's client and server contexts
            # (0.1-0.2 s), which then no longer holds up the event loop at the run's start.
            self.container = Container(_Handler(self))
            self.container.run()
        except Exception as exc:  # logged; the engine sees the queue as unreachable
            self.log.error("queue_consumer_failed", error=repr(exc))
            self.set_connected(False)

    # --- called on the container's thread ---

    def set_connected(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            self.log.info("queue_connected" if connected else "queue_unreachable")

    def hand_over(self, received: Received) -> None:
        self.received += 1
        with self._arrived_lock:
            self._arrived.append(received)
            first = len(self._arrived) == 1
        if first:
            self.loop.call_soon_threadsafe(self._deliver)

    # --- called on the event loop ---

    def _deliver(self) -> None:
        with self._arrived_lock:
            batch, self._arrived = self._arrived, []
        for received in batch:
            self.on_message(received)

    def accept(self, tag: int) -> None:
        self._command(tag, Delivery.ACCEPTED)

    def release(self, tag: int) -> None:
        self._command(tag, Delivery.RELEASED)

    def reject(self, tag: int) -> None:
        self._command(tag, Delivery.REJECTED)

    def _command(self, tag: int, state: Any) -> None:
        """Settle later on the container's thread: one trigger for all the settles the loop
        asks in one pass (a batch of committed outcomes), not one a message."""
        self.commands.put((tag, state))
        if not self._trigger_due:
            self._trigger_due = True
            self.loop.call_soon(self._trigger)

    def _trigger(self) -> None:
        self._trigger_due = False
        if self._thread is not None:  # closed meanwhile: what is unsettled goes back
            self.injector.trigger(ApplicationEvent("settle"))

    def close(self, timeout: float = 10.0) -> None:
        """Settle what was asked, then close; what is left unsettled goes back to the queue."""
        if self._thread is None:
            return
        # From any thread (the engine closes it through asyncio.to_thread): trigger directly.
        self.commands.put((0, _CLOSE))
        self.injector.trigger(ApplicationEvent("settle"))
        self._thread.join(timeout)
        self._thread = None
