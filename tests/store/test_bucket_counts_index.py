"""An upload's bucket counts (`scrtui status`, every screen's counts) come from the index on
(upload, bucket) alone, never from the table's rows (issue 23: 0.80 s to 0.13 s at a million
patients, README), on a new database and on one upgraded from schema version 5."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from scrtui.domain.records import Bucket
from scrtui.settings import Settings
from scrtui.store.db import SCHEMA_VERSION, close_database, open_database
from scrtui.store.models import database
from scrtui.store.queries import bucket_counts
from scrtui.store.seed import seed_practice

COUNTS = "SELECT COUNT(*) FROM patient_upload WHERE upload = ? AND bucket = ?"


def _plan(path: Path) -> str:
    with closing(sqlite3.connect(path)) as db:
        return " ".join(
            str(row[-1]) for row in db.execute("EXPLAIN QUERY PLAN " + COUNTS, ("x", "sent"))
        )


def _practice(tmp_path: Path) -> Path:
    path = tmp_path / "scrtui.db"
    open_database(path)
    seed_practice(Settings(), 40, seed=2)
    database.obj.execute_sql(
        "INSERT INTO patient_upload (upload, patient_id, bucket, pass_number, attempts) "
        "SELECT 'initial', id, 'sent', 1, 1 FROM patient WHERE id % 4 = 0"
    )
    close_database()
    return path


def test_a_new_database_counts_buckets_from_the_index(tmp_path: Path) -> None:
    path = _practice(tmp_path)
    assert "COVERING INDEX patient_upload_upload_bucket" in _plan(path)
    open_database(path)
    counts = bucket_counts()
    close_database()
    assert counts[Bucket.SENT] == 10
    assert counts[Bucket.UNPROCESSED] == 30


def test_a_version_5_database_gets_the_index_at_its_upgrade(tmp_path: Path) -> None:
    path = _practice(tmp_path)
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("DROP INDEX patient_upload_upload_bucket")
        db.execute("DROP INDEX patient_upload_upload_reason_bucket")  # version 7's
        db.execute("UPDATE schema_info SET version = 5")
    assert "COVERING INDEX" not in _plan(path)
    open_database(path)
    close_database()
    assert "COVERING INDEX patient_upload_upload_bucket" in _plan(path)
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT version FROM schema_info").fetchone()[0] == SCHEMA_VERSION
