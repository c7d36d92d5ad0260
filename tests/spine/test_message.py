"""The GP Summary builder against the NHS's own example messages."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from scrtui.domain.records import Author, Medication
from scrtui.domain.summary import summary_for
from scrtui.spine.message import build_gp_summary, new_message_id

from .conftest import AUTHOR, NHS, TODAY, make_patient, reference

HL7 = "{urn:hl7-org:v3}"
UUID_UPPER = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$")
GP = "REPC_IN150016UK05/ControlActEvent/subject/GPSummary"
PRESENTATION = (
    f"{GP}/excerptFrom/UKCT_MT144051UK01.CareProfessionalDocumentationCRE/component/"
    "presentationText"
)
AUTHOR_PERSON = f"{GP}/author/UKCT_MT160018UK01.AgentPersonSDS"
CTRL_AUTHOR = "REPC_IN150016UK05/ControlActEvent/author/AgentPersonSDS"

# The fields of docs/domain.md §4.6 that change per message: (element path, attribute or #text).
VARIABLE = {
    ("REPC_IN150016UK05/id", "root"),
    ("REPC_IN150016UK05/creationTime", "value"),
    ("REPC_IN150016UK05/communicationFunctionRcv/device/id", "extension"),
    ("REPC_IN150016UK05/communicationFunctionSnd/device/id", "extension"),
    ("REPC_IN150016UK05/ControlActEvent/author1/AgentSystemSDS/agentSystemSDS/id", "extension"),
    (f"{CTRL_AUTHOR}/id", "extension"),
    (f"{CTRL_AUTHOR}/agentPersonSDS/id", "extension"),
    (f"{CTRL_AUTHOR}/part/partSDSRole/id", "extension"),
    (f"{GP}/id", "root"),
    (f"{GP}/effectiveTime", "value"),
    (f"{GP}/author/time", "value"),
    (f"{AUTHOR_PERSON}/id", "extension"),
    (f"{AUTHOR_PERSON}/agentPersonSDS/id", "extension"),
    (f"{AUTHOR_PERSON}/agentPersonSDS/name/family", "#text"),
    (f"{PRESENTATION}/value", "#text"),
    (f"{PRESENTATION}/id", "root"),
    (f"{PRESENTATION}/effectiveTime", "value"),
    (f"{GP}/recordTarget/patient/id", "extension"),
    (f"{GP}/replacementOf/priorMessageRef/id", "root"),
}
# Generated fresh per message (uuid4), or a time the NHS example set differently.
GENERATED = {
    (f"{GP}/id", "root"),
    (f"{PRESENTATION}/id", "root"),
    (f"{PRESENTATION}/effectiveTime", "value"),
    (f"{PRESENTATION}/value", "#text"),
}


def local(tag: str) -> str:
    return tag.rpartition("}")[2]


def facts(root: ET.Element) -> Counter[tuple[str, str, str]]:
    """Every (element path, attribute, value) of a message; the presentation text is opaque."""
    found: Counter[tuple[str, str, str]] = Counter()

    def walk(element: ET.Element, parent: str) -> None:
        path = f"{parent}/{local(element.tag)}" if parent else local(element.tag)
        found[(path, "#element", "")] += 1
        for name, value in element.attrib.items():
            found[(path, name, value)] += 1
        text = (element.text or "").strip()
        if local(element.tag) == "value":
            found[(path, "#text", "(presentation)")] += 1
            return  # the example's value holds XHTML children; ours holds escaped text
        if text:
            found[(path, "#text", text)] += 1
        for child in element:
            walk(child, path)

    walk(root, "")
    return found


def parse(xml: str) -> ET.Element:
    return ET.fromstring(xml)


def build(**changes: object) -> str:
    arguments: dict[str, object] = {
        "message_id": new_message_id(),
        "sending_asid": "200000000001",
        "spine_asid": "227319907548",
        "now": datetime(2026, 11, 25, 14, 30, 5),
        "today": TODAY,
    }
    patient = changes.pop("patient", make_patient())
    author = changes.pop("author", AUTHOR)
    arguments.update(changes)
    return build_gp_summary(patient, author, **arguments)  # type: ignore[arg-type]


def test_every_fixed_value_of_the_nhs_example_is_in_our_message() -> None:
    example = facts(parse(reference("cleanSummaryUpdate.xml").read_text()))
    ours = facts(parse(build()))
    fixed = {fact for fact in example if (fact[0], fact[1]) not in VARIABLE}
    missing = sorted(fact for fact in fixed if fact not in ours)
    assert not missing, f"fixed values of the NHS example missing from ours: {missing}"
    # ... and every variable field is present in ours, at the same element.
    for path, name in VARIABLE - {(f"{GP}/replacementOf/priorMessageRef/id", "root")}:
        assert any(p == path and n == name for p, n, _ in ours), (path, name)


def test_our_elements_are_exactly_the_examples_elements() -> None:
    example = facts(parse(reference("cleanSummaryUpdate.xml").read_text()))
    ours = facts(parse(build()))

    def elements(found: Counter[tuple[str, str, str]]) -> Counter[str]:
        return Counter({p: n for (p, kind, _), n in found.items() if kind == "#element"})

    example_elements = elements(example)
    del example_elements[f"{PRESENTATION}/value/h1"]  # the example's XHTML, ours is text
    assert elements(ours) == example_elements


def test_the_hash16uk05_values_reproduce_the_nhs_example() -> None:
    """Fed the example's own field values, our message equals cleanSummaryUpdate.xml."""
    values = json.loads(reference("hash16UK05.json").read_text())
    control = values["controlActEvent"]
    person = control["author"]["AgentPersonSDS"]
    gp = control["subject"]["GPSummary"]
    family = re.fullmatch(
        r"<family>(.*)</family>", gp["author"]["AgentPersonSDS"]["agentPersonSDS"]["name"]
    )
    assert family is not None
    author = Author(
        sds_user_id=person["agentPersonSDS"]["id"]["extension"],
        name=family.group(1),
        role_profile_id=person["id"]["extension"],
        job_role_code=person["part"]["partSDSRole"]["id"]["extension"],
    )
    xml = build(
        patient=make_patient(gp["recordTarget"]["patient"]["id"]["extension"]),
        author=author,
        message_id=values["Id"],
        sending_asid=values["communicationFunctionSnd"]["device"]["id"]["extension"],
        spine_asid=values["communicationFunctionRcv"]["device"]["id"]["extension"],
        now=datetime.strptime(values["creationTime"], "%Y%m%d%H%M%S"),
    )
    example = facts(parse(reference("cleanSummaryUpdate.xml").read_text()))
    ours = facts(parse(xml))

    def comparable(found: Counter[tuple[str, str, str]]) -> Counter[tuple[str, str, str]]:
        return Counter({f: n for f, n in found.items() if (f[0], f[1]) not in GENERATED})

    example_facts = comparable(example)
    del example_facts[(f"{PRESENTATION}/value/h1", "#element", "")]
    del example_facts[(f"{PRESENTATION}/value/h1", "#text", "header")]
    assert comparable(ours) == example_facts


