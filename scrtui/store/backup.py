"""`scrtui backup` and `scrtui check`: a consistent copy of a database in use, and the full
integrity check.

The copy uses SQLite's online backup API in one step: it reads one snapshot (WAL mode lets the
app and a running upload keep writing meanwhile), so the copy is what a crash at that instant
would have left, never half of a transaction.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from peewee import SqliteDatabase

from scrtui.paths import touch_private
from scrtui.store.db import StoreError, integrity_problems
from scrtui.store.disk_full import is_disk_full


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int  # bytes
    seconds: float


def backup_target(given: str, now: datetime) -> Path:
    """A folder means a dated file inside it; an existing file is never overwritten. `given`
    is the text typed: a trailing "/" names a folder, which must then exist."""
    if not given.strip():
        raise StoreError("the backup needs a FILE name (or a folder to put a dated file in)")
    target = Path(given).expanduser()
    try:
        if given.endswith(os.sep) and not target.is_dir():
            raise StoreError(f"{target} is not a folder: create it first, or choose another")
        if target.is_dir():
            target = target / f"scrtui-{now:%Y%m%d-%H%M%S}.db"
        if target.exists():
            raise StoreError(
                f"{target} already exists: choose a new name (a backup never overwrites)"
            )
        if not target.parent.is_dir():
            raise StoreError(f"{target.parent} is not a folder: create it first, or choose another")
    except OSError as exc:  # a name too long for the file system, a loop of links, ...
        raise StoreError(
            f"cannot use {given[:80]!r} for the backup ({exc.strerror or exc}): choose another name"
        ) from None
    return target


def backup_database(source: SqliteDatabase, target: Path) -> BackupResult:
    """Copy `source` to `target` (mode 0600); the copy is checked before it is given its name,
    so a file under that name is always a whole, sound backup."""
    started = time.perf_counter()
    part = target.with_name(f".{target.name}.part")
    # SQLite's side files of the copy: a failed copy (a full disk) must leave none behind.
    leftovers = [part, *(part.with_name(part.name + s) for s in ("-journal", "-wal", "-shm"))]
    try:
        for path in leftovers:
            path.unlink(missing_ok=True)
        touch_private(part)  # the copy holds patient data: owner only, from the first byte
        copy = sqlite3.connect(part)
        try:
            source.connection().backup(copy)
            # One self-contained file: a copy in WAL mode would need its -wal beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
            problems = [str(row[0]) for row in copy.execute("PRAGMA integrity_check").fetchall()]
        finally:
            copy.close()
        if problems != ["ok"]:
            raise StoreError(f"the backup did not check out ({problems[0]}); nothing was kept")
        with open(part, "rb") as handle:
            os.fsync(handle.fileno())
        os.link(part, target)  # fails rather than overwrite a file made meanwhile
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(_failed(target, exc)) from None
    finally:
        for path in leftovers:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
    return BackupResult(target, target.stat().st_size, time.perf_counter() - started)


def _failed(target: Path, exc: OSError | sqlite3.Error) -> str:
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    if is_disk_full(exc):
        return (
            f"cannot write the backup {target}: the disk holding {target.parent} is full "
            f"({detail}); nothing was kept. Free some space or choose another disk"
        )
    return f"cannot write the backup {target} ({detail}); nothing was kept"


@dataclass(frozen=True)
class CheckResult:
    problems: list[str]
    quick_seconds: float
    full_seconds: float


def full_check(db: SqliteDatabase) -> CheckResult:
    """SQLite's full integrity check and the foreign keys; the quick check (the one made at
    every open) is timed too, so its cost on this practice can be read off."""
    started = time.perf_counter()
    integrity_problems(db, "quick_check")
    quick = time.perf_counter() - started
    started = time.perf_counter()
    problems = integrity_problems(db, "integrity_check")
    for table, rowid, parent, _fk in db.execute_sql("PRAGMA foreign_key_check").fetchall():
        problems.append(f"row {rowid} of {table} refers to a missing {parent} row")
    return CheckResult(problems, quick, time.perf_counter() - started)
