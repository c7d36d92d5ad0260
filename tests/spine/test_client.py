"""The MHS client over loopback against the simulator, one test per outcome class."""

from __future__ import annotations

import asyncio
import random
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web

from scrtui.settings import Settings
from scrtui.spine.client import (
    HttpTransport,
    SendOutcome,
    backoff_delay,
    classify,
    mhs_transport,
    retry_after_seconds,
)
from scrtui.spine.message import new_message_id
from scrtui.standins.simulator import RunningSimulator, config_changes
from tests.conftest import patience
from tests.loopback import serving

from .conftest import NHS, fast_settings, make_patient, reference, wait_until
from .test_ack import PSIS_ERROR, REF
from .test_message import build


def aiohttp_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()


RUN_ID = "RUN-" + str(uuid.uuid4()).upper()


def message(**changes: Any) -> tuple[str, str]:
    message_id = new_message_id()
    return message_id, build(message_id=message_id, **changes)


async def send_one(settings: Settings, **changes: Any) -> tuple[Any, HttpTransport]:
    async with mhs_transport(settings, RUN_ID) as client:
        message_id, payload = message(**changes)
        return await client.send(message_id, payload), client


# --- classify: the pure table ---


def test_classify_table() -> None:
    success = reference("parseSuccessResponse.xml").read_bytes()
    sent = classify(200, success, "9C534C19-C587-4463-9AED-B76F715D3EA3")
    assert (sent.outcome, sent.ack_code, sent.retryable) == (SendOutcome.SENT, "AA", False)
    rejected = classify(200, PSIS_ERROR.encode(), REF)
    assert (rejected.outcome, rejected.ack_code, rejected.error_code) == (
        SendOutcome.REJECTED,
        "AE",
        "35160",
    )
    assert classify(202, b"", "X").outcome is SendOutcome.SENT
    for status in (500, 502, 503, 504, 429):
        verdict = classify(status, b"busy", "X")
        assert verdict.retryable and verdict.transport_failure, status
        assert verdict.error_code == f"HTTP-{status}"
    for status in (400, 404, 415, 401, 405, 302):
        verdict = classify(status, b"  Unsupported content type.  ", "X")
        assert verdict.outcome is SendOutcome.FATAL and not verdict.retryable, status
        assert verdict.error_text == "Unsupported content type."
    garbage = classify(200, b"<html/>", "X")
    assert garbage.retryable and not garbage.transport_failure
    assert garbage.error_code == "BAD-ACK" and "MCCI_IN010000UK13" in (garbage.error_text or "")
    other = classify(200, success, "SOMEONE-ELSE")
    assert other.retryable and "not SOMEONE-ELSE" in (other.error_text or "")
    # The real adaptor's set-up words stop the run at once; its outage words are retried.
    for words in (
        "Error obtaining outbound URL",
        "Failed message preparation",
        "Error serialising outbound message",
        "500: Couldn't determine workflow to invoke for interaction ID: X",
    ):
        verdict = classify(500, words.encode(), "X")
        assert (verdict.outcome, verdict.error_code) == (SendOutcome.FATAL, "MHS-SETUP"), words
        assert verdict.said == words and "check" in (verdict.error_text or "")
    for words in (
        "Error making outbound request",
        "No async response received from sync-async store",
        "500: Internal Server Error",
    ):
        verdict = classify(500, words.encode(), "X")
        assert verdict.retryable and verdict.transport_failure and verdict.said == words
    long = classify(400, b"x" * 1000, "X")
    assert long.error_text is not None and len(long.error_text) == 300


