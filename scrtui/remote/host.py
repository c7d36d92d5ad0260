"""The background upload process (`scrtui upload-process`, started by an app window or by
`scrtui upload --detach`): it owns the engine, its card session and its gates, outlives the
terminal that started it (a session of its own, SIGHUP ignored), and publishes its state on
the data directory's socket. It first waits for the passcode, given through the window that
started it (or the command line); it is never stored.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

from scrtui import logs
from scrtui.domain import uploads
from scrtui.domain.progress import Snapshot, StopReason
from scrtui.domain.rbac import UPLOAD_ACTIVITY
from scrtui.engine.engine import Refused
from scrtui.paths import Home, touch_private
from scrtui.remote import wire
from scrtui.remote.files import RunFiles
from scrtui.remote.server import Origin, UploadServer
from scrtui.services import UploadRequest
from scrtui.settings import Settings, save
from scrtui.wiring import AppServices

LOGIN_WAIT = 120.0  # seconds without any window while the passcode is awaited: give up
LOGIN_POLL = 0.1
OUTPUT_NAME = "upload-process.out"  # the process's stray output (a crash's traceback)

log = logs.get("scrtui.remote")


def spawn(
    home: Home,
    settings: Settings,
    request: UploadRequest,
    *,
    card: str | None = None,
    reader: str | None = None,
    origin: str = "",
    starter: str = "",
) -> subprocess.Popen[bytes]:
    """Start the background upload process (it is reaped by a thread, so it never lingers as
    a zombie while this process lives: its returncode says when it has ended)."""
    run = RunFiles(home.root)
    run.dir.mkdir(mode=0o700, exist_ok=True)
    # The window's own settings (the demo's simulator URL, a --mhs-url), not only the file's.
    settings_file = run.dir / f"settings-{os.getpid()}-{time.monotonic_ns()}.toml"
    save(settings_file, settings)
    output = home.log_dir / OUTPUT_NAME
    touch_private(output)
    command = [
        # -P: this installation's scrtui, never one in the current folder
        sys.executable, "-P", "-m", "scrtui", "--home", str(home.root.resolve()),
        "upload-process", "--request", json.dumps(wire.request_out(request)),
        "--settings", str(settings_file.resolve()), "--origin", origin, "--starter", starter,
    ]  # fmt: skip
    if card:
        command += ["--card", card]
    if reader:
        command += ["--reader", reader]
    with open(output, "ab") as out:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,  # not in the terminal's session: its hang-up is not ours
            cwd=home.root.resolve(),  # holds no other folder (a mount) for its lifetime
            close_fds=True,
        )
    threading.Thread(target=process.wait, name="scrtui-reap", daemon=True).start()
    log.info("upload_process_started", pid=process.pid, origin=origin)
    return process


def title(request: UploadRequest) -> str:
    return uploads.kind(request.upload).title(request.mode)


async def host(
    services: AppServices,
    request: UploadRequest,
    files: RunFiles,
    origin: str,
    *,
    exit_code: Callable[[Snapshot], int],
    wait: float | None = LOGIN_WAIT,
    starter: str = "",
) -> int:
    """Wait for the passcode, run the upload, say how it ended; `exit_code` (the CLI's,
    scrtui/cli/progress.py) says what its end is as an exit code."""
    loop = asyncio.get_running_loop()
    stop_asked = asyncio.Event()
    server = UploadServer(
        files,
        services,
        Origin(os.getpid(), title(request), True, starter=starter),
        on_stop=stop_asked.set,
    )
    await server.start()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, server.stop, StopReason.SIGNAL)
    try:
        final = await _serve(services, request, server, stop_asked, origin, wait)
        return final if isinstance(final, int) else exit_code(final)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


async def _serve(
    services: AppServices,
    request: UploadRequest,
    server: UploadServer,
    stop_asked: asyncio.Event,
    origin: str,
    wait: float | None,
) -> Snapshot | int:
    """The run's end, or 2 when it did not start (refused, stopped before the passcode)."""
    refused = await _logged_in(services, server, stop_asked, wait)
    if refused:
        server.message = refused
        log.warning("upload_process_not_started", reason=refused)
        await server.close(services.snapshot())
        return 2
    author = services.session.author()
    who = f"{author.name} ({author.job_role_code})" if author else "unknown"
    server.origin.started_by = f"{who}, {origin}" if origin else who
    server.phase = "running"
    log.info("upload_process_running", started_by=server.origin.started_by)
    try:
        final: Snapshot = await services.run_upload(request)
    except Refused as exc:
        server.message = str(exc)
        await server.close(services.snapshot())
        return 2
    await server.close(final)
    return final


async def _logged_in(
    services: AppServices, server: UploadServer, stop_asked: asyncio.Event, wait: float | None
) -> str | None:
    """None once the card session may start the upload; else why it will not start. `wait`:
    how long it waits with no window (None: for ever, a service waiting for `scrtui attach`)."""
    alone_since: float | None = None
    while True:
        if stop_asked.is_set():
            return "Stopped before it started: nothing was sent."
        if services.card_refusal() is None:
            return None
        session = services.session
        if session.author() is not None and not session.has_activity(UPLOAD_ACTIVITY):
            return services.card_refusal()
        now = time.monotonic()
        if server.watchers:
            alone_since = None
        elif alone_since is None:
            alone_since = now
        elif wait is not None and now - alone_since > wait:
            return "No window gave the passcode: the upload did not start; nothing was sent."
        await asyncio.sleep(LOGIN_POLL)


def read_settings_file(path: Path) -> Settings:
    from scrtui.settings import load

    try:
        return load(path)
    finally:
        with suppress(OSError):
            path.unlink()
