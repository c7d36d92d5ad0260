"""Who is in the Initial Upload, and why the others are Not Required."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from scrtui.domain import nhs_number
from scrtui.domain.records import DISSENT_CODE, PatientRecord, RegistrationStatus


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    text: str


NOT_PERMANENT = Reason("NR01", "Not permanently registered")
INVALID_NHS_NUMBER = Reason("NR02", "Invalid or old-style NHS number")
HAS_NATIONAL_SUMMARY = Reason("NR03", "Already has a current National Summary")
FP69 = Reason("NR04", "Active FP69 flag")
SENSITIVE = Reason("NR05", "Record marked sensitive")
DISSENT = Reason("NR06", "Patient has dissented from an SCR (9Ndo)")
PDS_UNLINKED = Reason("NR07", "Unlinked record: PDS demographics mismatch")

NOT_REQUIRED_REASONS: tuple[Reason, ...] = (
    NOT_PERMANENT,
    INVALID_NHS_NUMBER,
    HAS_NATIONAL_SUMMARY,
    FP69,
    SENSITIVE,
    DISSENT,
    PDS_UNLINKED,
)


@dataclass(frozen=True, slots=True)
class Decision:
    eligible: bool
    reason: Reason | None = None


ELIGIBLE = Decision(True)


def decide(patient: PatientRecord, today: date, update_existing_after_days: int) -> Decision:
    """Eligible, or Not Required with the first reason that applies.

    A patient who already has a National Summary is included only when registered here for
    more than `update_existing_after_days` days: that is when the practice's record may
    overwrite the summary that came with them.
    """
    if patient.registration_status is not RegistrationStatus.PERMANENT:
        return Decision(False, NOT_PERMANENT)
    if not nhs_number.is_valid(patient.nhs_number):
        return Decision(False, INVALID_NHS_NUMBER)
    if patient.sensitive:
        return Decision(False, SENSITIVE)
    if patient.consent_code == DISSENT_CODE:
        return Decision(False, DISSENT)
    if patient.fp69:
        return Decision(False, FP69)
    if not patient.pds_linked:
        return Decision(False, PDS_UNLINKED)
    if patient.national_summary:
        registered_days = (today - patient.registration_date).days
        if registered_days <= update_existing_after_days:
            return Decision(False, HAS_NATIONAL_SUMMARY)
    return ELIGIBLE
