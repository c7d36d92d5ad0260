"""The upload in a process of its own (issue 25): `scrtui stop`, the hidden
`scrtui upload-process` that is that process, and what `scrtui status` and `scrtui upload`
ask of a running one (`scrtui attach` opens the app: scrtui/cli/app.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from scrtui import eventloop
from scrtui.cli.common import EXIT_OK, EXIT_REFUSED, CliError, Subcommands, open_context
from scrtui.cli.progress import exit_code, progress_line
from scrtui.domain.progress import RunStatus
from scrtui.domain.upload_request import UploadRequest
from scrtui.paths import Home
from scrtui.remote.files import Busy, RunFiles
from scrtui.settings import CARD_BACKENDS, Settings

if TYPE_CHECKING:  # the socket's client and the upload process load when a command needs them
    from scrtui.remote.client import Link

NO_UPLOAD = "no upload is running on this data directory"


def register(sub: Subcommands) -> None:
    stop = sub.add_parser("stop", help="stop the running upload safely (Resume continues it)")
    stop.set_defaults(func=run_stop_command)
    process = sub.add_parser("upload-process", help=argparse.SUPPRESS)
    process.add_argument("--request", required=True)
    process.add_argument("--settings", required=True)
    process.add_argument("--origin", default="")
    process.add_argument("--starter", default="")
    process.add_argument("--card", choices=CARD_BACKENDS)
    process.add_argument("--reader")
    process.set_defaults(func=run_process_command)


def refuse_if_busy(home: Home) -> None:
    """Before any prompt: another process runs an upload on this data directory."""
    from scrtui.store.db import UploadLock

    pid = RunFiles(home.root).holder()
    if pid is not None:
        raise CliError(str(Busy(pid)), EXIT_REFUSED)
    if UploadLock.is_held(home.db_path):
        raise CliError(str(Busy(None)), EXIT_REFUSED)


# ----- scrtui upload-process ---------------------------------------------------------------


def run_process_command(args: argparse.Namespace) -> int:
    from scrtui.remote import host, wire
    from scrtui.remote.host import read_settings_file
    from scrtui.wiring import create_services

    ctx = open_context(args)
    settings = read_settings_file(Path(args.settings))
    request = wire.request_in(json.loads(args.request))
    files = RunFiles(ctx.home.root)
    try:
        files.claim()
    except Busy as exc:
        raise CliError(str(exc), EXIT_REFUSED) from None
    # Its own session already (spawn): a hang-up of the terminal that started it is not ours.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    services = create_services(ctx.home, settings, card=args.card, reader=args.reader)
    try:
        hosting = host.host(
            services, request, files, args.origin, exit_code=exit_code, starter=args.starter
        )
        return eventloop.run(hosting)
    finally:
        services.close()
        files.release()


def serve(
    home: Home, settings: Settings, request: UploadRequest, *, card: str | None, reader: str | None
) -> int:
    """`scrtui upload --wait-for-window`: this process is the upload process (a service
    manager keeps it), waiting for the passcode from a window (`scrtui attach`)."""
    from scrtui.remote import host
    from scrtui.wiring import create_services

    files = RunFiles(home.root)
    try:
        files.claim()
    except Busy as exc:
        raise CliError(str(exc), EXIT_REFUSED) from None
    print(f"Waiting for the passcode: run `scrtui attach` (pid {_own_pid()}).", flush=True)
    services = create_services(home, settings, card=card, reader=reader)
    try:
        origin = "scrtui upload --wait-for-window"
        return eventloop.run(
            host.host(services, request, files, origin, exit_code=exit_code, wait=None)
        )
    finally:
        services.close()
        files.release()


# ----- scrtui upload --detach --------------------------------------------------------------


def detach(
    home: Home,
    settings: Settings,
    request: UploadRequest,
    *,
    card: str | None,
    reader: str | None,
    passcode: Any,
    role: str | None,
    out: TextIO,
) -> int:
    """Start the upload in the background, give it the passcode, and return once it runs."""
    from scrtui.remote import host

    refuse_if_busy(home)
    starter = f"scrtui upload --detach (pid {_own_pid()})"
    process = host.spawn(
        home, settings, request, card=card, reader=reader, origin=_origin(), starter=starter
    )
    return eventloop.run(_hand_over(RunFiles(home.root), process.pid, passcode, role, out))


def _origin() -> str:
    from scrtui.remote.client import window_name

    return window_name().removeprefix("the window").replace(" on ", "scrtui upload --detach on ", 1)


async def _hand_over(
    files: RunFiles, pid: int, passcode: Any, role: str | None, out: TextIO
) -> int:
    link = await _connect_to(files, pid)
    try:
        while link.state.get("card", {}).get("state") != "INSERTED":
            if link.closed.is_set():
                raise CliError(_ending_text(link), EXIT_REFUSED)
            await asyncio.sleep(0.1)
        reply = await link.request({"t": "login", "passcode": passcode()})
        if not reply.get("ok"):
            link.send({"t": "stop"})
            raise CliError(str(reply.get("message")), EXIT_REFUSED)
        roles = reply.get("roles") or []
        if roles:
            link.send({"t": "choose_role", "role": role or roles[0][0]})
        while link.state.get("phase") == "login" and not link.closed.is_set():
            await asyncio.sleep(0.1)
        if link.state.get("phase") != "running":
            raise CliError(_ending_text(link), EXIT_REFUSED)
        print(
            f"The upload runs in the background (pid {pid}): `scrtui status` shows it, "
            "`scrtui attach` opens its window, `scrtui stop` stops it safely.",
            file=out,
        )
        return EXIT_OK
    finally:
        await link.close()


def _ending_text(link: Link) -> str:
    return str(link.state.get("message") or "the background upload process ended")


async def _connect_to(files: RunFiles, pid: int, tries: int = 300) -> Link:
    from scrtui.remote import host
    from scrtui.remote.client import Link, NotOwner

    for _ in range(tries):
        try:
            link = await Link.open(files, f"scrtui upload --detach (pid {_own_pid()})")
        except NotOwner as exc:
            raise CliError(str(exc), EXIT_REFUSED) from None
        except OSError:
            await asyncio.sleep(0.1)
            continue
        if link.pid == pid:
            return link
        await link.close()
        raise CliError(str(Busy(link.pid)), EXIT_REFUSED)
    raise CliError(
        f"the background upload process (pid {pid}) did not start: see "
        f"{files.dir.parent / 'logs' / host.OUTPUT_NAME}",
        EXIT_REFUSED,
    )


def _own_pid() -> int:
    import os

    return os.getpid()


# ----- scrtui stop, scrtui status -------------------------------------------


def run_stop_command(args: argparse.Namespace) -> int:
    ctx = open_context(args)
    files = RunFiles(ctx.home.root)
    if files.holder() is None:
        raise CliError(NO_UPLOAD, EXIT_REFUSED)
    return eventloop.run(_stop(files))


async def _stop(files: RunFiles) -> int:
    from scrtui.remote.client import Link

    try:
        link = await Link.open(files, f"scrtui stop (pid {_own_pid()})", kind="command")
    except OSError as exc:
        raise CliError(f"cannot reach the upload process: {exc}", EXIT_REFUSED) from None
    print(f"Stopping the upload safely (pid {link.pid})...", flush=True)
    await link.request({"t": "stop"})
    await link.closed.wait()
    ending = link.ending
    if ending is None or ending.snapshot is None:
        print("The upload process has ended.")
    else:
        print(progress_line(ending.snapshot))
    return EXIT_OK


def stop_background_upload(home: Home) -> None:
    """Stop the upload process running here, if any, and wait for it (the demo's exit)."""
    files = RunFiles(home.root)
    if files.holder() is None:
        return
    print("The demo's simulator closes with the demo: stopping the upload safely first.")
    try:
        eventloop.run(_stop(files))
    except CliError as exc:
        print(f"scrtui: {exc}", file=sys.stderr)


def live_status(home: Home) -> dict[str, Any] | None:
    """The running upload's live state for `scrtui status`, or None when none runs."""
    files = RunFiles(home.root)
    if files.holder() is None:
        return None
    try:
        return eventloop.run(_peek(files))
    except OSError:
        return None


async def _peek(files: RunFiles) -> dict[str, Any]:
    from scrtui.remote import wire
    from scrtui.remote.client import Link

    link = await Link.open(files, f"scrtui status (pid {_own_pid()})", kind="command")
    try:
        state = link.state
        snapshot = wire.snapshot_in(state["snapshot"])
        return {
            "pid": link.pid,
            "title": link.welcome.get("title"),
            "background": link.welcome.get("background"),
            "started_by": state.get("started_by"),
            "phase": state.get("phase"),
            "control": state.get("control") or "",
            "watchers": state.get("watchers", 0),
            "snapshot": snapshot,
        }
    finally:
        await link.close()


def print_live(live: dict[str, Any], out: TextIO = sys.stdout) -> None:
    where = "in the background" if live["background"] else "from a terminal (scrtui upload)"
    print(
        f"Live: {live['title']} running {where}, pid {live['pid']}, started by "
        f"{live['started_by'] or 'someone (waiting for the passcode)'}",
        file=out,
    )
    snapshot = live["snapshot"]
    if snapshot.status is not RunStatus.IDLE:
        print(f"  {progress_line(snapshot)}", file=out)


def live_document(live: dict[str, Any]) -> dict[str, Any]:
    from scrtui.remote import wire

    snapshot = live["snapshot"]
    return {
        **{k: v for k, v in live.items() if k != "snapshot"},
        "snapshot": wire.snapshot_out(snapshot),
    }
