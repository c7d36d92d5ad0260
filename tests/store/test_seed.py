"""The synthetic practice: deterministic, valid test-range numbers, every reason, groups, users."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

import pytest

from scrtui.domain import eligibility, nhs_number
from scrtui.paths import Home
from scrtui.settings import Settings, with_changes
from scrtui.store import queries
from scrtui.store.groups import list_groups
from scrtui.store.models import database
from scrtui.store.seed import SeedError, seed_practice

TODAY = date(2026, 11, 25)
PATIENTS = 2000
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][ABD-HJLNP-UW-Z]{2}$")


def rows(sql: str) -> list[tuple]:
    return list(database.obj.execute_sql(sql))


def decisions(days: int = 14) -> Counter[str]:
    counts: Counter[str] = Counter()
    for ids in queries.iter_patient_ids(500):
        for record in queries.load_records(ids).values():
            decision = eligibility.decide(record, TODAY, days)
            counts[decision.reason.code if decision.reason else "eligible"] += 1
    return counts


@pytest.fixture
def seeded(db_home: Home) -> Home:
    seed_practice(Settings(), PATIENTS, seed=3, today=TODAY)
    return db_home


def test_every_not_required_reason_appears_as_planned(seeded: Home) -> None:
    result_counts = decisions()
    for reason in eligibility.NOT_REQUIRED_REASONS:
        share = result_counts[reason.code] / PATIENTS
        assert 0.004 <= share <= 0.06, (reason, share)
    assert result_counts["eligible"] / PATIENTS > 0.8


def test_the_summary_line_predicts_the_rules(db_home: Home) -> None:
    result = seed_practice(Settings(), PATIENTS, seed=5, today=TODAY)
    actual = decisions()
    del actual["eligible"]
    assert result.not_required == actual
    assert f"Seeded {PATIENTS:,} patients" in result.line("x")


def test_nhs_numbers_are_unique_and_valid_in_the_test_range(seeded: Home) -> None:
    numbers = [r[0] for r in rows("SELECT nhs_number FROM patient")]
    valid = [n for n in numbers if nhs_number.is_valid(n)]
    assert len(valid) == len(set(valid))
    assert all(n.startswith("999") for n in valid)
    invalid = [n for n in numbers if not nhs_number.is_valid(n)]
    assert any(re.fullmatch(r"[A-Z]{3}\d{4}", n) for n in invalid)  # old style
    assert any(n.isdigit() and len(n) == 10 for n in invalid)  # wrong check digit


def test_same_seed_same_practice_other_seed_other_practice(tmp_path) -> None:
    from scrtui.store.db import close_database, open_database

    def dump(name: str, seed: int) -> list[tuple]:
        open_database(tmp_path / name)
        try:
            seed_practice(Settings(), 300, seed=seed, today=TODAY)
            return rows("SELECT * FROM patient ORDER BY id") + rows(
                "SELECT * FROM medication ORDER BY id"
            )
        finally:
            close_database()

    assert dump("a.db", 1) == dump("b.db", 1)
    assert dump("c.db", 1) != dump("d.db", 2)


def test_names_postcodes_consent_and_genders_look_real(seeded: Home) -> None:
    people = rows("SELECT forename, surname, postcode, consent_code, gender FROM patient")
    names = {f"{f} {s}" for f, s, *_ in people}
    assert any("'" in n for n in names)
    assert any("-" in n for n in names)
    assert any(not n.isascii() for n in names)
    assert all(POSTCODE.match(p[2]) for p in people), [p[2] for p in people][:5]
    assert {p[3] for p in people} == {None, "9Ndl", "9Ndm", "9Ndn", "9Ndo"}
    assert {"male", "female"} <= {p[4] for p in people}


def test_medications_and_allergies(seeded: Home) -> None:
    meds = rows("SELECT repeat, start, last_issue, review_date, discontinued FROM medication")
    repeats = [m for m in meds if m[0]]
    acutes = [m for m in meds if not m[0]]
    assert repeats and acutes
    two_years_ago = (TODAY - timedelta(days=731)).isoformat()
    assert all(two_years_ago <= m[1] <= TODAY.isoformat() for m in meds)
    assert any(m[4] for m in repeats)  # some discontinued
    assert all(m[4] is None or m[1] <= m[4] for m in repeats)
    assert any(m[3] < (TODAY - timedelta(days=190)).isoformat() for m in repeats)  # overdue
    assert all(m[3] for m in repeats)
    assert rows("SELECT COUNT(*) FROM allergy")[0][0] > PATIENTS // 10
    assert {r[0] for r in rows("SELECT kind FROM allergy")} == {"allergy", "adverse reaction"}


def test_groups_and_users(seeded: Home) -> None:
    groups = {g.name: g for g in list_groups()}
    assert set(groups) == {"$PAT", "NEWREG", "CORRECTED"}
    assert groups["$PAT"].system and not groups["NEWREG"].system
    assert all(g.members > 0 for g in groups.values())
    admin = queries.find_user("555000000001")
    assert admin is not None and admin.name == "Demo Administrator"
    (profile,) = admin.role_profiles
    assert profile.role_profile_id == "555000000011"
    assert (profile.job_role_code, profile.job_role_name) == ("R0001", "System Administrator")
    assert profile.activities == {"B0062", "B0370"}
    clinician = queries.find_user("555000000002")
    assert clinician is not None and clinician.name == "Dr Demo Clinician"
    assert clinician.role_profiles[0].activities == {"B0370"}
    assert clinician.role_profiles[0].role_profile_id == "555000000021"
    two = queries.find_user("555000000003")
    assert two is not None and len(two.role_profiles) == 2
    assert ["B0062" in p.activities for p in two.role_profiles] == [True, False]
    assert rows("SELECT ods_code, name FROM practice") == [("A12345", "Demo Practice")]


def test_upload_table_is_left_empty_so_everyone_is_unprocessed(seeded: Home) -> None:
    assert rows("SELECT COUNT(*) FROM patient_upload") == [(0,)]
    document = queries.status_document()
    assert document["unprocessed"] == document["total"] == PATIENTS


def test_seeding_twice_is_refused_unless_replace(seeded: Home) -> None:
    with pytest.raises(SeedError, match="already has 2,000 patients.*--replace"):
        seed_practice(Settings(), 10, today=TODAY)
    database.obj.execute_sql("UPDATE upload SET status = 'stopped'")
    database.obj.execute_sql(
        "INSERT INTO patient_upload (patient_id, bucket, pass_number, attempts) "
        "VALUES (1, 'sent', 1, 1)"
    )
    settings = with_changes(Settings(), ods_code="B86001", practice_name="Other Surgery")
    result = seed_practice(settings, 50, seed=9, today=TODAY, replace=True)
    assert result.patients == 50
    assert queries.status_document()["total"] == 50
    assert rows("SELECT COUNT(*) FROM patient_upload") == [(0,)]
    assert rows("SELECT status FROM upload") == [("idle",)]
    assert rows("SELECT ods_code, name FROM practice") == [("B86001", "Other Surgery")]
    assert rows('SELECT COUNT(*) FROM "user"') == [(3,)]


def test_recent_summaries_follow_the_days_setting(db_home: Home) -> None:
    settings = with_changes(Settings(), update_existing_after_days=40)
    seed_practice(settings, 1000, seed=2, today=TODAY)
    assert decisions(40)[eligibility.HAS_NATIONAL_SUMMARY.code] == 10


@pytest.mark.parametrize("count", [0, -1, 1_000_001])
def test_patient_count_is_checked(db_home: Home, count: int) -> None:
    with pytest.raises(SeedError, match="expected a number from 1"):
        seed_practice(Settings(), count)


def test_users_without_patients_do_not_block_seeding(db_home: Home) -> None:
    db = database.obj
    db.execute_sql("INSERT INTO \"user\" (sds_user_id, name) VALUES ('555000000101', 'Jo')")
    db.execute_sql("INSERT INTO \"user\" (sds_user_id, name) VALUES ('555000000001', 'Kept')")
    db.execute_sql("INSERT INTO patient_group (name, description, system) VALUES ('newreg', '', 0)")
    result = seed_practice(Settings(), 100, today=TODAY)
    assert result.users == 2  # 555000000001 was already there
    assert queries.find_user("555000000101") is not None
    kept = queries.find_user("555000000001")
    assert kept is not None and kept.name == "Kept"
    assert {g.name for g in list_groups()} == {"$PAT", "NEWREG", "CORRECTED"}
    assert kept.role_profiles == ()  # no demo role was given to an existing account
