"""The cheap reader of plain successes agrees with the full reader on hostile acknowledgements.

Hypothesis builds MCCI_IN010000UK13 bodies from the Spine's plain AA layout (the NHS example
tests/fixtures/nhs-mhs/parseSuccessResponse.xml and the simulator's build_ack) and mutates them
the ways a reply could mislead a pattern: more acknowledgements with any whitespace, processing
instructions, comments, CDATA, foreign wrappers, prefixes, attribute order and quoting,
entities, another message's id, a DOCTYPE, an envelope, truncation. parse_ack (which tries the
cheap reader first) and parse_ack_tree must give the same Ack, or both refuse the body.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import event, given, settings
from hypothesis import strategies as st

from scrtui.spine.acknowledgement import (
    Ack,
    AckParseError,
    _plain_success,
    parse_ack,
    parse_ack_tree,
)

MESSAGE_ID = "9C534C19-C587-4463-9AED-B76F715D3EA3"
OTHER_ID = "00000000-0000-4000-8000-000000000000"
HL7 = "urn:hl7-org:v3"

MUTATIONS = (
    "type", "ref", "ack attributes", "ack content", "add", "add ack", "drop", "move", "double",
    "detail", "event", "id", "gaps", "quotes", "prefix", "declaration", "truncate",
    "delete", "doctype", "envelope", "tail",
)  # fmt: skip
GAPS = st.text(alphabet=" \t\n\r", max_size=2)
WS1 = st.text(alphabet=" \t\n\r", min_size=1, max_size=2)
TYPE_CODES = st.sampled_from(["AE", "AR", "aa", " AA", "AA\t", "&#65;A", "A&#x41;", "XX", ""])
REF_VALUES = st.sampled_from(
    [
        MESSAGE_ID.lower(),
        f" {MESSAGE_ID}",
        f"{MESSAGE_ID}\t",
        OTHER_ID,
        "",
        "&#57;" + MESSAGE_ID[1:],
    ]
)
TEXTS = st.sampled_from(
    [
        " GP Summary upload successful\r\n",
        "GP &amp; Summary",
        "<![CDATA[GP Summary <b>upload</b>]]>",
        "GP<!-- x -->Summary",
        "GP Summary<?pi x?>",
        "GP <b>Summary</b>",
        "caf\u00e9",
        "",
    ]
)
DECLARATIONS = st.sampled_from(
    [
        '<?xml version="1.0"?>',
        "<?xml version='1.0' encoding='ISO-8859-1'?>",
        "<?xml version='1.0' encoding='utf-8' standalone='yes'?>",
        " <?xml version='1.0'?>",
        "",
    ]
)


def plain_ack(p: str, type_code: str = "AA", ref: str = MESSAGE_ID) -> str:
    return (
        f'<{p}acknowledgement typeCode="{type_code}"><{p}messageRef><{p}id root="{ref}"/>'
        f"</{p}messageRef></{p}acknowledgement>"
    )


def hostile(draw: st.DrawFn, p: str) -> str:
    """Something that hides or adds an acknowledgement, or is not plain markup."""
    ack = plain_ack(p, draw(st.sampled_from(["AA", "AE", "AR"])))
    return draw(
        st.sampled_from(
            [
                f"<?note {ack}?>",
                f"<!-- {ack} -->",
                f"<![CDATA[{ack}]]>",
                "&lt;acknowledgement typeCode=&quot;AA&quot;&gt;",
                "text",
                f'<x:w xmlns:x="urn:example:foreign">{ack}</x:w>',
                f"<{p}w><{p}v><{p}u><{p}t><{p}s><{p}r>{ack}</{p}r></{p}s></{p}t></{p}u></{p}v></{p}w>",
                ack,
                f'<{p}acknowledgementDetail typeCode="ER"><{p}code code="519"/>'
                f"</{p}acknowledgementDetail>",
                f'<{p}reason><{p}justifyingDetectedIssueEvent><{p}code code="400">'
                f'<{p}qualifier code="ER"/></{p}code>'
                f"</{p}justifyingDetectedIssueEvent></{p}reason>",
                f'<{p}id root="OTHER-ACK-ID"/>',
                f"<{p}ControlActEvent/>",
            ]
        )
    )


class Layout:
    """The Spine's plain AA, in parts that the mutations below change."""

    def __init__(self, p: str) -> None:
        self.p = p
        self.type_code = "AA"
        self.ref = MESSAGE_ID
        self.ack_attributes = [("typeCode", None)]
        self.ack_content = [f'<{p}messageRef><{p}id root="{{ref}}"/></{p}messageRef>']
        self.detail = "GP Summary upload successful"
        self.event_content = [
            f'<{p}author1 typeCode="AUT"><{p}AgentSystemSDS><{p}agentSystemSDS>'
            f'<{p}id root="1.2.826.0.1285.0.2.0.107" extension="227319907548"/>'
            f"</{p}agentSystemSDS></{p}AgentSystemSDS></{p}author1>",
            f"<{p}requestSuccessDetail><{p}detail>{{detail}}</{p}detail>"
            f'<{p}id root="Not Known"/></{p}requestSuccessDetail>',
        ]
        self.children = [
            f'<{p}id root="2E372546-229A-483F-9B11-EF46ABF3178C"/>',
            f'<{p}creationTime value="20190923112609"/>',
            f'<{p}interactionId root="2.16.840.1.113883.2.1.3.2.4.12" '
            f'extension="MCCI_IN010000UK13"/>',
            "{acknowledgement}",
            f'<{p}communicationFunctionRcv typeCode="RCV"><{p}device classCode="DEV">'
            f'<{p}id root="1.2.826.0.1285.0.2.0.107" extension="456789054"/>'
            f"</{p}device></{p}communicationFunctionRcv>",
            "{event}",
        ]

    def acknowledgement(self) -> str:
        attributes = "".join(
            f' {name}="{self.type_code if value is None else value}"'
            for name, value in self.ack_attributes
        )
        content = "".join(self.ack_content).replace("{ref}", self.ref)
        return f"<{self.p}acknowledgement{attributes}>{content}</{self.p}acknowledgement>"

    def event(self) -> str:
        content = "".join(self.event_content).replace("{detail}", self.detail)
        return f'<{self.p}ControlActEvent classCode="CACT">{content}</{self.p}ControlActEvent>'

    def body(self, gap: str) -> str:
        children = gap.join(self.children)
        return children.replace("{acknowledgement}", self.acknowledgement()).replace(
            "{event}", self.event()
        )


