"""The quick check's memory: a database file nobody has changed since it passed is not read
through again at the next open.

SQLite's quick check reads every page: 0.3-0.6 s at 300,000 patients, seconds at a million
(README, performance), which was nearly all of `scrtui status` on a large practice (issue 23).
After a check passes, and again when scrtui closes a database it opened (every write since the
check was SQLite's own), the file's fingerprint is kept beside it (`scrtui.db.checked`): size,
modification time and inode of the database and of its write-ahead log. An open whose
fingerprint matches skips the check; any other write to either file (another program, a copy
restored over it, garbage in the middle) changes the fingerprint, and the next open checks
again. `scrtui check` always runs the full check. A file SQLite has called damaged since its
open (or that failed `scrtui check`) is doubted: its fingerprint is dropped and not kept at close,
so the next open checks it again.

What this gives up: damage that changes neither size, time nor inode (a disk's own fault) is
found when SQLite reads the page, by `scrtui check`, or at the open after the next outside write,
not at every open. At a million patients the quick check takes 4 s with the file in the page
cache and over a minute from the disk (docs/performance.md), every time `scrtui status` runs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from scrtui.paths import touch_private


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".checked")


def fingerprint(path: Path) -> list[list[int] | None]:
    """The database file's and its WAL's (size, mtime_ns, inode); None for a WAL absent or
    empty (opening a database makes an empty one)."""
    prints: list[list[int] | None] = []
    for name in (str(path), str(path) + "-wal"):
        try:
            stat = os.stat(name)
        except FileNotFoundError:
            prints.append(None)
            continue
        empty = stat.st_size == 0 and name.endswith("-wal")
        prints.append(None if empty else [stat.st_size, stat.st_mtime_ns, stat.st_ino])
    return prints


def unchanged_since_check(path: Path) -> bool:
    try:
        kept = json.loads(_marker(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(kept == fingerprint(path))


_doubted: set[Path] = set()


def remember(path: Path, *, passed: bool = False) -> None:
    """The file as it is now passed the check (`passed`), or was written only by SQLite since it
    did (at close: not kept for a file doubted since)."""
    key = path.absolute()
    if passed:
        _doubted.discard(key)
    elif key in _doubted:
        return
    marker = _marker(path)
    tmp = marker.with_name(f".{marker.name}.{os.getpid()}")
    try:
        touch_private(tmp)
        tmp.write_text(json.dumps(fingerprint(path)), encoding="utf-8")
        os.replace(tmp, marker)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only home: the next open checks again


def forget(path: Path) -> None:
    """Doubt the file: the next open checks it, and a close does not vouch for it."""
    _doubted.add(path.absolute())
    try:
        _marker(path).unlink(missing_ok=True)
    except OSError:
        pass  # a read-only home: there is no marker it could have written either