def test_backoff_grows_is_jittered_capped_and_honours_retry_after() -> None:
    settings = Settings(backoff_base=1.0, backoff_max=10.0)
    rng = random.Random(3)
    for attempt, step in ((1, 1.0), (2, 2.0), (3, 4.0), (6, 10.0)):
        delays = {backoff_delay(attempt, settings, None, rng) for _ in range(50)}
        assert all(step / 2 <= d <= step for d in delays), (attempt, delays)
        assert len(delays) > 1  # jitter
    assert backoff_delay(1, settings, 7.0, rng) == 7.0
    assert backoff_delay(1, settings, 600.0, rng) == 10.0  # never past backoff_max


def test_retry_after_forms() -> None:
    assert retry_after_seconds("12") == 12.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0


# --- over loopback ---


async def test_aa_is_sent(sim: RunningSimulator) -> None:
    result, client = await send_one(fast_settings(sim.url))
    assert result.outcome is SendOutcome.SENT and result.http_status == 200
    assert result.ack_code == "AA" and result.error_code is None and result.attempts == 1
    assert result.latency_ms > 0
    assert sim.state.accepted == 1 and client.consecutive_transport_failures == 0


async def test_202_is_sent_when_not_waiting(sim: RunningSimulator) -> None:
    result, _ = await send_one(fast_settings(sim.url, wait_for_response=False))
    assert (result.outcome, result.http_status, result.ack_code) == (SendOutcome.SENT, 202, None)


async def test_ae_is_rejected_with_the_spines_code(sim: RunningSimulator) -> None:
    result, _ = await send_one(fast_settings(sim.url), patient=make_patient("9446245797"))
    assert (result.outcome, result.ack_code, result.error_code) == (
        SendOutcome.REJECTED,
        "AE",
        "35160",
    )
    assert result.error_text is not None and result.error_text.startswith("[PSIS-35160]")
    sim.state.apply(config_changes({"reject_nhs_numbers": [NHS]}))
    result, _ = await send_one(fast_settings(sim.url))
    assert (result.outcome, result.error_code) == (SendOutcome.REJECTED, "30418")
    assert result.error_text == "[PSIS-30418] - ACF does not permit access to resource"
    assert result.attempts == 1


async def test_500_is_retried_then_retry_limit(sim: RunningSimulator) -> None:
    sim.state.apply(config_changes({"error_500_share": 1}))
    settings = fast_settings(sim.url, max_attempts=4)
    async with mhs_transport(settings, RUN_ID) as client:
        message_id, payload = message()
        result = await client.send(message_id, payload)
        assert result.outcome is SendOutcome.RETRY_LIMIT and result.attempts == 4
        assert result.http_status == 500 and result.error_code == "HTTP-500"
        assert result.error_text is not None
        assert result.error_text.startswith("retry limit exceeded: HTTP 500 from the MHS adaptor")
        assert client.consecutive_transport_failures == 4
        # One good answer clears the count: the adaptor is back.
        sim.state.config.error_500_share = 0
        assert (await client.send(message_id, payload)).outcome is SendOutcome.SENT
        assert client.consecutive_transport_failures == 0
    assert sim.state.requests == 5 and sim.state.accepted == 1


async def test_429_is_retried(sim: RunningSimulator) -> None:
    sim.state.apply(config_changes({"error_429_share": 1, "retry_after": 0}))
    result, client = await send_one(fast_settings(sim.url, max_attempts=2))
    assert (result.outcome, result.error_code, result.attempts) == (
        SendOutcome.RETRY_LIMIT,
        "HTTP-429",
        2,
    )
    assert client.consecutive_transport_failures == 2


async def test_retry_after_is_honoured(sim: RunningSimulator) -> None:
    sim.state.apply(config_changes({"error_500_share": 1, "retry_after": 1}))
    settings = fast_settings(sim.url, max_attempts=2, backoff_base=0.001, backoff_max=5.0)
    result, _ = await send_one(settings)
    assert result.outcome is SendOutcome.RETRY_LIMIT
    assert result.latency_ms >= 1000  # the backoff alone would have waited ~1 ms


