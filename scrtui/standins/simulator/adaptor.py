"""The MHS adaptor's own checks of a request (docs/domain.md §4.2), in the adaptor's order."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from scrtui.spine.message import (
    NHS_NUMBER_OID,
)
from scrtui.standins.simulator.config import MAX_PAYLOAD_CHARS
from scrtui.standins.simulator.judge import extension

_ATTACHMENT_TYPES = frozenset(
    "text/plain text/html application/pdf text/xml application/xml text/rtf audio/basic "
    "audio/mpeg image/png image/gif image/jpeg image/tiff video/mpeg application/msword "
    "application/octet-stream".split()
)


class Refused(Exception):
    """The adaptor refuses the request itself (HTTP 4xx), before anything reaches the Spine."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


# --- the adaptor's own checks (domain.md §4.2, in the adaptor's order) ---


def wait_for_response(request: web.Request) -> bool:
    if "Interaction-Id" not in request.headers:
        raise Refused(404, "Required Interaction-Id header not found")
    value = request.headers.get("wait-for-response", "")
    if not value:
        raise Refused(400, "wait-for-response header missing")
    if value.lower() not in ("true", "false"):
        raise Refused(400, "wait for response should be set to true or false")
    return value.lower() == "true"


def check_content_type(request: web.Request) -> None:
    content_type = request.headers.get("Content-Type")
    if content_type is None:
        raise Refused(400, "Missing Content-Type header")
    # The adaptor compares the whole header: a charset parameter is refused as well.
    if content_type != "application/json":
        raise Refused(
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


def read_payload(raw: bytes, max_request_size: int) -> str:
    if not raw:
        raise Refused(400, "Body missing from request")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise Refused(400, "Invalid JSON request body") from None
    errors = _schema_errors(body)
    if errors:
        raise Refused(400, f"Invalid request. Validation errors: {errors}")
    payload: str = body["payload"]
    if len(payload) > max_request_size:
        raise Refused(
            400,
            "Request to send to Spine is too large. "
            f"MaxRequestSize={max_request_size} RequestSize={len(payload)}",
        )
    return payload


def check_size_for(payload: str, too_large: set[str]) -> None:
    """The adaptor's "too large" answer for chosen patients, as if their summary were huge."""
    if too_large and extension(payload, NHS_NUMBER_OID) in too_large:
        raise Refused(
            400,
            "Request to send to Spine is too large. "
            f"MaxRequestSize={MAX_PAYLOAD_CHARS} RequestSize={MAX_PAYLOAD_CHARS + len(payload)}",
        )
