"""Reading an HL7 reply safely and finding its elements by their local name, whatever
namespace prefix the sender chose.

Shared by the acknowledgement reader (acknowledgement.py) and the PDS reply reader (pds.py).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from xml.parsers import expat


class _DtdFound(Exception):
    pass


def _refuse(*_: Any) -> None:
    raise _DtdFound


def _has_dtd(body: str | bytes) -> bool:
    """Whether the document declares a DTD or an entity, read by expat after decoding (so a
    UTF-16 body cannot hide one from a byte search). Malformed text is left to the parse."""
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    try:
        parser.Parse(body, True)
    except _DtdFound:
        return True
    except (expat.ExpatError, LookupError, ValueError):
        return False
    return False


def parse(body: str | bytes, what: str, error: type[Exception]) -> ET.Element:
    """The document's root, or `error` saying why `what` (e.g. "PDS reply") cannot be read."""
    if not body or not body.strip():
        raise error(f"empty {what}")
    # Refused outright: a reply carrying a DTD is not something the Spine sends, and entity
    # expansion is the classic way to make a parser do harm.
    if _has_dtd(body):
        raise error(f"{what} carries a DOCTYPE, refused")
    try:
        return ET.fromstring(body)
    except ET.ParseError as exc:
        raise error(f"{what} is not well-formed XML ({exc})") from None
    except (LookupError, ValueError) as exc:
        # An encoding the declaration names but Python does not know, or a multi-byte one
        # expat cannot read: raised by ElementTree outside its ParseError.
        raise error(f"{what} cannot be decoded ({exc})") from None


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def child(element: ET.Element, name: str) -> ET.Element | None:
    for found in element:
        if local_name(found.tag) == name:
            return found
    return None


def children(element: ET.Element, name: str) -> Iterator[ET.Element]:
    return (found for found in element if local_name(found.tag) == name)


def path(element: ET.Element | None, *names: str) -> ET.Element | None:
    for name in names:
        if element is None:
            return None
        element = child(element, name)
    return element
