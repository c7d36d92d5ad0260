"""The SCR Reporter at scale (issue 23): the reason order read group by group from the index on
(upload, reason_code, bucket), and the search from the trigram index (store/reason_pages.py,
store/patient_search.py), give exactly the rows the whole join gave; a database of schema
version 6 gets both at its upgrade, the patients already there included."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from scrtui.domain import nhs_number
from scrtui.domain.records import Bucket
from scrtui.settings import Settings
from scrtui.store import report
from scrtui.store.db import SCHEMA_VERSION, close_database, open_database
from scrtui.store.models import Patient, database
from scrtui.store.seed import seed_practice

PATIENTS = 240


def _fill_buckets() -> None:
    """Sent, Failed, Not Required under several reasons, and some patients with no row."""
    database.obj.execute_sql(
        "INSERT INTO patient_upload (upload, patient_id, bucket, reason_code, reason_text, "
        "pass_number, attempts) SELECT 'initial', id, "
        "CASE WHEN id % 7 = 0 THEN 'not_required' WHEN id % 11 = 0 THEN 'failed' "
        "WHEN id % 13 = 0 THEN 'unprocessed' ELSE 'sent' END, "
        "CASE WHEN id % 7 = 0 THEN 'NR0' || (id % 3) WHEN id % 11 = 0 THEN 'RETRY' "
        "WHEN id % 17 = 0 THEN 'NOTE' END, NULL, 1, 1 FROM patient WHERE id % 5 != 0"
    )


@pytest.fixture
def practice(tmp_path: Path) -> Path:
    path = tmp_path / "scrtui.db"
    open_database(path)
    seed_practice(Settings(), PATIENTS, seed=3)
    _fill_buckets()
    yield path
    close_database()


def _whole_join_sorted(bucket: Bucket | None, offset: int, limit: int) -> list[int]:
    """The reason order as it was read before: the LEFT JOIN sorted (report._rows)."""
    where, params = report._where(bucket, None, "initial")
    rows = report._rows(where, params, "reason", offset, limit)
    return [row.patient_id for row in rows]


@pytest.mark.parametrize("bucket", [None, *Bucket])
@pytest.mark.parametrize(("offset", "limit"), [(0, 200), (0, 7), (5, 30), (31, 40), (190, 50)])
def test_the_reason_order_by_groups_is_the_whole_join_sorted(
    practice: Path, bucket: Bucket | None, offset: int, limit: int
) -> None:
    paged = [r.patient_id for r in report.report_rows(bucket, None, "reason", offset, limit)]
    assert paged == _whole_join_sorted(bucket, offset, limit)


def _matching(words: list[str]) -> list[int]:
    """Every word in the NHS number (spaces ignored), surname or forename, as LIKE did."""
    found = []
    for pid, number, forename, surname in database.obj.execute_sql(
        "SELECT id, nhs_number, forename, surname FROM patient ORDER BY nhs_number, id"
    ):
        plain = number.replace(" ", "")
        if all(
            nhs_number.normalise(w) in plain
            or w.lower() in surname.lower()
            or w.lower() in forename.lower()
            for w in words
        ):
            found.append(pid)
    return found


def _searched(search: str) -> list[int]:
    rows = report.report_rows(None, search, "nhs", 0, None)
    return [row.patient_id for row in rows]


def _terms() -> list[str]:
    number, surname, forename = database.obj.execute_sql(
        "SELECT nhs_number, surname, forename FROM patient WHERE id = 42"
    ).fetchone()
    return [
        number,  # the whole number
        f"{number[:3]} {number[3:6]}",  # two words, each under the index's 3 characters: LIKE
        f"{number[:3]}-{number[3:6]}",  # a dash, as typed
        surname[1:4],  # part of a name
        f"{surname[:3]} {forename[:2]}",  # one word from the index, one by LIKE
        surname.upper(),
        "zzqxj",  # nothing
    ]


def test_a_search_from_the_index_finds_what_like_found(practice: Path) -> None:
    for term in _terms():
        assert _searched(term) == _matching(term.split()), term
        assert report.count_rows(None, term) == len(_matching(term.split())), term


def test_the_search_index_follows_new_changed_and_removed_patients(practice: Path) -> None:
    db = database.obj
    db.execute_sql("UPDATE patient SET surname = 'Quixotehart' WHERE id = 10")
    db.execute_sql("DELETE FROM patient_upload WHERE patient_id = 11")
    db.execute_sql("DELETE FROM patient WHERE id = 11")
    copy = dict(Patient.get_by_id(12).__data__)
    del copy["id"]
    copy.update(nhs_number="9434765919", forename="Zoë", surname="Ångström")
    Patient.create(**copy)
    assert _searched("xotehar") == [10]
    old_surname = db.execute_sql("SELECT surname FROM patient WHERE id = 12").fetchone()[0]
    assert 11 not in _searched(old_surname[:3])
    added = _searched("4765919")
    assert len(added) == 1 and _searched("ångström") == added
    assert added[0] in _searched("ZOË")  # every letter case-insensitive, not only ASCII


def test_a_version_6_database_gets_both_indexes_at_its_upgrade(practice: Path) -> None:
    before = _terms()
    expected = {term: _matching(term.split()) for term in before}
    close_database()
    with closing(sqlite3.connect(practice)) as db, db:
        db.execute("DROP INDEX patient_upload_upload_reason_bucket")
        db.execute("DROP TRIGGER patient_search_insert")
        db.execute("DROP TRIGGER patient_search_delete")
        db.execute("DROP TRIGGER patient_search_update")
        db.execute("DROP TABLE patient_search")
        db.execute("UPDATE schema_info SET version = 6")
    open_database(practice)
    with closing(sqlite3.connect(practice)) as db:
        assert db.execute("SELECT version FROM schema_info").fetchone()[0] == SCHEMA_VERSION
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        plan = " ".join(
            str(r[-1])
            for r in db.execute(
                "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM patient_upload "
                "WHERE upload = 'initial' AND reason_code = 'NR01' AND bucket = 'not_required'"
            )
        )
    assert {
        "patient_search",
        "patient_search_insert",
        "patient_upload_upload_reason_bucket",
    } <= names
    assert "patient_upload_upload_reason_bucket" in plan
    for term in before:  # the patients that were there before the upgrade are found
        assert _searched(term) == expected[term], term


def test_the_unprocessed_count_follows_every_write(practice: Path) -> None:
    """The upload's row count is kept between the Reporter's count and its page (it reads a
    million index entries at a million patients), and counted again after any write."""
    first = report.count_rows(Bucket.UNPROCESSED)
    assert first == report.count_rows(Bucket.UNPROCESSED)
    database.obj.execute_sql(
        "DELETE FROM patient_upload WHERE patient_id IN "
        "(SELECT patient_id FROM patient_upload WHERE bucket = 'sent' LIMIT 3)"
    )
    assert report.count_rows(Bucket.UNPROCESSED) == first + 3
    other = sqlite3.connect(database.obj.database)  # another process's commit, say
    with closing(other), other:
        other.execute(
            "INSERT INTO patient_upload (upload, patient_id, bucket, pass_number, "
            "attempts) SELECT 'initial', id, 'sent', 1, 1 FROM patient WHERE id % 5 = 0"
        )
    assert report.count_rows(Bucket.UNPROCESSED) == first + 3 - PATIENTS // 5
