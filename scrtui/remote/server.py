"""The upload process's side of the socket: its live state to every window that follows it,
and the intents of the one window that holds control.

Any process of the same user may connect (the folder is 0700, the socket 0600, and the
peer's uid is checked with SO_PEERCRED, so another user is refused even where the files'
modes were loosened). State goes out about ten times a second, to each client only when it
changed. A background upload is controlled by one window at a time (the first to attach, or
the last that took control); an upload run by `scrtui upload` in a terminal is controlled by
that terminal only, and windows watch it. `scrtui stop` may always ask for a safe stop.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Protocol

from scrtui import logs
from scrtui.domain.progress import Snapshot, StopReason
from scrtui.remote import wire
from scrtui.remote.files import RunFiles, socket_address
from scrtui.services import CardView, LoginResult

PUBLISH_EVERY = 0.1
MAX_BUFFERED = 1 << 20  # a client this far behind is dropped (it cannot be reading)

log = logs.get("scrtui.remote")


class Published(Protocol):
    """What the server asks of the process's own services (scrtui.wiring.AppServices)."""

    def snapshot(self) -> Snapshot: ...
    def card_view(self) -> CardView: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def stop(self, reason: StopReason = StopReason.USER) -> None: ...
    async def login(self, passcode: str) -> LoginResult: ...
    def choose_role(self, role_profile_id: str) -> None: ...
    def toggle_simulated_card(self) -> None: ...
    def unblock_simulated_card(self) -> None: ...


@dataclass
class Origin:
    """Who runs the upload, shown to every window."""

    pid: int
    title: str  # e.g. "Initial Upload - Run"
    background: bool  # False: `scrtui upload` in a terminal (windows only watch)
    started_by: str = ""  # filled in once the card session says who
    starter: str = ""  # the window that started it: it holds control while the passcode is due


@dataclass(eq=False)
class _Client:
    number: int
    who: str  # e.g. "window on pts/3"
    kind: str  # "window" or "command"
    writer: asyncio.StreamWriter
    last: bytes = b""

    def send(self, message: wire.Message) -> None:
        data = wire.encode(message)
        self.writer.write(data)

    @property
    def behind(self) -> bool:
        transport = self.writer.transport
        return transport.get_write_buffer_size() > MAX_BUFFERED


def peer_uid(writer: asyncio.StreamWriter) -> int | None:
    sock = writer.get_extra_info("socket")
    if sock is None:
        return None
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", raw)
    return int(uid)


