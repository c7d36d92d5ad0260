"""The PDS Retrieval Query (QUPA_IN000008UK02) and the reading of its reply.

docs/pds.md has the shapes. The MHS adaptor's synchronous workflow hands back only the HL7
element of Spine's reply: QUPA_IN000009UK03 (the patient) or QUQI_IN010000UK14 (the query
failed; "no match" is code 1 or RT003). Element names are matched without their namespace, as
in acknowledgement.py, and a DOCTYPE is refused.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime

from scrtui.domain.pds_match import PDS_GENDERS, Demographics, PdsRecord
from scrtui.spine.message import ASID_OID, NHS_NUMBER_OID, attr, hl7_time
from scrtui.spine.xml_names import child, children, local_name, parse, path

QUERY_INTERACTION_ID = "QUPA_IN000008UK02"
SUCCESS_ROOT = "QUPA_IN000009UK03"
FAILURE_ROOT = "QUQI_IN010000UK14"
ODS_OID = "2.16.840.1.113883.2.1.4.3"
GP_REGISTRATION_CODE = "1"  # patientCareProvisionEvent code 1: the registered GP (P1: pharmacy)
NO_MATCH_CODES = frozenset({"1", "RT003"})
HISTORIC_OID = "2.16.840.1.113883.2.1.3.2.4.17.36"
# HL7 v3 TS: YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]; PDS may hold a birth as YYYY or YYYYMM.
_HL7_TIME = re.compile(  # ASCII digits only: int() would read other scripts
    r"(\d{4})(?:(\d{2})(?:(\d{2})(?:\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,4})?)?)?)?)?)?(?:[+-]\d{4})?",
    re.ASCII,
)

_QUERY = """<QUPA_IN000008UK02 xmlns="urn:hl7-org:v3">
<id root="{message_id}"/>
<creationTime value="{created}"/>
<versionCode code="V3NPfIT3.0"/>
<interactionId root="2.16.840.1.113883.2.1.3.2.4.12" extension="QUPA_IN000008UK02"/>
<processingCode code="P"/>
<processingModeCode code="T"/>
<acceptAckCode code="NE"/>
<communicationFunctionRcv typeCode="RCV"><device classCode="DEV" determinerCode="INSTANCE">\
<id root="{asid_oid}" extension="{spine_asid}"/></device></communicationFunctionRcv>
<communicationFunctionSnd typeCode="SND"><device classCode="DEV" determinerCode="INSTANCE">\
<id root="{asid_oid}" extension="{sending_asid}"/></device></communicationFunctionSnd>
<ControlActEvent classCode="CACT" moodCode="EVN">
<author1 typeCode="AUT"><AgentSystemSDS classCode="AGNT"><agentSystemSDS classCode="DEV" \
determinerCode="INSTANCE"><id root="{asid_oid}" extension="{sending_asid}"/></agentSystemSDS>\
</AgentSystemSDS></author1>
<query>
<historicDataIndicator><value code="0" codeSystem="{historic_oid}"/>\
<semanticsText>historicDataIndicator</semanticsText></historicDataIndicator>
<person.id><value root="{nhs_oid}" extension="{nhs_number}"/>\
<semanticsText>person.id</semanticsText></person.id>
<retrievalItem><semanticsText>person.allData</semanticsText></retrievalItem>
</query>
</ControlActEvent>
</QUPA_IN000008UK02>
"""


class PdsReplyError(ValueError):
    """The body is not a PDS reply to our query: never read as a patient or as "not found"."""


@dataclass(frozen=True, slots=True)
class PdsReply:
    """A usable reply: the patient, or None with the failure's codes ("not found" or other)."""

    record: PdsRecord | None
    failure_codes: tuple[str, ...] = ()
    failure_text: str = ""

    @property
    def not_found(self) -> bool:
        return self.record is None and bool(NO_MATCH_CODES & set(self.failure_codes))


def build_query(
    nhs_number: str, *, message_id: str, sending_asid: str, spine_asid: str, now: datetime
) -> str:
    """QUPA_IN000008UK02 for one NHS number, current data only, sent by this system.

    Only the system author (author1) is given: the MIM's person author is for a query a person
    starts, and these go out of a bulk run (docs/pds.md §1).
    """
    return _QUERY.format(
        message_id=message_id,
        created=hl7_time(now),
        asid_oid=ASID_OID,
        spine_asid=attr(spine_asid),
        sending_asid=attr(sending_asid),
        historic_oid=HISTORIC_OID,
        nhs_oid=NHS_NUMBER_OID,
        nhs_number=attr(nhs_number),
    )


def _root(body: bytes | str) -> ET.Element:
    root = parse(body, "PDS reply", PdsReplyError)
    for element in root.iter():
        if local_name(element.tag) in (SUCCESS_ROOT, FAILURE_ROOT):
            return element
    raise PdsReplyError(f"expected {SUCCESS_ROOT} or {FAILURE_ROOT}, got <{local_name(root.tag)}>")


def _check_ref(root: ET.Element, message_id: str) -> None:
    ref = path(root, "acknowledgement", "messageRef", "id")
    if ref is None:
        raise PdsReplyError("PDS reply has no acknowledgement/messageRef")
    if ref.get("root", "").strip().upper() != message_id.upper():
        raise PdsReplyError("PDS reply answers another query (messageRef differs)")


