"""The acknowledgement parser: the NHS success example, both error forms, and garbage."""

from __future__ import annotations

import pytest

from scrtui.spine.acknowledgement import AckError, AckParseError, parse_ack
from scrtui.standins.simulator import Answer, build_ack

from .conftest import reference

SUCCESS_REF = "9C534C19-C587-4463-9AED-B76F715D3EA3"
REF = "B87BE5AD-0F90-4261-A102-E14B95B456DB"

PSIS_35160 = (
    "[PSIS-35160] - Invalid input message. Mandatory field NHS Number is missing or incorrect"
)
# The PSIS form, laid out as in the SCR API's UAT error response (docs/domain.md §4.5).
PSIS_ERROR = f"""<?xml version='1.0' encoding='UTF-8'?>
<hl7:MCCI_IN010000UK13 xmlns:hl7="urn:hl7-org:v3"><hl7:id root="ACK-1"/>
<hl7:acknowledgement typeCode="AE"><hl7:messageRef><hl7:id root="{REF}"/></hl7:messageRef>
</hl7:acknowledgement><hl7:ControlActEvent classCode="CACT" moodCode="EVN">
<hl7:reason typeCode="RSON"><hl7:justifyingDetectedIssueEvent classCode="ALRT" moodCode="EVN">
<hl7:code codeSystem="2.16.840.1.113883.2.1.3.2.4.17.33" code="400" displayName="Invalid Request">
<hl7:qualifier code="ER"/></hl7:code></hl7:justifyingDetectedIssueEvent></hl7:reason>
<hl7:reason typeCode="RSON"><hl7:justifyingDetectedIssueEvent classCode="ALRT" moodCode="EVN">
<hl7:code codeSystem="2.16.840.1.113883.2.1.3.2.4.17.33" code="35160"
 displayName="{PSIS_35160}">
<hl7:qualifier code="ER"/></hl7:code></hl7:justifyingDetectedIssueEvent></hl7:reason>
</hl7:ControlActEvent></hl7:MCCI_IN010000UK13>"""

# The older MCCI form: acknowledgementDetail/code, no namespace prefix, qualifier as typeCode.
DETAIL_ERROR = f"""<MCCI_IN010000UK13 xmlns="urn:hl7-org:v3"><id root="ACK-2"/>
<acknowledgement typeCode="AR">
<acknowledgementDetail typeCode="ER">
<code codeSystem="2.16.840.1.113883.2.1.3.2.4.17.32" code="519" displayName="bad receiver"/>
</acknowledgementDetail>
<messageRef><id root="{REF.lower()}"/></messageRef>
</acknowledgement></MCCI_IN010000UK13>"""


def test_nhs_success_example_parses_as_success() -> None:
    body = reference("parseSuccessResponse.xml").read_bytes()
    ack = parse_ack(body, SUCCESS_REF)
    assert ack.ok and ack.type_code == "AA"
    assert ack.message_ref == SUCCESS_REF
    assert ack.ack_id == "2E372546-229A-483F-9B11-EF46ABF3178C"
    assert ack.detail == "GP Summary upload successful"
    assert ack.errors == () and ack.main_error is None
    assert parse_ack(body.decode(), SUCCESS_REF.lower()).ok  # str body; ids are case-blind


def test_success_example_for_another_message_is_an_error() -> None:
    body = reference("parseSuccessResponse.xml").read_bytes()
    with pytest.raises(AckParseError, match=f"is for message {SUCCESS_REF}, not OTHER-ID"):
        parse_ack(body, "OTHER-ID")


def test_psis_error_form() -> None:
    ack = parse_ack(PSIS_ERROR, REF)
    assert not ack.ok and ack.type_code == "AE"
    assert ack.errors == (
        AckError("400", "Invalid Request", "ER"),
        AckError("35160", PSIS_35160, "ER"),
    )
    assert ack.main_error is not None and ack.main_error.code == "35160"


def test_acknowledgement_detail_form() -> None:
    ack = parse_ack(DETAIL_ERROR, REF)
    assert ack.type_code == "AR" and ack.ack_id == "ACK-2"
    assert ack.errors == (AckError("519", "bad receiver", "ER"),)
    assert ack.main_error == AckError("519", "bad receiver", "ER")


def test_qualifier_as_value_child_and_warning_preference() -> None:
    body = f"""<MCCI_IN010000UK13 xmlns="urn:hl7-org:v3"><acknowledgement typeCode="AE">
    <messageRef><id root="{REF}"/></messageRef></acknowledgement><ControlActEvent>
    <reason><justifyingDetectedIssueEvent><code code="30312" displayName="warn">
    <qualifier><value code="WG"/></qualifier></code></justifyingDetectedIssueEvent></reason>
    <reason><justifyingDetectedIssueEvent><code code="430" displayName="Invalid update">
    <qualifier><value code="ER"/></qualifier></code></justifyingDetectedIssueEvent></reason>
    </ControlActEvent></MCCI_IN010000UK13>"""
    ack = parse_ack(body, REF)
    assert [e.qualifier for e in ack.errors] == ["WG", "ER"]
    # The warning is not the reason for the failure; the general category is all there is.
    assert ack.main_error == AckError("430", "Invalid update", "ER")


def test_ack_inside_an_envelope_is_found() -> None:
    body = (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        + PSIS_ERROR.split("?>", 1)[1]
        + "</soap:Body></soap:Envelope>"
    )
    assert parse_ack(body, REF).type_code == "AE"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"GP Summary upload successful", "not well-formed XML"),
        (b"<MCCI_IN010000UK13>", "not well-formed XML"),
        (b"<html><body>Bad gateway</body></html>", "expected an MCCI_IN010000UK13"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><MCCI_IN010000UK13/>', "DOCTYPE"),
        (b"<MCCI_IN010000UK13/>", "no acknowledgement element"),
        (
            b'<MCCI_IN010000UK13><acknowledgement typeCode="CA"/></MCCI_IN010000UK13>',
            "typeCode 'CA' is not AA, AE or AR",
        ),
        (
            b'<MCCI_IN010000UK13><acknowledgement typeCode="AA"/></MCCI_IN010000UK13>',
            "no messageRef id",
        ),
    ],
)
def test_garbage_is_an_error_with_a_description(body: bytes, message: str) -> None:
    with pytest.raises(AckParseError, match=message):
        parse_ack(body, REF)


def test_simulator_acks_round_trip() -> None:
    errors = (("420", "access"), ("30418", "[PSIS-30418] - ACF does not permit access to resource"))
    answer = Answer("ACK-ID", "20261125120000", "AE", errors, "200000000001")
    ack = parse_ack(build_ack(REF, answer), REF)
    assert ack.ack_id == "ACK-ID"
    assert ack.main_error == AckError("30418", errors[1][1], "ER")
    success = parse_ack(build_ack(REF, Answer("A2", "x", "AA", (), "1")), REF)
    assert success.ok and success.detail == "GP Summary upload successful"


def test_an_acknowledgement_in_an_unknown_encoding_is_unusable_not_a_crash() -> None:
    body = reference("parseSuccessResponse.xml").read_bytes().replace(b"UTF-8", b"TF-8", 1)
    with pytest.raises(AckParseError, match="cannot be decoded"):
        parse_ack(body, SUCCESS_REF)
