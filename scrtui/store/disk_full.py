"""A full disk, recognised wherever it surfaces, and said in the administrator's words.

SQLite reports it as SQLITE_FULL ("database or disk is full"); a file write as ENOSPC. Inside a
transaction SQLite may roll back by itself, and the rollback then attempted by peewee fails
with "cannot rollback - no transaction is active", which hides the cause: the chain of
exceptions is searched, not just the last one.
"""

from __future__ import annotations

import errno
from pathlib import Path

_FULL_TEXTS = ("database or disk is full", "no space left on device")


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether `exc`, or any exception it was raised from or while handling, is a full disk."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if any(text in str(exc).lower() for text in _FULL_TEXTS):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def disk_full_text(db_path: Path) -> str:
    """What a run stopped by a full disk tells the user: what, where, and what to do."""
    folder = db_path.absolute().parent
    return (
        f"the disk is full: the database {db_path.absolute()} could not be written (no space "
        f"left on the disk holding {folder}). Nothing is lost: what was saved is safe, and the "
        f"patients in flight stay Sending under their message ids. Free some space (df -h "
        f"{folder} shows it), then Resume continues where this stopped"
    )
