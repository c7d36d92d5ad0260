"""What goes into a GP Summary: the core data sections and their readable text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from scrtui.domain.records import Allergy, Medication, PatientRecord

NO_DATA = "no data of this type recorded"

CURRENT_REPEATS = "Current Repeat Medication"
DISCONTINUED_REPEATS = "Discontinued Repeat Medication"
ACUTE = "Acute Medication (last 12 months)"
ALLERGIES = "Allergies and Adverse Reactions"

SECTION_HEADINGS = (CURRENT_REPEATS, DISCONTINUED_REPEATS, ACUTE, ALLERGIES)


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier, clamped to the month's end."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SummaryContent:
    sections: tuple[Section, ...]

    def as_text(self) -> str:
        """Readable text with its section headings; empty sections say so."""
        parts: list[str] = []
        for section in self.sections:
            parts.append(section.heading)
            parts.extend(f"  {line}" for line in section.lines or (NO_DATA,))
            parts.append("")
        return "\n".join(parts).rstrip("\n")


def is_current_repeat(med: Medication, today: date) -> bool:
    if not med.repeat or med.discontinued is not None and med.discontinued <= today:
        return False
    return med.review_date is None or med.review_date >= months_before(today, 6)


def is_recently_discontinued_repeat(med: Medication, today: date) -> bool:
    return (
        med.repeat
        and med.discontinued is not None
        and months_before(today, 6) <= med.discontinued <= today
    )


def is_recent_acute(med: Medication, today: date) -> bool:
    issued = med.last_issue or med.start
    return not med.repeat and months_before(today, 12) <= issued <= today


def _medication_line(med: Medication) -> str:
    line = f"{med.drug} - {med.dose}"
    if med.last_issue:
        line += f" (last issued {med.last_issue:%d/%m/%Y})"
    if med.discontinued:
        line += f" (discontinued {med.discontinued:%d/%m/%Y})"
    return line


def _allergy_line(allergy: Allergy) -> str:
    return f"{allergy.substance}: {allergy.reaction} ({allergy.kind}, {allergy.recorded:%d/%m/%Y})"


def summary_for(patient: PatientRecord, today: date) -> SummaryContent:
    """The core data sections for a patient, judged against `today`."""
    meds = patient.medications
    return SummaryContent(
        (
            Section(
                CURRENT_REPEATS,
                tuple(_medication_line(m) for m in meds if is_current_repeat(m, today)),
            ),
            Section(
                DISCONTINUED_REPEATS,
                tuple(
                    _medication_line(m) for m in meds if is_recently_discontinued_repeat(m, today)
                ),
            ),
            Section(ACUTE, tuple(_medication_line(m) for m in meds if is_recent_acute(m, today))),
            Section(ALLERGIES, tuple(_allergy_line(a) for a in patient.allergies)),
        )
    )
