"""The upload process's files in the data directory: `run/upload.pid` (held locked while the
process lives, so a killed process frees it) and `run/upload.sock`, in a folder only its
owner may open (0700), the socket itself 0600."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scrtui.paths import make_private

RUN_DIR = "run"
SOCKET_NAME = "upload.sock"
PID_NAME = "upload.pid"
MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes with its NUL; keep a margin


class Busy(RuntimeError):
    """Another process runs an upload on this data directory; the message names its pid."""

    def __init__(self, pid: int | None) -> None:
        who = f"pid {pid}" if pid else "another process"
        super().__init__(
            f"another upload is running on this data directory ({who}): open the app to watch "
            "it, or `scrtui stop` to stop it"
        )
        self.pid = pid


class RunFiles:
    def __init__(self, root: Path) -> None:
        self.dir = root / RUN_DIR
        self.socket = self.dir / SOCKET_NAME
        self.pid_file = self.dir / PID_NAME
        self._fd: int | None = None

    def claim(self) -> None:
        """Hold the pid file for this process's life (the OS lets go if it dies); Busy if
        another process holds it."""
        self.dir.mkdir(mode=0o700, exist_ok=True)
        make_private(self.dir, 0o700)
        fd = os.open(self.pid_file, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise Busy(self.holder()) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        # A socket left by a process that was killed: nobody listens on it any more.
        self.socket.unlink(missing_ok=True)

    def release(self) -> None:
        if self._fd is None:
            return
        self.socket.unlink(missing_ok=True)
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def holder(self) -> int | None:
        """The pid of the live process holding the pid file, or None."""
        try:
            fd = os.open(self.pid_file, os.O_RDONLY)
        except OSError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                text = os.pread(fd, 32, 0).decode(errors="replace").strip()
                return int(text) if text.isdigit() else 0
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)


@contextmanager
def socket_address(path: Path) -> Iterator[str]:
    """A path bind() and connect() accept: a long data directory (over sun_path's 108 bytes)
    is reached through /proc/self/fd, which the kernel resolves like the full path."""
    if len(os.fsencode(path)) <= MAX_SOCKET_PATH:
        yield str(path)
        return
    fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{fd}/{path.name}"
    finally:
        os.close(fd)
