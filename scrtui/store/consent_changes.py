"""Consent Migration's local recoding, all or nothing, with an audit row per change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from scrtui.domain.consent import recoding
from scrtui.domain.records import Author
from scrtui.store.models import database


@dataclass(frozen=True, slots=True)
class ChangeRow:
    nhs_number: str
    name: str
    before: str | None
    after: str
    user_name: str
    role_profile_id: str
    at: str

    def as_dict(self) -> dict[str, str | None]:
        return dict(zip(CHANGE_COLUMNS, (getattr(self, f) for f in _FIELDS), strict=True))


# The audit's columns, as `scrtui report --upload consent-migration --changes` writes them.
CHANGE_COLUMNS = ("nhs_number", "name", "before", "after", "user", "role_profile_id", "at")
_FIELDS = ("nhs_number", "name", "before", "after", "user_name", "role_profile_id", "at")


def recode_practice(run_id: int | None, author: Author, now: datetime) -> int:
    """Apply the recoding rules to every patient in one transaction; returns the changes made.

    A failure part-way leaves every patient as they were (the transaction rolls back), so a
    practice is never half migrated; running it again finds nothing left to change.
    """
    db = database.obj
    stamp = now.isoformat(sep=" ")
    with db.atomic():
        changes = [
            (pid, change.before, change.after)
            for pid, code, summary in db.execute_sql(
                "SELECT id, consent_code, national_summary FROM patient "
                "WHERE consent_code IN ('93C3', '93C2') "
                "OR (consent_code IS NULL AND national_summary)"
            ).fetchall()
            if (change := recoding(code, bool(summary))) is not None
        ]
        cursor = db.cursor()
        cursor.executemany(
            "UPDATE patient SET consent_code = ? WHERE id = ?",
            [(after, pid) for pid, _before, after in changes],
        )
        cursor.executemany(
            "INSERT INTO consent_change (patient_id, run_id, before, after, user_id, user_name, "
            "role_profile_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (pid, run_id, before, after, author.sds_user_id, author.name,
                 author.role_profile_id, stamp)
                for pid, before, after in changes
            ],
        )  # fmt: skip
    return len(changes)


def change_rows() -> list[ChangeRow]:
    """Every recorded change, newest first (the SCR Reporter's consent changes)."""
    rows = database.obj.execute_sql(
        "SELECT p.nhs_number, p.surname || ', ' || p.forename, c.before, c.after, c.user_name, "
        "c.role_profile_id, c.at FROM consent_change c JOIN patient p ON p.id = c.patient_id "
        "ORDER BY c.id DESC"
    ).fetchall()
    return [ChangeRow(*row) for row in rows]
