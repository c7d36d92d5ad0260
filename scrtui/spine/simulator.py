"""A stand-in for the NHS MHS adaptor's outbound API and the Spine behind it (aiohttp.web).

It answers like the real adaptor (status codes and texts of domain.md §4.2) and like the Spine
(MCCI_IN010000UK13 acknowledgements, PSIS error codes of §4.5), eliminates duplicates by
message id, injects faults on request, and counts what it accepted so tests and demos can
check exactly-once delivery. docs/spine.md lists its flags and control API.

Order of events for POST /: outage (503) → latency → slow → 500/429 faults → the adaptor's
checks and the Spine's judgement → reset (the connection is dropped *after* the message was
judged, so the client's resend of the same Message-Id meets duplicate elimination, which is
the case exactly-once delivery must survive).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import os
import random
import re
import select
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
import xml.parsers.expat
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web

from scrtui import logs
from scrtui.domain import nhs_number
from scrtui.spine.message import (
    HL7_NAMESPACE,
    INTERACTION_ID,
    JOB_ROLE_OID,
    NHS_NUMBER_OID,
    ROLE_PROFILE_OID,
    SDS_USER_OID,
    attr,
)

READY_PREFIX = "scrtui simulator listening on "
SPINE_ASID = "227319907548"  # the test Spine ASID of the MHS ops walkthrough (§4.4)
MAX_PAYLOAD_CHARS = 5_000_000  # the adaptor's request schema limit (§4.2)
PSIS_CODE_SYSTEM = "2.16.840.1.113883.2.1.3.2.4.17.33"

# The root as expat reports it with namespace processing: "<namespace> <local name>".
_ROOT_NAME = f"{HL7_NAMESPACE} {INTERACTION_ID}"
# The fields the Spine checks are found by the OID of their id element (domain.md §4.6); the
# first occurrence in document order is the ControlActEvent author's.
_AUTHOR_IDS = {
    "role profile id": ROLE_PROFILE_OID,
    "SDS user id": SDS_USER_OID,
    "job role code": JOB_ROLE_OID,
}
_ID_TAG = re.compile(r"<(?:[\w.-]+:)?id\s[^<>]*>")
_ROOT_ATTR = re.compile(r"""\sroot\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_EXTENSION_ATTR = re.compile(r"""\sextension\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_REPLACEMENT_TAG = re.compile(r"<(?:[\w.-]+:)?replacementOf[\s>/]")
_REPLACEMENT_NEAR = 64  # room for a namespace prefix before the local name

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

# The adaptor's answer when the Spine's messaging layer fails (§4.5, a SOAP fault 200).
_SPINE_FAULT_BODY = orjson.dumps(
    {
        "error_message": "Error(s) received from Spine. Contact system administrator.",
        "process_key": "SOAP_ERROR_HANDLER0002",
        "errors": [
            {
                "codeContext": "urn:nhs:names:error:tms",
                "errorCode": "200",
                "severity": "Error",
                "location": "Not Supported",
                "description": "System failure to process message - default",
                "errorType": "soap_fault",
            }
        ],
    }
)
_ATTACHMENT_TYPES = frozenset(
    "text/plain text/html application/pdf text/xml application/xml text/rtf audio/basic "
    "audio/mpeg image/png image/gif image/jpeg image/tiff video/mpeg application/msword "
    "application/octet-stream".split()
)


@dataclass
class SimulatorConfig:
    latency_ms: float = 0
    error_500_share: float = 0
    reset_share: float = 0
    slow_share: float = 0
    slow_seconds: float = 60
    reject_nhs_numbers: set[str] = field(default_factory=set)
    outage: bool = False
    seed: int | None = None
    # Beyond the list, for the client's remaining outcome classes:
    error_429_share: float = 0  # 429 Too Many Requests (throttling)
    bad_ack_share: float = 0  # 200 with an acknowledgement for another message id
    retry_after: int | None = None  # Retry-After seconds on 429/500/503 answers
    max_request_size: int = MAX_PAYLOAD_CHARS  # MHS_SPINE_REQUEST_MAX_SIZE: larger is a 400
    # The adaptor's 400 "Request to send to Spine is too large" for these patients' summaries.
    too_large_nhs_numbers: set[str] = field(default_factory=set)
    # A resend of an accepted message id gets AE 401 "Duplicate message id" (as the Spine does
    # once its duplicate-elimination memory has passed) instead of the original AA.
    duplicate_id_ae: bool = False
    unavailable_share: float = 0  # AE 502 "Service not available": nothing stored, try later


_SHARES = (
    "error_500_share",
    "reset_share",
    "slow_share",
    "error_429_share",
    "bad_ack_share",
    "unavailable_share",
)
_NHS_LISTS = ("reject_nhs_numbers", "too_large_nhs_numbers")


def _number(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ValueError(f"{name} must be a number from {low:g} to {high:g}")
    return float(value)


def _optional_int(name: str, value: Any, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, or null")
    return value


def _nhs_list(name: str, value: Any) -> set[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{name} must be a list of NHS number strings")
    return {nhs_number.normalise(v) for v in value}


def config_changes(data: Any) -> dict[str, Any]:
    """Validate a /control body into SimulatorConfig changes; ValueError names the bad key."""
    if not isinstance(data, dict):
        raise ValueError("control body must be a JSON object")
    known = {f for f in SimulatorConfig.__dataclass_fields__} | {"reset_stats"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown control keys: {', '.join(unknown)}; known: {sorted(known)}")
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key in _SHARES:
            changes[key] = _number(key, value, 0, 1)
        elif key in ("latency_ms", "slow_seconds"):
            changes[key] = _number(key, value, 0, 3_600_000 if key == "latency_ms" else 3600)
        elif key in _NHS_LISTS:
            changes[key] = _nhs_list(key, value)
        elif key in ("outage", "reset_stats", "duplicate_id_ae"):
            if not isinstance(value, bool):
                raise ValueError(f"{key} must be true or false")
            changes[key] = value
        elif key == "seed":
            changes[key] = _optional_int(key, value, -(2**63), 2**63 - 1)
        elif key == "retry_after":
            changes[key] = _optional_int(key, value, 0, 86_400)
        elif key == "max_request_size":
            changes[key] = _optional_int(key, value, 1, MAX_PAYLOAD_CHARS)
    return changes


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


@dataclass
class SimulatorState:
    """Live configuration and counters; /control changes the first, /stats reads the second."""

    config: SimulatorConfig
    requests: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    replacements: int = 0
    last_accept_at: float | None = None
    faults: Counter[str] = field(default_factory=Counter)
    replies: Counter[int] = field(default_factory=Counter)
    answers: dict[str, Answer] = field(default_factory=dict)
    accepted_ids: dict[str, list[str]] = field(default_factory=dict)  # NHS number -> ids
    accepted_at: dict[str, float] = field(default_factory=dict)  # NHS number -> last accept
    replaced: dict[str, str] = field(default_factory=dict)  # accepted id -> the id it replaces
    created: dict[str, str] = field(default_factory=dict)  # accepted id -> its creationTime
    seen_nhs: set[str] = field(default_factory=set)
    duplicate_nhs: dict[str, None] = field(default_factory=dict)  # ordered set
    # Accepted under a second id that does not replace the one accepted before it: the
    # patient has two unrelated summaries, which exactly-once delivery must never cause.
    unreplaced_nhs: dict[str, None] = field(default_factory=dict)  # ordered set

    def __post_init__(self) -> None:
        self.rng = random.Random(self.config.seed)

    def chance(self, share: float) -> bool:
        return share > 0 and self.rng.random() < share

    def apply(self, changes: Mapping[str, Any]) -> None:
        for key, value in changes.items():
            if key == "reset_stats":
                if value:
                    self.reset_stats()
                continue
            setattr(self.config, key, value)
            if key == "seed":
                self.rng = random.Random(value)

    def reset_stats(self) -> None:
        """Forget everything, including duplicate elimination: a fresh Spine."""
        fresh = SimulatorState(self.config)
        fresh.rng = self.rng
        self.__dict__.update(fresh.__dict__)

    def record(self, message_id: str, answer: Answer, judgement: Judgement) -> None:
        nhs, prior = judgement.nhs, judgement.prior
        self.answers[message_id] = answer
        if nhs:
            self.seen_nhs.add(nhs)
        if answer.type_code != "AA":
            self.rejected += 1
            return
        self.accepted += 1
        self.last_accept_at = time.time()
        self.created[message_id] = judgement.created
        if prior is not None:
            self.replacements += 1
            self.replaced[message_id] = prior
        if nhs:
            ids = self.accepted_ids.setdefault(nhs, [])
            ids.append(message_id)
            if len(ids) > 1:
                self.duplicate_nhs[nhs] = None
                if prior != ids[-2]:
                    self.unreplaced_nhs[nhs] = None
            self.accepted_at[nhs] = self.last_accept_at

    def stats(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "replacements": self.replacements,
            "distinct_nhs_numbers": len(self.seen_nhs),
            "accepted_nhs_numbers": len(self.accepted_ids),
            "duplicate_nhs_numbers": list(self.duplicate_nhs),
            "unreplaced_nhs_numbers": list(self.unreplaced_nhs),
            "last_accept_at": self.last_accept_at,
            "faults": dict(self.faults),
            "replies": {str(status): n for status, n in sorted(self.replies.items())},
        }

    def nhs_stats(self, nhs: str) -> dict[str, Any]:
        number = nhs_number.normalise(nhs)
        return {
            "nhs": number,
            "message_ids": self.accepted_ids.get(number, []),
            "accepted_at": self.accepted_at.get(number),
        }

    def accepted_view(self) -> dict[str, list[dict[str, str | None]]]:
        """Every accepted summary by NHS number, in order, with the id each one replaces."""
        return {
            nhs: [
                {"message_id": i, "replaces": self.replaced.get(i), "created": self.created.get(i)}
                for i in ids
            ]
            for nhs, ids in self.accepted_ids.items()
        }

    def config_view(self) -> dict[str, Any]:
        view = asdict(self.config)
        for key in _NHS_LISTS:
            view[key] = sorted(getattr(self.config, key))
        return view


STATE: web.AppKey[SimulatorState] = web.AppKey("simulator_state", SimulatorState)


class _Refused(Exception):
    """The adaptor refuses the request itself (HTTP 4xx), before anything reaches the Spine."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


def _hl7_now() -> str:
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


# --- the adaptor's own checks (domain.md §4.2, in the adaptor's order) ---


def _wait_for_response(request: web.Request) -> bool:
    if "Interaction-Id" not in request.headers:
        raise _Refused(404, "Required Interaction-Id header not found")
    value = request.headers.get("wait-for-response", "")
    if not value:
        raise _Refused(400, "wait-for-response header missing")
    if value.lower() not in ("true", "false"):
        raise _Refused(400, "wait for response should be set to true or false")
    return value.lower() == "true"


def _check_content_type(request: web.Request) -> None:
    content_type = request.headers.get("Content-Type")
    if content_type is None:
        raise _Refused(400, "Missing Content-Type header")
    # The adaptor compares the whole header: a charset parameter is refused as well.
    if content_type != "application/json":
        raise _Refused(
            415, "Unsupported content type. Only application/json request bodies are supported."
        )


def _schema_errors(body: Any) -> dict[str, list[str]]:
    """The adaptor's request body schema, with marshmallow-style messages."""
    if not isinstance(body, dict):
        return {"_schema": ["Invalid input type."]}
    errors: dict[str, list[str]] = {}
    payload = body.get("payload")
    if "payload" not in body:
        errors["payload"] = ["Missing data for required field."]
    elif not isinstance(payload, str):
        errors["payload"] = ["Not a valid string."]
    elif not 1 <= len(payload) <= MAX_PAYLOAD_CHARS:
        errors["payload"] = [f"Length must be between 1 and {MAX_PAYLOAD_CHARS}."]
    for key in ("attachments", "external_attachments"):
        if key in body and not _valid_attachments(body[key], key == "attachments"):
            errors[key] = ["Invalid attachments."]
    for key in set(body) - {"payload", "attachments", "external_attachments"}:
        errors[key] = ["Unknown field."]
    return errors


def _valid_attachments(value: Any, inline: bool) -> bool:
    if not isinstance(value, list) or len(value) > 98:
        return False
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("description", ""), str):
            return False
        if inline and (
            not isinstance(item.get("is_base64"), bool)
            or item.get("content_type") not in _ATTACHMENT_TYPES
            or not isinstance(item.get("payload"), str)
        ):
            return False
    return True


