"""`scrtui upload`: a bulk upload without the full-screen UI, with the same prompts, gates and
exit codes as the app."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager, suppress
from datetime import date, datetime
from typing import TYPE_CHECKING, TextIO, TypeVar

from scrtui.cli.common import (
    EXIT_REFUSED,
    CliError,
    Subcommands,
    add_upload_argument,
    open_context,
    open_services,
    require_role,
)
from scrtui.cli.preview import PREVIEW, run_preview_command
from scrtui.cli.progress import exit_code, progress_line
from scrtui.domain import uploads
from scrtui.domain.progress import Snapshot, StopReason
from scrtui.domain.records import Mode
from scrtui.domain.run_tally import final_line
from scrtui.domain.schedule import Schedule, ScheduleError, after_session, build_schedule
from scrtui.domain.session_text import SESSION_LENGTH
from scrtui.domain.upload_request import UploadRequest
from scrtui.remote.files import Busy, RunFiles
from scrtui.settings import CARD_BACKENDS, SettingsError, with_changes

if TYPE_CHECKING:  # the engine and the card load when a run starts (cli/common.py)
    from scrtui.card.views import RoleChoice
    from scrtui.wiring import AppServices

PASSCODE_ENV = "SCRTUI_PASSCODE"
T = TypeVar("T")


def register(sub: Subcommands) -> None:
    p = sub.add_parser("upload", help="run a bulk upload without the full-screen UI")
    add_upload_argument(p)
    p.add_argument("--mode", required=True, choices=[*(m.value for m in Mode), PREVIEW])
    p.add_argument(
        "--of",
        choices=[m.value for m in Mode],
        help="with --mode preview: the mode to preview (default run); nothing is sent",
    )
    p.add_argument(
        "--date",
        metavar="DD/MM/YYYY",
        help="the date the upload's messages carry (bulk-deregistration: the deduction date, "
        "default today)",
    )
    p.add_argument("--group", metavar="NAME", help="limit the run to a patient group")
    p.add_argument("--start", metavar='"DD/MM/YYYY HH:MM"', help="start later instead of now")
    p.add_argument("--stop", metavar="HH:MM", help="stop at this time (pause, with --resume-at)")
    p.add_argument("--resume-at", metavar="HH:MM", help="resume at this time each day")
    p.add_argument("--mhs-url", metavar="URL", help="the MHS adaptor for this run")
    p.add_argument("--card", choices=CARD_BACKENDS, help="the card backend for this run")
    p.add_argument("--reader", metavar="NAME", help="the card reader for this run")
    p.add_argument("--role", metavar="ROLE_PROFILE_ID", help="the role profile to act in")
    p.add_argument("--yes", action="store_true", help="answer yes to the confirmation prompt")
    p.add_argument("--json", action="store_true", help="end with one JSON object of final counts")
    p.add_argument(
        "--detach",
        action="store_true",
        help="run in a background process of its own that outlives this terminal (scrtui "
        "status, attach and stop reach it)",
    )
    p.add_argument(
        "--wait-for-window",
        action="store_true",
        help="be the upload process itself, in the foreground (a systemd user unit): the "
        "passcode is given from `scrtui attach`",
    )
    p.set_defaults(func=run_upload_command)


def run_upload_command(args: argparse.Namespace) -> int:
    from scrtui.cli.background import refuse_if_busy

    ctx = open_context(args, with_db=False)  # the services open it, once
    refuse_if_busy(ctx.home)  # before any prompt: another process runs an upload here
    overrides = {}
    if args.mhs_url:
        overrides["mhs_url"] = args.mhs_url
    try:
        settings = with_changes(ctx.settings, **overrides)
    except SettingsError as exc:
        raise CliError(str(exc), EXIT_REFUSED) from None
    if args.mode == PREVIEW:
        return run_preview_command(args, ctx, settings, _login)
    if args.of:
        raise CliError("--of goes with --mode preview", EXIT_REFUSED)
    mode = Mode(args.mode)
    kind = uploads.kind(args.upload)
    upload_date = _upload_date(args.date, kind)
    services = open_services(ctx, settings, args.card, args.reader, start_card=False)
    try:
        return _upload(services, args, mode, kind, upload_date)
    finally:
        services.close()


def _upload(
    services: AppServices,
    args: argparse.Namespace,
    mode: Mode,
    kind: uploads.UploadKind,
    upload_date: date | None,
) -> int:
    from scrtui import eventloop

    # The one preflight the app's Bulk Transmission screen asks too (scrtui/domain/
    # preflight.py): refused before the prompt, the card and the engine, nothing written (the
    # engine asks it once more when the run starts). The card session is asked after the prompt.
    pre = _asked(services.preflight(mode, args.group, kind.id, card=False, upload_date=upload_date))
    if pre.refusal:
        raise CliError(pre.refusal, EXIT_REFUSED)
    out = sys.stderr if args.json else sys.stdout
    # Resume without --stop/--resume-at keeps the stop/resume window of the run it continues.
    kept = pre.kept_window if args.stop is None and args.resume_at is None else None
    if kept is not None:
        args.stop, args.resume_at = kept
    schedule = _schedule(args)
    if kept is not None:
        print(pre.kept_text, file=out)
    _confirm(f"{pre.warning}\n{pre.prompt}" if pre.warning else pre.prompt, args.yes, out)
    request = UploadRequest(
        mode=mode, schedule=schedule, group=args.group, upload=kind.id, upload_date=upload_date
    )
    home, settings = services.home, services.settings
    if args.wait_for_window:
        from scrtui.cli.background import serve

        services.close()  # the upload process has its own
        return serve(home, settings, request, card=args.card, reader=args.reader)
    if args.detach:
        from scrtui.cli.background import detach

        services.close()
        return detach(
            home, settings, request, card=args.card, reader=args.reader,
            passcode=_passcode, role=args.role, out=out,
        )  # fmt: skip
    services.start_card()
    _login(services, args.role)
    final = eventloop.run(_drive(services, request, out))
    upload_flag = "" if kind.id == uploads.INITIAL else f" --upload {kind.id}"
    print(
        f"Completion report: scrtui report --run last{upload_flag} --format html --output FILE",
        file=out,
    )
    print(final_counts(final), file=out, flush=True)  # the last line: the run's own counts
    if args.json:
        print(json.dumps(_asked(services.status_document(kind.id))))
    return exit_code(final)


def _asked(question: Coroutine[object, object, T]) -> T:
    """A service's answer; its ServiceError (a damaged or locked database...) is a refusal."""
    from scrtui import eventloop
    from scrtui.services import ServiceError

    try:
        return eventloop.run(question)
    except ServiceError as exc:
        raise CliError(str(exc), EXIT_REFUSED) from None