async def test_reset_then_success_reuses_the_message_id_and_is_accepted_once(
    sim: RunningSimulator,
) -> None:
    # A seed whose first draw resets and whose second does not.
    seed = next(s for s in range(1000) if (r := random.Random(s)).random() < 0.5 <= r.random())
    sim.state.apply(config_changes({"reset_share": 0.5, "seed": seed}))
    result, client = await send_one(fast_settings(sim.url))
    assert result.outcome is SendOutcome.SENT and result.attempts == 2
    assert client.consecutive_transport_failures == 0
    stats = sim.state.stats()
    assert stats["faults"] == {"reset": 1} and stats["accepted"] == 1 and stats["duplicates"] == 1
    assert stats["duplicate_nhs_numbers"] == []


async def test_reset_every_time_is_retry_limit(sim: RunningSimulator) -> None:
    sim.state.apply(config_changes({"reset_share": 1}))
    result, client = await send_one(fast_settings(sim.url))
    assert (result.outcome, result.error_code, result.http_status) == (
        SendOutcome.RETRY_LIMIT,
        "RESET",
        None,
    )
    assert result.error_text is not None and "connection reset" in result.error_text
    assert client.consecutive_transport_failures == 3


async def test_slow_answer_is_a_timeout(sim: RunningSimulator) -> None:
    sim.state.apply(config_changes({"slow_share": 1, "slow_seconds": 30}))
    result, client = await send_one(fast_settings(sim.url, total_timeout=0.2, max_attempts=2))
    assert (result.outcome, result.error_code) == (SendOutcome.RETRY_LIMIT, "TIMEOUT")
    assert result.error_text == "retry limit exceeded: no answer within 0.2 s"
    assert client.consecutive_transport_failures == 2


async def test_outage_and_recovery(sim: RunningSimulator) -> None:
    """The real adaptor's Spine outage: 500 "Error making outbound request" to every message
    (while its /healthcheck still answers 200: tests/engine/test_outage_real_adaptor.py)."""
    sim.state.apply(config_changes({"outage": True}))
    async with mhs_transport(fast_settings(sim.url), RUN_ID) as client:
        first_id, payload = message()
        result = await client.send(first_id, payload)
        assert (result.outcome, result.http_status) == (SendOutcome.RETRY_LIMIT, 500)
        assert result.said == "Error making outbound request"
        second = await client.send(*message())
        assert second.outcome is SendOutcome.RETRY_LIMIT
        assert client.consecutive_transport_failures == 6
        sim.state.apply(config_changes({"outage": False}))
        assert (await client.send(first_id, payload)).outcome is SendOutcome.SENT
        assert client.consecutive_transport_failures == 0


async def test_old_503_outage_stays_an_option(sim: RunningSimulator) -> None:
    sim.state.apply(config_changes({"outage_503": True}))
    async with mhs_transport(fast_settings(sim.url, max_attempts=2), RUN_ID) as client:
        result = await client.send(*message())
        assert (result.outcome, result.http_status) == (SendOutcome.RETRY_LIMIT, 503)


async def test_route_error_is_fatal_at_once_with_the_adaptors_words(sim: RunningSimulator) -> None:
    sim.state.apply(config_changes({"route_error": True}))
    result, _client = await send_one(fast_settings(sim.url))
    assert (result.outcome, result.error_code, result.attempts) == (
        SendOutcome.FATAL,
        "MHS-SETUP",
        1,
    )
    assert "500 'Error obtaining outbound URL'" in (result.error_text or "")
    assert "route lookup" in (result.error_text or "")
    assert sim.state.requests == 1


async def test_practice_ods_code_is_never_the_ods_code_header(sim: RunningSimulator) -> None:
    """The adaptor reads ods-code as the receiving system's: with the practice's code its
    route lookup has no route (simulated as SDS answers), so it must never be sent."""
    result, _client = await send_one(fast_settings(sim.url, ods_code="B81001"))
    assert result.outcome is SendOutcome.SENT
    assert sim.state.faults["ods_code_header"] == 0


