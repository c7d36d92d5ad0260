"""`scrtui backup FILE` and `scrtui check`: keep a copy, and find damage early."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from scrtui import logs
from scrtui.cli.common import EXIT_OK, EXIT_REFUSED, CliError, Subcommands, open_context
from scrtui.store.backup import backup_database, backup_target, full_check
from scrtui.store.db import DamagedDatabase, StoreError, close_database, store_errors
from scrtui.store.models import database
from scrtui.store.queries import bucket_counts


def register(sub: Subcommands) -> None:
    backup = sub.add_parser(
        "backup",
        help="copy the database to FILE, safely, even while the app or an upload runs",
        description="Make a consistent copy of the practice database with SQLite's online "
        "backup (the app and a running upload may go on writing). FILE must not exist; a "
        "folder gets a dated file inside it. The copy is checked, and readable by you only.",
    )
    backup.add_argument("file", metavar="FILE")
    backup.set_defaults(func=run_backup_command)
    check = sub.add_parser(
        "check",
        help="the full integrity check of the database (a quick one runs at every start)",
    )
    check.set_defaults(func=run_check_command)


def run_backup_command(args: argparse.Namespace) -> int:
    ctx = open_context(args)
    try:
        with store_errors(ctx.home.db_path):
            target = backup_target(args.file, datetime.now())
            result = backup_database(database.obj, target)
    except StoreError as exc:
        raise CliError(str(exc), EXIT_REFUSED) from None
    finally:
        close_database()
    logs.get().info("backup", size=result.size, seconds=round(result.seconds, 2))
    print(
        f"Backed up {ctx.home.db_path} to {result.path} ({result.size / 1e6:,.1f} MB in "
        f"{result.seconds:.1f} s). To restore it, copy it back to {ctx.home.db_path} while "
        "scrtui is closed."
    )
    return EXIT_OK


def run_check_command(args: argparse.Namespace) -> int:
    ctx = open_context(args)  # the quick check at open already refuses a damaged file
    path = ctx.home.db_path
    try:
        with store_errors(path):
            result = full_check(database.obj)
            patients = sum(bucket_counts().values())
    except StoreError as exc:
        raise CliError(str(exc), EXIT_REFUSED) from None
    finally:
        close_database()
    logs.get().info("check", problems=len(result.problems), seconds=round(result.full_seconds, 2))
    if result.problems:
        shown = "\n  ".join(result.problems[:20])
        print(
            f"scrtui: {DamagedDatabase(path, 'the full check failed')}\n  {shown}", file=sys.stderr
        )
        return EXIT_REFUSED
    print(
        f"The database {path} is sound: {patients:,} patients; quick check (made at every "
        f"start) {result.quick_seconds:.2f} s, full check {result.full_seconds:.2f} s."
    )
    return EXIT_OK
