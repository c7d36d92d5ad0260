"""`scrtui backup` and `scrtui check`: a consistent copy of a database in use, and the full
integrity check.

The copy uses SQLite's online backup API in one step: it reads one snapshot (WAL mode lets the
app and a running upload keep writing meanwhile), so the copy is what a crash at that instant
would have left, never half of a transaction.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from peewee import SqliteDatabase

from scrtui.paths import touch_private
from scrtui.store.db import StoreError, integrity_problems


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int  # bytes
    seconds: float


def backup_target(target: Path, now: datetime) -> Path:
    """A folder means a dated file inside it; an existing file is never overwritten."""
    if target.is_dir():
        target = target / f"scrtui-{now:%Y%m%d-%H%M%S}.db"
    if target.exists():
        raise StoreError(f"{target} already exists: choose a new name (a backup never overwrites)")
    if not target.parent.is_dir():
        raise StoreError(f"{target.parent} is not a folder: create it first, or choose another")
    return target


def backup_database(source: SqliteDatabase, target: Path) -> BackupResult:
    """Copy `source` to `target` (mode 0600); the copy is checked before it is given its name,
    so a file under that name is always a whole, sound backup."""
    started = time.perf_counter()
    part = target.with_name(f".{target.name}.part")
    part.unlink(missing_ok=True)
    touch_private(part)  # the copy holds patient data: owner only, from the first byte
    try:
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
    except OSError as exc:
        raise StoreError(f"cannot write the backup {target} ({exc.strerror or exc})") from None
    except sqlite3.Error as exc:
        raise StoreError(f"cannot write the backup {target} ({exc})") from None
    finally:
        part.unlink(missing_ok=True)
    return BackupResult(target, target.stat().st_size, time.perf_counter() - started)


@dataclass(frozen=True)
class CheckResult:
    problems: list[str]
    quick_seconds: float
    full_seconds: float


def full_check(db: SqliteDatabase) -> CheckResult:
    """SQLite's full integrity check and the foreign keys; the quick check (the one made at an
    open after an outside change) is timed too, so its cost on this practice can be read off."""
    started = time.perf_counter()
    integrity_problems(db, "quick_check")
    quick = time.perf_counter() - started
    started = time.perf_counter()
    problems = integrity_problems(db, "integrity_check")
    for table, rowid, parent, _fk in db.execute_sql("PRAGMA foreign_key_check").fetchall():
        problems.append(f"row {rowid} of {table} refers to a missing {parent} row")
    return CheckResult(problems, quick, time.perf_counter() - started)
