"""What every command shares: opening the home, its settings, logs and database."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from scrtui.domain import uploads
from scrtui.paths import Home, HomeError, resolve_home
from scrtui.settings import Settings, SettingsError, load

# The command modules register their parsers at start-up, so `scrtui --help` imports each of
# them: what only a command's run needs (logging, the database, the card, the engine, aiohttp,
# Textual) is imported inside that run, which keeps start-up short (tests/cli/test_startup.py).
if TYPE_CHECKING:
    from scrtui.card.views import RoleChoice
    from scrtui.wiring import AppServices

    # The type argparse's add_subparsers() returns, named once for every command's register()
    # (not subscriptable at run time before Python 3.12, hence only for the checker).
    Subcommands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subcommands = argparse._SubParsersAction

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_REFUSED = 2
EXIT_STOPPED_EARLY = 3


class CliError(RuntimeError):
    """A message for the user and the exit code that goes with it."""

    def __init__(self, message: str, exit_code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Context:
    home: Home
    settings: Settings


def open_context(args: argparse.Namespace, *, with_db: bool = True) -> Context:
    """Resolve the home, configure logging, read settings and open the database."""
    from scrtui import logs
    from scrtui.store.db import StoreError, open_database

    home = Home(resolve_home(getattr(args, "home", None)))
    try:
        tightened = home.ensure()
        logs.configure(home)
        for note in tightened:
            logs.get().warning("permissions_tightened", change=note)
        settings = load(home.settings_path)
        if with_db:
            open_database(home.db_path)
    except (HomeError, SettingsError, StoreError) as exc:
        raise CliError(str(exc), EXIT_REFUSED) from None
    return Context(home=home, settings=settings)


def open_services(
    ctx: Context,
    settings: Settings,
    card: str | None,
    reader: str | None,
    *,
    start_card: bool = True,
) -> AppServices:
    """The services a command runs through (they open the database: once per command)."""
    from scrtui.store.db import StoreError
    from scrtui.wiring import create_services

    try:
        return create_services(ctx.home, settings, card=card, reader=reader, start_card=start_card)
    except StoreError as exc:
        raise CliError(str(exc), EXIT_REFUSED) from None


def require_role(role: str, roles: tuple[RoleChoice, ...]) -> None:
    """--role must be one of the card user's role profiles: refused with the list, never
    ignored (a one-role user's card would otherwise act in a role nobody asked for)."""
    if any(choice.role_profile_id == role for choice in roles):
        return
    listed = "; ".join(choice.label for choice in roles) or "none"
    raise CliError(
        f"--role {role} is not one of this smartcard user's role profiles ({listed}); "
        "pass one of those, or leave out --role to choose; nothing was sent",
        EXIT_REFUSED,
    )


def add_upload_argument(parser: argparse.ArgumentParser) -> None:
    """`--upload KIND`: which of the bulk uploads (scrtui/domain/uploads.py) a command is for."""
    parser.add_argument(
        "--upload",
        choices=list(uploads.KINDS),
        default=uploads.INITIAL,
        help="which bulk upload (default: initial)",
    )


def cannot_write(target: str | None, exc: OSError) -> CliError:
    return CliError(
        f"{target}: cannot write the report ({exc.strerror or exc}); choose a file in a "
        "folder you can write, or leave out --output for the terminal",
        EXIT_REFUSED,
    )
