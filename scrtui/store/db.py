"""Opening the practice database: WAL, foreign keys, schema version, and the upload lock."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from peewee import DatabaseError as PeeweeDatabaseError
from peewee import SqliteDatabase

from scrtui.paths import touch_private
from scrtui.store import checked, patient_search, reason_pages
from scrtui.store.disk_full import is_disk_full
from scrtui.store.models import (
    ALL_MODELS,
    AwaitingAck,
    ConsentChange,
    RunEvent,
    SchemaInfo,
    Upload,
    database,
)

SCHEMA_VERSION = 7


def _index_run_patient(db: SqliteDatabase) -> None:
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS patient_upload_run_id_patient_id "
        "ON patient_upload (run_id, patient_id)"
    )


def _columns(db: SqliteDatabase, table: str) -> set[str]:
    return {row[1] for row in db.execute_sql(f'PRAGMA table_info("{table}")')}


def _uploads_by_kind(db: SqliteDatabase) -> None:
    """Issue 14: each bulk upload keeps its own state. The rows so far are the Initial
    Upload's; a patient now has one outcome row per upload. Safe to run twice."""
    if "upload" not in _columns(db, "patient_upload"):
        db.execute_sql("DROP INDEX IF EXISTS patient_upload_patient_id")
        db.execute_sql(
            "ALTER TABLE patient_upload ADD COLUMN upload VARCHAR(255) NOT NULL DEFAULT 'initial'"
        )
    db.execute_sql(
        "CREATE UNIQUE INDEX IF NOT EXISTS patient_upload_upload_patient_id "
        "ON patient_upload (upload, patient_id)"
    )
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS patient_upload_patient_id ON patient_upload (patient_id)"
    )
    if "kind" not in _columns(db, "upload"):
        db.execute_sql("ALTER TABLE upload ADD COLUMN kind VARCHAR(255) NOT NULL DEFAULT 'initial'")
    db.execute_sql("CREATE UNIQUE INDEX IF NOT EXISTS upload_kind ON upload (kind)")
    run_columns = _columns(db, "run")
    if "upload" not in run_columns:
        db.execute_sql("ALTER TABLE run ADD COLUMN upload VARCHAR(255) NOT NULL DEFAULT 'initial'")
    if "upload_date" not in run_columns:
        db.execute_sql("ALTER TABLE run ADD COLUMN upload_date DATE")
    ConsentChange.create_table(safe=True)  # a new table: as the model defines it


def _awaiting_ack_table(db: SqliteDatabase) -> None:
    """Asynchronous mode (issue 15): messages awaiting their acknowledgement from the queue."""
    db.create_tables([AwaitingAck], safe=True)


def _run_events_table(db: SqliteDatabase) -> None:
    """The completion report (issue 24): each run's statuses (pauses) and progress samples."""
    db.create_tables([RunEvent], safe=True)


PATIENT_NAME_INDEX = (
    "CREATE INDEX IF NOT EXISTS patient_name_nocase "
    "ON patient (surname COLLATE NOCASE, forename COLLATE NOCASE)"
)


def _index_upload_bucket(db: SqliteDatabase) -> None:
    """Issue 23: an upload's bucket counts (`scrtui status`, every screen's counts) read from
    this index alone: 0.80 s to 0.13 s at 1,000,000 patients (README, performance).
    Built once at the upgrade (1.8 s at a million), with the patients' name index."""
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS patient_upload_upload_bucket ON patient_upload (upload, bucket)"
    )
    # The Reporter's name order read from an index, not sorted (store/bucket_pages.py).
    db.execute_sql(PATIENT_NAME_INDEX)


def _reporter_indexes(db: SqliteDatabase) -> None:
    """Issue 23: the SCR Reporter at 1,000,000 patients. Its reason order read group by group
    from an index on (upload, reason_code, bucket), not the whole join sorted
    (store/reason_pages.py); its search from a trigram index of the NHS numbers and names
    (store/patient_search.py). Built once at the upgrade, from the rows already there."""
    db.execute_sql(reason_pages.REASON_INDEX)
    patient_search.create(db)


# version -> function that upgrades a database from that version to the next one.
MIGRATIONS: dict[int, Callable[[SqliteDatabase], None]] = {
    1: _index_run_patient,
    2: _uploads_by_kind,
    3: _awaiting_ack_table,
    4: _run_events_table,
    5: _index_upload_bucket,
    6: _reporter_indexes,
}

PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "busy_timeout": 5000,
    "cache_size": -16_000,
}


@contextlib.contextmanager
def durable(db: SqliteDatabase) -> Iterator[None]:
    """Commits inside this block survive power loss: WAL with synchronous=FULL syncs the log at
    each commit (and every commit before it, being earlier in the same log). NORMAL, the
    default here, syncs only at checkpoints: fast, and enough where losing a commit only means
    doing the work again."""
    db.execute_sql("PRAGMA synchronous = FULL")
    try:
        yield
    finally:
        db.execute_sql(f"PRAGMA synchronous = {PRAGMAS['synchronous']}")


class StoreError(RuntimeError):
    """The database cannot be used; the message says why and what to do."""


def restore_advice(path: Path) -> str:
    """How to put a backup (made by `scrtui backup FILE`, scrtui/store/backup.py) back."""
    path = path.absolute()
    return (
        f"To restore it: close scrtui, move {path.name} (with any {path.name}-wal and "
        f"{path.name}-shm beside it) out of {path.parent}, copy your latest backup (made with "
        f"`scrtui backup FILE`) to {path}, then run `scrtui check`"
    )


class DamagedDatabase(StoreError):
    """The file is not a usable scrtui database: say so, where, and how to restore it."""

    def __init__(self, path: Path, detail: str) -> None:
        self.path = path
        self.detail = detail
        super().__init__(
            f"the database is damaged: {path.absolute()} ({detail}). Nothing was changed. "
            + restore_advice(path)
            + "."
        )


def open_database(path: Path) -> SqliteDatabase:
    """Open the database, bring its schema to this version and check it, or refuse clearly.

    Only a path that does not exist becomes a new database: an empty file in its place is a
    lost database (a new one would send everyone again under new ids), so it is refused.
    The quick check reads every page once (0.06-0.10 s at 60,000 patients, 0.3-0.6 s at
    300,000: CHANGELOG.md), so garbage in the middle of the file is found before anything is
    written; a file unchanged since it last passed is not read through again (store/checked.py).
    """
    _check_file(path)
    if not path.exists():
        _create(path)
    db = SqliteDatabase(str(path), pragmas=PRAGMAS, check_same_thread=False)
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
        for suffix in ("-wal", "-shm"):
            side = Path(str(path) + suffix)
            if side.exists():
                os.chmod(side, 0o600)
        _ensure_schema(db, path)
        if not checked.unchanged_since_check(path):  # scrtui/store/checked.py
            problems = integrity_problems(db, "quick_check")
            if problems:
                raise DamagedDatabase(path, f"integrity check: {problems[0]}")
            checked.remember(path, passed=True)
    except (StoreError, PeeweeDatabaseError, sqlite3.DatabaseError) as exc:
        checked.forget(path)  # a refusal is never remembered
        db.close()
        raise as_store_error(exc, path) from None
    return db


def _check_file(path: Path) -> None:
    """Refuse what SQLite would misread (a folder, an empty file) or fail on later (no write
    permission), before SQLite touches it."""
    if path.is_dir():
        raise DamagedDatabase(path, "it is a folder, not a database file")
    if not path.exists():
        return
    if not path.is_file():
        raise DamagedDatabase(path, "it is not a regular file")
    if path.stat().st_size == 0:
        raise DamagedDatabase(
            path,
            "it is an empty file of 0 bytes; only a missing file becomes a new database, because "
            "a new database would send every patient again under new message ids",
        )
    for target in (path, path.parent):
        if not os.access(target, os.R_OK | os.W_OK):
            raise _read_only(path, f"{target} is not writable by this user")


def _read_only(path: Path, reason: str) -> StoreError:
    return StoreError(
        f"the database cannot be written: {path} ({reason}). Nothing was changed. Run scrtui as "
        f"the file's owner, or give the owner read and write (chmod 600 {path}; the folder "
        f"needs write too, for the -wal file); if it is on a read-only disk, copy it off"
    )


