"""The update summaries of Bulk Update, Bulk Deregistration and Practice No Longer
Contributing, against the NHS example of a replacement (tests/fixtures/nhs-mhs)."""

from __future__ import annotations

from datetime import date

import pytest

from scrtui.domain import uploads

from .test_message import GP, HL7, build, facts, parse, reference

UPDATE_CODE = "196981000000101"


def built(kind: str, deducted: date = date(2026, 3, 31)) -> tuple[str, str]:
    """(message, the prior id it names) as the engine builds it for `kind`."""
    example = parse(reference("replacementOf.xml").read_text())
    prior = example.find(f".//{HL7}replacementOf/{HL7}priorMessageRef/{HL7}id")
    assert prior is not None
    closing = uploads.kind(kind).closing_text
    message = build(replaces=prior.get("root"), closing_text=closing(deducted) if closing else None)
    return message, prior.get("root", "")


@pytest.mark.parametrize(
    "kind", [uploads.BULK_UPDATE, uploads.BULK_DEREGISTRATION, uploads.NO_LONGER_CONTRIBUTING]
)
def test_an_update_carries_the_examples_replacement_block_and_the_update_code(kind):
    message, prior = built(kind)
    ours = facts(parse(message))
    example = facts(parse(reference("replacementOf.xml").read_text()))
    block = {fact for fact in example if fact[0].startswith(f"{GP}/replacementOf")}
    assert block and block <= set(ours)
    assert (f"{GP}/replacementOf/priorMessageRef/id", "root", prior) in ours
    assert (f"{GP}/code", "code", UPDATE_CODE) in ours


def presentation(message: str) -> str:
    value = parse(message).find(f".//{HL7}presentationText/{HL7}value")
    assert value is not None and value.text is not None
    return value.text


def test_deregistration_text_ends_the_summary_with_the_deduction_date():
    message, _ = built(uploads.BULK_DEREGISTRATION, date(2026, 3, 31))
    assert presentation(message).endswith(
        "Patient registration ended (31/03/2026). GP Summary no longer being updated."
    )
    assert "Current Repeat Medication" in presentation(message)  # the summary is still there


def test_no_longer_contributing_annotates_every_update():
    message, _ = built(uploads.NO_LONGER_CONTRIBUTING)
    assert presentation(message).endswith(uploads.NO_LONGER_CONTRIBUTING_TEXT)
    assert "no longer contributing" in uploads.NO_LONGER_CONTRIBUTING_TEXT


def test_a_bulk_update_is_the_summary_alone():
    message, _ = built(uploads.BULK_UPDATE)
    assert presentation(message) == presentation(build())
