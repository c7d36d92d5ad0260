"""The PDS Retrieval Query, the reading of PDS replies (example files in tests/fixtures/pds/),
and the client's PDS call against the simulator's PDS room over loopback."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from scrtui.domain.pds_match import Demographics, PdsRecord
from scrtui.spine.client import SendOutcome, mhs_transport
from scrtui.spine.pds import (
    PdsReplyError,
    build_query,
    parse_reply,
    queried_nhs_number,
)
from scrtui.spine.pds_client import classify_pds, query_pds
from scrtui.standins.simulator.pds import no_match_reply, success_reply
from scrtui.standins.simulator.pds_room import FROM_ASID_REQUIRED
from tests.loopback import serving
from tests.spine.conftest import fast_settings

FIXTURES = Path(__file__).parent.parent / "fixtures" / "pds"
QUERY_ID = "5D8C9D5A-1F44-4B2B-9D53-0C1E4C2F4A11"
HL7 = "{urn:hl7-org:v3}"
NHS = "9691813343"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_the_query_asks_for_one_nhs_number_as_this_system() -> None:
    xml = build_query(
        NHS, message_id=QUERY_ID, sending_asid="200000000001", spine_asid="227319907548",
        now=datetime(2026, 11, 30, 9, 5, 1),
    )  # fmt: skip
    root = ET.fromstring(xml)
    assert root.tag == f"{HL7}QUPA_IN000008UK02"
    assert root.find(f"{HL7}interactionId").get("extension") == "QUPA_IN000008UK02"
    assert root.find(f"{HL7}id").get("root") == QUERY_ID
    assert root.find(f"{HL7}creationTime").get("value") == "20261130090501"
    query = root.find(f"{HL7}ControlActEvent/{HL7}query")
    assert query.find(f"{HL7}person.id/{HL7}value").get("extension") == NHS
    assert query.find(f"{HL7}retrievalItem/{HL7}semanticsText").text == "person.allData"
    assert query.find(f"{HL7}historicDataIndicator/{HL7}value").get("code") == "0"
    sender = root.find(f"{HL7}ControlActEvent/{HL7}author1//{HL7}id")
    assert sender.get("extension") == "200000000001"
    assert queried_nhs_number(xml) == NHS


def test_a_full_reply_is_read_current_name_address_and_gp_only() -> None:
    reply = parse_reply(fixture("retrieval-success.xml"), QUERY_ID.lower())
    record = reply.record
    assert record is not None and not reply.not_found
    assert record.demographics == Demographics(
        NHS, "Duncan", "MOLLOY", "19390120", "male", "NE28 7QU"
    )
    assert record.given_names == ("Duncan", "Jack")
    # The current registration, not the past one (B82005) nor the pharmacy (P1, FA123).
    assert record.gp_ods_code == "A87016"
    assert not record.sensitive and record.deceased_on == ""


def test_no_match_and_other_failures_are_told_apart() -> None:
    none = parse_reply(fixture("retrieval-no-match.xml"), QUERY_ID)
    assert none.record is None and none.not_found
    generic = parse_reply(fixture("retrieval-generic-error.xml"), QUERY_ID)
    assert generic.record is None and not generic.not_found
    assert generic.failure_codes == ("0",) and generic.failure_text == "Generic Error"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "empty"),
        (b"not xml", "well-formed"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><x/>', "DOCTYPE"),
        (b"<MCCI_IN010000UK13/>", "expected QUPA_IN000009UK03"),
    ],
)
def test_bodies_that_are_not_pds_replies_are_refused(body: bytes, problem: str) -> None:
    with pytest.raises(PdsReplyError, match=problem):
        parse_reply(body, QUERY_ID)


def test_a_reply_to_another_query_is_refused() -> None:
    with pytest.raises(PdsReplyError, match="another query"):
        parse_reply(fixture("retrieval-success.xml"), "00000000-0000-0000-0000-000000000000")


def test_the_simulator_replies_read_back_as_the_records_they_came_from() -> None:
    base = Demographics(NHS, "Mary Ann", "O'Neil & Co", "19800229", "female", "LS6 2AB")
    for record in (
        PdsRecord(base, given_names=("Mary Ann",), gp_ods_code="A12345"),
        PdsRecord(base, given_names=("Mary Ann",), deceased_on="20240102", gp_ods_code="A12345"),
        PdsRecord(base, sensitive=True, given_names=("Mary Ann",)),
    ):
        read = parse_reply(success_reply(record, QUERY_ID), QUERY_ID).record
        expected = record if not record.sensitive else _without_address(record)
        assert read == expected
    assert parse_reply(no_match_reply(QUERY_ID), QUERY_ID).not_found


def _without_address(record: PdsRecord) -> PdsRecord:
    return replace(record, demographics=replace(record.demographics, postcode=""))


async def _ask(url: str, **changes: object):
    async with mhs_transport(fast_settings(url, **changes), "CORR") as client:
        return await query_pds(
            client, NHS, sending_asid="200000000001", spine_asid="227319907548",
            now=datetime(2026, 11, 30),
        )  # fmt: skip


async def test_the_client_asks_the_simulators_pds_and_reads_its_answer(sim) -> None:
    sim.state.config.pds_records = {
        NHS: {"surname": "Molloy", "forename": "Duncan", "date_of_birth": "19390120",
              "gender": "male"}
    }  # fmt: skip
    result = await _ask(sim.url)
    assert result.outcome is SendOutcome.SENT
    assert result.detail.record.demographics.surname == "Molloy"
    sim.state.config.pds_records = {NHS: {"not_found": True}}
    assert (await _ask(sim.url)).detail.not_found
    assert sim.state.pds.queries == 2


async def test_a_soap_fault_is_retried_as_a_transport_fault(sim) -> None:
    sim.state.config.pds_error_500_share = 1.0
    result = await _ask(sim.url)
    assert result.outcome is SendOutcome.RETRY_LIMIT and result.transport
    assert result.attempts == 3
    assert "500" in (result.error_text or "")


async def test_missing_from_asid_is_a_fatal_set_up_error(sim) -> None:
    sim.state.config.pds_refuse_asid = True
    result = await _ask(sim.url)
    assert result.outcome is SendOutcome.FATAL
    assert FROM_ASID_REQUIRED in (result.error_text or "")
    assert "PDS query" in (result.error_text or "")


def test_the_child_simulator_builds_pds_from_its_homes_practice(tmp_path: Path) -> None:
    import asyncio
    import os
    import sqlite3

    from scrtui.standins.simulator import start_simulator_process
    from tests.conftest import run_scrtui

    home = tmp_path / "home"
    assert run_scrtui(home, "seed", "--patients", "20").returncode == 0
    with sqlite3.connect(home / "scrtui.db") as db:
        first, second = (r[0] for r in db.execute("SELECT nhs_number FROM patient LIMIT 2"))
    process, url = start_simulator_process(
        ["--pds-differ", f"{second}=not_found"], env={**os.environ, "SCRTUI_HOME": str(home)}
    )
    try:

        async def ask(nhs: str):
            async with mhs_transport(fast_settings(url), "CORR") as client:
                return await query_pds(
                    client, nhs, sending_asid="200000000001", spine_asid="227319907548",
                    now=datetime(2026, 11, 30),
                )  # fmt: skip

        known = asyncio.run(ask(first)).detail
        assert known.record is not None and known.record.demographics.nhs_number == first
        assert asyncio.run(ask(second)).detail.not_found
    finally:
        process.terminate()
        process.wait(10)


def _success_with(old: bytes, new: bytes) -> bytes:
    body = fixture("retrieval-success.xml")
    assert old in body
    return body.replace(old, new)


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (b'<birthTime value="19390120"/>', b'<birthTime value="1939-01-20"/>', "not an HL7 date"),
        (b'<birthTime value="19390120"/>', b'<birthTime value="19391320"/>', "not a date"),
        (b'<birthTime value="19390120"/>', b"", "no birthTime"),
        (b'<administrativeGenderCode code="1"/>', b'<administrativeGenderCode code="M"/>',
         "gender code 'M'"),
        (b'<administrativeGenderCode code="1"/>', b"", "no administrativeGenderCode"),
        (b'<birthTime value="19390120"/>',
         b'<birthTime value="19390120"/><deceasedTime value="-"/>', "deceasedTime '-'"),
        (b'<name use="L">', b'<nickname use="L">', "no usual name"),
        (b'<acknowledgement typeCode="AA">', b'<acknowledgement typeCode="AE">',
         "typeCode 'AE', not AA"),
    ],
)  # fmt: skip
def test_values_not_in_pds_documented_form_are_unreadable(
    old: bytes, new: bytes, problem: str
) -> None:
    body = _success_with(old, new).replace(
        b"</name>", b"</nickname>" if b"nickname" in new else b"</name>"
    )
    with pytest.raises(PdsReplyError, match=problem):
        parse_reply(body, QUERY_ID)
    verdict = classify_pds(200, body, QUERY_ID)
    assert verdict.outcome is SendOutcome.RETRY_LIMIT and verdict.retryable
    assert verdict.error_code == "BAD-PDS"


@pytest.mark.parametrize(
    ("value", "read"),
    [("1939", "1939"), ("193901", "193901"), ("19390120", "19390120"),
     ("193901201230", "19390120"), ("19390120123000+0000", "19390120")],
)  # fmt: skip
def test_hl7_dates_pds_may_send_are_read(value: str, read: str) -> None:
    body = _success_with(b'value="19390120"/>\n', f'value="{value}"/>\n'.encode())
    record = parse_reply(body, QUERY_ID).record
    assert record is not None and record.demographics.date_of_birth == read


def _utf16_with_entity(root: str, inner: str) -> bytes:
    text = (
        '<?xml version="1.0" encoding="UTF-16"?>'
        f'<!DOCTYPE {root} [<!ENTITY big "{"x" * 1000}">]>{inner}'
    )
    return text.encode("utf-16")


def test_a_dtd_is_refused_whatever_the_encoding() -> None:
    body = _utf16_with_entity("QUPA_IN000009UK03", "<QUPA_IN000009UK03>&big;</QUPA_IN000009UK03>")
    assert b"<!DOCTYPE" not in body  # a byte search does not see it
    with pytest.raises(PdsReplyError, match="DOCTYPE"):
        parse_reply(body, QUERY_ID)
    from scrtui.spine.acknowledgement import AckParseError, parse_ack

    ack = _utf16_with_entity(
        "MCCI_IN010000UK13",
        '<MCCI_IN010000UK13><acknowledgement typeCode="AA"><messageRef><id root="'
        f'{QUERY_ID}"/></messageRef></acknowledgement><ControlActEvent><requestSuccessDetail>'
        "<detail>&big;&big;&big;</detail></requestSuccessDetail></ControlActEvent>"
        "</MCCI_IN010000UK13>",
    )
    with pytest.raises(AckParseError, match="DOCTYPE"):
        parse_ack(ack, QUERY_ID)


@pytest.mark.parametrize("chunked", [False, True])
async def test_an_answer_over_the_cap_is_unreadable_and_never_held_whole(chunked: bool) -> None:
    """A 40 MB answer (with a Content-Length, or streamed without one) is not read: an
    unreadable answer, retried, then RETRY_LIMIT; the patient's outcome is not decided by it."""
    from aiohttp import web

    from scrtui.spine.client import MAX_ANSWER_BYTES, TOO_LARGE_ANSWER

    block = b"<x>" + b" " * (1 << 20) + b"</x>"

    async def huge(request: web.Request) -> web.StreamResponse:
        await request.read()
        if not chunked:
            return web.Response(body=block * 40, content_type="text/xml")
        response = web.StreamResponse()
        response.content_type = "text/xml"
        await response.prepare(request)
        sent = 0
        try:
            for _ in range(40):
                await response.write(block)
                sent += len(block)
        except (ConnectionError, RuntimeError):
            pass  # the client stopped reading, as it should
        return response

    async with serving("/", huge) as url:
        result = await _ask(url)
    assert result.outcome is SendOutcome.RETRY_LIMIT and not result.transport
    assert result.error_code == TOO_LARGE_ANSWER
    assert f"{MAX_ANSWER_BYTES:,} bytes" in (result.error_text or "")
    assert result.attempts == 3
