"""Plain records shared by the rules, the message builder and the engine."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date


class Bucket(enum.StrEnum):
    """A patient's Initial Upload outcome, as on Vision's results screen."""

    UNPROCESSED = "unprocessed"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    NOT_REQUIRED = "not_required"

    @property
    def label(self) -> str:
        return _BUCKET_LABELS[self]


_BUCKET_LABELS = {
    Bucket.UNPROCESSED: "Unprocessed",
    Bucket.SENDING: "Sending",
    Bucket.SENT: "Sent",
    Bucket.FAILED: "Failed",
    Bucket.NOT_REQUIRED: "Not Required",
}


class Mode(enum.StrEnum):
    """The four Initial Upload options."""

    RUN = "run"
    RESUME = "resume"
    RERUN = "rerun"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class RegistrationStatus(enum.StrEnum):
    PERMANENT = "permanent"
    APPLIED = "applied"
    TEMPORARY = "temporary"
    DEREGISTERED = "deregistered"


CONSENT_CODES = ("9Ndl", "9Ndm", "9Ndn", "9Ndo")
# Legacy codes a practice extract may still carry; Consent Migration recodes them
# (scrtui/domain/consent.py).
LEGACY_CONSENT_CODES = ("93C3", "93C2")
DISSENT_CODE = "9Ndo"
GENDERS = ("male", "female", "other", "unknown")


@dataclass(frozen=True, slots=True)
class Medication:
    drug: str
    dose: str
    repeat: bool
    start: date
    last_issue: date | None = None
    review_date: date | None = None
    discontinued: date | None = None


@dataclass(frozen=True, slots=True)
class Allergy:
    substance: str
    reaction: str
    recorded: date
    kind: str = "allergy"  # "allergy" or "adverse reaction"


@dataclass(frozen=True, slots=True)
class PatientRecord:
    """One patient as the rules see it; no storage concerns."""

    nhs_number: str
    forename: str
    surname: str
    date_of_birth: date
    gender: str
    postcode: str
    registration_status: RegistrationStatus
    registration_date: date
    fp69: bool = False
    sensitive: bool = False
    consent_code: str | None = None
    national_summary: bool = False
    national_summary_date: date | None = None
    pds_linked: bool = True
    medications: tuple[Medication, ...] = field(default_factory=tuple)
    allergies: tuple[Allergy, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class RoleProfile:
    role_profile_id: str
    job_role_code: str
    job_role_name: str
    activities: frozenset[str]


@dataclass(frozen=True, slots=True)
class UserIdentity:
    sds_user_id: str
    name: str
    role_profiles: tuple[RoleProfile, ...]


@dataclass(frozen=True, slots=True)
class Author:
    """Who a GP Summary is sent as: the logged-in user in the selected role profile."""

    sds_user_id: str
    name: str
    role_profile_id: str
    job_role_code: str
