"""The Spine's judgement of a GP Summary: root, ids, NHS number, authors, replacementOf."""

from __future__ import annotations

import html
import re
import xml.parsers.expat
from dataclasses import dataclass, field

from scrtui.domain import nhs_number
from scrtui.spine.message import (
    HL7_NAMESPACE,
    INTERACTION_ID,
    JOB_ROLE_OID,
    NHS_NUMBER_OID,
    ROLE_PROFILE_OID,
    SDS_USER_OID,
)
from scrtui.standins.simulator.answers import (
    ACCESS_CONTROL,
    ACF_REFUSED,
    INVALID_REQUEST,
    NHS_NUMBER_ERROR,
)

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


def extension(payload: str, oid: str) -> str:
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
    missing = [name for name, oid in _AUTHOR_IDS.items() if not extension(payload, oid)]
    if missing:
        return _invalid(f"author {', '.join(missing)} missing")
    nhs = extension(payload, NHS_NUMBER_OID)
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
