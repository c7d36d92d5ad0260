"""Vision's SCR PDS synchronisation rules: does the practice's record match the Spine's?

The rules and the normalisation are in docs/pds.md §3. Pure: the caller reads the PDS reply
(scrtui/spine/pds.py) into `PdsRecord` and gets back None (synchronised) or the Not Required
reason, whose text shows both values of each field that differs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from scrtui.domain.eligibility import Reason

PDS_MISMATCH = "NR10"
PDS_NOT_FOUND = "NR11"
PDS_SUPERSEDED = "NR12"
PDS_SENSITIVE = "NR13"
PDS_OTHER_PRACTICE = "NR14"
PDS_DECEASED = "NR15"

REASON_LABELS = {
    PDS_MISMATCH: "PDS mismatch",
    PDS_NOT_FOUND: "Not found on PDS",
    PDS_SUPERSEDED: "NHS number superseded on PDS",
    PDS_SENSITIVE: "Record sensitive on PDS",
    PDS_OTHER_PRACTICE: "Registered with another practice on PDS",
    PDS_DECEASED: "Deceased on PDS",
}

# PDS administrativeGenderCode (docs/pds.md §2) -> the practice's gender words.
PDS_GENDERS = {"1": "male", "2": "female", "9": "other", "0": "unknown"}

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Demographics:
    """The fields the rules compare; "" is a blank (not recorded)."""

    nhs_number: str
    forename: str
    surname: str
    date_of_birth: str  # YYYYMMDD (PDS may hold only YYYY or YYYYMM)
    gender: str  # male / female / other / unknown, or ""
    postcode: str


@dataclass(frozen=True, slots=True)
class PdsRecord:
    """What PDS answered for one patient (a QUPA_IN000009UK03 read by scrtui/spine/pds.py)."""

    demographics: Demographics
    given_names: tuple[str, ...] = ()  # every given name, in order
    sensitive: bool = False
    deceased_on: str = ""  # YYYYMMDD or ""
    gp_ods_code: str = ""  # the current GP registration, "" when none is returned


def demographics_of(
    nhs_number: str, forename: str, surname: str, born: date, gender: str, postcode: str
) -> Demographics:
    """The practice's side, from the fields of a patient record."""
    return Demographics(nhs_number, forename, surname, f"{born:%Y%m%d}", gender, postcode)


def summary_text(code: str | None, text: str | None) -> str | None:
    """A reason as the counts by reason show it: a PDS reason by its label, since each
    patient's text carries that patient's values."""
    return REASON_LABELS.get(code or "", text)


def normalise(value: str) -> str:
    """Trailing punctuation and whitespace stripped, other whitespace runs one space.

    Leading whitespace goes too (Vision strips it from postcodes, docs/pds.md §3). Case is
    kept: no source says Vision ignores it.
    """
    text = _SPACES.sub(" ", value).strip()
    while text and (unicodedata.category(text[-1]).startswith("P") or text[-1].isspace()):
        text = text[:-1]
    return text


def _same(ours: str, theirs: str) -> bool:
    """Equal after normalising; blanks on both sides match, a blank on one side does not."""
    return normalise(ours) == normalise(theirs)


def _forename_matches(ours: str, pds: PdsRecord) -> bool:
    """The practice's forename against PDS's first given name, or all its given names."""
    names = pds.given_names or (pds.demographics.forename,)
    return _same(ours, names[0]) or _same(ours, " ".join(names))


def _show(value: str, field: str) -> str:
    text = normalise(value)
    if not text:
        return "blank"
    if field == "date of birth":
        return _show_date(text)
    return text


def _show_date(text: str) -> str:
    if len(text) == 8 and text.isdigit():
        return f"{text[6:]}/{text[4:6]}/{text[:4]}"
    if len(text) == 6 and text.isdigit():
        return f"{text[4:]}/{text[:4]}"
    return text


def _difference(field: str, ours: str, theirs: str) -> str:
    return f"{field} (practice {_show(ours, field)}, PDS {_show(theirs, field)})"


def mismatched_fields(ours: Demographics, pds: PdsRecord) -> list[str]:
    """Each rule that fails, as "field (practice X, PDS Y)"; empty when synchronised."""
    theirs = pds.demographics
    out: list[str] = []
    if not _same(ours.gender, theirs.gender):
        out.append(_difference("gender", ours.gender, theirs.gender))
    if not _same(ours.date_of_birth, theirs.date_of_birth):
        out.append(_difference("date of birth", ours.date_of_birth, theirs.date_of_birth))
    if not _same(ours.surname, theirs.surname):
        out.append(_difference("surname", ours.surname, theirs.surname))
    forename_ok = _forename_matches(ours.forename, pds)
    if not forename_ok and not _same(ours.postcode, theirs.postcode):
        given = " ".join(pds.given_names) if pds.given_names else theirs.forename
        out.append(_difference("forename", ours.forename, given))
        out.append(_difference("postcode", ours.postcode, theirs.postcode))
    return out


def verdict(ours: Demographics, pds: PdsRecord | None, practice_ods: str) -> Reason | None:
    """None when the patient is synchronised with PDS; else why it is Not Required."""
    if pds is None:
        return Reason(PDS_NOT_FOUND, "Not found on PDS (no match to a Service User record)")
    theirs = pds.demographics
    if theirs.nhs_number != ours.nhs_number:
        return Reason(
            PDS_SUPERSEDED,
            f"NHS number superseded on PDS: practice {ours.nhs_number}, PDS {theirs.nhs_number}",
        )
    if pds.sensitive:
        return Reason(PDS_SENSITIVE, "Record sensitive on PDS (confidentiality S)")
    if pds.deceased_on:
        return Reason(PDS_DECEASED, f"Deceased on PDS ({_show_date(pds.deceased_on)})")
    if pds.gp_ods_code and pds.gp_ods_code.upper() != practice_ods.upper():
        return Reason(
            PDS_OTHER_PRACTICE,
            f"Registered with another practice on PDS ({pds.gp_ods_code})",
        )
    fields = mismatched_fields(ours, pds)
    if fields:
        return Reason(PDS_MISMATCH, "PDS mismatch: " + "; ".join(fields))
    return None