def _payload(raw: bytes, max_request_size: int) -> str:
    if not raw:
        raise _Refused(400, "Body missing from request")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise _Refused(400, "Invalid JSON request body") from None
    errors = _schema_errors(body)
    if errors:
        raise _Refused(400, f"Invalid request. Validation errors: {errors}")
    payload: str = body["payload"]
    if len(payload) > max_request_size:
        raise _Refused(
            400,
            "Request to send to Spine is too large. "
            f"MaxRequestSize={max_request_size} RequestSize={len(payload)}",
        )
    return payload


def _check_size_for(payload: str, too_large: set[str]) -> None:
    """The adaptor's "too large" answer for chosen patients, as if their summary were huge."""
    if too_large and _extension(payload, NHS_NUMBER_OID) in too_large:
        raise _Refused(
            400,
            "Request to send to Spine is too large. "
            f"MaxRequestSize={MAX_PAYLOAD_CHARS} RequestSize={MAX_PAYLOAD_CHARS + len(payload)}",
        )


# --- the Spine's judgement of the GP Summary ---


@dataclass(frozen=True, slots=True)
class Judgement:
    errors: tuple[tuple[str, str], ...]  # empty: accepted
    nhs: str | None = None
    replaces: bool = False
    prior: str | None = field(default=None, compare=False)  # the message id it replaces
    created: str = field(default="", compare=False)  # creationTime, as the message says


