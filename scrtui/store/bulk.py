"""Rows and bulk writers shared by the seed, the import and the patient groups.

Raw executemany with named tuples (tuples to sqlite3, names to us): peewee builds each
statement in about 55 µs (docs/performance-baseline.md §3), which would dominate at 50,000 patients.
Every writer runs inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from scrtui.settings import Settings
from scrtui.store.models import database


class PatientRow(NamedTuple):
    id: int
    nhs_number: str
    forename: str
    surname: str
    date_of_birth: str  # ISO dates, as peewee stores them
    gender: str
    postcode: str
    registration_status: str
    registration_date: str
    fp69: bool
    sensitive: bool
    consent_code: str | None
    national_summary: bool
    national_summary_date: str | None
    pds_linked: bool


class MedicationRow(NamedTuple):
    patient_id: int
    repeat: bool
    drug: str
    dose: str
    start: str
    last_issue: str | None
    review_date: str | None
    discontinued: str | None


class AllergyRow(NamedTuple):
    patient_id: int
    substance: str
    reaction: str
    kind: str
    recorded: str


class RoleProfileRow(NamedTuple):
    role_profile_id: str
    job_role_code: str
    job_role_name: str
    activities: str  # comma-separated B-codes


def _insert(table: str, row: type[NamedTuple]) -> str:
    columns = ", ".join(row._fields)
    return f'INSERT INTO "{table}" ({columns}) VALUES ({",".join("?" * len(row._fields))})'


PATIENT_INSERT = _insert("patient", PatientRow)
MEDICATION_INSERT = _insert("medication", MedicationRow)
ALLERGY_INSERT = _insert("allergy", AllergyRow)


@dataclass
class PatientBatch:
    """Patients with their medications and allergies, buffered until flush()."""

    patients: list[PatientRow] = field(default_factory=list)
    medications: list[MedicationRow] = field(default_factory=list)
    allergies: list[AllergyRow] = field(default_factory=list)

    def flush(self) -> None:
        # Patients first: medications and allergies refer to them (foreign keys are on).
        conn = database.obj.connection()
        conn.executemany(PATIENT_INSERT, self.patients)
        conn.executemany(MEDICATION_INSERT, self.medications)
        conn.executemany(ALLERGY_INSERT, self.allergies)
        self.patients.clear()
        self.medications.clear()
        self.allergies.clear()


def insert_user(
    sds_user_id: str, name: str, profiles: Iterable[RoleProfileRow], *, keep_existing: bool
) -> bool:
    """Add a user and their role profiles; returns False when `keep_existing` found the user
    already there (then nothing of theirs is touched)."""
    db = database.obj
    verb = "INSERT OR IGNORE" if keep_existing else "INSERT"
    cursor = db.execute_sql(
        f'{verb} INTO "user" (sds_user_id, name) VALUES (?, ?)', (sds_user_id, name)
    )
    if cursor.rowcount != 1:
        return False
    db.connection().executemany(
        f"{verb} INTO user_role_profile (user_id, {', '.join(RoleProfileRow._fields)}) "
        "VALUES (?,?,?,?,?)",
        [(cursor.lastrowid, *profile) for profile in profiles],
    )
    return True


def write_practice_row(settings: Settings, *, replace: bool) -> None:
    """The one practice row, from the settings; `replace=False` keeps a row already there."""
    db = database.obj
    if replace:
        db.execute_sql('DELETE FROM "practice"')
    elif db.execute_sql('SELECT 1 FROM "practice" LIMIT 1').fetchone() is not None:
        return
    db.execute_sql(
        'INSERT INTO "practice" (ods_code, name) VALUES (?, ?)',
        (settings.ods_code, settings.practice_name),
    )


def insert_group(name: str, description: str, system: bool, patient_ids: Iterable[int]) -> int:
    """A new group with these members (each once); returns the number of members."""
    db = database.obj
    group_id = db.execute_sql(
        "INSERT INTO patient_group (name, description, system) VALUES (?, ?, ?)",
        (name, description, int(system)),
    ).lastrowid
    members = sorted(set(patient_ids))
    db.connection().executemany(
        "INSERT INTO group_member (group_id, patient_id) VALUES (?, ?)",
        [(group_id, pid) for pid in members],
    )
    return len(members)