def final_counts(s: Snapshot) -> str:
    """The one line every run ends with: its outcome and its own counts (a run shorter than
    a progress line's second printed nothing else)."""
    return final_line(
        s.reason or s.status.value, s.run, s.total, s.scope_counts or s.counts, s.group
    )


def _schedule(args: argparse.Namespace) -> Schedule:
    start_date = start_time = ""
    if args.start:
        parts = args.start.split()
        if len(parts) != 2:
            raise CliError('--start needs "DD/MM/YYYY HH:MM", e.g. "25/12/2026 18:30"', 2)
        start_date, start_time = parts
    now = datetime.now()
    try:
        schedule = build_schedule(
            now, start_date, start_time, args.stop or "", args.resume_at or ""
        )
    except ScheduleError as exc:
        raise CliError(str(exc), EXIT_REFUSED) from None
    # The card session this command logs in for ends SESSION_LENGTH from now at the latest.
    late = after_session(schedule, now, now + SESSION_LENGTH)
    if late is not None:
        raise CliError(f"{late[1]}; nothing was sent", EXIT_REFUSED)
    return schedule


def _upload_date(value: str | None, kind: uploads.UploadKind) -> date | None:
    if value is None:
        return None
    if not kind.asks_date:
        raise CliError(f"--date is only for an upload that asks one; {kind.id} does not", 2)
    try:
        return datetime.strptime(value, "%d/%m/%Y").date()
    except ValueError:
        raise CliError(f"--date {value!r}: expected DD/MM/YYYY, e.g. 31/03/2026", 2) from None


