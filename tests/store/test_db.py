"""The database file: WAL, foreign keys, private mode, schema version, and the upload lock."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from peewee import IntegrityError

from scrtui.paths import Home
from scrtui.store.db import SCHEMA_VERSION, StoreError, UploadLock, close_database, open_database
from scrtui.store.models import database


def test_wal_and_foreign_keys_are_on(db_home: Home) -> None:
    db = database.obj
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(IntegrityError):  # enforced, not just switched on
        db.execute_sql(
            "INSERT INTO medication (patient_id, repeat, drug, dose, start) "
            "VALUES (12345, 1, 'x', 'y', '2026-01-01')"
        )


def test_database_and_its_wal_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # as a library caller might have it
    try:
        path = tmp_path / "scrtui.db"
        open_database(path)
        database.obj.execute_sql("INSERT INTO practice (ods_code, name) VALUES ('A1', 'x')")
        for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            assert candidate.exists(), candidate  # WAL mode: both side files are there
            assert stat.S_IMODE(candidate.stat().st_mode) == 0o600, candidate
    finally:
        close_database()
        os.umask(old)


def test_a_newer_schema_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "scrtui.db"
    open_database(path)
    close_database()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_info SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError) as caught:
        open_database(path)
    message = str(caught.value)
    assert f"schema version {SCHEMA_VERSION + 1}" in message
    assert f"knows version {SCHEMA_VERSION}" in message
    assert "upgrade scrtui" in message
    close_database()


def test_a_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(StoreError, match="not a scrtui database"):
        open_database(path)
    close_database()


def test_reopening_keeps_the_data(tmp_path: Path) -> None:
    path = tmp_path / "scrtui.db"
    open_database(path)
    database.obj.execute_sql("INSERT INTO practice (ods_code, name) VALUES ('A1', 'x')")
    close_database()
    open_database(path)
    assert database.obj.execute_sql("SELECT COUNT(*) FROM practice").fetchone()[0] == 1
    close_database()


HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from scrtui.store.db import UploadLock
    lock = UploadLock(Path(sys.argv[1]))
    lock.acquire()
    print("held", flush=True)
    sys.stdin.readline()  # hold until the test says so (or is killed)
    lock.release()
    """
)


def _holder(db_path: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    return process


def test_upload_lock_refuses_a_second_process_and_names_the_holder(tmp_path: Path) -> None:
    db_path = tmp_path / "scrtui.db"
    holder = _holder(db_path)
    try:
        with pytest.raises(StoreError) as caught:
            UploadLock(db_path).acquire()
        assert f"pid {holder.pid}" in str(caught.value)
        assert "another upload is running" in str(caught.value)
    finally:
        holder.communicate("\n", timeout=10)
    with UploadLock(db_path):  # released: free again
        pass
    assert stat.S_IMODE(Path(f"{db_path}.lock").stat().st_mode) == 0o600


def test_upload_lock_is_freed_when_the_holder_dies(tmp_path: Path) -> None:
    db_path = tmp_path / "scrtui.db"
    holder = _holder(db_path)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=10)
    lock = UploadLock(db_path)
    lock.acquire()
    lock.release()


def test_an_older_schema_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "scrtui.db"
    open_database(path)
    close_database()
    with sqlite3.connect(path) as conn:  # a version 1 database: no run/patient index yet
        conn.execute("DROP INDEX patient_upload_run_id_patient_id")
        conn.execute("UPDATE schema_info SET version = 1")
    open_database(path)
    try:
        db = database.obj
        assert db.execute_sql("SELECT version FROM schema_info").fetchone()[0] == SCHEMA_VERSION
        names = {r[1] for r in db.execute_sql("PRAGMA index_list(patient_upload)")}
        assert "patient_upload_run_id_patient_id" in names
    finally:
        close_database()


