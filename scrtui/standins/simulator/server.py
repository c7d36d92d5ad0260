"""The aiohttp application: the adaptor's outbound endpoint, health, stats, accepted, control."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web

from scrtui import logs
from scrtui.spine.message import (
    INTERACTION_ID,
)
from scrtui.spine.pds import QUERY_INTERACTION_ID
from scrtui.standins.simulator import consent
from scrtui.standins.simulator.adaptor import (
    Refused,
    check_content_type,
    check_size_for,
    read_payload,
    wait_for_response,
)
from scrtui.standins.simulator.answers import (
    ACF_REFUSED,
    DUPLICATE_ID,
    SERVICE_UNAVAILABLE,
    Answer,
    build_ack,
    hl7_now,
)
from scrtui.standins.simulator.config import SimulatorConfig, config_changes
from scrtui.standins.simulator.consent import consent_stats
from scrtui.standins.simulator.faults import (
    NO_ROUTE,
    SPINE_FAULT_BODY,
    drop_connection,
    injected_faults,
    text_response,
)
from scrtui.standins.simulator.judge import judge
from scrtui.standins.simulator.pds_room import answer_query, soap_fault
from scrtui.standins.simulator.queue import AckPublisher, publish_answer
from scrtui.standins.simulator.state import STATE, SimulatorState

PUBLISHER = web.AppKey("publisher", AckPublisher)


def _answer(type_code: str, errors: tuple[tuple[str, str], ...], asid: str) -> Answer:
    return Answer(str(uuid.uuid4()).upper(), hl7_now(), type_code, errors, asid)


def _answer_for(state: SimulatorState, payload: str, message_id: str, asid: str) -> Answer:
    known = state.answers.get(message_id.upper())
    if known is not None:
        state.duplicates += 1  # duplicate elimination: same answer, not counted again
        if state.config.duplicate_id_ae and known.type_code == "AA":
            state.faults["duplicate_id"] += 1
            return _answer("AE", (DUPLICATE_ID,), asid)
        return known
    if state.chance(state.config.unavailable_share):
        state.faults["unavailable"] += 1  # nothing judged, nothing stored: send it again
        return _answer("AE", (SERVICE_UNAVAILABLE,), asid)
    judgement = judge(payload, message_id, state.config.reject_nhs_numbers)
    if judgement.errors and judgement.errors[-1] == ACF_REFUSED:
        state.faults["reject"] += 1
    answer = _answer("AE" if judgement.errors else "AA", judgement.errors, asid)
    state.record(message_id.upper(), answer, judgement)
    return answer


async def _mhs(request: web.Request) -> web.Response:
    """The adaptor's checks, then the Spine's answer (or 202 when not waiting for it)."""
    state = request.app[STATE]
    message_id = request.headers.get("Message-Id") or str(uuid.uuid4()).upper()
    headers = {
        "Message-Id": message_id,
        "Correlation-Id": request.headers.get("Correlation-Id") or str(uuid.uuid4()).upper(),
    }
    if request.headers.get("Interaction-Id") == QUERY_INTERACTION_ID:
        if await soap_fault(state):
            return text_response(500, SPINE_FAULT_BODY.decode(), headers)
        return await answer_query(request, state, headers)
    try:
        wait = wait_for_response(request)
        check_content_type(request)
        payload = read_payload(await request.read(), state.config.max_request_size)
        check_size_for(payload, state.config.too_large_nhs_numbers)
        if request.headers["Interaction-Id"] != INTERACTION_ID:
            raise Refused(404, f"Unknown interaction ID: {request.headers['Interaction-Id']}")
    except Refused as refused:
        return text_response(refused.status, refused.text, headers)
    answer = _answer_for(state, payload, message_id, request.headers.get("from-asid", ""))
    if not wait:
        publisher = request.app.get(PUBLISHER)
        if publisher is not None:  # asynchronous mode: the acknowledgement goes to the queue
            publish_answer(publisher, state, message_id, headers["Correlation-Id"], answer)
        return web.Response(status=202, headers=headers)
    ref = message_id
    if state.chance(state.config.bad_ack_share):
        state.faults["bad_ack"] += 1
        ref = str(uuid.uuid4()).upper()
    return web.Response(
        status=200, text=build_ack(ref, answer), content_type="text/xml", headers=headers
    )


def route_refused(request: web.Request, state: SimulatorState) -> web.Response | None:
    """The adaptor's route lookup (SDS) for the Spine's interactions: none for another
    system's ods-code (the header names the *receiving* system), none when it is broken."""
    config = state.config
    ods_code = request.headers.get("ods-code")
    foreign = bool(ods_code) and bool(config.spine_ods_code) and ods_code != config.spine_ods_code
    if not (config.route_error or foreign):
        return None
    state.faults["no_route"] += 1
    return text_response(500, NO_ROUTE)


