"""The simulator's PDS: answers the PDS Retrieval Query from its own table of patients.

The table is built from the practice database (read once, at the first query, so that a later
fix of the practice's record does not change what "PDS" holds), then a configurable share of
patients is made to differ in each way (docs/pds.md §5), and `pds_records` in the config
overrides single patients field by field. Replies have the shapes of docs/pds.md §2.
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from scrtui.domain.pds_match import PDS_GENDERS, Demographics, PdsRecord
from scrtui.spine.message import NHS_NUMBER_OID, attr, text
from scrtui.spine.pds import FAILURE_ROOT, GP_REGISTRATION_CODE, ODS_OID

# Each kind a share of the table may be given (config pds_shares), in the order they are drawn.
KINDS = (
    "surname",
    "gender",
    "date_of_birth",
    "forename_postcode",
    "not_found",
    "superseded",
    "sensitive",
    "other_practice",
    "deceased",
)
OTHER_PRACTICE = "B86099"
_GENDER_CODES = {word: code for code, word in PDS_GENDERS.items()}


@dataclass
class PdsTable:
    """NHS number -> the PDS record; absent means "no match"."""

    records: dict[str, PdsRecord | None] = field(default_factory=dict)
    loaded: bool = False
    requests: int = 0  # PDS queries received, faults included
    queries: int = 0  # PDS queries answered


def load_practice(db_path: str) -> tuple[dict[str, PdsRecord], str]:
    """The practice's patients as PDS would hold them when all is in order, and its ODS code."""
    uri = f"file:{db_path}?mode=ro"
    with sqlite3.connect(uri, uri=True) as db:
        ods_row = db.execute("SELECT ods_code FROM practice LIMIT 1").fetchone()
        ods = ods_row[0] if ods_row else ""
        rows = db.execute(
            "SELECT nhs_number, forename, surname, date_of_birth, gender, postcode FROM patient"
        ).fetchall()
    records: dict[str, PdsRecord] = {}
    for nhs, forename, surname, born, gender, postcode in rows:
        dob = str(born).replace("-", "")[:8]
        demographics = Demographics(nhs, forename, surname, dob, gender, postcode)
        records[nhs] = PdsRecord(demographics, given_names=(forename,), gp_ods_code=ods)
    return records, ods


def draw(nhs: str, seed: int | None, shares: dict[str, float]) -> str | None:
    """The kind of difference this patient gets, fixed by its number and the seed."""
    digest = hashlib.sha256(f"{seed}:{nhs}".encode()).digest()
    roll = int.from_bytes(digest[:8], "big") / 2**64
    for kind in KINDS:
        share = shares.get(kind, 0.0)
        if roll < share:
            return kind
        roll -= share
    return None


def differ(record: PdsRecord, kind: str) -> PdsRecord | None:
    """The record changed in one way (None: PDS does not know the patient)."""
    d = record.demographics
    if kind == "not_found":
        return None
    if kind == "surname":
        return replace(record, demographics=replace(d, surname=d.surname + "-Jones"))
    if kind == "gender":
        other = "female" if d.gender == "male" else "male"
        return replace(record, demographics=replace(d, gender=other))
    if kind == "date_of_birth":
        day = "01" if d.date_of_birth[6:] != "01" else "02"
        return replace(record, demographics=replace(d, date_of_birth=d.date_of_birth[:6] + day))
    if kind == "forename_postcode":
        changed = replace(d, forename=d.forename + "ina", postcode="ZZ99 9ZZ")
        return replace(record, demographics=changed, given_names=(changed.forename,))
    if kind == "superseded":
        return replace(record, demographics=replace(d, nhs_number=_successor(d.nhs_number)))
    if kind == "sensitive":
        return replace(record, sensitive=True, gp_ods_code="")
    if kind == "other_practice":
        return replace(record, gp_ods_code=OTHER_PRACTICE)
    if kind == "deceased":
        return replace(record, deceased_on="20240102")
    raise ValueError(f"unknown PDS difference {kind!r}")


def _successor(nhs: str) -> str:
    """Another valid NHS number in the test range (999...), for a superseded record."""
    from scrtui.domain import nhs_number

    base = int(nhs[:9])
    for step in range(1, 100):
        candidate = f"{(base + step) % 10**9:09d}"
        for check in range(10):
            number = candidate + str(check)
            if nhs_number.is_valid(number) and number != nhs:
                return number
    raise ValueError("no successor NHS number")


