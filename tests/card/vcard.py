"""A virtual smartcard for vpcd (the vsmartcard virtual reader), standard library only.

It speaks vpcd's protocol (docs/card.md and docs/pcsc-testing.md §4) and answers the
practice card profile independently of scrtui.card.profile, so the tests check one against the
other. Connecting is an insertion; closing the socket is a removal.

    card = VirtualCard("555000000001", "Demo Administrator", "VC-0001", "1234")
    card.insert()        # pcscd notices within ~0.4 s
    ...
    card.remove()
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable

from tests.conftest import patience

AID = bytes.fromhex("F0 53 43 52 54 55 49 01")  # F0 "SCRTUI" 01
ATR = bytes.fromhex("3B8580") + b"\x01VCARD"
VPCD_HOST = "127.0.0.1"
VPCD_PORT = 35963

SW_OK = b"\x90\x00"
SW_NO_APPLICATION = b"\x6a\x82"
SW_BLOCKED = b"\x69\x83"
SW_NOT_VERIFIED = b"\x69\x82"
SW_CONDITIONS = b"\x69\x85"
SW_WRONG_DATA = b"\x6a\x80"
SW_WRONG_P1P2 = b"\x6b\x00"
SW_INS_UNKNOWN = b"\x6d\x00"
SW_CLA_UNKNOWN = b"\x6e\x00"


def _with_tck(atr: bytes) -> bytes:
    tck = 0
    for byte in atr[1:]:
        tck ^= byte
    return atr + bytes([tck])


def _tlv(tag: int, value: bytes) -> bytes:
    if len(value) < 0x80:
        return bytes([tag, len(value)]) + value
    return bytes([tag, 0x81, len(value)]) + value


class VirtualCard:
    """One card: identity, passcode, tries left and a log of the APDUs it received."""

    def __init__(
        self,
        sds_user_id: str,
        name: str,
        serial: str,
        passcode: str,
        port: int = VPCD_PORT,
        *,
        tries: int = 3,
        has_application: bool = True,
        host: str = VPCD_HOST,
    ) -> None:
        self.sds_user_id = sds_user_id
        self.name = name
        self.serial = serial
        self.passcode = passcode
        self.port = port
        self.host = host
        self.max_tries = tries
        self.tries_left = tries
        self.has_application = has_application
        self.atr = _with_tck(ATR)
        self.apdus: list[bytes] = []
        self.inserted_at: float | None = None
        self.removed_at: float | None = None
        self._selected = False
        self._verified = False
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- the card's state ---------------------------------------------------------------
    @property
    def blocked(self) -> bool:
        return self.tries_left == 0

    @property
    def inserted(self) -> bool:
        return self._sock is not None

    def block(self) -> None:
        self.tries_left = 0

    # -- insertion and removal ----------------------------------------------------------
    def insert(self) -> None:
        """Connect to vpcd (pcscd sees the card on its next poll, within ~0.4 s)."""
        if self._sock is not None:
            raise RuntimeError("the card is already inserted")
        sock = socket.create_connection((self.host, self.port), timeout=5)
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._power_reset()
        self._sock = sock
        self.inserted_at = time.monotonic()
        self._thread = threading.Thread(
            target=self._serve, args=(sock,), name=f"vcard-{self.serial}", daemon=True
        )
        self._thread.start()

    def remove(self) -> None:
        """Close the socket: vpcd reports the card as removed on pcscd's next poll."""
        sock, self._sock = self._sock, None
        if sock is None:
            return
        self.removed_at = time.monotonic()
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> VirtualCard:
        self.insert()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.remove()

    # -- vpcd's protocol ------------------------------------------------------------------
    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                message = self._receive(sock)
                if message is None:
                    return
                reply = self._handle(message)
                if reply is not None:
                    sock.sendall(struct.pack(">H", len(reply)) + reply)
        except OSError:
            return

    @staticmethod
    def _receive(sock: socket.socket) -> bytes | None:
        header = VirtualCard._receive_exact(sock, 2)
        if header is None:
            return None
        return VirtualCard._receive_exact(sock, struct.unpack(">H", header)[0])

    @staticmethod
    def _receive_exact(sock: socket.socket, size: int) -> bytes | None:
        data = b""
        while len(data) < size:
            # Linux clears QUICKACK after use; without it every message waits ~40 ms for vpcd's
            # Nagle-delayed second write (docs/pcsc-testing.md §4).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            chunk = sock.recv(size - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _handle(self, message: bytes) -> bytes | None:
        if len(message) == 1:
            return self._control(message[0])
        with self._lock:
            self.apdus.append(message)
            return self._apdu(message)

    def _control(self, code: int) -> bytes | None:
        if code == 0x04:
            return self.atr
        if code in (0x00, 0x01, 0x02):  # power off, power on, reset: the card starts afresh
            self._power_reset()
        return None

    def _power_reset(self) -> None:
        self._selected = False
        self._verified = False

    # -- the card profile (docs/card.md) ----------------------------------------------------
    def _apdu(self, apdu: bytes) -> bytes:
        cla, ins = apdu[0], apdu[1]
        if (cla, ins) == (0x00, 0xA4):
            return self._select(apdu)
        if (cla, ins) == (0x00, 0x20):
            return self._verify(apdu)
        if (cla, ins) == (0x80, 0xCA):
            return self._read_identity(apdu)
        return SW_CLA_UNKNOWN if cla not in (0x00, 0x80) else SW_INS_UNKNOWN

    def _select(self, apdu: bytes) -> bytes:
        aid = apdu[5 : 5 + apdu[4]] if len(apdu) > 5 else b""
        self._selected = self.has_application and apdu[2:4] == b"\x04\x00" and aid == AID
        self._verified = False
        return SW_OK if self._selected else SW_NO_APPLICATION

    def _verify(self, apdu: bytes) -> bytes:
        if not self._selected:
            return SW_CONDITIONS
        if apdu[2:4] != b"\x00\x81":
            return SW_WRONG_P1P2
        if self.blocked:
            return SW_BLOCKED
        given = apdu[5 : 5 + apdu[4]] if len(apdu) > 5 else b""
        if given == self.passcode.encode("ascii"):
            self.tries_left = self.max_tries
            self._verified = True
            return SW_OK
        self.tries_left -= 1
        self._verified = False
        return bytes([0x63, 0xC0 | self.tries_left])

    def _read_identity(self, apdu: bytes) -> bytes:
        if not self._selected:
            return SW_CONDITIONS
        if apdu[2:4] != b"\x01\x00":
            return SW_WRONG_P1P2
        if not self._verified:
            return SW_NOT_VERIFIED
        data = (
            _tlv(0x01, self.sds_user_id.encode("ascii"))
            + _tlv(0x02, self.name.encode("utf-8"))
            + _tlv(0x03, self.serial.encode("ascii"))
        )
        return data + SW_OK


# -- helpers for tests that drive pcscd with virtual cards -------------------------------------
READER_00 = "Virtual PCD 00 00"  # TCP 35963
READER_01 = "Virtual PCD 00 01"  # TCP 35964


def wait_until(
    predicate: Callable[[], object], timeout: float = 2.0, what: str = "condition"
) -> float:
    """Poll predicate() until true; returns the seconds waited, raises AssertionError on timeout."""
    start = time.monotonic()
    deadline = start + patience(timeout)
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.005)
    return time.monotonic() - start
