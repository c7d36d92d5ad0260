"""The per-patient report: buckets (missing rows are Unprocessed), search, order and paging."""

from __future__ import annotations

import types

import pytest

from scrtui.domain.records import Bucket
from scrtui.paths import Home
from scrtui.store import queries
from scrtui.store.models import database
from scrtui.store.report import COLUMNS, count_rows, report_rows

PATIENTS = [
    # id, nhs number, forename, surname
    (1, "9434765919", "Siân", "O'Brien"),
    (2, "ABC1234", "Old", "Style"),
    (3, "9990000018", "Zoë", "Smith-Jones"),
    (4, "9990000026", "Tom", "100%_Real"),
    (5, "9990000034", "Ann", "Brown"),
]
UPLOADS = [
    # patient, bucket, reason code, reason text, last attempt
    (1, "sent", None, None, "2026-11-25 10:00:01.123456"),
    (2, "not_required", "NR02", "Invalid or old-style NHS number", None),
    (3, "failed", "RETRY", "retry limit exceeded", "2026-11-25 10:05:00"),
    (4, "unprocessed", None, None, None),
    # 5 has no row: Unprocessed
]


@pytest.fixture
def practice(db_home: Home) -> Home:
    db = database.obj
    db.connection().executemany(
        "INSERT INTO patient (id, nhs_number, forename, surname, date_of_birth, gender, "
        "postcode, registration_status, registration_date, fp69, sensitive, national_summary, "
        "pds_linked) VALUES (?, ?, ?, ?, '1960-01-01', 'female', 'LS6 2AB', 'permanent', "
        "'2000-01-01', 0, 0, 0, 1)",
        PATIENTS,
    )
    db.connection().executemany(
        "INSERT INTO patient_upload (patient_id, bucket, reason_code, reason_text, "
        "last_attempt_at, pass_number, attempts) VALUES (?, ?, ?, ?, ?, 1, 1)",
        UPLOADS,
    )
    return db_home


def test_one_row_per_patient_with_formatted_numbers(practice: Home) -> None:
    rows = list(report_rows())
    assert [r.patient_id for r in rows] == [1, 3, 4, 5, 2]  # by NHS number
    first = rows[0]
    assert first.nhs_number == "943 476 5919"
    assert first.name == "O'Brien, Siân"
    assert first.bucket is Bucket.SENT
    assert first.last_attempt == "2026-11-25T10:00:01"
    assert rows[-1].nhs_number == "ABC1234"
    assert rows[-1].as_dict() == {
        "nhs_number": "ABC1234",
        "name": "Style, Old",
        "bucket": "not_required",
        "reason_code": "NR02",
        "reason_text": "Invalid or old-style NHS number",
        "last_attempt": None,
    }
    assert tuple(rows[0].as_dict()) == COLUMNS


def test_rows_are_streamed_not_listed(practice: Home) -> None:
    assert isinstance(report_rows(), types.GeneratorType)


@pytest.mark.parametrize(
    ("bucket", "ids"),
    [
        ("unprocessed", [4, 5]),  # including the patient without an upload row
        (Bucket.SENT, [1]),
        ("failed", [3]),
        ("not_required", [2]),
        ("sending", []),
    ],
)
def test_bucket_filter_agrees_with_the_counters(practice: Home, bucket, ids) -> None:
    assert [r.patient_id for r in report_rows(bucket=bucket)] == ids
    assert count_rows(bucket) == len(ids) == queries.bucket_counts()[Bucket(bucket)]


def test_unknown_bucket_or_order_is_refused(practice: Home) -> None:
    with pytest.raises(ValueError):
        list(report_rows(bucket="done"))
    with pytest.raises(ValueError, match="order"):
        list(report_rows(order="age"))


@pytest.mark.parametrize(
    ("search", "ids"),
    [
        ("o'brien", [1]),
        ("943 476", [1]),
        ("943-476-5919", [1]),
        ("zoë", [3]),
        ("smith brown", []),  # every word must match
        ("smith zo", [3]),
        ("smith jones", [3]),
        ("100%", [4]),  # LIKE wildcards are literal
        ("_", [4]),
        ("abc", [2]),
    ],
)
def test_search(practice: Home, search: str, ids: list[int]) -> None:
    assert sorted(r.patient_id for r in report_rows(search=search)) == ids
    assert count_rows(search=search) == len(ids)


def test_order_by_reason_then_number(practice: Home) -> None:
    assert [r.patient_id for r in report_rows(order="reason")] == [2, 3, 1, 4, 5]
    assert [r.patient_id for r in report_rows(order="name")] == [4, 5, 1, 3, 2]


def test_paging(practice: Home) -> None:
    assert [r.patient_id for r in report_rows(offset=1, limit=2)] == [3, 4]
    assert [r.patient_id for r in report_rows(offset=4)] == [2]
    assert list(report_rows(offset=10, limit=5)) == []
    assert count_rows() == 5