def override(record: PdsRecord | None, nhs: str, changes: dict[str, Any]) -> PdsRecord | None:
    """A test's field-by-field record for one patient ({"not_found": true} removes it)."""
    if changes.get("not_found"):
        return None
    base = record or PdsRecord(Demographics(nhs, "", "", "", "", ""))
    fields = {k: v for k, v in changes.items() if k in Demographics.__dataclass_fields__}
    demographics = replace(base.demographics, **fields)
    given = tuple(changes.get("given_names", (demographics.forename,)))
    extra = {k: changes[k] for k in ("sensitive", "deceased_on", "gp_ods_code") if k in changes}
    return replace(base, demographics=demographics, given_names=given, **extra)


# --- replies ---


def _wrapper_start(root: str, query_id: str, type_code: str) -> str:
    return (
        f'<{root} xmlns="urn:hl7-org:v3">'
        f'<id root="{uuid.uuid4()!s}"/>'
        f'<interactionId root="2.16.840.1.113883.2.1.3.2.4.12" extension="{root}"/>'
        f'<acknowledgement typeCode="{type_code}"><messageRef><id root="{attr(query_id)}"/>'
        "</messageRef></acknowledgement>"
    )


def success_reply(record: PdsRecord, query_id: str) -> str:
    d = record.demographics
    given = "".join(f"<given>{text(g)}</given>" for g in record.given_names if g)
    confidentiality = (
        '<confidentialityCode code="S" codeSystem="2.16.840.1.113883.2.1.3.2.4.16.1"/>'
        if record.sensitive
        else ""
    )
    gender = _GENDER_CODES.get(d.gender, "")
    parts = [
        _wrapper_start("QUPA_IN000009UK03", query_id, "AA"),
        '<ControlActEvent classCode="CACT" moodCode="EVN"><subject typeCode="SUBJ">',
        '<PDSResponse classCode="OBS" moodCode="EVN"><pertinentInformation typeCode="PERT">',
        '<pertinentSerialChangeNumber classCode="OBS" moodCode="EVN"><value value="1"/>'
        "</pertinentSerialChangeNumber></pertinentInformation>",
        '<subject typeCode="SBJ"><patientRole classCode="PAT">',
        f'<id root="{NHS_NUMBER_OID}" extension="{attr(d.nhs_number)}"/>{confidentiality}',
        '<patientPerson classCode="PSN" determinerCode="INSTANCE">',
        f'<administrativeGenderCode code="{gender}"/>' if gender else "",
        f'<birthTime value="{attr(d.date_of_birth)}"/>' if d.date_of_birth else "",
        f'<deceasedTime value="{attr(record.deceased_on)}"/>' if record.deceased_on else "",
        '<COCT_MT000203UK02.PartOfWhole classCode="PART"><partPerson classCode="PSN" '
        f'determinerCode="INSTANCE"><name use="L">{given}',
        f"<family>{text(d.surname)}</family>" if d.surname else "",
        "</name></partPerson></COCT_MT000203UK02.PartOfWhole>",
    ]
    if d.postcode and not record.sensitive:
        parts.append(
            '<COCT_MT000201UK02.PartOfWhole classCode="PART"><addr use="H">'
            f"<postalCode>{text(d.postcode)}</postalCode></addr></COCT_MT000201UK02.PartOfWhole>"
        )
    if record.gp_ods_code:
        parts.append(
            '<playedOtherProviderPatient classCode="PAT"><subjectOf typeCode="SUBJ">'
            '<patientCareProvisionEvent classCode="PCPR" moodCode="EVN">'
            f'<code code="{GP_REGISTRATION_CODE}" codeSystem="2.16.840.1.113883.2.1.3.2.4.17.37"/>'
            f'<performer typeCode="PRF"><assignedEntity classCode="ASSIGNED"><id root="{ODS_OID}" '
            f'extension="{attr(record.gp_ods_code)}"/></assignedEntity></performer>'
            "</patientCareProvisionEvent></subjectOf></playedOtherProviderPatient>"
        )
    parts.append(
        "</patientPerson></patientRole></subject></PDSResponse></subject></ControlActEvent>"
        "</QUPA_IN000009UK03>"
    )
    return "".join(parts)


def no_match_reply(query_id: str) -> str:
    return (
        _wrapper_start(FAILURE_ROOT, query_id, "AE")
        + '<ControlActEvent classCode="CACT" moodCode="EVN"><reason typeCode="RSON">'
        '<justifyingDetectedIssueEvent classCode="ALRT" moodCode="EVN">'
        '<code code="1" codeSystem="2.16.840.1.113883.2.1.3.2.4.17.42" '
        'displayName="No match to a Service User record"/></justifyingDetectedIssueEvent>'
        '</reason><queryAck type="QueryAck"><queryResponseCode code="ID"/></queryAck>'
        f"</ControlActEvent></{FAILURE_ROOT}>"
    )
