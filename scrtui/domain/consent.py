"""Consent Migration's local rules: legacy consent codes recoded, implied consent recorded.

Sources: docs/uploads.md (Consent Migration): 93C3 (refused consent for upload) becomes 9Ndo
(express dissent), 93C2 (consent given) becomes 9Ndn (express consent for core and additional
data), and a patient with a National Summary but no consent code gets 9Ndl (implied consent for
core data). Patients with neither keep no code ("No Preference Expressed").
"""

from __future__ import annotations

from dataclasses import dataclass

from scrtui.domain.records import DISSENT_CODE

LEGACY_DISSENT = "93C3"
LEGACY_CONSENT = "93C2"
EXPRESS_CONSENT = "9Ndn"
IMPLIED_CONSENT = "9Ndl"

RECODED = {LEGACY_DISSENT: DISSENT_CODE, LEGACY_CONSENT: EXPRESS_CONSENT}
# The Spine's permission for a dissenting patient (bulk-uploads §2.2: `No`).
DISSENT_PERMISSION = "No"


@dataclass(frozen=True, slots=True)
class Recoding:
    before: str | None
    after: str


def recoding(consent_code: str | None, national_summary: bool) -> Recoding | None:
    """The local change Consent Migration makes to one patient, or None."""
    if consent_code in RECODED:
        return Recoding(consent_code, RECODED[consent_code])
    if consent_code is None and national_summary:
        return Recoding(None, IMPLIED_CONSENT)
    return None