def _invalid(reason: str, nhs: str | None = None) -> Judgement:
    return Judgement(((INVALID_REQUEST[0], f"{INVALID_REQUEST[1]} - {reason}"),), nhs)


def _root_name(payload: str) -> str:
    """Check well-formedness (namespaces included) and return the root element's name.

    Bare expat costs ~30 µs for a GP Summary; ElementTree's tree building costs ~120 µs and
    would cap the simulator well below the upload engine's rate.
    """
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    names: list[str] = []

    def first(name: str, _attributes: dict[str, str]) -> None:
        names.append(name)
        parser.StartElementHandler = None  # the rest parses at C speed

    parser.StartElementHandler = first
    parser.Parse(payload, True)
    return names[0]


def _attribute(pattern: re.Pattern[str], tag: str) -> str | None:
    match = pattern.search(tag)
    if match is None:
        return None
    value = match.group(1) if match.group(1) is not None else match.group(2)
    return html.unescape(value).strip() if "&" in value else value.strip()


def _id_tag(payload: str, oid: str) -> str | None:
    """The first `<id ...>` tag whose root is `oid`, found with str.find (fast).

    A hit inside text content is skipped: its "tag" would contain the `>` of the element the
    text is in, so it does not look like one id tag.
    """
    for needle in (f'root="{oid}"', f"root='{oid}'"):
        position = payload.find(needle)
        while position != -1:
            start = payload.rfind("<", 0, position)
            end = payload.find(">", position)
            if start != -1 and end != -1 and _ID_TAG.fullmatch(payload, start, end + 1):
                return payload[start : end + 1]
            position = payload.find(needle, position + 1)
    return None