async def test_the_simulator_refuses_a_practice_ods_code_as_the_adaptor_does(
    sim: RunningSimulator,
) -> None:
    async with aiohttp_session() as http:
        headers = {"Interaction-Id": "REPC_IN150016UK05", "ods-code": "B81001"}
        async with http.post(sim.url, data=b"{}", headers=headers) as response:
            assert response.status == 500
            assert response.content_type == "text/plain"
            assert await response.text() == "Error obtaining outbound URL"
        headers["ods-code"] = "YES"  # the Spine's own code is routed
        async with http.post(sim.url, data=b"{}", headers=headers) as response:
            assert response.status == 400  # past the route lookup: the adaptor's own checks


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_refused_connection_is_retryable_and_counted() -> None:
    settings = fast_settings(f"http://127.0.0.1:{closed_port()}/")
    async with mhs_transport(settings, RUN_ID) as client:
        result = await client.send(*message())
        assert (result.outcome, result.error_code) == (SendOutcome.RETRY_LIMIT, "REFUSED")
        assert client.consecutive_transport_failures == 3


async def test_garbage_ack_is_never_a_success(sim: RunningSimulator) -> None:
    sim.state.apply(config_changes({"bad_ack_share": 1}))
    result, client = await send_one(fast_settings(sim.url))
    assert (result.outcome, result.error_code, result.http_status) == (
        SendOutcome.RETRY_LIMIT,
        "BAD-ACK",
        200,
    )
    assert result.error_text is not None and "acknowledgement is for message" in result.error_text
    # The adaptor answered: not a transport failure, so no outage is suspected.
    assert client.consecutive_transport_failures == 0
    assert sim.state.accepted == 1 and sim.state.duplicates == 2


async def test_too_large_is_this_patients_failure_with_what_to_do(sim: RunningSimulator) -> None:
    sim.state.apply(config_changes({"max_request_size": 10}))
    result, client = await send_one(fast_settings(sim.url))
    assert (result.outcome, result.http_status, result.attempts) == (SendOutcome.REJECTED, 400, 1)
    assert result.error_code == "TOO-LARGE"
    assert result.error_text is not None
    assert result.error_text.startswith("message too large: reduce the items")
    assert "Request to send to Spine is too large. MaxRequestSize=10" in result.error_text
    assert client.consecutive_transport_failures == 0


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (400, "wait-for-response header missing"),
        (400, "Invalid JSON request body"),
        (404, "Unknown interaction ID: REPC_IN150016UK05"),
        (415, "Unsupported content type. Only application/json request bodies are supported."),
    ],
)
def test_answers_about_the_set_up_stay_fatal(status: int, text: str) -> None:
    verdict = classify(status, text.encode(), REF)
    assert (verdict.outcome, verdict.error_text) == (SendOutcome.FATAL, text)


def _ack(code: str, text: str) -> bytes:
    from scrtui.standins.simulator import Answer, build_ack

    return build_ack(REF, Answer("ACK-1", "20261125120000", "AE", ((code, text),), "1")).encode()


def test_a_duplicate_message_id_ae_is_sent_with_a_note() -> None:
    verdict = classify(200, _ack("401", "Duplicate message id"), REF)
    assert (verdict.outcome, verdict.ack_code, verdict.error_code) == (
        SendOutcome.SENT,
        "AE",
        "401",
    )
    assert verdict.error_text is not None and "already held by the Spine" in verdict.error_text


def test_a_service_unavailable_ae_is_a_transient_fault() -> None:
    verdict = classify(200, _ack("502", "Service not available"), REF)
    assert (verdict.outcome, verdict.retryable, verdict.transport_failure) == (
        SendOutcome.RETRY_LIMIT,
        True,
        True,
    )
    assert verdict.error_code == "502"