def as_store_error(exc: BaseException, path: Path) -> StoreError:
    """SQLite's errors in the user's words: damaged, read-only, or busy."""
    if isinstance(exc, StoreError):
        return exc
    text = str(exc)
    lowered = text.lower()
    if is_disk_full(exc):
        folder = path.absolute().parent
        return StoreError(
            f"the disk holding {path.absolute()} is full ({text}): nothing was changed; free "
            f"some space (df -h {folder} shows it) and try again"
        )
    if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered:
        return _read_only(path, text)
    if "locked" in lowered or "busy" in lowered:
        return StoreError(
            f"the database {path} is busy ({text}): another scrtui is writing to it; "
            "try again in a moment"
        )
    checked.forget(path)  # damaged since its check: the next open checks it again
    return DamagedDatabase(path, text)


def integrity_problems(db: SqliteDatabase, pragma: str = "quick_check") -> list[str]:
    """SQLite's own check ("quick_check" or the slower "integrity_check"): [] when ok."""
    rows = [str(row[0]) for row in db.execute_sql(f"PRAGMA {pragma}").fetchall()]
    return [] if rows == ["ok"] else rows


def _create(path: Path) -> None:
    """A new database is built under a temporary name and linked into place when complete, so
    a crash never leaves the empty file that the next start would refuse."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
    tmp.unlink(missing_ok=True)
    touch_private(tmp)
    fresh = SqliteDatabase(str(tmp), pragmas={"foreign_keys": 1})
    database.initialize(fresh)
    try:
        with fresh.atomic():
            fresh.create_tables(ALL_MODELS)
            fresh.execute_sql(PATIENT_NAME_INDEX)  # COLLATE: not a peewee index
            fresh.execute_sql(reason_pages.REASON_INDEX)
            patient_search.create(fresh)
            SchemaInfo.create(version=SCHEMA_VERSION)
            Upload.create()
        fresh.close()
        with suppress(FileExistsError):  # another process made it first: use theirs
            os.link(tmp, path)
    finally:
        fresh.close()
        tmp.unlink(missing_ok=True)


def _ensure_schema(db: SqliteDatabase, path: Path) -> None:
    if not db.table_exists(SchemaInfo._meta.table_name):
        if db.get_tables():
            raise StoreError(f"{path} is not a scrtui database; use an empty --home for scrtui")
        raise DamagedDatabase(path, "it has no tables")
    version = SchemaInfo.select(SchemaInfo.version).scalar()
    if not isinstance(version, int) or version < 1:
        raise DamagedDatabase(path, f"its schema version {version!r} is not a version")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} has schema version {version}, but this scrtui knows version "
            f"{SCHEMA_VERSION}: upgrade scrtui, or use another --home"
        )
    if version < SCHEMA_VERSION:
        with db.atomic():
            for step in range(version, SCHEMA_VERSION):
                MIGRATIONS[step](db)
            SchemaInfo.update(version=SCHEMA_VERSION).execute()
    _check_tables(db, path)


def _check_tables(db: SqliteDatabase, path: Path) -> None:
    """Every table and column of this schema is there (a dropped table is damage, and would
    otherwise fail in the middle of a run)."""
    for model in ALL_MODELS:
        table = model._meta.table_name
        present = {row[1] for row in db.execute_sql(f'PRAGMA table_info("{table}")')}
        if not present:
            raise DamagedDatabase(path, f"the table {table} is missing")
        wanted = {field.column_name for field in model._meta.sorted_fields}
        missing = sorted(wanted - present)
        if missing:
            raise DamagedDatabase(path, f"the table {table} has no column {missing[0]}")


@contextmanager
def store_errors(path: Path) -> Iterator[None]:
    """SQLite errors met after opening (a page damaged since) become StoreError."""
    try:
        yield
    except (PeeweeDatabaseError, sqlite3.DatabaseError) as exc:
        raise as_store_error(exc, path) from None


def close_database() -> None:
    db = database.obj
    if db is not None and not db.is_closed():
        db.close()
        # Checked at its open, written only through SQLite since: the next open may skip it.
        if Path(db.database).is_file():
            checked.remember(Path(db.database))


class UploadLock:
    """Only one process may run an upload on a database; the OS frees the lock if we die."""

    def __init__(self, db_path: Path) -> None:
        self.path = Path(str(db_path) + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StoreError(
                f"another upload is running on this database (pid {holder}); wait for it to "
                "finish or stop it first"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    @classmethod
    def is_held(cls, db_path: Path) -> bool:
        """True while some process (this one included) runs an upload on this database."""
        lock_path = Path(str(db_path) + ".lock")
        if not lock_path.exists():
            return False
        fd = os.open(lock_path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> UploadLock:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()