def _extension(payload: str, oid: str) -> str:
    tag = _id_tag(payload, oid)
    return (_attribute(_EXTENSION_ATTR, tag) or "") if tag else ""


def judge(payload: str, message_id: str, reject: set[str]) -> Judgement:
    """What the Spine makes of a GP Summary: accepted, or the PSIS errors."""
    try:
        root = _root_name(payload)
    except xml.parsers.expat.ExpatError as exc:
        return _invalid(f"payload is not well-formed XML ({exc})")
    if root != _ROOT_NAME:
        return _invalid(f"root element is {root!r}, expected {_ROOT_NAME!r}")
    first_id = _ID_TAG.search(payload)  # the message id is the root's first child
    hl7_id = (_attribute(_ROOT_ATTR, first_id.group(0)) or "") if first_id else ""
    if hl7_id.upper() != message_id.upper():
        return _invalid(f"Message-Id {message_id} differs from the HL7 id {hl7_id or '(none)'}")
    missing = [name for name, oid in _AUTHOR_IDS.items() if not _extension(payload, oid)]
    if missing:
        return _invalid(f"author {', '.join(missing)} missing")
    nhs = _extension(payload, NHS_NUMBER_OID)
    if not nhs_number.is_valid(nhs) or nhs != nhs_number.normalise(nhs):
        return Judgement((INVALID_REQUEST, NHS_NUMBER_ERROR), nhs or None)
    if nhs in reject:
        return Judgement((ACCESS_CONTROL, ACF_REFUSED), nhs)
    prior = _replaced_id(payload)
    return Judgement((), nhs, prior is not None, prior, _creation_time(payload))


