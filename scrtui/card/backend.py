"""What every card backend offers: reader state, APDU exchange and change notifications."""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from scrtui import logs
from scrtui.card.profile import hex_bytes


class ReaderState(enum.StrEnum):
    STARTING = "starting"
    SERVICE_DOWN = "service_down"
    NO_READER = "no_reader"
    NO_CARD = "no_card"
    CARD_PRESENT = "card_present"
    NO_APPLICATION = "no_application"


@dataclass(frozen=True, slots=True)
class ReaderSlot:
    """One reader as the monitor last saw it."""

    name: str
    card_present: bool = False
    atr: bytes = b""
    has_application: bool | None = None  # None: not probed (no card, or the card did not answer)


@dataclass(frozen=True, slots=True)
class ReaderStatus:
    """The reader in use and its card, plus every reader seen. Immutable: replaced on change."""

    state: ReaderState
    reader: str = ""  # the reader in use ("" when none)
    atr: bytes = b""
    slots: tuple[ReaderSlot, ...] = ()
    insertion: int = 0  # changes with every card insertion (and after a PC/SC restart)
    detail: str = ""  # extra plain-English detail, e.g. the PC/SC error
    wanted_reader: str = ""  # the reader named in the settings, "" for any
    since: float = field(default_factory=time.monotonic, compare=False)

    @property
    def readers(self) -> tuple[str, ...]:
        return tuple(slot.name for slot in self.slots)

    @property
    def card_in_reader(self) -> bool:
        return self.state in (ReaderState.CARD_PRESENT, ReaderState.NO_APPLICATION)

    @property
    def usable(self) -> bool:
        return self.state is ReaderState.CARD_PRESENT

    @property
    def message(self) -> str:
        return describe(self)


def describe(status: ReaderStatus) -> str:
    """A plain-English sentence for each reader state."""
    state = status.state
    if state is ReaderState.STARTING:
        return "Checking the smartcard reader"
    if state is ReaderState.SERVICE_DOWN:
        return (
            "The PC/SC smartcard service (pcscd) is not running: start it "
            "(e.g. `systemctl start pcscd`) and the card will be found"
        )
    if state is ReaderState.NO_READER:
        if status.wanted_reader:
            seen = ", ".join(status.readers) or "none"
            return f'Card reader "{status.wanted_reader}" is not connected (readers: {seen})'
        return "No smartcard reader is connected: plug one in"
    if state is ReaderState.NO_CARD:
        where = f'"{status.wanted_reader}"' if status.wanted_reader else "the reader"
        return f"No smartcard in {where}: insert your card"
    if state is ReaderState.NO_APPLICATION:
        if status.detail:  # the card did not answer the SELECT at all
            return f'The card in "{status.reader}" cannot be used: {status.detail}'
        return (
            f'The card in "{status.reader}" is not a practice smartcard: it has no SCR application'
        )
    return f'Smartcard present in "{status.reader}" (ATR {hex_bytes(status.atr)})'


class CardEventKind(enum.StrEnum):
    INSERTED = "card_inserted"
    REMOVED = "card_removed"
    SERVICE_DOWN = "service_down"
    SERVICE_UP = "service_up"
    READERS_CHANGED = "readers_changed"


@dataclass(frozen=True, slots=True)
class CardEvent:
    kind: CardEventKind
    status: ReaderStatus  # the status after the change
    reader: str = ""  # the reader the card went into or came out of
    at: float = field(default_factory=time.monotonic, compare=False)

    @property
    def message(self) -> str:
        if self.kind is CardEventKind.REMOVED:
            return f'Smartcard removed from "{self.reader}"'
        if self.kind is CardEventKind.INSERTED:
            return f'Smartcard inserted in "{self.reader}"'
        if self.kind is CardEventKind.SERVICE_UP:
            return "The PC/SC smartcard service is running"
        if self.kind is CardEventKind.READERS_CHANGED:
            return "Readers: " + (", ".join(self.status.readers) or "none")
        return self.status.message


Listener = Callable[[CardEvent], None]


class CardError(Exception):
    """A card exchange failed; the message is for the user."""


class ServiceDownError(CardError):
    pass


class NoCardError(CardError):
    pass


class CardRemovedError(CardError):
    pass


class CardBackend(Protocol):
    simulated: bool

    def start(self) -> None:
        """Begin watching; reader_state() is meaningful when this returns."""

    def stop(self) -> None:
        """Stop watching; returns promptly and never keeps the process alive."""

    def reader_state(self) -> ReaderStatus:
        """The latest status; cheap (no PC/SC call), safe from any thread."""

    def transmit(self, apdu: bytes) -> bytes:
        """Send a command APDU to the card in use; the response with its status word."""

    def add_listener(self, callback: Listener) -> None:
        """callback(event) on every change, from the backend's own thread."""


class Listeners:
    """Listener bookkeeping shared by the backends; a failing listener is logged, not fatal."""

    def __init__(self) -> None:
        self._callbacks: list[Listener] = []
        self._lock = threading.Lock()

    def add(self, callback: Listener) -> None:
        with self._lock:
            self._callbacks.append(callback)

    def emit(self, event: CardEvent) -> None:
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback(event)
            except Exception:  # noqa: BLE001 - one bad listener must not stop the monitor
                logs.get("scrtui.card").exception("card_listener_failed", kind=event.kind.value)


def changes(old: ReaderStatus, new: ReaderStatus) -> list[CardEvent]:
    """The events that lead from one status to the next, in the order they happened."""
    events: list[CardEvent] = []
    old_down = old.state is ReaderState.SERVICE_DOWN
    new_down = new.state is ReaderState.SERVICE_DOWN
    if new_down and not old_down:
        events.append(CardEvent(CardEventKind.SERVICE_DOWN, new))
    if old_down and not new_down:
        events.append(CardEvent(CardEventKind.SERVICE_UP, new))
    if old.readers != new.readers and not new_down:
        events.append(CardEvent(CardEventKind.READERS_CHANGED, new))
    if old.card_in_reader and (not new.card_in_reader or new.insertion != old.insertion):
        events.append(CardEvent(CardEventKind.REMOVED, new, reader=old.reader))
    if new.card_in_reader and (not old.card_in_reader or new.insertion != old.insertion):
        events.append(CardEvent(CardEventKind.INSERTED, new, reader=new.reader))
    return events
