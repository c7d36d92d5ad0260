"""The adaptor's error text as scrtui keeps it: what an administrator needs, nothing that can
carry patient data.

An error body from the MHS adaptor may echo the request: an NHS number, a date of birth, a
name in quotes, the payload itself. The text goes into the logs and on screen, so before it is
kept: the payload (from the first `<` or a `"payload"` field) is cut, quoted values are
withheld, runs of digits long enough to be an NHS number or a date, and dates written with
separators, are replaced. The adaptor's own words ("Request to send to Spine is too large",
"`from_asid` header field required for sync messages", a 5-digit Spine code) survive.
"""

from __future__ import annotations

import re

import orjson

MAX_TEXT = 300
_PAYLOAD = re.compile(r"""(<|["']?payload["']?\s*[:=]).*""", re.IGNORECASE | re.DOTALL)
_QUOTED = re.compile(r""""[^"]*"|'[^']*'""")
_DATE = re.compile(r"\b\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b")
# Six digits or more standing alone (not REPC_IN150016UK05): NHS numbers, dates, phone numbers.
_DIGITS = re.compile(r"(?<!\w)\d(?:[ -]?\d){5,}(?!\w)")
_SPACES = re.compile(r"\s+")


# The fields where the adaptor (JSON) and the Spine (a SOAP fault) put their own words.
_WORD_KEYS = ("error_message", "message", "diagnostics", "faultstring", "description")
_XML_WORDS = re.compile(
    r"<(?:\w+:)?(faultstring|description)>([^<]{1,500})</(?:\w+:)?\1>", re.IGNORECASE
)


def _json_words(value: object, found: list[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in _WORD_KEYS and isinstance(item, str):
                found.append(item)
            else:
                _json_words(item, found)
    elif isinstance(value, list):
        for item in value:
            _json_words(item, found)


def adaptors_words(text: str) -> str | None:
    """The adaptor's or the Spine's own words in a JSON error body or a SOAP fault, if any."""
    found: list[str] = []
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            _json_words(orjson.loads(stripped), found)
        except orjson.JSONDecodeError:
            return None
    elif stripped.startswith("<"):
        found = [words for _, words in _XML_WORDS.findall(stripped)]
    unique = list(dict.fromkeys(w.strip() for w in found if w.strip()))
    return "; ".join(unique) or None


def scrubbed(text: str) -> str:
    """The text with anything that can carry patient data withheld, one line, at most
    MAX_TEXT characters. A JSON error body or a SOAP fault is reduced to its words first."""
    text = adaptors_words(text) or text
    text = _PAYLOAD.sub("[payload withheld]", text)
    text = _QUOTED.sub("[...]", text)
    text = _DATE.sub("[date]", text)
    text = _DIGITS.sub("[number]", text)
    text = _SPACES.sub(" ", text).strip()
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
