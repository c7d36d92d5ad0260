"""`scrtui import`: the JSON Lines extract is checked whole, then written all or nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from scrtui.domain.nhs_number import check_digit
from scrtui.paths import Home
from scrtui.settings import Settings
from scrtui.store import importer, queries
from scrtui.store.db import close_database, open_database
from scrtui.store.importer import ImportFileError, import_file, validate_file
from scrtui.store.models import database
from scrtui.store.seed import seed_practice

TABLES = ("patient", "medication", "allergy", "user", "user_role_profile", "practice")


def number(i: int) -> str:
    """The i-th valid test-range NHS number (skipping prefixes with check result 10)."""
    found = 0
    for middle in range(1_000_000):
        prefix = f"999{middle:06d}"
        digit = check_digit(prefix)
        if digit is not None:
            if found == i:
                return prefix + str(digit)
            found += 1
    raise AssertionError("unreachable")


NUMBERS = [number(i) for i in range(40)]


def patient(i: int = 0, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "nhs_number": NUMBERS[i],
        "forename": "Siân",
        "surname": "O'Brien",
        "date_of_birth": "1957-03-14",
        "gender": "female",
        "postcode": "LS6 2AB",
        "registration_status": "permanent",
        "registration_date": "2001-09-03",
        "consent_code": "9Ndm",
        "medications": [
            {
                "drug": "Amlodipine 5mg tablets",
                "dose": "One tablet once a day",
                "repeat": True,
                "start": "2024-02-01",
                "review_date": "2027-02-01",
            }
        ],
        "allergies": [{"substance": "Penicillin", "reaction": "Rash", "recorded": "1990-05-01"}],
    }
    record.update(changes)
    return {k: v for k, v in record.items() if v is not ...}  # `...` removes a field


USER = {
    "type": "user",
    "sds_user_id": "555000000101",
    "name": "Jo Admin",
    "role_profiles": [
        {
            "role_profile_id": "555000000111",
            "job_role_code": "R0001",
            "job_role_name": "System Administrator",
            "activities": ["B0062", "B0370"],
        }
    ],
}


def write(tmp_path: Path, *lines: Any, name: str = "extract.jsonl") -> Path:
    path = tmp_path / name
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n",
        encoding="utf-8",
    )
    return path


def counts() -> dict[str, int]:
    db = database.obj
    return {t: db.execute_sql(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in TABLES}


def test_a_good_file_imports_everything(db_home: Home, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        USER,
        patient(0),
        "",  # blank lines are fine
        patient(1, nhs_number="ABC1234", medications=..., allergies=..., consent_code=None),
        patient(2, nhs_number=f"{NUMBERS[2][:3]} {NUMBERS[2][3:6]} {NUMBERS[2][6:]}"),
    )
    result = import_file(path, Settings())
    assert (result.patients, result.medications, result.allergies) == (3, 2, 2)
    assert (result.users, result.role_profiles, result.invalid_nhs_numbers) == (1, 1, 1)
    assert "1 have an invalid or old-style NHS number" in result.line("x")
    stored = [r[0] for r in database.obj.execute_sql("SELECT nhs_number FROM patient ORDER BY id")]
    assert stored == [NUMBERS[0], "ABC1234", NUMBERS[2]]  # valid ones stored without spaces
    records = queries.load_records([1, 2])
    assert records[1].forename == "Siân" and records[1].medications[0].repeat
    assert records[2].consent_code is None and records[2].pds_linked  # defaults
    user = queries.find_user("555000000101")
    assert user is not None and user.role_profiles[0].activities == {"B0062", "B0370"}
    assert counts()["practice"] == 1


def test_a_byte_order_mark_is_tolerated(db_home: Home, tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(patient(0)).encode() + b"\n")
    assert import_file(path, Settings()).patients == 1


BROKEN = [
    ("not json", "{nope", "line 1: not valid JSON"),
    ("not an object", "[1, 2]", "line 1: [1, 2] is not an object"),
    ("missing field", patient(surname=...), "line 1, field surname: missing (a required field)"),
    (
        "bad date",
        patient(date_of_birth="1957-02-30"),
        'field date_of_birth: "1957-02-30" is not a date (a real date as YYYY-MM-DD)',
    ),
    (
        "date format",
        patient(date_of_birth="14/03/1957"),
        'field date_of_birth: "14/03/1957" is not a date',
    ),
    (
        "compact date",
        patient(registration_date="20010903"),
        'field registration_date: "20010903" is not a date',
    ),
    (
        "bad gender",
        patient(gender="F"),
        'field gender: "F" is not allowed (one of "male", "female", "other", "unknown")',
    ),
    (
        "bad status",
        patient(registration_status="perm"),
        'field registration_status: "perm" is not allowed (one of "permanent", "applied", '
        '"temporary", "deregistered")',
    ),
    (
        "bad consent",
        patient(consent_code="93C1"),
        'field consent_code: "93C1" is not allowed (one of "9Ndl", "9Ndm", "9Ndn", "9Ndo", "93C3", '
        '"93C2", null)',
    ),
    ("bool as text", patient(fp69="yes"), 'field fp69: "yes" is not true or false (true or false)'),
    (
        "empty nhs number",
        patient(nhs_number=" "),
        'field nhs_number: " " is not text (a non-empty string)',
    ),
    ("number not text", patient(nhs_number=9434765919), "field nhs_number: 9434765919 is not text"),
    (
        "unknown field",
        patient(date_of_brith="1957-03-14"),
        "field date_of_brith: unknown field (did you mean date_of_birth?",
    ),
    (
        "bad medication",
        patient(medications=[{"drug": "X", "dose": "Y", "repeat": 1, "start": "2024-01-01"}]),
        "field medications[0].repeat: 1 is not true or false",
    ),
    (
        "medications not a list",
        patient(medications={}),
        "field medications: {} is not a list (a JSON array)",
    ),
    (
        "bad allergy kind",
        patient(
            allergies=[
                {"substance": "X", "reaction": "Y", "recorded": "2020-01-01", "kind": "intolerance"}
            ]
        ),
        'field allergies[0].kind: "intolerance" is not allowed',
    ),
    (
        "future birth",
        patient(date_of_birth="2999-01-01", registration_date="2999-01-02"),
        "field date_of_birth: 2999-01-01 is in the future",
    ),
    (
        "registered before birth",
        patient(registration_date="1950-01-01"),
        "field registration_date: 1950-01-01 is before birth",
    ),
    (
        "bad type",
        {"type": "practice"},
        'line 1, field type: "practice" is not allowed (one of "patient", "user")',
    ),
    (
        "user without profiles",
        {**USER, "role_profiles": []},
        "field role_profiles: empty (at least one role profile)",
    ),
    (
        "user bad id",
        {**USER, "sds_user_id": "5550"},
        'field sds_user_id: "5550" is not an id (a string of 12 digits)',
    ),
]


@pytest.mark.parametrize(("what", "line", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_line_is_reported_and_nothing_is_imported(
    db_home: Home, tmp_path: Path, what: str, line: Any, message: str
) -> None:
    path = write(tmp_path, line, patient(30))
    before = counts()
    with pytest.raises(ImportFileError) as caught:
        import_file(path, Settings())
    assert message in str(caught.value), str(caught.value)
    assert str(caught.value).startswith("nothing was imported")
    assert counts() == before


def test_duplicates_in_the_file_and_against_the_database(db_home: Home, tmp_path: Path) -> None:
    import_file(write(tmp_path, patient(0), USER, name="first.jsonl"), Settings())
    spaced = f"{NUMBERS[1][:3]} {NUMBERS[1][3:6]} {NUMBERS[1][6:]}"
    path = write(
        tmp_path,
        patient(0),
        patient(1),
        patient(1, nhs_number=spaced),
        patient(2, nhs_number="ABC1234"),
        patient(3, nhs_number="ABC1234"),  # the same invalid number twice is just bad data
        USER,
    )
    with pytest.raises(ImportFileError) as caught:
        import_file(path, Settings())
    text = str(caught.value)
    shown = f"{NUMBERS[0][:3]} {NUMBERS[0][3:6]} {NUMBERS[0][6:]}"
    assert f"line 1, field nhs_number: NHS number {shown} is already in the database" in text
    assert f"line 3, field nhs_number: NHS number {spaced} is also on line 2" in text
    assert "line 6, field sds_user_id: SDS user id 555000000101 is already in the database" in text
    assert "role profile 555000000111 is already in the database" in text
    assert "ABC1234" not in text
    assert caught.value.total == 4


def test_many_problems_show_the_first_20_and_a_count(db_home: Home, tmp_path: Path) -> None:
    path = write(tmp_path, *[patient(i, gender="X") for i in range(25)])
    with pytest.raises(ImportFileError) as caught:
        import_file(path, Settings())
    lines = str(caught.value).splitlines()
    assert lines[0] == "nothing was imported: 25 problem(s) in the file"
    assert lines[1].strip().startswith("line 1, field gender:")
    assert lines[20].strip().startswith("line 20, field gender:")
    assert lines[21].strip() == "and 5 more"
    assert len(lines) == 22


def test_empty_missing_and_non_utf8_files(db_home: Home, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="the file is empty"):
        import_file(write(tmp_path, "", name="blank.jsonl"), Settings())
    with pytest.raises(ImportFileError, match="no such file"):
        import_file(tmp_path / "absent.jsonl", Settings())
    latin1 = tmp_path / "latin1.jsonl"
    latin1.write_bytes(json.dumps(patient(0), ensure_ascii=False).encode("latin-1") + b"\n")
    with pytest.raises(ImportFileError, match="line 1: not UTF-8 text"):
        import_file(latin1, Settings())


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_refused_import_leaves_the_database_file_byte_for_byte_unchanged(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "scrtui.db"
    open_database(db_path)
    seed_practice(Settings(), 200, seed=1)
    close_database()  # checkpoints the WAL into the file
    before = _digest(db_path)
    bad = write(tmp_path, *[patient(i) for i in range(10)], patient(10, gender="?"))
    open_database(db_path)
    try:
        with pytest.raises(ImportFileError):
            import_file(bad, Settings())
    finally:
        close_database()
    assert _digest(db_path) == before


def test_a_failure_while_writing_rolls_back_every_batch(
    db_home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # If the file changes between the check and the write, the write pass still refuses,
    # after several batches have gone to SQLite: they must all roll back.
    monkeypatch.setattr(importer, "BATCH", 3)
    monkeypatch.setattr(importer, "validate_file", lambda *_a, **_k: 0)
    path = write(tmp_path, *[patient(i) for i in range(12)], "{broken")
    before = counts()
    with pytest.raises(ImportFileError, match="line 13: not valid JSON"):
        import_file(path, Settings())
    assert counts() == before


def test_validate_only_counts_lines(db_home: Home, tmp_path: Path) -> None:
    assert validate_file(write(tmp_path, patient(0), USER)) == 2
    assert counts()["patient"] == 0
