"""The simulator's consent service room: SET_RESOURCE_PERMISSIONS_INUK01 as synchronous SOAP.

It checks the request as the Spine's sync service would (SOAPAction, text/xml, the envelope,
the interaction, the NHS number, the permission, the author) and answers with an MCCI
acknowledgement inside a SOAP envelope (docs/uploads.md "Consent Migration"): AA, or AE with
the Spine's codes. The MHS room's fault injection (outage, latency, 500, 429, reset) and
duplicate elimination apply here too; /stats counts consent answers on their own.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections import Counter

from aiohttp import web

from scrtui.domain import nhs_number
from scrtui.spine.consent_message import CONSENT_INTERACTION, CONSENT_VERSION, SOAP_ACTION
from scrtui.standins.simulator.answers import (
    ACF_REFUSED,
    INVALID_REQUEST,
    NHS_NUMBER_ERROR,
    Answer,
    build_ack,
    hl7_now,
)
from scrtui.standins.simulator.faults import drop_connection, injected_faults, text_response
from scrtui.standins.simulator.state import STATE, SimulatorState

CONSENT_PATH = "/sync-service"
PERMISSIONS = ("Yes", "No", "Clear")
HL7 = "{urn:hl7-org:v3}"
CRS = "{http://national.carerecords.nhs.uk/schema/crs/}"
_SOAP_OPEN = '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'


class BadRequest(ValueError):
    pass


def read_request(body: bytes) -> tuple[str, str, str]:
    """(message id, NHS number, permission) of a well-formed request; BadRequest otherwise."""
    if b"<!DOCTYPE" in body:
        raise BadRequest("a DOCTYPE is not accepted")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise BadRequest(f"not well-formed XML ({exc})") from None
    message = root.find(f".//{HL7}{CONSENT_INTERACTION}")
    if message is None:
        raise BadRequest(f"no {CONSENT_INTERACTION} in the SOAP body")
    interaction = message.find(f"{HL7}interactionId")
    if interaction is None or interaction.get("extension") != CONSENT_INTERACTION:
        raise BadRequest("interactionId is not " + CONSENT_INTERACTION)
    version = message.find(f"{HL7}versionCode")
    if version is None or version.get("code") != CONSENT_VERSION:
        raise BadRequest("versionCode is not " + CONSENT_VERSION)
    id_element = message.find(f"{HL7}id")
    message_id = "" if id_element is None else id_element.get("root", "")
    if not message_id:
        raise BadRequest("the message has no id")
    for path in ("AgentPersonSDS/{h}id", "AgentPersonSDS/{h}agentPersonSDS/{h}id"):
        found = message.find(f".//{HL7}author/{HL7}" + path.format(h=HL7))
        if found is None or not found.get("extension"):
            raise BadRequest("the author's role profile and user id are required")
    context = message.find(f".//{CRS}resourceContext")
    permission = message.find(f".//{CRS}permission")
    nhs = "" if context is None else context.get("extension", "")
    value = "" if permission is None else (permission.text or "").strip()
    if value not in PERMISSIONS:
        raise BadRequest(f"permission {value!r} is not one of {', '.join(PERMISSIONS)}")
    return message_id, nhs, value


def _answer(state: SimulatorState, message_id: str, nhs: str, permission: str) -> Answer:
    known = state.answers.get(message_id.upper())
    if known is not None:
        state.duplicates += 1  # duplicate elimination, as for summaries
        return known
    errors: tuple[tuple[str, str], ...] = ()
    if not nhs_number.is_valid(nhs):
        errors = (INVALID_REQUEST, NHS_NUMBER_ERROR)
    elif nhs_number.normalise(nhs) in state.config.reject_nhs_numbers:
        errors = (INVALID_REQUEST, ACF_REFUSED)
    answer = Answer(str(uuid.uuid4()).upper(), hl7_now(), "AE" if errors else "AA", errors, "")
    state.answers[message_id.upper()] = answer
    state.consent_answers[answer.type_code] += 1
    if not errors:
        state.consent_permissions[nhs_number.normalise(nhs)] = permission
    return answer


async def post_consent(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    state.requests += 1
    response = await injected_faults(state)
    if response is None and state.config.consent_fault:
        state.faults["consent_fault"] += 1
        response = web.Response(status=500, text=SOAP_FAULT, content_type="text/xml")
    if response is None:
        response = await _consent(request, state)
    if state.chance(state.config.reset_share):
        state.faults["reset"] += 1
        drop_connection(request)
        return response
    state.replies[response.status] += 1
    return response


# A SOAP 1.1 Fault as the Spine's sync service sends it in HTTP 500 (its error list is the
# shape the MHS adaptor's soap_handler.py reads).
SOAP_FAULT = (
    '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:nasp="http://national.carerecords.nhs.uk/schema/"><SOAP-ENV:Body><SOAP-ENV:Fault>'
    "<faultcode>SOAP-ENV:Server</faultcode><faultstring>System failure to process message"
    "</faultstring><detail><nasp:errorList><nasp:error><nasp:codeContext>urn:nhs:names:error:tms"
    "</nasp:codeContext><nasp:errorCode>200</nasp:errorCode><nasp:severity>Error</nasp:severity>"
    "<nasp:location>Not Supported</nasp:location><nasp:description>System failure to process "
    "message - default</nasp:description></nasp:error></nasp:errorList></detail>"
    "</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>"
)


async def _consent(request: web.Request, state: SimulatorState) -> web.Response:
    if request.headers.get("SOAPAction", "").strip('"') != SOAP_ACTION:
        return text_response(400, f"SOAPAction must be {SOAP_ACTION}")
    if request.content_type != "text/xml":
        return text_response(415, f"Content-Type must be text/xml, not {request.content_type}")
    try:
        message_id, nhs, permission = read_request(await request.read())
    except BadRequest as exc:
        state.consent_answers["invalid"] += 1
        return text_response(400, f"invalid {CONSENT_INTERACTION}: {exc}")
    answer = _answer(state, message_id, nhs, permission)
    ack = build_ack(message_id, answer).split("?>", 1)[-1]
    body = (
        f"{_SOAP_OPEN}<SOAP-ENV:Body><setResourcePermissionsResponse>{ack}"
        "</setResourcePermissionsResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>"
    )
    return web.Response(status=200, text=body, content_type="text/xml")


async def consent_probe(_request: web.Request) -> web.Response:
    return web.Response(status=405, text="POST a SOAP request", content_type="text/plain")


def consent_stats(state: SimulatorState) -> dict[str, object]:
    answers: Counter[str] = state.consent_answers
    return {
        "consent_accepted": answers["AA"],
        "consent_rejected": answers["AE"],
        "consent_invalid": answers["invalid"],
        "consent_permissions": dict(state.consent_permissions),
    }


def register(app: web.Application) -> None:
    app.router.add_post(CONSENT_PATH, post_consent)
    app.router.add_get(CONSENT_PATH, consent_probe)
