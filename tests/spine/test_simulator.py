"""The simulator's adaptor checks, Spine judgement, duplicate elimination, stats and control."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest

from scrtui.domain.records import Medication
from scrtui.spine.acknowledgement import parse_ack
from scrtui.spine.message import new_message_id
from scrtui.standins.simulator import Judgement, RunningSimulator, config_changes, judge

from .conftest import NHS, TODAY, make_patient, reference
from .test_message import build

GOOD_HEADERS = {
    "Content-Type": "application/json",
    "Interaction-Id": "REPC_IN150016UK05",
    "wait-for-response": "true",
    "Correlation-Id": "RUN-1",
    "from-asid": "200000000001",
}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(
    http: aiohttp.ClientSession,
    sim: RunningSimulator,
    body: bytes | None = None,
    *,
    message_id: str | None = None,
    drop: tuple[str, ...] = (),
    **headers: str,
) -> tuple[int, str, Any]:
    message_id = message_id or new_message_id()
    if body is None:
        body = orjson.dumps({"payload": build(message_id=message_id)})
    sent = {**GOOD_HEADERS, "Message-Id": message_id, **headers}
    for name in drop:
        del sent[name]
    # aiohttp would otherwise add its own Content-Type for a bytes body.
    skip = ("Content-Type",) if "Content-Type" in drop else ()
    async with http.post(sim.url, data=body, headers=sent, skip_auto_headers=skip) as response:
        return response.status, await response.text(), response.headers


async def stats(http: aiohttp.ClientSession, sim: RunningSimulator, query: str = "") -> Any:
    async with http.get(sim.url + "stats" + query) as response:
        return await response.json()


async def test_accepts_a_good_summary_with_an_aa(sim, http) -> None:
    message_id = new_message_id()
    status, text, headers = await post(http, sim, message_id=message_id)
    assert status == 200 and headers["Content-Type"].startswith("text/xml")
    assert headers["Message-Id"] == message_id and headers["Correlation-Id"] == "RUN-1"
    ack = parse_ack(text, message_id)
    assert ack.ok and ack.detail == "GP Summary upload successful"
    figures = await stats(http, sim)
    assert figures["requests"] == 1 and figures["accepted"] == 1
    assert figures["accepted_nhs_numbers"] == 1 and figures["distinct_nhs_numbers"] == 1
    assert figures["replies"] == {"200": 1}
    assert figures["last_accept_at"] is not None


async def test_wait_for_response_false_answers_202(sim, http) -> None:
    status, text, _ = await post(http, sim, **{"wait-for-response": "FALSE"})
    assert (status, text) == (202, "")
    assert (await stats(http, sim))["accepted"] == 1


@pytest.mark.parametrize(
    ("drop", "headers", "body", "status", "text"),
    [
        (("Interaction-Id",), {}, None, 404, "Required Interaction-Id header not found"),
        ((), {"Interaction-Id": "QUPC_IN160101UK05"}, None, 404, "Unknown interaction ID: QUPC"),
        (("wait-for-response",), {}, None, 400, "wait-for-response header missing"),
        ((), {"wait-for-response": "yes"}, None, 400, "should be set to true or false"),
        (("Content-Type",), {}, None, 400, "Missing Content-Type header"),
        ((), {"Content-Type": "text/xml"}, None, 415, "Only application/json request bodies"),
        ((), {"Content-Type": "application/json; charset=utf-8"}, None, 415, "Unsupported"),
        ((), {}, b"", 400, "Body missing from request"),
        ((), {}, b"{not json", 400, "Invalid JSON request body"),
        ((), {}, b'"just a string"', 400, "Invalid request. Validation errors"),
        ((), {}, b'{"payload": 5}', 400, "'payload': ['Not a valid string.']"),
        ((), {}, b'{"payload": ""}', 400, "'payload': ['Length must be between 1"),
        ((), {}, b'{"xml": "<a/>"}', 400, "Missing data for required field."),
        ((), {}, b'{"payload": "<a/>", "extra": 1}', 400, "'extra': ['Unknown field.']"),
        ((), {}, b'{"payload": "<a/>", "attachments": 3}', 400, "'attachments'"),
    ],
)
async def test_adaptor_refuses_malformed_requests(sim, http, drop, headers, body, status, text):
    got_status, got_text, got_headers = await post(http, sim, body, drop=drop, **headers)
    assert got_status == status
    assert text in got_text
    assert got_headers["Content-Type"].startswith("text/plain")
    figures = await stats(http, sim)
    assert figures["accepted"] == 0 and figures["replies"] == {str(status): 1}


async def test_oversized_request_is_refused_like_the_adaptor(sim, http) -> None:
    sim.state.config.max_request_size = 100
    status, text, _ = await post(http, sim)
    assert status == 400 and "Request to send to Spine is too large. MaxRequestSize=100" in text


def payload_body(payload: str) -> bytes:
    return orjson.dumps({"payload": payload})


def wrong_root(message_id: str) -> str:
    return (
        f'<QUPC_IN160101UK05 xmlns="urn:hl7-org:v3"><id root="{message_id}"/></QUPC_IN160101UK05>'
    )


def without_job_role(message_id: str) -> str:
    return build(message_id=message_id).replace('extension="R0260"', 'extension=""')


def without_user_id(message_id: str) -> str:
    return build(message_id=message_id).replace('extension="979603625513"', "")


@pytest.mark.parametrize(
    ("make_payload", "reason"),
    [
        (lambda message_id: "<REPC_IN150016UK05", "not well-formed XML"),
        (wrong_root, "root element"),
        (lambda message_id: build(message_id=new_message_id()), "differs from the HL7 id"),
        (without_job_role, "author job role code missing"),
        (without_user_id, "author SDS user id missing"),
    ],
)
async def test_spine_rejects_bad_summaries_with_an_ae(sim, http, make_payload, reason) -> None:
    message_id = new_message_id()
    status, text, _ = await post(
        http, sim, payload_body(make_payload(message_id)), message_id=message_id
    )
    assert status == 200
    ack = parse_ack(text, message_id)
    assert ack.type_code == "AE"
    assert ack.main_error is not None and ack.main_error.code == "400"
    assert reason in ack.main_error.display_name
    figures = await stats(http, sim)
    assert figures["accepted"] == 0 and figures["rejected"] == 1


@pytest.mark.parametrize("nhs", ["9446245797", "944 624 5796", "12345", ""])
async def test_invalid_nhs_number_is_psis_35160(sim, http, nhs) -> None:
    message_id = new_message_id()
    body = payload_body(build(message_id=message_id, patient=make_patient(nhs)))
    status, text, _ = await post(http, sim, body, message_id=message_id)
    ack = parse_ack(text, message_id)
    assert status == 200 and ack.type_code == "AE"
    assert [e.code for e in ack.errors] == ["400", "35160"]
    assert ack.main_error is not None and ack.main_error.display_name.startswith("[PSIS-35160]")


async def test_rejected_nhs_numbers_get_psis_30418(sim, http) -> None:
    sim.state.apply(config_changes({"reject_nhs_numbers": [NHS]}))
    message_id = new_message_id()
    _, text, _ = await post(http, sim, message_id=message_id)
    ack = parse_ack(text, message_id)
    assert [e.code for e in ack.errors] == ["420", "30418"]
    assert ack.main_error is not None
    assert ack.main_error.display_name == "[PSIS-30418] - ACF does not permit access to resource"
    assert (await stats(http, sim))["faults"] == {"reject": 1}


async def test_duplicate_message_id_gets_the_same_answer_and_counts_once(sim, http) -> None:
    message_id = new_message_id()
    first = await post(http, sim, message_id=message_id)
    second = await post(http, sim, message_id=message_id)
    assert first[0] == second[0] == 200 and first[1] == second[1]
    figures = await stats(http, sim)
    assert figures["requests"] == 2 and figures["accepted"] == 1 and figures["duplicates"] == 1
    assert figures["duplicate_nhs_numbers"] == []
    # A new message id for the same patient is a second summary: the stats name the patient.
    await post(http, sim)
    figures = await stats(http, sim)
    assert figures["accepted"] == 2 and figures["duplicate_nhs_numbers"] == [NHS]
    per_patient = await stats(http, sim, f"?nhs={NHS}")
    assert per_patient["message_ids"][0] == message_id and len(per_patient["message_ids"]) == 2
    assert per_patient["accepted_at"] == figures["last_accept_at"]


async def test_replacements_are_counted(sim, http) -> None:
    message_id = new_message_id()
    body = payload_body(build(message_id=message_id, replaces=new_message_id()))
    await post(http, sim, body, message_id=message_id)
    assert (await stats(http, sim))["replacements"] == 1


async def test_control_changes_faults_and_refuses_bad_values(sim, http) -> None:
    async with http.post(sim.url + "control", json={"outage": True, "latency_ms": 1}) as response:
        view = await response.json()
    assert response.status == 200 and view["outage"] is True and view["latency_ms"] == 1
    assert sim.state.config.outage
    # As the real adaptor: its health check says nothing about the Spine behind it.
    async with http.get(sim.url + "healthcheck") as response:
        assert response.status == 200
    status, text, headers = await post(http, sim)
    assert (status, text) == (500, "Error making outbound request")
    assert headers["Content-Type"].startswith("text/plain")
    async with http.post(sim.url + "control", json={"outage_503": True}) as response:
        assert response.status == 200
    async with http.get(sim.url + "healthcheck") as response:
        assert response.status == 503  # the old simulator's outage, kept as an option
    status, text, _ = await post(http, sim)
    assert status == 503 and "outage" in text
    async with http.post(sim.url + "control", json={"outage_503": False}) as response:
        assert response.status == 200
    for bad in ({"error_500_share": 2}, {"outage": "yes"}, {"nope": 1}, [1]):
        async with http.post(sim.url + "control", json=bad) as response:
            assert response.status == 400, bad
    async with http.post(sim.url + "control", json={"outage": False, "reset_stats": True}) as r:
        assert r.status == 200
    async with http.get(sim.url + "healthcheck") as response:
        assert response.status == 200
    assert (await stats(http, sim))["requests"] == 0


async def test_injected_500_and_429_with_retry_after(sim, http) -> None:
    sim.state.apply(config_changes({"error_500_share": 1, "retry_after": 7}))
    status, text, headers = await post(http, sim)
    assert status == 500 and headers["Retry-After"] == "7"
    assert orjson.loads(text)["errors"][0]["errorCode"] == "200"
    sim.state.apply(config_changes({"error_500_share": 0, "error_429_share": 1}))
    status, _, headers = await post(http, sim)
    assert status == 429 and headers["Retry-After"] == "7"
    figures = await stats(http, sim)
    assert figures["faults"] == {"error_500": 1, "error_429": 1} and figures["accepted"] == 0


async def test_reset_drops_the_connection_after_the_spine_accepted(sim, http) -> None:
    sim.state.apply(config_changes({"reset_share": 1}))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await post(http, sim)
    figures = await stats(http, sim)
    assert figures["faults"] == {"reset": 1} and figures["accepted"] == 1
    assert figures["replies"] == {}


async def test_bad_ack_names_another_message(sim, http) -> None:
    sim.state.apply(config_changes({"bad_ack_share": 1}))
    message_id = new_message_id()
    status, text, _ = await post(http, sim, message_id=message_id)
    assert status == 200 and message_id not in text


EXAMPLE_ID = "BDE9311B-82A2-422F-9D7E-D0C991A57816"


@pytest.mark.parametrize(
    ("name", "replaces"),
    [
        ("cleanSummaryUpdate.xml", False),
        ("replacementOf.xml", True),
        ("SummaryUpdateExtendedContents.xml", False),
    ],
)
def test_spine_accepts_the_nhs_examples(name: str, replaces: bool) -> None:
    judgement = judge(reference(name).read_text(), EXAMPLE_ID, set())
    assert judgement == Judgement((), NHS, replaces)


def test_judgement_does_not_depend_on_prefixes_or_quotes() -> None:
    message_id = new_message_id()
    plain = build(message_id=message_id)
    prefixed = re.sub(r"<(/?)(\w)", r"<\1hl7:\2", plain).replace("xmlns=", "xmlns:hl7=")
    ET.fromstring(prefixed)  # still well-formed, now with a prefix
    assert prefixed.startswith("<hl7:REPC_IN150016UK05")
    assert judge(prefixed, message_id, set()) == Judgement((), NHS, False)
    single_quoted = build(message_id=message_id).replace('"', "'")
    assert judge(single_quoted, message_id, set()) == Judgement((), NHS, False)


def test_text_that_looks_like_an_id_is_not_taken_for_one() -> None:
    decoy = (
        '<id root="2.16.840.1.113883.2.1.4.1" extension="9691035456"/>'
        ' root="1.2.826.0.1285.0.2.0.65"'
    )
    message_id = new_message_id()
    patient = make_patient(medications=(Medication(decoy, "x", True, TODAY),))
    payload = build(message_id=message_id, patient=patient)
    assert judge(payload, message_id, set()) == Judgement((), NHS, False)


def test_missing_message_id_header_cannot_match_the_hl7_id() -> None:
    judgement = judge(build(), new_message_id(), set())
    assert judgement.errors[0][1].startswith("Invalid Request - Message-Id")
