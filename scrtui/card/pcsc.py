"""PC/SC through pyscard's low-level API: a status loop of our own and APDU exchange.

pyscard's CardMonitor is not used: its thread dies for good when pcscd restarts. The loop here
calls SCardGetStatusChange with a 500 ms timeout so that it notices the stop event, and
SCardCancel wakes it at once. When pcscd goes away (0x80100013, 0x8010001D...) it releases the
context and tries again every 0.2 s; every insertion after a restart counts as a new card.
"""

from __future__ import annotations

import atexit
import threading
import time
from dataclasses import dataclass, replace

from smartcard import scard

from scrtui import logs
from scrtui.card import profile
from scrtui.card.backend import (
    CardError,
    CardRemovedError,
    Listener,
    Listeners,
    NoCardError,
    ReaderSlot,
    ReaderState,
    ReaderStatus,
    ServiceDownError,
    changes,
)

PNP_NOTIFICATION = "\\\\?PnP?\\Notification"
STATUS_TIMEOUT_MS = 500
SERVICE_RETRY_S = 0.2
PROBE_RETRY_S = 1.0
START_WAIT_S = 3.0
STOP_WAIT_S = 2.0

_MASK = 0xFFFFFFFF
_OK = scard.SCARD_S_SUCCESS
_SERVICE_LOST = frozenset(
    code & _MASK
    for code in (
        scard.SCARD_F_COMM_ERROR,
        scard.SCARD_E_NO_SERVICE,
        scard.SCARD_E_SERVICE_STOPPED,
        scard.SCARD_E_INVALID_HANDLE,
    )
)
_QUIET = frozenset(code & _MASK for code in (scard.SCARD_E_TIMEOUT, scard.SCARD_E_CANCELLED))
_CARD_GONE = frozenset(
    code & _MASK
    for code in (
        scard.SCARD_W_REMOVED_CARD,
        scard.SCARD_E_NO_SMARTCARD,
        scard.SCARD_E_NOT_TRANSACTED,
        scard.SCARD_W_UNPOWERED_CARD,
    )
)
_NO_READERS = scard.SCARD_E_NO_READERS_AVAILABLE & _MASK
_UNKNOWN_READER = scard.SCARD_E_UNKNOWN_READER & _MASK
_PROTOCOLS = scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1


def _code(hresult: int) -> int:
    return hresult & _MASK


def pcsc_error(hresult: int) -> str:
    code = _code(hresult)
    try:
        text = scard.SCardGetErrorMessage(hresult).strip().rstrip(".")
    except Exception:  # noqa: BLE001 - an unknown code still gets a message
        text = "PC/SC error"
    return f"{text} (0x{code:08X})"


class _ServiceLost(Exception):
    """pcscd went away under the loop; the context must be established again."""


@dataclass
class _Card:
    """A card the loop has seen in one reader: which insertion it is and what the probe said."""

    counter: int
    token: int
    atr: bytes
    has_application: bool | None  # None: the probe failed (it is tried again, once a second)
    detail: str = ""
    probed_at: float = 0.0


@dataclass
class _Connection:
    reader: str
    insertion: int
    handle: int
    protocol: int