def parse_reply(body: bytes | str, message_id: str) -> PdsReply:
    """Read a PDS reply to the query `message_id`; PdsReplyError when it is not one, or when
    a value is not in the form docs/pds.md §2 documents (never a patient PDS did not send)."""
    root = _root(body)
    _check_ref(root, message_id)
    if local_name(root.tag) == FAILURE_ROOT:
        return _failure(root)
    type_code = _value(child(root, "acknowledgement"), "typeCode")
    if type_code != "AA":
        # A success-shaped reply that PDS did not acknowledge is not an answer to trust.
        raise PdsReplyError(f"{SUCCESS_ROOT} with acknowledgement typeCode {type_code!r}, not AA")
    response = path(root, "ControlActEvent", "subject", "PDSResponse")
    role = path(response, "subject", "patientRole")
    if role is None:
        raise PdsReplyError("PDS reply has no PDSResponse/subject/patientRole")
    return PdsReply(_record(role))


def _failure(root: ET.Element) -> PdsReply:
    codes: list[str] = []
    texts: list[str] = []
    event = child(root, "ControlActEvent")
    for reason in children(event, "reason") if event is not None else ():
        code = path(reason, "justifyingDetectedIssueEvent", "code")
        if code is not None and code.get("code"):
            codes.append(code.get("code", "").strip())
            texts.append((code.get("displayName") or "").strip())
    if not codes:
        raise PdsReplyError(f"{FAILURE_ROOT} without a reason code")
    return PdsReply(None, tuple(codes), "; ".join(t for t in texts if t))


def _value(element: ET.Element | None, name: str) -> str:
    return (element.get(name) or "").strip() if element is not None else ""


def _text(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _usual_name(person: ET.Element) -> ET.Element | None:
    for part in children(person, "COCT_MT000203UK02.PartOfWhole"):
        name = path(part, "partPerson", "name")
        if name is not None and name.get("use", "L") == "L":
            return name
    return None


def _home_postcode(person: ET.Element) -> str:
    for part in children(person, "COCT_MT000201UK02.PartOfWhole"):
        address = child(part, "addr")
        if address is not None and address.get("use", "H") == "H":
            return _text(child(address, "postalCode"))
    return ""


def _gp(person: ET.Element) -> str:
    provider = child(person, "playedOtherProviderPatient")
    for subject in children(provider, "subjectOf") if provider is not None else ():
        event = child(subject, "patientCareProvisionEvent")
        if event is None or _value(child(event, "code"), "code") != GP_REGISTRATION_CODE:
            continue
        if path(event, "effectiveTime", "high") is not None:
            continue  # a past registration
        return _value(path(event, "performer", "assignedEntity", "id"), "extension")
    return ""


def hl7_date(value: str, what: str) -> str:
    """The date part (YYYY, YYYYMM or YYYYMMDD) of an HL7 time; PdsReplyError for anything
    else ("1980-01-01", "-", a 13th month): a value PDS did not send in its documented form."""
    match = _HL7_TIME.fullmatch(value)
    if match is None:
        raise PdsReplyError(f"PDS reply's {what} {value[:40]!r} is not an HL7 date (YYYYMMDD)")
    year, month, day = match[1], match[2], match[3]
    try:
        date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise PdsReplyError(f"PDS reply's {what} {value[:40]!r} is not a date") from None
    return year + (month or "") + (day or "")


def _gender(person: ET.Element) -> str:
    element = child(person, "administrativeGenderCode")
    if element is None:
        raise PdsReplyError("PDS reply has no administrativeGenderCode")
    code = _value(element, "code")
    if code not in PDS_GENDERS:
        known = ", ".join(PDS_GENDERS)
        raise PdsReplyError(f"PDS reply's gender code {code[:20]!r} is not one of {known}")
    return PDS_GENDERS[code]


def _birth(person: ET.Element) -> str:
    element = child(person, "birthTime")
    if element is None:
        raise PdsReplyError("PDS reply has no birthTime")
    return hl7_date(_value(element, "value"), "birthTime")


def _death(person: ET.Element) -> str:
    element = child(person, "deceasedTime")
    return "" if element is None else hl7_date(_value(element, "value"), "deceasedTime")


def _record(role: ET.Element) -> PdsRecord:
    nhs = _value(child(role, "id"), "extension")
    if not nhs:
        raise PdsReplyError("PDS reply has no NHS number (patientRole/id)")
    person = child(role, "patientPerson")
    if person is None:
        raise PdsReplyError("PDS reply has no patientPerson")
    name = _usual_name(person)
    if name is None or child(name, "family") is None:
        # Every PDS record has a usual name; its absence is an unreadable answer, not a blank.
        raise PdsReplyError("PDS reply has no usual name (name use L with a family name)")
    given = tuple(_text(g) for g in children(name, "given"))
    demographics = Demographics(
        nhs_number=nhs,
        forename=given[0] if given else "",
        surname=_text(child(name, "family")),
        date_of_birth=_birth(person),
        gender=_gender(person),
        postcode=_home_postcode(person),
    )
    return PdsRecord(
        demographics,
        given_names=given,
        sensitive=_value(child(role, "confidentialityCode"), "code") == "S",
        deceased_on=_death(person),
        gp_ods_code=_gp(person),
    )


def queried_nhs_number(payload: str) -> str:
    """The NHS number a QUPA_IN000008UK02 asks about ("" when it names none)."""
    try:
        root = _root_of_query(payload)
    except PdsReplyError:
        return ""
    value = path(root, "ControlActEvent", "query", "person.id", "value")
    return _value(value, "extension")


def _root_of_query(payload: str) -> ET.Element:
    if "<!DOCTYPE" in payload:
        raise PdsReplyError("query carries a DOCTYPE")
    try:
        return ET.fromstring(payload)
    except ET.ParseError as exc:
        raise PdsReplyError(f"query is not well-formed XML ({exc})") from None
