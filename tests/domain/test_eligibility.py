"""Eligibility: every Not Required reason, and the "registered more than N days" rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from scrtui.domain import eligibility as e
from scrtui.domain.records import PatientRecord, RegistrationStatus

TODAY = date(2026, 11, 25)

BASE = PatientRecord(
    nhs_number="9434765919",
    forename="Siân",
    surname="O'Brien",
    date_of_birth=date(1957, 3, 14),
    gender="female",
    postcode="LS6 2AB",
    registration_status=RegistrationStatus.PERMANENT,
    registration_date=date(2001, 9, 3),
)


def decide(patient: PatientRecord, days: int = 14) -> e.Decision:
    return e.decide(patient, TODAY, days)


def test_an_ordinary_permanent_patient_is_eligible() -> None:
    assert decide(BASE) == e.ELIGIBLE
    assert decide(replace(BASE, consent_code="9Ndl")).eligible
    assert decide(replace(BASE, consent_code="9Ndn")).eligible


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"registration_status": RegistrationStatus.APPLIED}, e.NOT_PERMANENT),
        ({"registration_status": RegistrationStatus.TEMPORARY}, e.NOT_PERMANENT),
        ({"registration_status": RegistrationStatus.DEREGISTERED}, e.NOT_PERMANENT),
        ({"nhs_number": "9434765918"}, e.INVALID_NHS_NUMBER),  # wrong check digit
        ({"nhs_number": "ABC1234"}, e.INVALID_NHS_NUMBER),  # old style
        ({"sensitive": True}, e.SENSITIVE),
        ({"consent_code": "9Ndo"}, e.DISSENT),
        ({"fp69": True}, e.FP69),
        ({"pds_linked": False}, e.PDS_UNLINKED),
        (
            {"national_summary": True, "registration_date": TODAY - timedelta(days=3)},
            e.HAS_NATIONAL_SUMMARY,
        ),
    ],
)
def test_each_reason(change: dict, reason: e.Reason) -> None:
    decision = decide(replace(BASE, **change))
    assert decision == e.Decision(False, reason)


def test_every_reason_has_a_distinct_code_and_text() -> None:
    assert len({r.code for r in e.NOT_REQUIRED_REASONS}) == len(e.NOT_REQUIRED_REASONS)
    assert all(r.text for r in e.NOT_REQUIRED_REASONS)


@pytest.mark.parametrize("days", [0, 1, 14, 99])
def test_existing_summary_is_overwritten_only_after_more_than_n_days(days: int) -> None:
    with_summary = replace(BASE, national_summary=True, national_summary_date=TODAY)
    at_n = replace(with_summary, registration_date=TODAY - timedelta(days=days))
    after_n = replace(with_summary, registration_date=TODAY - timedelta(days=days + 1))
    assert decide(at_n, days) == e.Decision(False, e.HAS_NATIONAL_SUMMARY)
    assert decide(after_n, days) == e.ELIGIBLE


def test_no_summary_means_recent_registration_does_not_matter() -> None:
    assert decide(replace(BASE, registration_date=TODAY)) == e.ELIGIBLE


def test_pds_unlinked_is_not_required_even_with_consent() -> None:
    patient = replace(BASE, pds_linked=False, consent_code="9Ndm")
    assert decide(patient).reason is e.PDS_UNLINKED


def test_first_reason_wins_registration_before_number() -> None:
    patient = replace(
        BASE, registration_status=RegistrationStatus.APPLIED, nhs_number="ABC1234", fp69=True
    )
    assert decide(patient).reason is e.NOT_PERMANENT
