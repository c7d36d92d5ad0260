"""The SCR Reporter's view of one reason (F11): the patients of one bucket whose outcome has
that reason code, so they can be marked, saved to a group and resent together.

The same rows as scrtui/store/report.py gives, with the reason added to its WHERE clause.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from scrtui.domain.records import Bucket
from scrtui.domain.uploads import UploadId
from scrtui.store import report
from scrtui.store.models import scalar_int


def _where(
    bucket: Bucket, code: str | None, search: str | None, kind: UploadId
) -> tuple[str, list[object]]:
    where, params = report._where(bucket, search, kind)
    # "No reason recorded" is a reason of its own in the counts by reason (a NULL code).
    clause = "u.reason_code IS NULL" if code is None else "u.reason_code = ?"
    where = f"{where} AND {clause}" if where else f" WHERE {clause}"
    return where, params if code is None else [*params, code]


def count(bucket: Bucket, code: str | None, search: str | None, kind: UploadId) -> int:
    where, params = _where(bucket, code, search, kind)
    return scalar_int(f"SELECT COUNT(*){report._FROM}{where}", params)


def rows(
    bucket: Bucket,
    code: str | None,
    search: str | None,
    order: str,
    offset: int,
    limit: int | None,
    kind: UploadId,
) -> Iterator[report.ReportRow]:
    if order not in report.ORDERS:
        raise ValueError(f"order {order!r}: expected one of {', '.join(report.ORDERS)}")
    where, params = _where(bucket, code, search, kind)
    return report._rows(where, params, order, offset, limit)


def export_csv(
    path: Path, bucket: Bucket, code: str | None, search: str | None, order: str, kind: UploadId
) -> int:
    """As report.export_csv, for one reason's patients."""
    return report.export_rows(path, rows(bucket, code, search, order, 0, None, kind))
