"""The demo's in-process smartcard: the same profile at APDU level, inserted from the keyboard."""

from __future__ import annotations

import queue
import threading

from scrtui.card import profile
from scrtui.card.backend import (
    CardEvent,
    Listener,
    Listeners,
    NoCardError,
    ReaderSlot,
    ReaderState,
    ReaderStatus,
    changes,
)
from scrtui.card.profile import CardIdentity

DEMO_IDENTITY = CardIdentity("555000000001", "Demo Administrator", "SIM-0001")
DEMO_PASSCODE = "1234"
SIMULATED_READER = "Simulated reader"
SIMULATED_ATR = bytes.fromhex("3B 85 80 01") + b"SCRSM"
MAX_TRIES = 3


def _sw(value: int) -> bytes:
    return value.to_bytes(2, "big")


class SimulatedCard:
    """The card side of the profile: applet selection, passcode tries, blocking, identity."""

    def __init__(self, identity: CardIdentity, passcode: str, tries: int = MAX_TRIES) -> None:
        if not profile.is_valid_passcode(passcode):
            raise ValueError("a simulated card's passcode is 4 to 8 digits")
        self.identity = identity
        self._passcode = passcode.encode("ascii")
        self.max_tries = tries
        self.tries_left = tries
        self._selected = False
        self._verified = False

    @property
    def blocked(self) -> bool:
        return self.tries_left == 0

    def power_on(self) -> None:
        self._selected = False
        self._verified = False

    def process(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            return _sw(profile.SW_WRONG_LENGTH)
        cla, ins = apdu[0], apdu[1]
        if (cla, ins) == (0x00, 0xA4):
            return self._select(apdu)
        if (cla, ins) == (0x00, 0x20):
            return self._verify(apdu)
        if (cla, ins) == (0x80, 0xCA):
            return self._read_identity(apdu)
        if cla not in (0x00, 0x80):
            return _sw(profile.SW_CLA_NOT_SUPPORTED)
        return _sw(profile.SW_INS_NOT_SUPPORTED)

    @staticmethod
    def _data(apdu: bytes) -> bytes:
        return apdu[5 : 5 + apdu[4]] if len(apdu) > 5 else b""

    def _select(self, apdu: bytes) -> bytes:
        self._selected = apdu[2:4] == b"\x04\x00" and self._data(apdu) == profile.AID
        self._verified = False
        return _sw(profile.SW_OK if self._selected else profile.SW_NO_APPLICATION)

    def _verify(self, apdu: bytes) -> bytes:
        if not self._selected:
            return _sw(profile.SW_CONDITIONS_NOT_SATISFIED)
        if apdu[2:4] != b"\x00\x81":
            return _sw(profile.SW_WRONG_P1P2)
        if self.blocked:
            return _sw(profile.SW_BLOCKED)
        if self._data(apdu) == self._passcode:
            self.tries_left = self.max_tries
            self._verified = True
            return _sw(profile.SW_OK)
        self.tries_left -= 1
        self._verified = False
        return _sw(profile.SW_TRIES_LEFT_BASE | self.tries_left)

    def _read_identity(self, apdu: bytes) -> bytes:
        if not self._selected:
            return _sw(profile.SW_CONDITIONS_NOT_SATISFIED)
        if apdu[2:4] != b"\x01\x00":
            return _sw(profile.SW_WRONG_P1P2)
        if not self._verified:
            return _sw(profile.SW_NOT_VERIFIED)
        return profile.encode_identity(self.identity) + _sw(profile.SW_OK)


class SimulatedBackend:
    """A reader holding (or not) one simulated card. Listeners run on the backend's own thread.

    insert() and remove() change reader_state() at once; the events follow on the thread that
    start() begins, as the PC/SC monitor's do.
    """

    simulated = True

    def __init__(
        self,
        identity: CardIdentity = DEMO_IDENTITY,
        passcode: str = DEMO_PASSCODE,
        *,
        inserted: bool = True,
    ) -> None:
        self.card = SimulatedCard(identity, passcode)
        self._listeners = Listeners()
        self._lock = threading.Lock()
        self._insertions = 0
        self._status = ReaderStatus(ReaderState.STARTING)
        self._present = inserted
        self._queue: queue.SimpleQueue[CardEvent | threading.Event | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    # -- CardBackend -------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._dispatch, name="scrtui-simulated-card", daemon=True
        )
        self._thread.start()
        with self._lock:
            self._publish()
        self.flush()  # like the PC/SC loop: the first events are out when start() returns

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._queue.put(None)
        thread.join(timeout=2)

    def reader_state(self) -> ReaderStatus:
        return self._status

    def transmit(self, apdu: bytes) -> bytes:
        with self._lock:
            if not self._status.card_in_reader:
                raise NoCardError(self._status.message)
            return self.card.process(apdu)

    def add_listener(self, callback: Listener) -> None:
        self._listeners.add(callback)

    # -- the demo's key ------------------------------------------------------------------------
    @property
    def inserted(self) -> bool:
        return self._present

    def insert(self, identity: CardIdentity | None = None, passcode: str | None = None) -> None:
        """Put the card in; with an identity (and passcode), a different card goes in."""
        with self._lock:
            if identity is not None:
                if self._present:  # the old card comes out first
                    self._present = False
                    self._publish()
                self.card = SimulatedCard(identity, passcode or DEMO_PASSCODE)
            self._present = True
            self._publish()

    def remove(self) -> None:
        with self._lock:
            self._present = False
            self._publish()

    @property
    def card_blocked(self) -> bool:
        """The simulated card tells its own state (a real reader cannot without a VERIFY)."""
        return self._present and self.card.blocked

    def unblock(self) -> None:
        """Demo only: what the Registration Authority does for a real card."""
        with self._lock:
            self.card.tries_left = self.card.max_tries

    def toggle(self) -> bool:
        """Insert if out, remove if in; returns whether the card is now in."""
        if self._present:
            self.remove()
        else:
            self.insert()
        return self._present

    # -- internals -----------------------------------------------------------------------------
    def _publish(self) -> None:
        if self._thread is None:  # not started: the state waits for start()
            return
        old = self._status
        if self._present and not old.card_in_reader:
            self._insertions += 1
            self.card.power_on()
        slot = ReaderSlot(
            SIMULATED_READER,
            card_present=self._present,
            atr=SIMULATED_ATR if self._present else b"",
            has_application=True if self._present else None,
        )
        if self._present:
            new = ReaderStatus(
                ReaderState.CARD_PRESENT,
                reader=SIMULATED_READER,
                atr=SIMULATED_ATR,
                slots=(slot,),
                insertion=self._insertions,
            )
        else:
            new = ReaderStatus(ReaderState.NO_CARD, slots=(slot,), insertion=self._insertions)
        self._status = new
        for event in changes(old, new):
            self._queue.put(event)

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait until the listeners have had every event so far (False on timeout)."""
        if self._thread is None:
            return True
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def _dispatch(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if isinstance(item, threading.Event):
                item.set()
            else:
                self._listeners.emit(item)