def _confirm(prompt: str, yes: bool, out: TextIO) -> None:
    print(prompt, file=out)
    if yes:
        return
    if not sys.stdin.isatty():
        raise CliError("not confirmed: answer y at the prompt, or pass --yes", EXIT_REFUSED)
    answer = input("Proceed? [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise CliError("not confirmed; nothing was sent", EXIT_REFUSED)


def _passcode(prompt: str = "Smartcard passcode: ") -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    passcode = os.environ.get(PASSCODE_ENV)
    if not passcode:
        raise CliError(
            f"no terminal to ask for the passcode: set {PASSCODE_ENV} or run in a terminal",
            EXIT_REFUSED,
        )
    from scrtui import logs

    logs.get("scrtui.cli").warning("passcode_from_environment", variable=PASSCODE_ENV)
    return passcode


def _login(services: AppServices, role: str | None) -> None:
    _wait_for_card(services)
    result = _asked(services.login(_passcode()))
    if not result.ok:
        raise CliError(result.message, EXIT_REFUSED)
    roles = services.roles()  # every role profile the card's user has here, however many
    if role is not None:
        require_role(role, roles)
        services.choose_role(role)
    elif result.roles:
        services.choose_role(_choose_role(result.roles))


def _wait_for_card(services: AppServices, seconds: float = 5.0) -> None:
    """A card just inserted takes up to ~0.4 s to show (pcscd polls the reader)."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        view = services.card_view()
        if view.state.name == "INSERTED":
            return
        time.sleep(0.1)
    view = services.card_view()
    raise CliError(f"{view.state.value}. {view.message}".strip(), EXIT_REFUSED)


def _choose_role(roles: tuple[RoleChoice, ...]) -> str:
    if not sys.stdin.isatty():
        return roles[0].role_profile_id
    for index, role in enumerate(roles, 1):
        print(f"  {index}. {role.label}")
    answer = input("Role profile number: ").strip()
    try:
        return roles[int(answer) - 1].role_profile_id
    except (ValueError, IndexError):
        raise CliError("no such role profile", EXIT_REFUSED) from None


async def _drive(services: AppServices, request: UploadRequest, out: TextIO) -> Snapshot:
    from scrtui.engine.engine import Refused
    from scrtui.services import UploadRefused

    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        services.stop(StopReason.SIGNAL)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, on_signal)
    reporter = asyncio.create_task(_report(services, out))
    unlocker = asyncio.create_task(_unlock_when_card_returns(services, out))
    try:
        # Published on the data directory's socket: the app shows it live, read-only.
        async with publish_foreground(services, request):
            return await services.run_upload(request)
    except (Refused, UploadRefused, Busy) as exc:  # wiring's refusals are UploadRefused
        raise CliError(str(exc), EXIT_REFUSED) from None
    finally:
        reporter.cancel()
        unlocker.cancel()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.remove_signal_handler(sig)


def publish_foreground(
    services: AppServices, request: UploadRequest
) -> AbstractAsyncContextManager[object]:
    from scrtui.remote.host import title
    from scrtui.remote.server import Origin, published

    author = services.author()
    who = f"{author.name} ({author.job_role_code})" if author else "unknown"
    tty = sys.stdin.isatty() and os.ttyname(0).removeprefix("/dev/")
    started_by = f"{who}, scrtui upload on {tty or 'a pipe'}"
    origin = Origin(os.getpid(), title(request), False, started_by)
    return published(RunFiles(services.home.root), services, origin)


async def _report(services: AppServices, out: TextIO) -> None:
    while True:
        await asyncio.sleep(1.0)
        print(progress_line(services.snapshot()), file=out, flush=True)


async def _unlock_when_card_returns(services: AppServices, out: TextIO) -> None:
    """Headless unlock: the same card back plus the passcode continues a paused run."""
    while True:
        await asyncio.sleep(0.2)
        if services.card_view().state.name != "INSERTED" or services.author() is None:
            continue
        print("Smartcard inserted again: enter the passcode to continue.", file=out, flush=True)
        try:
            passcode = await _in_daemon_thread(_passcode)
        except CliError as exc:
            print(f"scrtui: {exc}", file=sys.stderr)
            services.stop()
            return
        result = await services.login(passcode)
        print(result.message or "Unlocked: continuing.", file=out, flush=True)


def _in_daemon_thread(ask: Callable[[], str]) -> asyncio.Future[str]:
    """Run a blocking prompt where it cannot keep the process alive: if the run ends while
    the prompt waits (SIGTERM, expiry), the command exits instead of waiting for Enter
    (asyncio.to_thread's worker would be joined at shutdown)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def settle(result: str | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result or "")

    def run() -> None:
        try:
            outcome: tuple[str | None, BaseException | None] = (ask(), None)
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
            outcome = (None, exc)
        with suppress(RuntimeError):  # the run ended and its loop closed: nobody waits
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=run, name="scrtui-passcode", daemon=True).start()
    return future
