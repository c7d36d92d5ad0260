"""`scrtui card status` and `scrtui card login`: the reader, the card and the smartcard user."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING

from scrtui.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    CliError,
    Context,
    Subcommands,
    open_context,
    require_role,
)
from scrtui.domain import human_dates
from scrtui.domain.rbac import UPLOAD_ACTIVITY, activity_label, holds, role_label
from scrtui.settings import CARD_BACKENDS

if TYPE_CHECKING:  # the card package loads when a card command runs (cli/common.py)
    from scrtui.card import CardBackend, CardSession, ReaderSlot, ReaderStatus

PASSCODE_ENV = "SCRTUI_PASSCODE"


def register(subparsers: Subcommands) -> None:
    parser = subparsers.add_parser(
        "card",
        help="smartcard reader status and login",
        description="Check the smartcard reader and card, or log in with the card.",
    )
    parser.set_defaults(func=lambda _args: _usage(parser))
    commands = parser.add_subparsers(dest="card_command", metavar="SUBCOMMAND")
    status = commands.add_parser(
        "status",
        help="readers, card, ATR and the PC/SC service",
        description="Show the PC/SC service, the readers and the card. Exits 2 when no card "
        "can be used.",
    )
    _backend_options(status)
    status.set_defaults(func=run_status)
    login = commands.add_parser(
        "login",
        help="enter the passcode; show the user, role profiles and B0062",
        description="Log in with the smartcard: the passcode is asked without echo (or read "
        f"from ${PASSCODE_ENV} when stdin is not a terminal). Prints the user, the role "
        f"profiles and whether {UPLOAD_ACTIVITY} is held. Exits 2 when the login is refused.",
    )
    _backend_options(login)
    login.add_argument("--role", metavar="ID", help="the role profile to select, if several")
    login.set_defaults(func=run_login)


def _backend_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reader", metavar="NAME", help="use this reader ([card] reader)")
    parser.add_argument(
        "--card", choices=CARD_BACKENDS, help="pcsc: the real reader; simulated: the demo card"
    )


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return EXIT_REFUSED


def _backend(args: argparse.Namespace, with_db: bool) -> tuple[CardBackend, Context]:
    from scrtui.card import make_backend

    context = open_context(args, with_db=with_db)
    return make_backend(context.settings, kind=args.card, reader=args.reader), context


# -- status ---------------------------------------------------------------------------------------
def run_status(args: argparse.Namespace) -> int:
    backend, _context = _backend(args, with_db=False)
    backend.start()
    try:
        status = backend.reader_state()
        print("\n".join(status_lines(status, simulated=backend.simulated)))
    finally:
        backend.stop()
    return EXIT_OK if status.usable else EXIT_REFUSED


def status_lines(status: ReaderStatus, *, simulated: bool = False) -> list[str]:
    from scrtui.card import ReaderState
    from scrtui.card.profile import hex_bytes

    down = status.state is ReaderState.SERVICE_DOWN
    lines = [
        "Card backend: " + ("simulated card (demo)" if simulated else "PC/SC"),
    ]
    if not simulated:
        service = f"not running ({status.detail})" if down else "running"
        lines.append(f"PC/SC service: {service}")
    if status.wanted_reader:
        lines.append(f"Reader asked for: {status.wanted_reader}")
    if not down:
        lines.append("Readers:" if status.slots else "Readers: none")
        lines.extend(_slot_line(slot) for slot in status.slots)
    if status.card_in_reader:
        lines.append(f"Reader in use: {status.reader}")
        lines.append(f"ATR: {hex_bytes(status.atr)}")
    lines.append(("Ready: " if status.usable else "Not ready: ") + status.message)
    return lines


def _slot_line(slot: ReaderSlot) -> str:
    from scrtui.card.profile import hex_bytes

    if not slot.card_present:
        return f"  {slot.name}: no card"
    kind = {True: "practice smartcard", False: "not a practice smartcard", None: "not answering"}
    return f"  {slot.name}: card present ({kind[slot.has_application]}), ATR {hex_bytes(slot.atr)}"


# -- login ----------------------------------------------------------------------------------------
def read_passcode() -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        try:
            return getpass.getpass("Smartcard passcode: ")
        except EOFError:
            raise CliError("no passcode entered", EXIT_REFUSED) from None
    passcode = os.environ.get(PASSCODE_ENV)
    if passcode is None:
        raise CliError(
            f"stdin is not a terminal: set {PASSCODE_ENV} to the passcode, or run this in a "
            "terminal",
            EXIT_REFUSED,
        )
    return passcode


def run_login(args: argparse.Namespace) -> int:
    from scrtui.store.queries import find_user

    backend, context = _backend(args, with_db=True)
    from scrtui.card import CardSession

    session = CardSession(backend, find_user, mhs_url=context.settings.mhs_url)
    backend.start()
    try:
        status = backend.reader_state()
        if not status.usable:
            raise CliError(status.message, EXIT_REFUSED)
        result = session.login(read_passcode())
        if not result.ok:
            raise CliError(result.message, EXIT_REFUSED)
        if args.role:
            require_role(args.role, session.roles())
            session.choose_role(args.role)
        print("\n".join(login_lines(session)))
    finally:
        backend.stop()
    return EXIT_OK


def login_lines(session: CardSession) -> list[str]:
    user, card, selected = session.user(), session.card(), session.role()
    assert user is not None and card is not None
    lines = [
        f"User: {user.name} (SDS user id {user.sds_user_id})",
        f"Card: serial {card.serial}" + (" (simulated)" if session.simulated else ""),
        "Role profiles:",
    ]
    for role in user.role_profiles:
        mark = "*" if selected is not None and role == selected else " "
        held = "yes" if holds(role, UPLOAD_ACTIVITY) else "no"
        lines.append(
            f"  {mark} {role.role_profile_id}  {role_label(role)}  {UPLOAD_ACTIVITY}: {held}"
        )
    activity = activity_label(UPLOAD_ACTIVITY)
    if selected is None:
        lines.append("No role profile selected: choose one with --role ID")
    elif holds(selected, UPLOAD_ACTIVITY):
        lines.append(f"{activity}: held by {role_label(selected)}: this user may run the upload")
    else:
        lines.append(
            f"{activity}: NOT held by {role_label(selected)}: this user may not run the upload"
        )
    expires = session.expires_at()
    if expires is not None:
        when = human_dates.for_people(expires, seconds=False)
        lines.append(f"Session expires at {when} (10 hours after login)")
    reason = session.gate_reason()
    if reason:
        lines.append(f"Upload gate closed: {reason}")
    return lines