class PcscBackend:
    """The practice's real card reader through pcscd."""

    simulated = False

    def __init__(self, reader_name: str = "") -> None:
        self.reader_name = reader_name
        self._listeners = Listeners()
        self._status = ReaderStatus(ReaderState.STARTING, wanted_reader=reader_name)
        self._status_lock = threading.Lock()
        self._stop = threading.Event()
        self._first_status = threading.Event()
        self._thread: threading.Thread | None = None
        self._ctx: int | None = None  # the monitor's context, for SCardCancel
        self._ctx_lock = threading.Lock()
        self._cards: dict[str, _Card] = {}
        self._tokens = 0
        self._tx_lock = threading.Lock()
        self._tx_ctx: int | None = None
        self._tx_conn: _Connection | None = None
        self._log = logs.get("scrtui.card")

    # -- CardBackend ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._first_status.clear()
        self._thread = threading.Thread(target=self._run, name="scrtui-pcsc-monitor", daemon=True)
        self._thread.start()
        atexit.register(self.stop)
        self._first_status.wait(START_WAIT_S)

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        self._stop.set()
        with self._ctx_lock:
            if self._ctx is not None:
                scard.SCardCancel(self._ctx)  # wakes SCardGetStatusChange at once
        if thread is not None and thread is not threading.current_thread():
            thread.join(STOP_WAIT_S)
        # A transmit to a card that never answers blocks in vpcd; do not wait for it forever.
        if self._tx_lock.acquire(timeout=STOP_WAIT_S):
            try:
                self._close_transmit_context()
            finally:
                self._tx_lock.release()
        atexit.unregister(self.stop)

    def reader_state(self) -> ReaderStatus:
        return self._status

    def add_listener(self, callback: Listener) -> None:
        self._listeners.add(callback)

    def transmit(self, apdu: bytes) -> bytes:
        with self._tx_lock:
            status = self._status
            if status.state is ReaderState.SERVICE_DOWN:
                raise ServiceDownError(status.message)
            if not status.card_in_reader:
                raise NoCardError(status.message)
            conn = self._connection(status)
            try:
                response = self._exchange(conn.handle, conn.protocol, apdu)
            except CardError:
                self._disconnect()
                raise
            return response

    # -- the status loop -------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            ctx = self._establish()
            if ctx is None:
                self._stop.wait(SERVICE_RETRY_S)
                continue
            watched = time.monotonic()
            try:
                self._watch(ctx)
            except _ServiceLost as lost:
                self._service_down(str(lost))
                if time.monotonic() - watched < SERVICE_RETRY_S:  # lost again at once: no spin
                    self._stop.wait(SERVICE_RETRY_S)
            except Exception as exc:  # noqa: BLE001 - the loop must outlive surprises
                self._log.exception("card_monitor_error")
                self._service_down(f"card monitor error: {exc}")
                self._stop.wait(SERVICE_RETRY_S)
            finally:
                self._release(ctx)
        self._first_status.set()

    def _establish(self) -> int | None:
        hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if _code(hresult) != _OK:
            self._service_down(pcsc_error(hresult))
            return None
        with self._ctx_lock:
            if self._stop.is_set():
                scard.SCardReleaseContext(ctx)
                return None
            self._ctx = ctx
        self._cards = {}  # after a (re)connection to pcscd every card is a new insertion
        return int(ctx)

    def _release(self, ctx: int) -> None:
        with self._ctx_lock:
            self._ctx = None
            scard.SCardReleaseContext(ctx)

    def _watch(self, ctx: int) -> None:
        known: dict[str, tuple[int, bytes]] = {}
        pnp_state = scard.SCARD_STATE_UNAWARE
        while not self._stop.is_set():
            readers = self._list_readers(ctx)
            known = {r: known[r] for r in readers if r in known}
            states = [
                (r, known[r][0] if r in known else scard.SCARD_STATE_UNAWARE) for r in readers
            ]
            fresh = len(known) < len(readers) or not self._first_status.is_set()
            hresult, new_states = scard.SCardGetStatusChange(
                ctx, 0 if fresh else STATUS_TIMEOUT_MS, [*states, (PNP_NOTIFICATION, pnp_state)]
            )
            code = _code(hresult)
            if code in _SERVICE_LOST:
                raise _ServiceLost(pcsc_error(hresult))
            if code in _QUIET and not fresh:
                continue
            if code not in (_OK, *_QUIET):
                if code != _UNKNOWN_READER:  # a reader went away: list them again
                    self._log.warning("card_status_change_failed", error=pcsc_error(hresult))
                    self._stop.wait(SERVICE_RETRY_S)
                continue
            for name, event_state, atr in new_states:
                if name == PNP_NOTIFICATION:
                    pnp_state = event_state & ~scard.SCARD_STATE_CHANGED
                else:
                    known[name] = (event_state & ~scard.SCARD_STATE_CHANGED, bytes(atr))
            self._refresh(ctx, readers, known)

    def _list_readers(self, ctx: int) -> list[str]:
        hresult, readers = scard.SCardListReaders(ctx, [])
        code = _code(hresult)
        if code in _SERVICE_LOST:
            raise _ServiceLost(pcsc_error(hresult))
        if code != _OK:
            return []
        return list(readers)

    # -- from reader states to a status ---------------------------------------------------------
    def _refresh(self, ctx: int, readers: list[str], known: dict[str, tuple[int, bytes]]) -> None:
        slots = []
        for reader in readers:
            state, atr = known.get(reader, (scard.SCARD_STATE_UNAWARE, b""))
            slots.append(self._slot(ctx, reader, state, atr))
        self._publish(self._choose(tuple(slots)))

    def _slot(self, ctx: int, reader: str, state: int, atr: bytes) -> ReaderSlot:
        if not state & scard.SCARD_STATE_PRESENT:
            self._cards.pop(reader, None)
            return ReaderSlot(reader)
        counter = state >> 16  # pcscd's count of insertions and removals in this reader
        card = self._cards.get(reader)
        same = card is not None and card.counter == counter
        if not same or self._probe_again(card):
            has_app, detail = self._probe(ctx, reader)
            token = card.token if same and card is not None else self._new_token()
            card = _Card(counter, token, atr, has_app, detail, time.monotonic())
            self._cards[reader] = card
        assert card is not None
        return ReaderSlot(reader, True, card.atr, card.has_application)

    @staticmethod
    def _probe_again(card: _Card | None) -> bool:
        return (
            card is not None
            and card.has_application is None
            and time.monotonic() - card.probed_at >= PROBE_RETRY_S
        )

    def _new_token(self) -> int:
        self._tokens += 1
        return self._tokens

    def _probe(self, ctx: int, reader: str) -> tuple[bool | None, str]:
        """SELECT the application once per insertion, to tell practice cards from others."""
        hresult, handle, protocol = scard.SCardConnect(
            ctx, reader, scard.SCARD_SHARE_SHARED, _PROTOCOLS
        )
        if _code(hresult) != _OK:
            return None, f"the card does not answer: {pcsc_error(hresult)}"
        try:
            response = self._exchange(handle, protocol, profile.select_command())
        except CardError as exc:
            return None, str(exc)
        finally:
            scard.SCardDisconnect(handle, scard.SCARD_LEAVE_CARD)
        try:
            return profile.parse_select(response), ""
        except profile.ProfileError:  # another kind of card, answering something else
            return False, ""

    def _choose(self, slots: tuple[ReaderSlot, ...]) -> ReaderStatus:
        empty = ReaderStatus(ReaderState.NO_READER, slots=slots, wanted_reader=self.reader_name)
        by_name = {slot.name: slot for slot in slots}
        if self.reader_name:
            slot = by_name.get(self.reader_name)
            if slot is None:
                return empty
        elif not slots:
            return empty
        else:
            slot = self._pick(slots, by_name)
        if slot is None or not slot.card_present:
            return replace(empty, state=ReaderState.NO_CARD)
        card = self._cards[slot.name]
        state = ReaderState.CARD_PRESENT if card.has_application else ReaderState.NO_APPLICATION
        return replace(
            empty,
            state=state,
            reader=slot.name,
            atr=slot.atr,
            insertion=card.token,
            detail=card.detail,
        )

    def _pick(
        self, slots: tuple[ReaderSlot, ...], by_name: dict[str, ReaderSlot]
    ) -> ReaderSlot | None:
        """Keep the reader in use while its card stays; else the first practice card, else any."""
        current = by_name.get(self._status.reader)
        if current is not None and current.card_present and current.has_application:
            return current
        with_card = [slot for slot in slots if slot.card_present]
        practice = [slot for slot in with_card if slot.has_application]
        chosen = practice or with_card
        return chosen[0] if chosen else None

    def _service_down(self, detail: str) -> None:
        self._cards = {}
        self._publish(
            ReaderStatus(ReaderState.SERVICE_DOWN, detail=detail, wanted_reader=self.reader_name)
        )

    def _publish(self, new: ReaderStatus) -> None:
        with self._status_lock:
            old = self._status
            if new == old:
                self._first_status.set()
                return
            self._status = new
        self._log.info(
            "card_status",
            state=new.state.value,
            reader=new.reader,
            readers=list(new.readers),
            detail=new.detail,
        )
        for event in changes(old, new):
            self._listeners.emit(event)
        self._first_status.set()  # after the events: start() returns with them delivered

    # -- APDU exchange --------------------------------------------------------------------------
    def _connection(self, status: ReaderStatus) -> _Connection:
        conn = self._tx_conn
        if conn is not None and (conn.reader, conn.insertion) == (status.reader, status.insertion):
            return conn
        self._disconnect()
        for attempt in (1, 2):
            ctx = self._transmit_context()
            hresult, handle, protocol = scard.SCardConnect(
                ctx, status.reader, scard.SCARD_SHARE_SHARED, _PROTOCOLS
            )
            code = _code(hresult)
            if code == _OK:
                self._tx_conn = _Connection(status.reader, status.insertion, handle, protocol)
                return self._tx_conn
            if code in _SERVICE_LOST and attempt == 1:
                self._close_transmit_context()  # pcscd restarted since: a new context
                continue
            raise _error_for(hresult)
        raise ServiceDownError(self._status.message)  # pragma: no cover - loop always returns

    def _transmit_context(self) -> int:
        if self._tx_ctx is None:
            hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if _code(hresult) != _OK:
                raise ServiceDownError(ReaderStatus(ReaderState.SERVICE_DOWN).message)
            self._tx_ctx = ctx
        return self._tx_ctx

    def _disconnect(self) -> None:
        conn, self._tx_conn = self._tx_conn, None
        if conn is not None:
            scard.SCardDisconnect(conn.handle, scard.SCARD_LEAVE_CARD)

    def _close_transmit_context(self) -> None:
        self._disconnect()
        ctx, self._tx_ctx = self._tx_ctx, None
        if ctx is not None:
            scard.SCardReleaseContext(ctx)

    @staticmethod
    def _exchange(handle: int, protocol: int, apdu: bytes) -> bytes:
        """One command, with T=0's 61 xx (GET RESPONSE) and 6C xx (wrong Le) handled."""
        response = _transmit(handle, protocol, apdu)
        data = b""
        for _ in range(32):
            sw1, sw2 = response[-2], response[-1]
            if sw1 == 0x61:
                data += response[:-2]
                response = _transmit(handle, protocol, bytes([0x00, 0xC0, 0x00, 0x00, sw2]))
            elif sw1 == 0x6C and len(apdu) >= 5:
                response = _transmit(handle, protocol, apdu[:4] + bytes([sw2]))
            else:
                break
        return data + response


def _transmit(handle: int, protocol: int, apdu: bytes) -> bytes:
    hresult, response = scard.SCardTransmit(handle, protocol, list(apdu))
    if _code(hresult) != _OK:
        raise _error_for(hresult)
    if len(response) < 2:
        raise CardError("The smartcard gave no valid answer")
    return bytes(response)


def _error_for(hresult: int) -> CardError:
    code = _code(hresult)
    if code in _CARD_GONE:
        return CardRemovedError(
            f"The smartcard was removed or stopped answering: {pcsc_error(hresult)}"
        )
    if code in _SERVICE_LOST:
        return ServiceDownError(f"The PC/SC smartcard service stopped: {pcsc_error(hresult)}")
    if code == _code(scard.SCARD_W_RESET_CARD):
        return CardError("The smartcard was reset by another program: try again")
    return CardError(f"The card reader reported: {pcsc_error(hresult)}")
