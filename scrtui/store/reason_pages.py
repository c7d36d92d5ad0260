"""The SCR Reporter's reason order on a large practice without sorting the join (issue 23:
a bucket page in under 0.3 s at 1,000,000 patients, in every order; README, performance).

The reason order (report.ORDERS["reason"]) is the patients with a reason first, grouped by
their reason code in ascending order, then those without one; NHS number order within each
group. The index on (upload, reason_code, bucket) (store/db.py, version 7) gives the groups
and their sizes; a page is then read group by group, each group as bucket_pages reads a
bucket: a large group from the patients in NHS number order, keeping its members (about 20 x
a page's rows), a small one from the index and sorted. The group without a reason is last,
and is not counted: it is read from where the groups before it end.
"""

from __future__ import annotations

from dataclasses import dataclass

from scrtui.domain.records import Bucket
from scrtui.store import bucket_pages
from scrtui.store.models import database, scalar_int

REASON_INDEX = (
    "CREATE INDEX IF NOT EXISTS patient_upload_upload_reason_bucket "
    "ON patient_upload (upload, reason_code, bucket)"
)


@dataclass(frozen=True, slots=True)
class Segment:
    """Part of a page: `take` rows of one reason group from its `skip`th, in NHS order."""

    code: str | None  # None: the patients without a reason (and, for All and Unprocessed,
    # those with no row in the upload yet)
    skip: int
    take: int
    join: str  # "CROSS JOIN" (patients first), "JOIN" (the group's index entries first), or
    # "LEFT JOIN" (the report's own plan: patients with no row are in the group)


def codes(kind: str) -> list[str]:
    """The upload's reason codes in ascending order, one index seek each (a skip-scan)."""
    rows = database.obj.execute_sql(
        "WITH RECURSIVE c(code) AS ("
        " SELECT MIN(reason_code) FROM patient_upload WHERE upload = ?"
        " UNION ALL"
        " SELECT (SELECT MIN(reason_code) FROM patient_upload"
        "         WHERE upload = ? AND reason_code > c.code)"
        " FROM c WHERE c.code IS NOT NULL"
        ") SELECT code FROM c WHERE code IS NOT NULL",
        (kind, kind),
    ).fetchall()
    return [str(row[0]) for row in rows]


def group_size(code: str | None, bucket: Bucket | None, kind: str, up_to: int = -1) -> int:
    """The upload's rows with this reason code (in this bucket), counted up to `up_to`."""
    reason = "reason_code IS NULL" if code is None else "reason_code = ?"
    params: list[object] = [kind]
    if code is not None:
        params.append(code)
    where = f"upload = ? AND {reason}"
    if bucket is not None:
        where += " AND bucket = ?"
        params.append(bucket.value)
    return scalar_int(
        f"SELECT COUNT(*) FROM (SELECT 1 FROM patient_upload WHERE {where} LIMIT ?)",
        [*params, up_to],
    )


def segments(bucket: Bucket | None, kind: str, offset: int, limit: int) -> list[Segment]:
    """Where the page [offset, offset + limit) of the reason order lies, group by group."""
    large = max(1, bucket_pages.patients() // bucket_pages.LARGE_SHARE)
    plan: list[Segment] = []
    skip, left = offset, limit
    for code in codes(kind):
        if left <= 0:
            return plan
        size = group_size(code, bucket, kind)
        if skip >= size:
            skip -= size
            continue
        take = min(left, size - skip)
        plan.append(Segment(code, skip, take, "CROSS JOIN" if size >= large else "JOIN"))
        skip, left = 0, left - take
    if left > 0:
        plan.append(Segment(None, skip, left, _last_join(bucket, kind, large)))
    return plan


def _last_join(bucket: Bucket | None, kind: str, large: int) -> str:
    """How to read the group without a reason: with the patients that have no row yet (All,
    Unprocessed) only the report's LEFT JOIN finds them all."""
    if bucket is None or bucket is Bucket.UNPROCESSED:
        return "LEFT JOIN"
    found = group_size(None, bucket, kind, up_to=large)
    return "CROSS JOIN" if found >= large else "JOIN"
