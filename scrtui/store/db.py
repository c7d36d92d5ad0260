"""Opening the practice database: WAL, foreign keys, schema version, and the upload lock."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from peewee import SqliteDatabase

from scrtui.paths import touch_private
from scrtui.store.models import ALL_MODELS, SchemaInfo, Upload, database

SCHEMA_VERSION = 2


def _index_run_patient(db: SqliteDatabase) -> None:
    db.execute_sql(
        "CREATE INDEX IF NOT EXISTS patient_upload_run_id_patient_id "
        "ON patient_upload (run_id, patient_id)"
    )


# version -> function that upgrades a database from that version to the next one.
MIGRATIONS: dict[int, Callable[[SqliteDatabase], None]] = {1: _index_run_patient}

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


def open_database(path: Path) -> SqliteDatabase:
    """Open (creating if needed) and bring the schema to this version, or refuse clearly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        touch_private(path)
    db = SqliteDatabase(str(path), pragmas=PRAGMAS, check_same_thread=False)
    database.initialize(db)
    db.connect(reuse_if_open=True)
    for suffix in ("-wal", "-shm"):
        side = Path(str(path) + suffix)
        if side.exists():
            os.chmod(side, 0o600)
    _ensure_schema(db, path)
    return db


def _ensure_schema(db: SqliteDatabase, path: Path) -> None:
    if not db.table_exists(SchemaInfo._meta.table_name):
        if db.get_tables():
            raise StoreError(f"{path} is not a scrtui database; use an empty --home for scrtui")
        with db.atomic():
            db.create_tables(ALL_MODELS)
            SchemaInfo.create(version=SCHEMA_VERSION)
            Upload.create()
        return
    version = SchemaInfo.select(SchemaInfo.version).scalar()
    if version == SCHEMA_VERSION:
        return
    if version is None or version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} has schema version {version}, but this scrtui knows version "
            f"{SCHEMA_VERSION}: upgrade scrtui, or use another --home"
        )
    with db.atomic():
        for step in range(version, SCHEMA_VERSION):
            MIGRATIONS[step](db)
        SchemaInfo.update(version=SCHEMA_VERSION).execute()


def close_database() -> None:
    db = database.obj
    if db is not None and not db.is_closed():
        db.close()


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