async def test_404_for_a_wrong_url_is_fatal(sim: RunningSimulator) -> None:
    result, _ = await send_one(fast_settings(sim.url + "wrong/path"))
    assert (result.outcome, result.http_status, result.error_code) == (
        SendOutcome.FATAL,
        404,
        "HTTP-404",
    )


async def test_give_up_while_waiting_to_retry_interrupts(sim: RunningSimulator) -> None:
    sim.state.apply(config_changes({"error_500_share": 1}))
    settings = fast_settings(sim.url, backoff_base=30.0, backoff_max=30.0, max_attempts=5)
    give_up = asyncio.Event()
    async with mhs_transport(settings, RUN_ID) as client:
        task = asyncio.create_task(client.send(*message(), give_up=give_up))
        await wait_until(lambda: sim.state.requests == 1)
        give_up.set()
        result = await asyncio.wait_for(task, patience(5))
        assert (result.outcome, result.attempts, result.http_status) == (
            SendOutcome.INTERRUPTED,
            1,
            500,
        )
        assert result.error_text is not None and "interrupted" in result.error_text
        # Already set: the first failure returns at once, without a wait.
        result = await asyncio.wait_for(client.send(*message(), give_up=give_up), 5)
        assert result.outcome is SendOutcome.INTERRUPTED and result.attempts == 1


async def test_send_outside_the_context_is_a_programming_error() -> None:
    client = mhs_transport(fast_settings("http://127.0.0.1:1/"), RUN_ID)
    with pytest.raises(RuntimeError):
        await client.send("X", "<x/>")


async def test_pool_and_timeouts_come_from_the_settings(sim: RunningSimulator) -> None:
    settings = fast_settings(sim.url, concurrency=3, connect_timeout=1.5, total_timeout=9.0)
    async with mhs_transport(settings, RUN_ID) as client:
        session = client._session
        assert session is not None
        # The summaries' 3 senders, and the PDS workers ahead of them (issue 23).
        expected = 3 + (settings.pds_concurrency if settings.pds_sync else 0)
        assert session.connector is not None and session.connector.limit == expected
        assert (session.timeout.sock_connect, session.timeout.total) == (1.5, 9.0)
        # Many concurrent sends through the bounded pool all arrive, each exactly once.
        results = await asyncio.gather(*(client.send(*message()) for _ in range(20)))
    assert {r.outcome for r in results} == {SendOutcome.SENT}
    assert sim.state.accepted == 20


# --- the exact request (a capturing server on loopback, since the simulator keeps no headers)


@pytest.fixture
async def capture() -> AsyncIterator[tuple[str, list[web.Request], list[bytes]]]:
    requests: list[web.Request] = []
    bodies: list[bytes] = []

    async def handler(request: web.Request) -> web.Response:
        requests.append(request)
        bodies.append(await request.read())
        return web.Response(status=202)

    async with serving("/mhs/", handler) as url:
        yield url, requests, bodies


async def test_request_is_exactly_domain_4_2(capture) -> None:
    url, requests, bodies = capture
    settings = fast_settings(url, ods_code="B81001", sending_asid="200000000123")
    async with mhs_transport(settings, RUN_ID) as client:
        first_id, payload = message()
        await client.send(first_id, payload)
        await client.send(*message())
    request = requests[0]
    assert request.method == "POST" and request.path == "/mhs/"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Interaction-Id"] == "REPC_IN150016UK05"
    assert request.headers["wait-for-response"] == "true"
    assert request.headers["Message-Id"] == first_id
    assert request.headers["Correlation-Id"] == RUN_ID
    assert request.headers["from-asid"] == "200000000123"
    assert "ods-code" not in request.headers  # the receiving system's: the Spine's default
    assert orjson.loads(bodies[0]) == {"payload": payload}
    # One correlation id per run, a new message id per message.
    assert requests[1].headers["Correlation-Id"] == RUN_ID
    assert requests[1].headers["Message-Id"] != first_id
