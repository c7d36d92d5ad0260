"""What every command shares: opening the home, its settings, logs and database."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from scrtui import logs
from scrtui.paths import Home, resolve_home
from scrtui.settings import Settings, SettingsError, load
from scrtui.store.db import StoreError, open_database

if TYPE_CHECKING:
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
    home = Home(resolve_home(getattr(args, "home", None)))
    home.ensure()
    logs.configure(home)
    try:
        settings = load(home.settings_path)
    except SettingsError as exc:
        raise CliError(str(exc), EXIT_REFUSED) from None
    if with_db:
        try:
            open_database(home.db_path)
        except StoreError as exc:
            raise CliError(str(exc), EXIT_REFUSED) from None
    return Context(home=home, settings=settings)
