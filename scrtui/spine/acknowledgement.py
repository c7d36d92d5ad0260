"""The Spine's application acknowledgement (MCCI_IN010000UK13): AA, AE or AR, and its errors.

Two error forms exist (docs/domain.md §4.5): the PSIS form under
ControlActEvent/reason/justifyingDetectedIssueEvent/code (with a qualifier ER or WG), and the
older acknowledgement/acknowledgementDetail/code form whose acknowledgementDetail/@typeCode is
the qualifier. Both are read. Element names are matched without their namespace, because the
examples in the wild use the HL7 namespace with and without a prefix, and sometimes none.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.parsers import expat

from scrtui.spine.xml_names import child, children, local_name, parse, path

ACK_ROOT = "MCCI_IN010000UK13"
ACK_TYPE_CODES = frozenset({"AA", "AE", "AR"})

# PSIS general categories (docs/domain.md §4.5): the first reason is one of these, the specific
# PSIS code follows it.
GENERAL_CATEGORIES = frozenset({"210", "400", "401", "410", "420", "430", "502"})
# Qualifiers that do not describe an error: a warning, or the "Continue" information detail
# some AA acknowledgements carry.
_NOT_ERRORS = frozenset({"WG", "W", "IF", "I"})


class AckParseError(ValueError):
    """The body is not an acknowledgement of the message we sent; never a success."""


@dataclass(frozen=True)
class AckError:
    code: str
    display_name: str
    qualifier: str  # ER (error), WG (warning), or the acknowledgementDetail typeCode


@dataclass(frozen=True)
class Ack:
    type_code: str  # AA / AE / AR
    message_ref: str
    ack_id: str
    detail: str  # requestSuccessDetail/detail, e.g. "GP Summary upload successful"
    errors: tuple[AckError, ...]

    @property
    def ok(self) -> bool:
        return self.type_code == "AA"

    @property
    def main_error(self) -> AckError | None:
        """The Spine's first specific error: what a person needs to read to fix the record.

        The general category (400, 420, ...) comes first in a PSIS reply; the specific PSIS
        code after it says what is wrong. Warnings and information details come last in
        preference; with only a general category, that is the answer.
        """
        if not self.errors:
            return None
        errors = [e for e in self.errors if e.qualifier not in _NOT_ERRORS] or list(self.errors)
        specific = [e for e in errors if e.code not in GENERAL_CATEGORIES]
        return (specific or errors)[0]


def _find_root(body: str | bytes) -> ET.Element:
    root = parse(body, "acknowledgement", AckParseError)
    if local_name(root.tag) == ACK_ROOT:
        return root
    # Tolerate an envelope (SOAP, or a multipart's XML part) around exactly the ack.
    for element in root.iter():
        if local_name(element.tag) == ACK_ROOT:
            return element
    raise AckParseError(f"expected an {ACK_ROOT} acknowledgement, got <{local_name(root.tag)}>")


def _qualifier(code: ET.Element) -> str:
    """`<qualifier code="ER"/>` or `<qualifier><value code="ER"/></qualifier>`."""
    qualifier = child(code, "qualifier")
    if qualifier is None:
        return ""
    if qualifier.get("code"):
        return qualifier.get("code", "").strip()
    value = child(qualifier, "value")
    return value.get("code", "").strip() if value is not None else ""


def _error(code: ET.Element, qualifier: str) -> AckError:
    return AckError(
        code=code.get("code", "").strip(),
        display_name=(code.get("displayName") or "").strip(),
        qualifier=qualifier,
    )


def _errors(root: ET.Element, acknowledgement: ET.Element) -> tuple[AckError, ...]:
    found: list[AckError] = []
    event = child(root, "ControlActEvent")
    for reason in children(event, "reason") if event is not None else ():
        code = path(reason, "justifyingDetectedIssueEvent", "code")
        if code is not None:
            found.append(_error(code, _qualifier(code)))
    for detail in children(acknowledgement, "acknowledgementDetail"):
        code = child(detail, "code")
        if code is not None:
            found.append(_error(code, detail.get("typeCode", "").strip() or _qualifier(code)))
    return tuple(found)


# --- The cheap reader of a plain success --------------------------------------------------
# It accepts only a body that it can prove the full reader reads as this very Ack: a grammar
# of plain markup (elements, double- or single-quoted attributes without entities, whitespace
# between elements), matched over the whole body, that fixes which element is the root's first
# `id`, its first `acknowledgement` (typeCode exactly AA, only one messageRef with one id) and
# its first ControlActEvent's requestSuccessDetail/detail (text only), and allows no `reason`
# there. Comments, processing instructions, CDATA, entities, a DOCTYPE, text between elements,
# an envelope or a deeper nesting than _DEPTH do not fit the grammar and go to the full reader.
# Close-tag names, prefixes bound to a namespace and the like are left to expat, configured as
# ElementTree configures it, so the body is well-formed exactly when the full reader says so.
_S = r"[ \t\r\n]"  # XML's whitespace; \s would also take \f and \v
_P = r"(?:[A-Za-z_][\w.-]*:)?"  # any namespace prefix, or none: names are matched locally
# Names and attributes are only delimited here; expat checks that they are valid XML names.
_NAME = r"[^ \t\r\n<>/=\"'!?&]++"
_END = r"[ \t\r\n/>]"  # what may follow an element's name
_ATTRS = rf"(?:{_S}++{_NAME}=(?:\"[^\"<&]*+\"|'[^'<&]*+'))*+{_S}*+"
# Attribute values the full reader strips and compares: no entity, and no tab, CR or newline,
# which XML would turn into spaces.
_VALUE = r"\"([^\"<&\t\r\n]*+)\""
_DEPTH = 4  # the Spine's plain AA nests three deep below a child of ControlActEvent


def _element(depth: int) -> str:
    """Any element with at most `depth` levels of elements inside, whitespace between them."""
    if depth == 0:
        return rf"<{_NAME}{_ATTRS}/>"
    inner = _element(depth - 1)
    return rf"<{_NAME}{_ATTRS}(?:/>|>{_S}*+(?:{inner}{_S}*+)*+</{_NAME}{_S}*+>)"


def _children_except(*names: str) -> str:
    """Any number of sibling elements, none of them named one of `names` (any prefix)."""
    avoid = "|".join(names)
    return rf"(?:(?!<{_P}(?:{avoid}){_END}){_element(_DEPTH)}{_S}*+)*+"


_DECLARATION = (
    rf"(?:<\?xml{_S}++version=(?:\"1\.0\"|'1\.0')"
    rf"(?:{_S}++encoding=(?:\"(?i:utf-8)\"|'(?i:utf-8)'))?"
    rf"(?:{_S}++standalone=(?:\"(?:yes|no)\"|'(?:yes|no)'))?{_S}*+\?>)?"
)
_PLAIN_AA = re.compile(
    rf"{_DECLARATION}{_S}*+<{_P}{ACK_ROOT}{_ATTRS}>{_S}*+"
    rf"<{_P}id{_S}++root={_VALUE}{_S}*+/>{_S}*+"  # group 1: the ack's own id
    + _children_except("acknowledgement", "ControlActEvent")
    + rf"<{_P}acknowledgement{_S}++typeCode=\"AA\"{_S}*+>{_S}*+<{_P}messageRef{_S}*+>{_S}*+"
    rf"<{_P}id{_S}++root=\"([0-9A-Fa-f-]{{36}})\"{_S}*+/>{_S}*+"  # group 2: our message id
    rf"</{_P}messageRef{_S}*+>{_S}*+</{_P}acknowledgement{_S}*+>{_S}*+"
    + _children_except("ControlActEvent")
    + rf"<{_P}ControlActEvent{_ATTRS}>{_S}*+"
    + _children_except("requestSuccessDetail", "reason")
    + rf"<{_P}requestSuccessDetail{_ATTRS}>{_S}*+"
    + _children_except("detail")
    + rf"<{_P}detail{_ATTRS}>([^<&\r]*+)</{_P}detail{_S}*+>{_S}*+"  # group 3: the detail
    + _children_except()
    + rf"</{_P}requestSuccessDetail{_S}*+>{_S}*+"
    + _children_except("reason")
    + rf"</{_P}ControlActEvent{_S}*+>{_S}*+"
    + _children_except()
    + rf"</{_P}{ACK_ROOT}{_S}*+>{_S}*+"
)


def _well_formed(body: str | bytes) -> bool:
    # ElementTree's own expat set-up (namespace_separator "}"), so an unbound prefix, a
    # mismatched close tag or a duplicate attribute is refused here exactly as it is there.
    try:
        expat.ParserCreate(namespace_separator="}").Parse(body, True)
    except expat.ExpatError:
        return False
    return True


def _plain_success(body: str | bytes, expected_message_id: str) -> Ack | None:
    """The common answer, a plain AA for our message, read without building a tree (it is on
    every patient's path). Anything the grammar above does not prove returns None and goes to
    the full reader. ASCII only: then every encoding expat accepts reads the same characters."""
    if not body.isascii():
        return None
    text = body.decode("ascii") if isinstance(body, bytes) else body
    match = _PLAIN_AA.fullmatch(text)
    if match is None or match[2].upper() != expected_message_id.strip().upper():
        return None
    if not _well_formed(body):
        return None
    return Ack(
        type_code="AA",
        message_ref=match[2],
        ack_id=match[1].strip(),
        detail=match[3].strip(),
        errors=(),
    )


def parse_ack(body: str | bytes, expected_message_id: str) -> Ack:
    """Read an acknowledgement and check that it is for `expected_message_id`.

    Raises AckParseError, with a description fit for a log or an error column, for garbage, a
    wrong root element, a missing or unknown typeCode, or an ack for another message.
    """
    plain = _plain_success(body, expected_message_id)
    if plain is not None:
        return plain
    return parse_ack_tree(body, expected_message_id)


def parse_ack_tree(body: str | bytes, expected_message_id: str) -> Ack:
    """The full reader: every form and every error, with precise descriptions."""
    root = _find_root(body)
    acknowledgement = child(root, "acknowledgement")
    if acknowledgement is None:
        raise AckParseError(f"{ACK_ROOT} has no acknowledgement element")
    type_code = acknowledgement.get("typeCode", "").strip().upper()
    if type_code not in ACK_TYPE_CODES:
        raise AckParseError(f"acknowledgement typeCode {type_code!r} is not AA, AE or AR")
    ref = path(acknowledgement, "messageRef", "id")
    message_ref = (ref.get("root", "") if ref is not None else "").strip()
    if not message_ref:
        raise AckParseError("acknowledgement has no messageRef id")
    # UUIDs are case-insensitive; the Spine writes them upper-case but need not.
    if message_ref.upper() != expected_message_id.strip().upper():
        raise AckParseError(
            f"acknowledgement is for message {message_ref}, not {expected_message_id}"
        )
    ack_id = child(root, "id")
    detail = path(root, "ControlActEvent", "requestSuccessDetail", "detail")
    return Ack(
        type_code=type_code,
        message_ref=message_ref,
        ack_id=(ack_id.get("root", "") if ack_id is not None else "").strip(),
        detail=(detail.text or "").strip() if detail is not None else "",
        errors=_errors(root, acknowledgement),
    )
