"""SET_RESOURCE_PERMISSIONS_INUK01: a patient's SCR consent for the Spine's consent service.

A synchronous SOAP request (not ebXML, not through the MHS adaptor, which does not know this
interaction: docs/uploads.md "Consent Migration"). The fields follow the NHS SCR API's
template as docs/uploads.md lists them: version V3NPfIT3.0, the NHS number as resource context
and SCR resource id, the permission, function Consent/View, accessor Everyone, the author's
role profile, SDS user id and job role, and this system's ASID as author1.
"""

from __future__ import annotations

from datetime import datetime

from scrtui.domain.records import Author
from scrtui.spine.message import (
    ASID_OID,
    HL7_NAMESPACE,
    JOB_ROLE_OID,
    NHS_NUMBER_OID,
    ROLE_PROFILE_OID,
    SDS_USER_OID,
    attr,
    hl7_time,
    text,
)

CONSENT_INTERACTION = "SET_RESOURCE_PERMISSIONS_INUK01"
SOAP_ACTION = f"urn:nhs:names:services:lrs/{CONSENT_INTERACTION}"
CONSENT_VERSION = "V3NPfIT3.0"
SOAP_NAMESPACE = "http://schemas.xmlsoap.org/soap/envelope/"
WSA_NAMESPACE = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
CRS_NAMESPACE = "http://national.carerecords.nhs.uk/schema/crs/"


def _device(role: str, asid: str) -> str:
    return (
        f'<communicationFunction{role} typeCode="{role.upper()}">'
        '<device classCode="DEV" determinerCode="INSTANCE">'
        f'<id root="{ASID_OID}" extension="{attr(asid)}"/>'
        f"</device></communicationFunction{role}>"
    )


def build_set_permissions(
    nhs_number: str,
    permission: str,
    author: Author,
    *,
    message_id: str,
    sending_asid: str,
    spine_asid: str,
    endpoint: str,
    now: datetime,
) -> str:
    """The SOAP envelope for one patient. `message_id` is also the HL7 id the reply's
    acknowledgement names, so the ack reader checks the reply is for this request."""
    nhs = attr(nhs_number)
    return (
        f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{SOAP_NAMESPACE}" xmlns:wsa="{WSA_NAMESPACE}"'
        f' xmlns="{HL7_NAMESPACE}">'
        "<SOAP-ENV:Header>"
        f"<wsa:MessageID>uuid:{text(message_id)}</wsa:MessageID>"
        f"<wsa:Action>{SOAP_ACTION}</wsa:Action>"
        f"<wsa:To>{text(endpoint)}</wsa:To>"
        f"{_device('Rcv', spine_asid)}{_device('Snd', sending_asid)}"
        "</SOAP-ENV:Header>"
        "<SOAP-ENV:Body>"
        f'<{CONSENT_INTERACTION} xmlns="{HL7_NAMESPACE}" xmlns:crs="{CRS_NAMESPACE}">'
        f'<id root="{attr(message_id)}"/>'
        f'<creationTime value="{hl7_time(now)}"/>'
        f'<versionCode code="{CONSENT_VERSION}"/>'
        '<interactionId root="2.16.840.1.113883.2.1.3.2.4.12"'
        f' extension="{CONSENT_INTERACTION}"/>'
        '<processingCode code="P"/><processingModeCode code="T"/><acceptAckCode code="NE"/>'
        f"{_device('Rcv', spine_asid)}{_device('Snd', sending_asid)}"
        '<ControlActEvent classCode="CACT" moodCode="EVN">'
        '<author typeCode="AUT"><AgentPersonSDS classCode="AGNT">'
        f'<id root="{ROLE_PROFILE_OID}" extension="{attr(author.role_profile_id)}"/>'
        '<agentPersonSDS classCode="PSN" determinerCode="INSTANCE">'
        f'<id root="{SDS_USER_OID}" extension="{attr(author.sds_user_id)}"/>'
        "</agentPersonSDS>"
        '<part typeCode="PART"><partSDSRole classCode="ROL">'
        f'<id root="{JOB_ROLE_OID}" extension="{attr(author.job_role_code)}"/>'
        "</partSDSRole></part></AgentPersonSDS></author>"
        '<author1 typeCode="AUT"><AgentSystemSDS classCode="AGNT">'
        '<agentSystemSDS classCode="DEV" determinerCode="INSTANCE">'
        f'<id root="{ASID_OID}" extension="{attr(sending_asid)}"/>'
        "</agentSystemSDS></AgentSystemSDS></author1>"
        "<crs:setResourcePermissionsRequest><crs:permissions>"
        f'<crs:resourceContext root="{NHS_NUMBER_OID}" extension="{nhs}"/>'
        "<crs:accessControlAssertion>"
        f"<crs:permission>{text(permission)}</crs:permission>"
        "<crs:userData></crs:userData>"
        f"<crs:resource><crs:type>SCR</crs:type><crs:Id>{text(nhs_number)}</crs:Id></crs:resource>"
        "<crs:function><crs:context>Consent</crs:context><crs:code>View</crs:code></crs:function>"
        "<crs:accessor><crs:type>Everyone</crs:type>"
        "<crs:accessorId><crs:name>Everyone</crs:name></crs:accessorId></crs:accessor>"
        "</crs:accessControlAssertion></crs:permissions></crs:setResourcePermissionsRequest>"
        f"</ControlActEvent></{CONSENT_INTERACTION}>"
        "</SOAP-ENV:Body></SOAP-ENV:Envelope>"
    )