@dataclass
class UploadServer:
    files: RunFiles
    source: Published
    origin: Origin
    phase: str = "login"  # "login", "running", "ended"
    message: str = ""  # the process's last word, e.g. why the run did not start
    on_stop: Callable[[], None] | None = None  # a stop asked while no run is under way
    _clients: list[_Client] = field(default_factory=list)
    _controller: _Client | None = None
    _server: asyncio.AbstractServer | None = None
    _publisher: asyncio.Task[None] | None = None
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def start(self) -> None:
        with socket_address(self.files.socket) as address:
            old = os.umask(0o177)  # the socket is born 0600, never briefly wider
            try:
                self._server = await asyncio.start_unix_server(self._serve, path=address)
            finally:
                os.umask(old)
        os.chmod(self.files.socket, 0o600)
        self._publisher = asyncio.create_task(self._publish(), name="upload-server-publish")

    async def close(self, final: Snapshot | None = None) -> None:
        """Tell every client how it ended, then stop listening."""
        self.phase = "ended"
        for client in list(self._clients):
            client.send(self._state(client))
            last = wire.snapshot_out(final or self.source.snapshot())
            client.send({"t": "end", "snapshot": last})
            with suppress(Exception):
                await asyncio.wait_for(client.writer.drain(), timeout=2)
            client.writer.close()
        if self._publisher is not None:
            self._publisher.cancel()
        if self._server is not None:
            self._server.close()
            with suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), timeout=2)

    @property
    def watchers(self) -> int:
        return sum(1 for c in self._clients if c.kind == "window")

    # ----- one client ------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        uid = peer_uid(writer)
        if uid != os.geteuid():
            log.warning("upload_socket_refused", peer_uid=uid)
            with suppress(Exception):  # its hello first, so the refusal reaches it
                await asyncio.wait_for(reader.readuntil(b"\n"), timeout=2)
            writer.write(wire.encode({"t": "refused", "message": "not the owner of this upload"}))
            with suppress(Exception):
                await writer.drain()
            writer.close()
            return
        client: _Client | None = None
        try:
            hello = wire.decode(await reader.readuntil(b"\n"))
            client = _Client(
                next(self._numbers),
                str(hello.get("who", "a window"))[:80],
                "command" if hello.get("kind") == "command" else "window",
                writer,
            )
            self._join(client)
            while True:
                line = await reader.readuntil(b"\n")
                if len(line) > wire.MAX_LINE:
                    break
                await self._handle(client, wire.decode(line))
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        except ValueError as exc:  # not our protocol: drop it
            log.warning("upload_socket_bad_message", error=str(exc))
        finally:
            if client is not None:
                self._leave(client)
            writer.close()

    def _join(self, client: _Client) -> None:
        self._clients.append(client)
        if client.kind == "window" and self.origin.background:
            # Another window may find the new socket first: the passcode is the starter's.
            starter = self.phase == "login" and client.who == self.origin.starter
            if self._controller is None or starter:
                self._controller = client
        client.send(
            {
                "t": "welcome",
                "pid": self.origin.pid,
                "title": self.origin.title,
                "background": self.origin.background,
            }
        )
        client.last = wire.encode(self._state(client))
        client.writer.write(client.last)
        log.info("upload_window_joined", who=client.who, kind=client.kind)

    def _leave(self, client: _Client) -> None:
        if client in self._clients:
            self._clients.remove(client)
        if self._controller is client:
            # The next window in the order they came holds control.
            self._controller = next((c for c in self._clients if c.kind == "window"), None)
        log.info("upload_window_left", who=client.who)

    def _control_label(self, client: _Client) -> str:
        if not self.origin.background:
            return f"the terminal running scrtui upload (pid {self.origin.pid})"
        if self._controller is None or self._controller is client:
            return ""
        return self._controller.who

    def _state(self, client: _Client) -> wire.Message:
        return {
            "t": "state",
            "phase": self.phase,
            "message": self.message,
            "started_by": self.origin.started_by,
            "snapshot": wire.snapshot_out(self.source.snapshot()),
            "card": wire.card_out(self.source.card_view()),
            "control": self._control_label(client),
            "you_control": client is self._controller,
            "watchers": self.watchers,
        }

    async def _publish(self) -> None:
        while True:
            await asyncio.sleep(PUBLISH_EVERY)
            for client in list(self._clients):
                if client.behind:
                    self._leave(client)
                    client.writer.close()
                    continue
                data = wire.encode(self._state(client))
                if data != client.last:
                    client.last = data
                    client.writer.write(data)

    # ----- intents ---------------------------------------------------------------------------

    async def _handle(self, client: _Client, message: wire.Message) -> None:
        kind = message.get("t")
        number = message.get("id")
        if kind == "take":
            if client.kind == "window" and self.origin.background:
                self._controller = client
                log.info("upload_control_taken", who=client.who)
            return
        if kind == "stop" and client.kind == "command":
            self.stop(StopReason.USER)  # `scrtui stop`: the same user, from any terminal
            client.send({"t": "reply", "id": number, "ok": True, "message": ""})
            return
        if client is not self._controller:
            holder = self._control_label(client) or "nobody"
            client.send(
                {
                    "t": "reply",
                    "id": number,
                    "ok": False,
                    "message": f"Only one window acts on the upload: {holder} holds control.",
                }
            )
            return
        if kind == "login":
            result = await self.source.login(str(message.get("passcode", "")))
            client.send({"t": "reply", "id": number, **wire.login_out(result)})
            return
        action = self._intents().get(str(kind))
        if action is not None:
            action(message)
        client.send({"t": "reply", "id": number, "ok": action is not None, "message": ""})

    def _intents(self) -> dict[str, Callable[[wire.Message], None | Awaitable[None]]]:
        s = self.source
        return {
            "pause": lambda _m: s.pause(),
            "resume": lambda _m: s.resume(),
            "stop": lambda _m: self.stop(StopReason.USER),
            "choose_role": lambda m: s.choose_role(str(m.get("role", ""))),
            "toggle_card": lambda _m: s.toggle_simulated_card(),
            "unblock_card": lambda _m: s.unblock_simulated_card(),
        }

    def stop(self, reason: StopReason) -> None:
        log.info("upload_stop_asked", phase=self.phase)
        if self.phase == "login" and self.on_stop is not None:
            self.on_stop()
        else:
            self.source.stop(reason)


@asynccontextmanager
async def published(
    files: RunFiles, source: Published, origin: Origin
) -> AsyncIterator[UploadServer]:
    """An upload run by this process (`scrtui upload` in a terminal), published while it runs
    so app windows show it live (read-only) and `scrtui status`/`scrtui stop` reach it."""
    files.claim()
    server = UploadServer(files, source, origin, phase="running")
    try:
        await server.start()
        yield server
    finally:
        with suppress(Exception):
            await server.close()
        files.release()