def test_a_version_2_database_keeps_its_rows_as_the_initial_uploads(tmp_path: Path) -> None:
    """Issue 14: the upload kinds. Today's rows become the Initial Upload's; a patient may then
    have a row per upload; migrating twice changes nothing."""
    path = tmp_path / "scrtui.db"
    schema = (Path(__file__).parents[1] / "fixtures" / "schema-v2.sql").read_text()
    with sqlite3.connect(path) as conn:
        conn.executescript(schema)
        conn.execute("INSERT INTO schema_info (version) VALUES (2)")
        conn.execute(
            "INSERT INTO upload (status, status_reason, pass_number) "
            "VALUES ('Stopped', 'completed', 2)"
        )
        conn.execute(
            "INSERT INTO patient VALUES (1, '9990000018', 'A', 'B', '2000-01-01', 'male', 'X', "
            "'permanent', '2000-01-01', 0, 0, NULL, 0, NULL, 1)"
        )
        conn.execute(
            "INSERT INTO run (started_by, user_name, role_profile_id, job_role, mode, "
            "correlation_id, created_at) VALUES ('u', 'n', 'r', 'j', 'run', 'c', '2026-01-01')"
        )
        conn.execute(
            "INSERT INTO patient_upload (patient_id, bucket, sent_message_id, pass_number, "
            "attempts) VALUES (1, 'sent', 'ID-1', 1, 1)"
        )
    for _ in range(2):
        open_database(path)
        try:
            db = database.obj
            assert db.execute_sql("SELECT version FROM schema_info").fetchone()[0] == SCHEMA_VERSION
            assert db.execute_sql(
                "SELECT upload, bucket FROM patient_upload WHERE upload = 'initial'"
            ).fetchall() == [("initial", "sent")]
            assert db.execute_sql("SELECT kind, pass_number FROM upload").fetchall() == [
                ("initial", 2)
            ]
            assert db.execute_sql("SELECT upload FROM run").fetchall() == [("initial",)]
            db.execute_sql(  # a second upload's row for the same patient is allowed now
                "INSERT OR IGNORE INTO patient_upload (upload, patient_id, bucket, pass_number, "
                "attempts) VALUES ('bulk-update', 1, 'unprocessed', 0, 0)"
            )
            with pytest.raises(IntegrityError):
                db.execute_sql(
                    "INSERT INTO patient_upload (upload, patient_id, bucket, pass_number, "
                    "attempts) VALUES ('initial', 1, 'unprocessed', 0, 0)"
                )
        finally:
            close_database()
        with sqlite3.connect(path) as conn:  # run the migration again over migrated data
            conn.execute("UPDATE schema_info SET version = 2")


def test_a_version_4_database_gains_the_run_events_table_and_keeps_its_runs(
    tmp_path: Path,
) -> None:
    """Issue 24: the completion report records each run's pauses and progress samples. A
    version 4 database (no run_event table) is migrated in place; its runs stay."""
    path = tmp_path / "scrtui.db"
    open_database(path)
    close_database()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE run_event")
        conn.execute("UPDATE schema_info SET version = 4")
        conn.execute(
            "INSERT INTO run (started_by, user_name, role_profile_id, job_role, mode, "
            "correlation_id, created_at, upload) "
            "VALUES ('u', 'n', 'r', 'j', 'run', 'c', '2026-01-01', 'initial')"
        )
    open_database(path)
    try:
        db = database.obj
        assert db.execute_sql("SELECT version FROM schema_info").fetchone()[0] == SCHEMA_VERSION
        assert db.execute_sql("SELECT COUNT(*) FROM run").fetchone()[0] == 1
        db.execute_sql(
            "INSERT INTO run_event (run_id, at, kind, status, reason, checked, messages) "
            "VALUES (1, '2026-01-01 10:00:00', 'status', 'paused', 'smartcard removed', 5, 5)"
        )
        assert db.execute_sql("SELECT status FROM run_event").fetchall() == [("paused",)]
    finally:
        close_database()
