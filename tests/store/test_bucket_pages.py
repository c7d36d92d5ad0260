"""The SCR Reporter's count and page of a bucket on a large practice (issue 23;
scrtui/store/bucket_pages.py): the same rows, in the same order, as the report's plain join,
read without sorting a large bucket and counted from the indexes alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scrtui.domain.records import Bucket
from scrtui.settings import Settings
from scrtui.store import bucket_pages, report
from scrtui.store.db import close_database, open_database
from scrtui.store.models import database
from scrtui.store.seed import seed_practice

PATIENTS = 400
ORDERS = ("nhs", "name", "reason")


@pytest.fixture
def practice(tmp_path: Path) -> Iterator[None]:
    """300 Sent (large), 10 Failed (small: under a twentieth), no Sending (empty), 20
    Unprocessed rows and 70 patients with no row yet."""
    open_database(tmp_path / "scrtui.db")
    seed_practice(Settings(), PATIENTS, seed=11)
    database.obj.execute_sql(
        "INSERT INTO patient_upload (upload, patient_id, bucket, reason_code, pass_number, "
        "attempts) SELECT 'initial', id, CASE WHEN id % 40 = 0 THEN 'failed' WHEN id <= 310 "
        "THEN 'sent' ELSE 'unprocessed' END, CASE WHEN id % 40 = 0 THEN 'RETRY' END, 1, 1 "
        "FROM patient WHERE id <= 330"
    )
    yield
    close_database()


def _reference(bucket: Bucket | None, order: str, offset: int) -> list[report.ReportRow]:
    """The report's plain LEFT JOIN, as it read every page before issue 23."""
    where, params = report._where(bucket, None, "initial")
    return list(report._rows(where, params, order, offset, 50))


@pytest.mark.usefixtures("practice")
@pytest.mark.parametrize("bucket", [None, *Bucket])
@pytest.mark.parametrize("order", ORDERS)
def test_pages_and_counts_are_the_plain_joins(bucket: Bucket | None, order: str) -> None:
    where, params = report._where(bucket, None, "initial")
    plain = database.obj.execute_sql(f"SELECT COUNT(*){report._FROM}{where}", params)
    assert report.count_rows(bucket) == plain.fetchone()[0]
    for offset in (0, 50, 280):
        assert list(report.report_rows(bucket, None, order, offset, 50)) == _reference(
            bucket, order, offset
        )


@pytest.mark.usefixtures("practice")
def test_the_sizes_choose_how_a_page_is_read() -> None:
    assert bucket_pages.join_for(Bucket.SENT, "nhs", "initial") == "CROSS JOIN"
    assert bucket_pages.join_for(Bucket.FAILED, "name", "initial") == "JOIN"
    assert bucket_pages.join_for(Bucket.SENDING, "nhs", "initial") == "EMPTY"
    assert bucket_pages.join_for(Bucket.UNPROCESSED, "nhs", "initial") is None
    assert bucket_pages.join_for(Bucket.SENT, "reason", "initial") is None


@pytest.mark.usefixtures("practice")
@pytest.mark.parametrize("order", ["nhs", "name"])
def test_no_large_bucket_is_sorted_nor_counted_through_the_join(order: str) -> None:
    statements: list[str] = []
    database.obj.connection().set_trace_callback(statements.append)
    try:
        for bucket in (None, Bucket.SENT, Bucket.NOT_REQUIRED):
            report.count_rows(bucket)
            list(report.report_rows(bucket, None, order, 0, 200))
    finally:
        database.obj.connection().set_trace_callback(None)
    for sql in statements:
        plan = " | ".join(
            str(row[-1]) for row in database.obj.connection().execute("EXPLAIN QUERY PLAN " + sql)
        )
        assert "TEMP B-TREE FOR ORDER BY" not in plan, sql
        assert "LEFT JOIN" not in sql or "COUNT" not in sql, sql