async def post_message(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    summary = request.headers.get("Interaction-Id") != QUERY_INTERACTION_ID
    if summary:
        state.requests += 1
    else:
        state.pds.requests += 1  # "requests" counts summaries only, as before PDS
    if request.headers.get("ods-code"):
        state.faults["ods_code_header"] += 1  # what tests check never happens
    response = route_refused(request, state) or await injected_faults(state)
    if response is None:
        response = await _mhs(request)
    # Resets model a summary's answer lost after the Spine judged it: summaries only.
    if summary and state.chance(state.config.reset_share):
        state.faults["reset"] += 1
        drop_connection(request)
        return response  # never reaches the client: the transport is gone
    state.replies[response.status] += 1
    return response


async def healthcheck(request: web.Request) -> web.Response:
    # The real adaptor answers 200 whatever happens behind it (its healthcheck_handler.py);
    # only the old simulator's 503 outage (outage_503) takes it down.
    if request.app[STATE].config.outage_503:
        return text_response(503, "Service unavailable (simulated outage)")
    return web.Response(status=200)


async def get_stats(request: web.Request) -> web.Response:
    state = request.app[STATE]
    nhs = request.query.get("nhs")
    data = state.nhs_stats(nhs) if nhs is not None else {**state.stats(), **consent_stats(state)}
    publisher = request.app.get(PUBLISHER)
    if publisher is not None and nhs is None:
        data["queue"] = {**vars(publisher.stats), "pending": publisher.pending()}
    return web.Response(body=orjson.dumps(data), content_type="application/json")


async def get_accepted(request: web.Request) -> web.Response:
    data = request.app[STATE].accepted_view()
    return web.Response(body=orjson.dumps(data), content_type="application/json")


async def control(request: web.Request) -> web.Response:
    state = request.app[STATE]
    if request.method == "POST":
        try:
            changes = config_changes(orjson.loads(await request.read() or b"{}"))
        except (orjson.JSONDecodeError, ValueError) as exc:
            return text_response(400, f"bad control request: {exc}")
        state.apply(changes)
        logs.get("scrtui.simulator").info("simulator_control", **_loggable(changes))
    return web.Response(body=orjson.dumps(state.config_view()), content_type="application/json")


def _loggable(changes: Mapping[str, Any]) -> dict[str, Any]:
    return {k: sorted(v) if isinstance(v, set) else v for k, v in changes.items()}


def create_app(
    config: SimulatorConfig, queue_urls: list[str] | None = None, queue_name: str = "inbound"
) -> web.Application:
    """`queue_urls`: publish acknowledgements of asynchronous sends to that broker."""
    app = web.Application(client_max_size=16 * 1024 * 1024)
    app[STATE] = SimulatorState(config)
    if queue_urls:
        publisher = AckPublisher(queue_urls, queue_name)
        app[PUBLISHER] = publisher

        async def close_publisher(_app: web.Application) -> None:
            await asyncio.to_thread(publisher.close)

        app.on_cleanup.append(close_publisher)
    app.router.add_post("/", post_message)
    app.router.add_get("/healthcheck", healthcheck)
    app.router.add_get("/stats", get_stats)
    app.router.add_get("/accepted", get_accepted)
    app.router.add_route("GET", "/control", control)
    app.router.add_route("POST", "/control", control)
    consent.register(app)
    return app