def test_replacement_of_follows_the_nhs_example() -> None:
    example_root = parse(reference("replacementOf.xml").read_text())
    prior = example_root.find(f".//{HL7}replacementOf/{HL7}priorMessageRef/{HL7}id")
    assert prior is not None
    prior_id = prior.get("root", "")
    ours = facts(parse(build(replaces=prior_id)))
    example = facts(example_root)
    block = {fact for fact in example if fact[0].startswith(f"{GP}/replacementOf")}
    assert block and block <= set(ours)
    # Without `replaces` there is no replacementOf at all.
    assert not any(f[0].startswith(f"{GP}/replacementOf") for f in facts(parse(build())))


def test_variable_fields_land_where_domain_md_says() -> None:
    message_id = new_message_id()
    root = parse(
        build(message_id=message_id, sending_asid="111111111111", spine_asid="999999999999")
    )
    found = facts(root)

    def value(path: str, name: str) -> str:
        (match,) = [v for p, n, v in found if p == path and n == name]
        return match

    assert value("REPC_IN150016UK05/id", "root") == message_id
    assert value("REPC_IN150016UK05/creationTime", "value") == "20261125143005"
    assert value("REPC_IN150016UK05/versionCode", "code") == "V3NPfIT4.2.00"
    assert value("REPC_IN150016UK05/interactionId", "extension") == "REPC_IN150016UK05"
    assert (
        value("REPC_IN150016UK05/communicationFunctionRcv/device/id", "extension") == "999999999999"
    )
    assert (
        value("REPC_IN150016UK05/communicationFunctionSnd/device/id", "extension") == "111111111111"
    )
    assert value(f"{CTRL_AUTHOR}/id", "extension") == AUTHOR.role_profile_id
    assert value(f"{CTRL_AUTHOR}/agentPersonSDS/id", "extension") == AUTHOR.sds_user_id
    assert value(f"{CTRL_AUTHOR}/part/partSDSRole/id", "extension") == AUTHOR.job_role_code
    assert value(f"{AUTHOR_PERSON}/agentPersonSDS/name/family", "#text") == AUTHOR.name
    assert value(f"{GP}/recordTarget/patient/id", "extension") == NHS
    assert value(f"{GP}/effectiveTime", "value") == "20261125143005"
    gp_id = value(f"{GP}/id", "root")
    presentation_id = value(f"{PRESENTATION}/id", "root")
    assert UUID_UPPER.match(presentation_id)
    assert gp_id == message_id  # what a later replacementOf will name
    assert presentation_id != message_id
    value_element = root.find(f".//{HL7}presentationText/{HL7}value")
    assert value_element is not None and value_element.get("mediaType") == "text/plain"
    assert value_element.text == summary_for(make_patient(), TODAY).as_text()