def _mutate_parts(draw: st.DrawFn, layout: Layout, mutation: str) -> None:
    p = layout.p
    if mutation == "type":
        layout.type_code = draw(TYPE_CODES)
    elif mutation == "ref":
        layout.ref = draw(REF_VALUES)
    elif mutation == "ack attributes":
        extra = draw(
            st.sampled_from([("classCode", "ACK"), ("x:typeCode", "AE"), ("typeCode", "AE")])
        )
        layout.ack_attributes.insert(draw(st.integers(0, 1)), extra)
    elif mutation == "ack content":
        item = hostile(draw, p) if draw(st.booleans()) else draw(GAPS)
        layout.ack_content.insert(draw(st.integers(0, len(layout.ack_content))), item)
    elif mutation == "detail":
        layout.detail = draw(TEXTS)
    elif mutation == "event":
        item = hostile(draw, p)
        layout.event_content.insert(draw(st.integers(0, len(layout.event_content))), item)
    elif mutation == "id":
        layout.children.append(layout.children.pop(0))
    elif mutation == "add ack":  # another acknowledgement, before or after ours
        code = draw(st.sampled_from(["AA", "AE", "AR"]))
        other = plain_ack(p, code).replace(" typeCode", draw(WS1) + "typeCode")
        layout.children.insert(draw(st.integers(0, len(layout.children))), other)
    elif mutation == "add":
        layout.children.insert(draw(st.integers(0, len(layout.children))), hostile(draw, p))
    elif layout.children:  # drop, move or double a child
        item = layout.children[draw(st.integers(0, len(layout.children) - 1))]
        if mutation != "double":
            layout.children.remove(item)
        if mutation != "drop":
            layout.children.insert(draw(st.integers(0, len(layout.children))), item)


def _mutate_text(draw: st.DrawFn, body: str, mutation: str) -> str:
    if not body:
        return body
    if mutation == "truncate":
        return body[: draw(st.integers(0, len(body) - 1))]
    if mutation == "delete":
        at = draw(st.integers(0, len(body) - 1))
        return body[:at] + body[at + 1 :]
    if mutation == "doctype":
        return f'<!DOCTYPE r [<!ENTITY a "AA">]>{body}'
    if mutation == "tail":
        return f"{body}<!-- after --><?pi?>"
    if mutation == "envelope":
        return f'<s:Envelope xmlns:s="urn:example:soap"><s:Body>{body}</s:Body></s:Envelope>'
    if mutation == "quotes":
        return body.replace('"', "'")
    return body


@st.composite
def acknowledgement_bodies(draw: st.DrawFn) -> str | bytes:
    """A plain AA, untouched or with up to three hostile mutations."""
    mutations = draw(st.lists(st.sampled_from(MUTATIONS), max_size=3))
    p = draw(st.sampled_from(["hl7:", "", "h.l-7:"]))
    layout = Layout(p)
    for mutation in mutations:
        _mutate_parts(draw, layout, mutation)
    gap = draw(GAPS) if "gaps" in mutations else "\n    "
    xmlns = "" if "prefix" in mutations else f' xmlns{":" + p[:-1] if p else ""}="{HL7}"'
    declaration = (
        draw(DECLARATIONS)
        if "declaration" in mutations
        else "<?xml version='1.0' encoding='UTF-8'?>"
    )
    body = (
        f"{declaration}\n<{p}MCCI_IN010000UK13{xmlns}>{gap}{layout.body(gap)}"
        f"{gap}</{p}MCCI_IN010000UK13>"
    )
    for mutation in mutations:
        body = _mutate_text(draw, body, mutation)
    return body.encode() if draw(st.booleans()) else body


def outcome(reader: Callable[[str | bytes, str], Ack], body: str | bytes) -> object:
    try:
        return reader(body, MESSAGE_ID)
    except AckParseError:
        return AckParseError


@settings(max_examples=3000, deadline=None)
@given(acknowledgement_bodies())
def test_the_cheap_reader_agrees_with_the_full_reader(body: str | bytes) -> None:
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    event("read by the cheap reader" if _plain_success(body, MESSAGE_ID) else "full reader")
    assert outcome(parse_ack, body) == outcome(parse_ack_tree, body), text