def _creation_time(payload: str) -> str:
    """The message's creationTime (the first one: the message's own, before the summary's)."""
    start = payload.find('creationTime value="')
    if start == -1:
        return ""
    start += len('creationTime value="')
    return payload[start : payload.find('"', start)]


def _replaced_id(payload: str) -> str | None:
    """The id a replacementOf element names (a Rerun's summary replacing an earlier one):
    the root of the first id tag after it (priorMessageRef/id), "" when it names none."""
    position = payload.find("replacementOf")
    while position != -1:
        start = payload.rfind("<", max(0, position - _REPLACEMENT_NEAR), position)
        if start != -1 and _REPLACEMENT_TAG.match(payload, start):
            tag = _ID_TAG.search(payload, position)
            return (_attribute(_ROOT_ATTR, tag.group(0)) or "").upper() if tag else ""
        position = payload.find("replacementOf", position + 1)
    return None


# --- handlers ---


def _text(status: int, text: str, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/plain", headers=headers)


def _retry_headers(state: SimulatorState) -> dict[str, str]:
    seconds = state.config.retry_after
    return {} if seconds is None else {"Retry-After": str(seconds)}


def _drop_connection(request: web.Request) -> None:
    """Close the socket without an answer, as a reset connection looks to the client."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    request.protocol.force_close()


async def _injected_faults(state: SimulatorState) -> web.Response | None:
    config = state.config
    if config.outage:
        state.faults["outage"] += 1
        return _text(503, "Service unavailable (simulated outage)", _retry_headers(state))
    if config.latency_ms > 0:
        await asyncio.sleep(config.latency_ms / 1000)
    if state.chance(config.slow_share):
        state.faults["slow"] += 1
        await asyncio.sleep(config.slow_seconds)
    if state.chance(config.error_500_share):
        state.faults["error_500"] += 1
        return _text(500, _SPINE_FAULT_BODY.decode(), _retry_headers(state))
    if state.chance(config.error_429_share):
        state.faults["error_429"] += 1
        return _text(429, "Too Many Requests (simulated)", _retry_headers(state))
    return None


def _answer(type_code: str, errors: tuple[tuple[str, str], ...], asid: str) -> Answer:
    return Answer(str(uuid.uuid4()).upper(), _hl7_now(), type_code, errors, asid)


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
    try:
        wait = _wait_for_response(request)
        _check_content_type(request)
        payload = _payload(await request.read(), state.config.max_request_size)
        _check_size_for(payload, state.config.too_large_nhs_numbers)
        if request.headers["Interaction-Id"] != INTERACTION_ID:
            raise _Refused(404, f"Unknown interaction ID: {request.headers['Interaction-Id']}")
    except _Refused as refused:
        return _text(refused.status, refused.text, headers)
    answer = _answer_for(state, payload, message_id, request.headers.get("from-asid", ""))
    if not wait:
        return web.Response(status=202, headers=headers)
    ref = message_id
    if state.chance(state.config.bad_ack_share):
        state.faults["bad_ack"] += 1
        ref = str(uuid.uuid4()).upper()
    return web.Response(
        status=200, text=build_ack(ref, answer), content_type="text/xml", headers=headers
    )


async def post_message(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    state.requests += 1
    response = await _injected_faults(state)
    if response is None:
        response = await _mhs(request)
    if state.chance(state.config.reset_share):
        state.faults["reset"] += 1
        _drop_connection(request)
        return response  # never reaches the client: the transport is gone
    state.replies[response.status] += 1
    return response


async def healthcheck(request: web.Request) -> web.Response:
    # An outage takes the health probe down too, so the engine's probe sees the outage end.
    if request.app[STATE].config.outage:
        return _text(503, "Service unavailable (simulated outage)")
    return web.Response(status=200)


async def get_stats(request: web.Request) -> web.Response:
    state = request.app[STATE]
    nhs = request.query.get("nhs")
    data = state.nhs_stats(nhs) if nhs is not None else state.stats()
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
            return _text(400, f"bad control request: {exc}")
        state.apply(changes)
        logs.get("scrtui.simulator").info("simulator_control", **_loggable(changes))
    return web.Response(body=orjson.dumps(state.config_view()), content_type="application/json")


def _loggable(changes: Mapping[str, Any]) -> dict[str, Any]:
    return {k: sorted(v) if isinstance(v, set) else v for k, v in changes.items()}


def create_app(config: SimulatorConfig) -> web.Application:
    app = web.Application(client_max_size=16 * 1024 * 1024)
    app[STATE] = SimulatorState(config)
    app.router.add_post("/", post_message)
    app.router.add_get("/healthcheck", healthcheck)
    app.router.add_get("/stats", get_stats)
    app.router.add_get("/accepted", get_accepted)
    app.router.add_route("GET", "/control", control)
    app.router.add_route("POST", "/control", control)
    return app


# --- running it ---


@dataclass
class RunningSimulator:
    url: str
    state: SimulatorState
    host: str
    port: int


def url_for(host: str, port: int, scheme: str = "http") -> str:
    return f"{scheme}://[{host}]:{port}/" if ":" in host else f"{scheme}://{host}:{port}/"


@contextlib.asynccontextmanager
async def running_simulator(
    config: SimulatorConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    ssl_context: ssl.SSLContext | None = None,
) -> AsyncIterator[RunningSimulator]:
    """Serve the simulator on this event loop until the block ends (https with ssl_context)."""
    app = create_app(config or SimulatorConfig())
    # handler_cancellation: a client that gives up (timeout) cancels a slow handler, so
    # shutdown does not wait out slow_seconds.
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, handler_cancellation=True, shutdown_timeout=1
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, reuse_address=True, ssl_context=ssl_context)
        await site.start()
        bound = runner.addresses[0][1]
        url = url_for(host, bound, "https" if ssl_context else "http")
        yield RunningSimulator(url, app[STATE], host, bound)
    finally:
        await runner.cleanup()


def start_simulator_process(
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    *,
    timeout: float = 30.0,
) -> tuple[subprocess.Popen[bytes], str]:
    """Run the `scrtui simulator --port 0 ...` command in a child process; return it and its URL.

    The child is `python -m scrtui.cli.spine simulator`: the same command and flags as
    `python -m scrtui simulator`, without importing the other command modules, so a problem in
    one of those cannot stop the simulator. It watches this process and exits when it dies;
    terminate() (SIGTERM) ends it cleanly. Its logs go to the home given by SCRTUI_HOME in
    `env` (else the default home), never to the terminal.
    """
    command = [
        sys.executable, "-m", "scrtui.cli.spine", "simulator",
        "--port", "0", "--parent-pid", str(os.getpid()), *args,
    ]  # fmt: skip
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=None if env is None else dict(env),
        )
        try:
            line = _read_line(process, timeout)
        except RuntimeError as exc:
            process.kill()
            process.wait()
            stderr.seek(0)
            detail = stderr.read().decode(errors="replace").strip()
            raise RuntimeError(f"{exc}; stderr: {detail or '(empty)'}") from None
    return process, line.removeprefix(READY_PREFIX)


def _read_line(process: subprocess.Popen[bytes], timeout: float) -> str:
    assert process.stdout is not None
    fd = process.stdout.fileno()
    deadline = time.monotonic() + timeout
    buffer = b""
    while b"\n" not in buffer:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError(f"simulator printed no ready line within {timeout:g} s")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError(f"simulator exited with code {process.wait()} before ready")
            buffer += chunk
    line = buffer.split(b"\n", 1)[0].decode().strip()
    if not line.startswith(READY_PREFIX):
        raise RuntimeError(f"unexpected first line from the simulator: {line!r}")
    return line
