"""The watching side of the socket: one connection (Link) and, for an app window, a Follower
that finds the upload process whenever one starts on the data directory."""

from __future__ import annotations

import asyncio
import itertools
import os
from contextlib import suppress
from dataclasses import dataclass

from scrtui.domain.progress import Snapshot
from scrtui.remote import wire
from scrtui.remote.files import RunFiles, socket_address

LOOK_EVERY = 0.5  # how often a window without an upload looks for one (a connect attempt)


class NotOwner(ConnectionError):
    """The upload process refused this connection: it belongs to another user."""


def window_name() -> str:
    """How other windows name this one: the terminal and, over SSH, where from."""
    tty = ""
    with suppress(OSError):
        tty = os.ttyname(0).removeprefix("/dev/")
    ssh = os.environ.get("SSH_CONNECTION", "").split()
    where = f" over SSH from {ssh[0]}" if ssh else ""
    return f"the window on {tty or 'a terminal'}{where} (pid {os.getpid()})"


@dataclass
class Ending:
    snapshot: Snapshot | None  # None: the process went without saying how it ended
    message: str = ""


class Link:
    """One connection; `state` is the latest state message (read by the caller's polls)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self.welcome: wire.Message = {}
        self.state: wire.Message = {}
        self.ending: Ending | None = None
        self.closed = asyncio.Event()
        self._replies: dict[int, asyncio.Future[wire.Message]] = {}
        self._numbers = itertools.count(1)
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, files: RunFiles, who: str, kind: str = "window") -> Link:
        """Connect and read the welcome; OSError when nobody listens, NotOwner if refused."""
        with socket_address(files.socket) as address:
            reader, writer = await asyncio.open_unix_connection(address, limit=wire.MAX_LINE)
        link = cls(reader, writer)
        writer.write(wire.encode({"t": "hello", "who": who, "kind": kind}))
        try:
            first = wire.decode(await reader.readuntil(b"\n"))
            if first.get("t") != "refused":
                link.welcome = first
                link.state = wire.decode(await reader.readuntil(b"\n"))
        except (asyncio.IncompleteReadError, ConnectionError, ValueError) as exc:
            writer.close()
            raise ConnectionError(f"the upload process did not answer: {exc}") from None
        if first.get("t") == "refused":
            writer.close()
            raise NotOwner(str(first.get("message", "refused")))
        link._task = asyncio.create_task(link._read(), name="upload-link")
        return link

    @property
    def pid(self) -> int:
        return int(self.welcome.get("pid", 0))

    async def _read(self) -> None:
        try:
            while True:
                message = wire.decode(await self._reader.readuntil(b"\n"))
                kind = message.get("t")
                if kind == "state":
                    self.state = message
                elif kind == "reply":
                    future = self._replies.pop(int(message.get("id") or 0), None)
                    if future is not None and not future.done():
                        future.set_result(message)
                elif kind == "end":
                    self.ending = Ending(
                        wire.snapshot_in(message["snapshot"]), str(self.state.get("message", ""))
                    )
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, KeyError):
            pass
        finally:
            if self.ending is None:
                self.ending = Ending(None)  # gone without a word: killed or crashed
            for future in self._replies.values():
                if not future.done():
                    future.set_exception(ConnectionError("the upload process has gone"))
            self._replies.clear()
            self._writer.close()
            self.closed.set()

    def send(self, message: wire.Message) -> None:
        if not self.closed.is_set():
            self._writer.write(wire.encode(message))

    async def request(self, message: wire.Message) -> wire.Message:
        """Send and wait for its reply (ConnectionError if the process goes meanwhile)."""
        if self.closed.is_set():
            raise ConnectionError("the upload process has gone")
        number = next(self._numbers)
        future: asyncio.Future[wire.Message] = asyncio.get_running_loop().create_future()
        self._replies[number] = future
        self.send({**message, "id": number})
        return await future

    async def close(self) -> None:
        self._writer.close()
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self._task


class Follower:
    """An app window's look-out: connects to the upload process when one appears, keeps the
    link while it lives, and remembers one that went without ending (killed, crashed)."""

    def __init__(self, files: RunFiles, who: str) -> None:
        self.files = files
        self.who = who
        self.link: Link | None = None
        self.gone: Link | None = None  # the last link whose process went without a word
        self.ended: Snapshot | None = None  # how the last followed upload ended
        self.refused = ""
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._look(), name="upload-follower")

    async def _look(self) -> None:
        while True:
            try:
                link = await Link.open(self.files, self.who)
            except NotOwner as exc:
                self.refused = str(exc)
                link = None
            except OSError:
                link = None
            if link is None:
                await asyncio.sleep(LOOK_EVERY)
                continue
            self.link = link
            self.gone = None
            self._changed.set()
            await link.closed.wait()
            if link.ending is not None and link.ending.snapshot is None:
                self.gone = link
            elif link.ending is not None:
                self.ended = link.ending.snapshot
            self.link = None
            self._changed.set()

    async def wait_linked(self, pid: int | None = None) -> Link:
        """The link to the upload process (to `pid` when given), once connected."""
        while True:
            link = self.link
            if link is not None and (pid is None or link.pid == pid):
                return link
            self._changed.clear()
            await self._changed.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await self._task
        if self.link is not None:
            await self.link.close()
