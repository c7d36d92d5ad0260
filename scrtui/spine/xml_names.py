"""Finding HL7 elements by their local name, whatever namespace prefix the sender chose.

Shared by the acknowledgement reader (ack.py) and the PDS reply reader (pds.py).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator


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
