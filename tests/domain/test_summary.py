"""GP Summary content: which medications and allergies go in, and how sections read."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from scrtui.domain import summary as s
from scrtui.domain.records import Allergy, Medication, PatientRecord, RegistrationStatus

TODAY = date(2026, 8, 31)  # a month end: six months back is 28 February
SIX_MONTHS_AGO = date(2026, 2, 28)
TWELVE_MONTHS_AGO = date(2025, 8, 31)
DAY = timedelta(days=1)

PATIENT = PatientRecord(
    nhs_number="9434765919",
    forename="Zoë",
    surname="Smith-Jones",
    date_of_birth=date(1950, 1, 1),
    gender="female",
    postcode="LS6 2AB",
    registration_status=RegistrationStatus.PERMANENT,
    registration_date=date(2000, 1, 1),
)


def repeat(**kw: object) -> Medication:
    base = Medication("Amlodipine 5mg tablets", "One daily", True, date(2024, 1, 1))
    return replace(base, **kw)


def acute(**kw: object) -> Medication:
    base = Medication("Amoxicillin 500mg capsules", "Three times a day", False, date(2026, 8, 1))
    return replace(base, **kw)


def section(content: s.SummaryContent, heading: str) -> tuple[str, ...]:
    return next(sec.lines for sec in content.sections if sec.heading == heading)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 8, 31), 6, date(2026, 2, 28)),
        (date(2024, 8, 31), 6, date(2024, 2, 29)),  # leap year
        (date(2026, 3, 31), 1, date(2026, 2, 28)),
        (date(2026, 5, 31), 1, date(2026, 4, 30)),
        (date(2026, 1, 15), 1, date(2025, 12, 15)),  # across a year
        (date(2024, 2, 29), 12, date(2023, 2, 28)),
        (date(2026, 7, 15), 6, date(2026, 1, 15)),
        (date(2026, 7, 15), 0, date(2026, 7, 15)),
    ],
)
def test_months_before_clamps_to_the_month_end(day: date, months: int, expected: date) -> None:
    assert s.months_before(day, months) == expected


def test_repeat_review_boundary_is_six_months_inclusive() -> None:
    assert s.is_current_repeat(repeat(review_date=SIX_MONTHS_AGO), TODAY)
    assert not s.is_current_repeat(repeat(review_date=SIX_MONTHS_AGO - DAY), TODAY)
    assert s.is_current_repeat(repeat(review_date=None), TODAY)
    assert s.is_current_repeat(repeat(review_date=TODAY + 30 * DAY), TODAY)


def test_discontinued_repeats_within_six_months_only() -> None:
    assert s.is_recently_discontinued_repeat(repeat(discontinued=SIX_MONTHS_AGO), TODAY)
    assert not s.is_recently_discontinued_repeat(repeat(discontinued=SIX_MONTHS_AGO - DAY), TODAY)
    stopped_today = repeat(discontinued=TODAY)
    assert s.is_recently_discontinued_repeat(stopped_today, TODAY)
    assert not s.is_current_repeat(stopped_today, TODAY)
    stops_later = repeat(discontinued=TODAY + DAY)  # still being taken
    assert s.is_current_repeat(stops_later, TODAY)
    assert not s.is_recently_discontinued_repeat(stops_later, TODAY)


def test_acute_within_twelve_months_by_last_issue_or_start() -> None:
    assert s.is_recent_acute(acute(start=TWELVE_MONTHS_AGO), TODAY)
    assert not s.is_recent_acute(acute(start=TWELVE_MONTHS_AGO - DAY), TODAY)
    assert s.is_recent_acute(acute(start=date(2020, 1, 1), last_issue=TODAY), TODAY)
    assert not s.is_recent_acute(acute(start=TODAY + DAY), TODAY)
    assert not s.is_recent_acute(repeat(start=TODAY), TODAY)  # a repeat is never "acute"


def test_sections_hold_the_right_items() -> None:
    patient = replace(
        PATIENT,
        medications=(
            repeat(drug="Current", review_date=TODAY),
            repeat(drug="Stopped", discontinued=TODAY - 10 * DAY),
            repeat(drug="Overdue", review_date=SIX_MONTHS_AGO - DAY),
            acute(drug="Recent acute"),
            acute(drug="Old acute", start=date(2020, 1, 1)),
        ),
        allergies=(Allergy("Penicillin", "Rash", date(1990, 5, 1)),),
    )
    content = s.summary_for(patient, TODAY)
    assert [sec.heading for sec in content.sections] == list(s.SECTION_HEADINGS)
    assert [line.split(" - ")[0] for line in section(content, s.CURRENT_REPEATS)] == ["Current"]
    assert [line.split(" - ")[0] for line in section(content, s.DISCONTINUED_REPEATS)] == [
        "Stopped"
    ]
    assert [line.split(" - ")[0] for line in section(content, s.ACUTE)] == ["Recent acute"]
    assert section(content, s.ALLERGIES) == ("Penicillin: Rash (allergy, 01/05/1990)",)
    assert "(discontinued 21/08/2026)" in section(content, s.DISCONTINUED_REPEATS)[0]


def test_empty_sections_keep_their_heading_and_say_no_data() -> None:
    text = s.summary_for(PATIENT, TODAY).as_text()
    for heading in s.SECTION_HEADINGS:
        assert f"{heading}\n  {s.NO_DATA}" in text
    assert s.NO_DATA == "no data of this type recorded"
    assert text.count(s.NO_DATA) == 4
