"""The Spine's acknowledgements (MCCI_IN010000UK13) the simulator answers with, and their codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from scrtui.spine.message import (
    attr,
)
from scrtui.standins.simulator.config import PSIS_CODE_SYSTEM, SPINE_ASID

INVALID_REQUEST = ("400", "Invalid Request")
NHS_NUMBER_ERROR = (
    "35160",
    "[PSIS-35160] - Invalid input message. Mandatory field NHS Number is missing or incorrect",
)
ACCESS_CONTROL = (
    "420",
    "Business condition related to access control which prevents the action being performed "
    "by PSIS",
)
ACF_REFUSED = ("30418", "[PSIS-30418] - ACF does not permit access to resource")
# PSIS general categories (domain.md §4.5, docs/spine.md): the Spine already holds this message
# id, and the Spine service is not available (a transient fault, nothing was stored).
DUPLICATE_ID = ("401", "Duplicate message id")
SERVICE_UNAVAILABLE = ("502", "Service not available")
SUCCESS_DETAIL = "GP Summary upload successful"


@dataclass(frozen=True, slots=True)
class Answer:
    """The Spine's judgement of one message id, kept for duplicate elimination.

    Small on purpose (no XML bytes): 60,000 patients must not cost 100 MB of stored replies.
    The reply is re-rendered from it, identical every time.
    """

    ack_id: str
    created: str
    type_code: str
    errors: tuple[tuple[str, str], ...]
    receiver_asid: str


def hl7_now() -> str:
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S")


def build_ack(message_ref: str, answer: Answer) -> str:
    """An MCCI_IN010000UK13 in the Spine's layout (parseSuccessResponse.xml, SCR API error.xml)."""
    if answer.type_code == "AA":
        body = (
            "<hl7:requestSuccessDetail>"
            f"<hl7:detail>{SUCCESS_DETAIL}</hl7:detail>"
            '<hl7:id root="Not Known"/>'
            "</hl7:requestSuccessDetail>"
        )
    else:
        body = "".join(
            '<hl7:reason typeCode="RSON">'
            '<hl7:justifyingDetectedIssueEvent classCode="ALRT" moodCode="EVN">'
            f'<hl7:code codeSystem="{PSIS_CODE_SYSTEM}" code="{attr(code)}"'
            f' displayName="{attr(text)}"><hl7:qualifier code="ER"/></hl7:code>'
            "</hl7:justifyingDetectedIssueEvent>"
            "</hl7:reason>"
            for code, text in answer.errors
        )
    return (
        "<?xml version='1.0' encoding='UTF-8'?>"
        '<hl7:MCCI_IN010000UK13 xmlns:hl7="urn:hl7-org:v3">'
        f'<hl7:id root="{answer.ack_id}"/>'
        f'<hl7:creationTime value="{answer.created}"/>'
        '<hl7:versionCode code="V3NPfIT4.2.00"/>'
        '<hl7:interactionId root="2.16.840.1.113883.2.1.3.2.4.12" extension="MCCI_IN010000UK13"/>'
        '<hl7:processingCode code="P"/>'
        '<hl7:processingModeCode code="T"/>'
        '<hl7:acceptAckCode code="NE"/>'
        f'<hl7:acknowledgement typeCode="{answer.type_code}">'
        f'<hl7:messageRef><hl7:id root="{attr(message_ref)}"/></hl7:messageRef>'
        "</hl7:acknowledgement>"
        '<hl7:communicationFunctionRcv typeCode="RCV">'
        '<hl7:device classCode="DEV" determinerCode="INSTANCE">'
        f'<hl7:id root="1.2.826.0.1285.0.2.0.107" extension="{attr(answer.receiver_asid)}"/>'
        "</hl7:device>"
        "</hl7:communicationFunctionRcv>"
        '<hl7:communicationFunctionSnd typeCode="SND">'
        '<hl7:device classCode="DEV" determinerCode="INSTANCE">'
        f'<hl7:id root="1.2.826.0.1285.0.2.0.107" extension="{SPINE_ASID}"/>'
        "</hl7:device>"
        "</hl7:communicationFunctionSnd>"
        '<hl7:ControlActEvent classCode="CACT" moodCode="EVN">'
        '<hl7:author1 typeCode="AUT">'
        '<hl7:AgentSystemSDS classCode="AGNT">'
        '<hl7:agentSystemSDS classCode="DEV" determinerCode="INSTANCE">'
        f'<hl7:id root="1.2.826.0.1285.0.2.0.107" extension="{SPINE_ASID}"/>'
        "</hl7:agentSystemSDS>"
        "</hl7:AgentSystemSDS>"
        "</hl7:author1>"
        f"{body}"
        "</hl7:ControlActEvent>"
        "</hl7:MCCI_IN010000UK13>"
    )