def test_fresh_ids_per_message() -> None:
    first, second = parse(build()), parse(build())
    gp_ids = {r.find(f".//{HL7}GPSummary/{HL7}id").get("root") for r in (first, second)}  # type: ignore[union-attr]
    assert len(gp_ids) == 2
    assert UUID_UPPER.match(new_message_id())
    assert new_message_id() != new_message_id()


NASTY = 'Zoë "Q" O\'Neil & <Sons> ]]> &amp; \u00e9\u4e2d\U0001f600 tab\tnl\nend'


def test_patient_and_author_strings_are_escaped() -> None:
    author = Author(
        sds_user_id='97&"<>',
        name=NASTY,
        role_profile_id="055'888",
        job_role_code="R0260",
    )
    patient = make_patient(
        medications=(Medication(NASTY, "1 & <2>", True, TODAY),),
    )
    root = parse(build(patient=patient, author=author))
    family = root.find(f".//{HL7}family")
    assert family is not None and family.text == NASTY
    user_id = root.find(f".//{HL7}agentPersonSDS/{HL7}id")
    assert user_id is not None and user_id.get("extension") == '97&"<>'
    text = root.find(f".//{HL7}presentationText/{HL7}value").text  # type: ignore[union-attr]
    assert text == summary_for(patient, TODAY).as_text()
    assert NASTY in text


def test_control_characters_cannot_break_the_message() -> None:
    author = Author("1", "Bad\x00name\x1b[31m\ud800", "2", "R0260")
    root = parse(build(author=author))
    assert root.find(f".//{HL7}family").text == "Bad\ufffdname\ufffd[31m\ufffd"  # type: ignore[union-attr]


@settings(max_examples=150, deadline=None)
@given(name=st.text(max_size=40), drug=st.text(max_size=40))
def test_any_text_gives_a_message_that_parses(name: str, drug: str) -> None:
    patient = make_patient(medications=(Medication(drug, "dose", True, TODAY),))
    root = parse(build(patient=patient, author=Author("1", name, "2", "R0260")))
    family = root.find(f".//{HL7}family")
    assert family is not None
    expected = re.sub("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", "\ufffd", name)
    assert (family.text or "") == expected
