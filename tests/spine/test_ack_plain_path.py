"""The cheap reader for plain successes must agree with the full reader, and must hand
everything that is not a plain AA for our message to the full reader."""

from __future__ import annotations

import pytest

from scrtui.spine.acknowledgement import AckParseError, _plain_success, parse_ack, parse_ack_tree
from scrtui.standins.simulator import Answer, build_ack

from .conftest import reference

MESSAGE_ID = "9C534C19-C587-4463-9AED-B76F715D3EA3"


def nhs_example() -> str:
    return reference("parseSuccessResponse.xml").read_text()


def test_both_readers_agree_on_the_nhs_example():
    body = nhs_example()
    assert _plain_success(body, MESSAGE_ID) == parse_ack_tree(body, MESSAGE_ID)
    assert parse_ack(body.encode(), MESSAGE_ID.lower()).ok


def test_both_readers_agree_on_the_simulators_success():
    answer = Answer("ACK-1", "20261125120000", "AA", (), "227319907548")
    body = build_ack(MESSAGE_ID, answer)
    assert _plain_success(body, MESSAGE_ID) == parse_ack_tree(body, MESSAGE_ID)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b.replace('typeCode="AA"', 'typeCode="AE"'),
        lambda b: b.replace(MESSAGE_ID, "00000000-0000-0000-0000-000000000000"),
        lambda b: b[: len(b) - 40],  # truncated: not well-formed
        lambda b: b.replace("MCCI_IN010000UK13", "MCCI_IN999999UK13"),
        lambda b: b.replace(
            '<hl7:acknowledgement typeCode="AA">',
            '<!-- <hl7:acknowledgement typeCode="AA"> --><hl7:acknowledgement typeCode="AA">',
        ),
        lambda b: b.replace(
            "</hl7:acknowledgement>",
            '<hl7:acknowledgementDetail typeCode="ER"><hl7:code code="1"/>'
            "</hl7:acknowledgementDetail></hl7:acknowledgement>",
        ),
    ],
)
def test_anything_but_a_plain_success_goes_to_the_full_reader(mutate):
    body = mutate(nhs_example())
    assert _plain_success(body, MESSAGE_ID) is None
    try:
        ack = parse_ack(body, MESSAGE_ID)
    except AckParseError:
        return  # garbage, or another message: an error, never a success
    assert ack == parse_ack_tree(body, MESSAGE_ID)


PLAIN_ACK = '<hl7:acknowledgement typeCode="AA">'
REF_BLOCK = f'<hl7:messageRef><hl7:id root="{MESSAGE_ID}"/></hl7:messageRef>'


def test_a_tab_separated_error_before_a_success_is_an_error():
    """The full reader takes the first acknowledgement; a tab is whitespace like a space."""
    body = nhs_example().replace(
        PLAIN_ACK,
        f'<hl7:acknowledgement\ttypeCode="AE">{REF_BLOCK}</hl7:acknowledgement>' + PLAIN_ACK,
    )
    ack = parse_ack(body, MESSAGE_ID)
    assert ack.type_code == "AE" and not ack.ok


def test_a_success_inside_a_processing_instruction_does_not_hide_a_reject():
    body = nhs_example().replace(
        PLAIN_ACK, f'<hl7:acknowledgement\ntypeCode="AR"><?note {PLAIN_ACK}{REF_BLOCK} ?>'
    )
    ack = parse_ack(body, MESSAGE_ID)
    assert ack.type_code == "AR" and not ack.ok


def test_a_success_nested_in_a_foreign_element_is_no_acknowledgement():
    body = (
        nhs_example()
        .replace(
            "<hl7:acknowledgement ",
            '<x:wrapper xmlns:x="urn:example:foreign"><hl7:acknowledgement ',
        )
        .replace("</hl7:acknowledgement>", "</hl7:acknowledgement></x:wrapper>")
    )
    with pytest.raises(AckParseError, match="has no acknowledgement element"):
        parse_ack(body, MESSAGE_ID)
