"""The GP Summary message (REPC_IN150016UK05), built from a string template.

A template with `saxutils.escape` costs tens of microseconds per message; building a tree with
lxml or ElementTree costs 7-9 times more (docs/performance-baseline.md §2), and this runs once
per patient. The layout follows the NHS MHS adaptor's SCR example (cleanSummaryUpdate.xml); a
test compares every fixed element and attribute with that file.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from xml.sax.saxutils import escape

from scrtui.domain.records import Author, PatientRecord
from scrtui.domain.summary import summary_for

INTERACTION_ID = "REPC_IN150016UK05"
VERSION_CODE = "V3NPfIT4.2.00"
HL7_NAMESPACE = "urn:hl7-org:v3"

# OIDs of docs/domain.md §4.6.
ASID_OID = "1.2.826.0.1285.0.2.0.107"
ROLE_PROFILE_OID = "1.2.826.0.1285.0.2.0.67"
SDS_USER_OID = "1.2.826.0.1285.0.2.0.65"
JOB_ROLE_OID = "1.2.826.0.1285.0.2.1.104"
NHS_NUMBER_OID = "2.16.840.1.113883.2.1.4.1"

# Characters XML 1.0 cannot carry at all, escaped or not. Patient data typed into a practice
# system can contain them (pasted control characters); they become U+FFFD so the message
# always parses.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# A bare CR would be folded into LF by any parser; a character reference keeps it.
_TEXT_ENTITIES = {"\r": "&#13;"}
# Attribute values are normalised by parsers (tabs and newlines become spaces) unless written
# as character references.
_ATTR_ENTITIES = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}


def new_message_id() -> str:
    """A fresh message id: an upper-case UUID4, as the Spine examples use."""
    return str(uuid.uuid4()).upper()


def text(value: str) -> str:
    """Escape a string for element content."""
    return escape(_NOT_XML.sub("\ufffd", value), _TEXT_ENTITIES)


def attr(value: str) -> str:
    """Escape a string for a double-quoted attribute value."""
    return escape(_NOT_XML.sub("\ufffd", value), _ATTR_ENTITIES)


def hl7_time(moment: datetime) -> str:
    """HL7 TS `yyyyMMddHHmmss`, in whatever zone `moment` is in (pass practice local time)."""
    return moment.strftime("%Y%m%d%H%M%S")


def presentation_text(patient: PatientRecord, today: date, closing_text: str | None = None) -> str:
    """The readable summary with its section headings (the foundation issue's content rules),
    and an upload's closing sentence (deregistration, no longer contributing) after them."""
    body = summary_for(patient, today).as_text()
    return f"{body}\n\n{closing_text}" if closing_text else body


def _replacement_of(replaces: str | None) -> str:
    if replaces is None:
        return ""
    return (
        '<replacementOf typeCode="RPLC">'
        '<priorMessageRef classCode="COMPOSITION" moodCode="EVN">'
        f'<id root="{attr(replaces)}"/>'
        "</priorMessageRef>"
        "</replacementOf>"
    )


def build_gp_summary(
    patient: PatientRecord,
    author: Author,
    *,
    message_id: str,
    sending_asid: str,
    spine_asid: str,
    now: datetime,
    today: date,
    replaces: str | None = None,
    closing_text: str | None = None,
) -> str:
    """The REPC_IN150016UK05 XML for one patient, sent as `author`.

    `message_id` is the HL7 id and must also be the request's Message-Id header. `replaces` is
    the id of the summary this one replaces (a Rerun), emitted as replacementOf.
    """
    stamp = hl7_time(now)
    sender = attr(sending_asid)
    role_profile = attr(author.role_profile_id)
    user_id = attr(author.sds_user_id)
    return (
        f'<REPC_IN150016UK05 xmlns="{HL7_NAMESPACE}" ITSVersion="XML_1.0">'
        f'<id root="{attr(message_id)}"/>'
        f'<creationTime value="{stamp}"/>'
        f'<versionCode code="{VERSION_CODE}"/>'
        f'<interactionId root="2.16.840.1.113883.2.1.3.2.4.12" extension="{INTERACTION_ID}"/>'
        '<processingCode code="P"/>'
        '<processingModeCode code="T"/>'
        '<acceptAckCode code="NE"/>'
        '<communicationFunctionRcv typeCode="RCV">'
        '<device classCode="DEV" determinerCode="INSTANCE">'
        f'<id root="{ASID_OID}" extension="{attr(spine_asid)}"/>'
        "</device>"
        "</communicationFunctionRcv>"
        '<communicationFunctionSnd typeCode="SND">'
        '<device classCode="DEV" determinerCode="INSTANCE">'
        f'<id root="{ASID_OID}" extension="{sender}"/>'
        "</device>"
        "</communicationFunctionSnd>"
        '<ControlActEvent classCode="ALRT" moodCode="EVN">'
        '<author1 typeCode="AUT">'
        '<AgentSystemSDS classCode="AGNT">'
        '<agentSystemSDS classCode="DEV" determinerCode="INSTANCE">'
        f'<id root="{ASID_OID}" extension="{sender}"/>'
        "</agentSystemSDS>"
        "</AgentSystemSDS>"
        "</author1>"
        '<author typeCode="AUT">'
        '<AgentPersonSDS classCode="AGNT">'
        f'<id root="{ROLE_PROFILE_OID}" extension="{role_profile}"/>'
        '<agentPersonSDS classCode="PSN" determinerCode="INSTANCE">'
        f'<id root="{SDS_USER_OID}" extension="{user_id}"/>'
        "</agentPersonSDS>"
        '<part typeCode="PART">'
        '<partSDSRole classCode="ROL">'
        f'<id root="{JOB_ROLE_OID}" extension="{attr(author.job_role_code)}"/>'
        "</partSDSRole>"
        "</part>"
        "</AgentPersonSDS>"
        "</author>"
        '<subject typeCode="SUBJ" contextConductionInd="false">'
        '<GPSummary classCode="COMPOSITION" moodCode="EVN">'
        # The summary's id is the message id (as the NHS SCRWebService example does): a Rerun's
        # replacementOf names our previous message id, so it must be the summary it replaces,
        # and a resend after a crash carries the very same summary.
        f'<id root="{attr(message_id)}"/>'
        '<code code="196981000000101" codeSystem="2.16.840.1.113883.2.1.3.2.4.15"'
        ' displayName="General Practice Summary"/>'
        f'<effectiveTime value="{stamp}"/>'
        '<statusCode code="active"/>'
        '<author typeCode="AUT" contextControlCode="OP">'
        f'<time value="{stamp}"/>'
        '<UKCT_MT160018UK01.AgentPersonSDS classCode="AGNT"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f'<id root="{ROLE_PROFILE_OID}" extension="{role_profile}"/>'
        '<agentPersonSDS classCode="PSN" determinerCode="INSTANCE">'
        f'<id root="{SDS_USER_OID}" extension="{user_id}"/>'
        f"<name><family>{text(author.name)}</family></name>"
        "</agentPersonSDS>"
        "</UKCT_MT160018UK01.AgentPersonSDS>"
        "</author>"
        '<excerptFrom typeCode="XCRPT" inversionInd="false" contextConductionInd="true"'
        ' negationInd="false">'
        '<templateId root="2.16.840.1.113883.2.1.3.2.4.18.2"'
        ' extension="CSAT_RM-NPfITUK10.excerptFrom"/>'
        '<seperatableInd value="false"/>'
        '<UKCT_MT144051UK01.CareProfessionalDocumentationCRE classCode="CATEGORY" moodCode="EVN">'
        '<code code="163171000000105" codeSystem="2.16.840.1.113883.2.1.3.2.4.15"'
        ' displayName="Care Professional Documentation"/>'
        '<component typeCode="COMP" inversionInd="false" negationInd="false">'
        '<templateId root="2.16.840.1.113883.2.1.3.2.4.18.2"'
        ' extension="CSAB_RM-NPfITUK10.component"/>'
        '<seperatableInd value="false"/>'
        '<presentationText classCode="OBS" moodCode="EVN">'
        '<value mediaType="text/plain">'
        f"{text(presentation_text(patient, today, closing_text))}</value>"
        f'<id root="{new_message_id()}"/>'
        '<code code="PresentationText" codeSystem="2.16.840.1.113883.2.1.3.2.4.17.126"'
        ' displayName="Presentation Text"/>'
        '<statusCode code="completed"/>'
        f'<effectiveTime value="{stamp}"/>'
        "</presentationText>"
        "</component>"
        "</UKCT_MT144051UK01.CareProfessionalDocumentationCRE>"
        "</excerptFrom>"
        '<pertinentInformation1 typeCode="PERT" inversionInd="false" contextConductionInd="true"'
        ' negationInd="false">'
        '<templateId root="2.16.840.1.113883.2.1.3.2.4.18.2"'
        ' extension="CSAB_RM-NPfITUK10.pertinentInformation1"/>'
        '<seperatableInd value="true"/>'
        '<pertinentRootCREType classCode="CATEGORY" moodCode="EVN">'
        '<code code="163171000000105" codeSystem="2.16.840.1.113883.2.1.3.2.4.15"'
        ' displayName="Care Professional Documentation"/>'
        "</pertinentRootCREType>"
        "</pertinentInformation1>"
        # Structured clinical content is not supported by the SCR example either (§4.6): the
        # element stays as an empty placeholder, as in the NHS example.
        '<pertinentInformation2 typeCode="PERT" inversionInd="false" contextConductionInd="true"'
        ' negationInd="false"></pertinentInformation2>'
        '<recordTarget typeCode="RCT">'
        '<patient classCode="PAT">'
        f'<id root="{NHS_NUMBER_OID}" extension="{attr(patient.nhs_number)}"/>'
        "</patient>"
        "</recordTarget>"
        f"{_replacement_of(replaces)}"
        "</GPSummary>"
        "</subject>"
        "</ControlActEvent>"
        "</REPC_IN150016UK05>"
    )
