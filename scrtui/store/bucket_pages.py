"""The SCR Reporter's counts and first pages on a large practice (issue 23: a bucket page in
under 0.3 s at 1,000,000 patients; README, performance).

Without a search, a bucket's count comes from the index on (upload, bucket) alone, and its
page is read in the index order of the sort instead of sorting the whole bucket:
- a bucket holding at least a twentieth of the practice is read from the patients in NHS
  number (or name) order, keeping those in the bucket: about 20 x 200 rows for a page;
- a smaller one is read from the bucket's index and sorted: at most a twentieth of the rows;
- an empty one is not read at all.
The join's own plan (report.py) remains for a search and for the reason order, whose first
key is the upload row's.
"""

from __future__ import annotations

from scrtui.domain.records import Bucket
from scrtui.store.models import database, scalar_int

LARGE_SHARE = 20  # a bucket of at least 1/LARGE_SHARE of the patients is read in sort order
# Orders an index on the patient table gives as they are (store/db.py, version 6).
PATIENT_ORDERED = ("nhs", "name")


def patients() -> int:
    # COUNT(*), not COUNT(id): SQLite counts the smallest index (4 ms, not 73, at a million).
    return scalar_int("SELECT COUNT(*) FROM patient")


def bucket_size(bucket: Bucket | None, kind: str) -> int:
    """The patients in one upload's bucket (all of them for None), from indexes only.
    Unprocessed counts the patients with no row in the upload yet, as bucket_counts does."""
    if bucket is None:
        return patients()
    if bucket is Bucket.UNPROCESSED:
        return patients() - _upload_rows(kind) + rows_in(bucket, kind)
    return rows_in(bucket, kind)


# upload -> (the connection, its state, the rows): the connection itself is held, so the
# figure is never taken for another database's (or another connection's) that came after it.
_rows_seen: dict[str, tuple[object, tuple[int, int], int]] = {}


def _upload_rows(kind: str) -> int:
    """The upload's rows: a count of every one (0.1-0.2 s at a million), which the Reporter's
    count and its page both need; counted again only once the database has changed (a write
    on this connection, or a commit by another: SQLite's total_changes and data_version)."""
    connection = database.obj.connection()
    state = (connection.total_changes, scalar_int("PRAGMA data_version"))
    seen = _rows_seen.get(kind)
    if seen is not None and seen[0] is connection and seen[1] == state:
        return seen[2]
    rows = scalar_int("SELECT COUNT(*) FROM patient_upload WHERE upload = ?", (kind,))
    _rows_seen[kind] = (connection, state, rows)
    return rows


def rows_in(bucket: Bucket, kind: str) -> int:
    return scalar_int(
        "SELECT COUNT(*) FROM patient_upload WHERE upload = ? AND bucket = ?",
        (kind, bucket.value),
    )


def join_for(bucket: Bucket | None, order: str, kind: str) -> str | None:
    """The join to read a page through: "CROSS JOIN" (patients first, in the order's index),
    "JOIN" (the bucket's rows first), "EMPTY" (nothing to read), or None for the report's own
    LEFT JOIN."""
    if bucket is None or order not in PATIENT_ORDERED:
        return None
    if bucket is Bucket.UNPROCESSED:
        # Patients with no row yet: only the LEFT JOIN from the patients finds them.
        return "EMPTY" if bucket_size(bucket, kind) == 0 else None
    large = max(1, patients() // LARGE_SHARE)
    found = scalar_int(  # counted up to `large` only: a large bucket is not counted through
        "SELECT COUNT(*) FROM (SELECT 1 FROM patient_upload WHERE upload = ? AND bucket = ? "
        "LIMIT ?)",
        (kind, bucket.value, large),
    )
    if found == 0:
        return "EMPTY"
    return "CROSS JOIN" if found >= large else "JOIN"
