"""The simulator's consent room checks SET_RESOURCE_PERMISSIONS requests as the Spine's sync
service would, and the consent client reads its answers with the MHS client's verdicts."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import aiohttp
import pytest

from scrtui.domain.records import Author
from scrtui.settings import Settings, with_changes
from scrtui.spine.client import SendOutcome
from scrtui.spine.consent_client import consent_transport
from scrtui.spine.consent_message import SOAP_ACTION, build_set_permissions
from scrtui.spine.message import new_message_id

AUTHOR = Author("555000000001", "Demo Administrator", "555000000011", "R8000")
VALID_NHS = "9990000018"


def request(nhs: str = VALID_NHS, permission: str = "No", **author: str) -> tuple[str, str]:
    message_id = new_message_id()
    who = dataclasses.replace(AUTHOR, **author)
    body = build_set_permissions(
        nhs, permission, who, message_id=message_id, sending_asid="200000000001",
        spine_asid="227319907548", endpoint="http://x/sync-service", now=datetime(2026, 1, 2),
    )  # fmt: skip
    return message_id, body


@pytest.fixture
async def sim():
    from scrtui.standins.simulator import running_simulator

    async with running_simulator() as running:
        yield running.url


async def post(url: str, body: str, **headers: str) -> tuple[int, str]:
    wanted = {"Content-Type": "text/xml", "SOAPAction": SOAP_ACTION, **headers}
    async with (
        aiohttp.ClientSession() as http,
        http.post(url + "sync-service", data=body.encode(), headers=wanted) as response,
    ):
        return response.status, await response.text()


@pytest.mark.parametrize(
    ("body", "headers", "status", "words"),
    [
        (request()[1], {"SOAPAction": "urn:nhs:names:services:lrs/OTHER"}, 400, "SOAPAction"),
        (request()[1], {"Content-Type": "application/json"}, 415, "text/xml"),
        (request(permission="Maybe")[1], {}, 400, "permission 'Maybe'"),
        (request(role_profile_id="")[1], {}, 400, "role profile"),
        ("<not xml", {}, 400, "well-formed"),
        (request()[1].replace("V3NPfIT3.0", "V3NPfIT4.2.00"), {}, 400, "versionCode"),
    ],
    # The bodies hold fresh message ids: name the cases by their words, so that every xdist
    # worker collects the same test ids.
    ids=["SOAPAction", "content-type", "permission", "role-profile", "not-xml", "versionCode"],
)
async def test_bad_requests_are_refused_with_the_reason(sim, body, headers, status, words):
    got, text = await post(sim, body, **headers)
    assert got == status and words in text


async def test_answers_aa_and_ae_through_the_consent_client(sim):
    settings = with_changes(Settings(), mhs_url=sim, max_attempts=2, backoff_base=0.01)
    async with consent_transport(settings, "C-1") as client:
        message_id, body = request()
        sent = await client.send(message_id, body)
        assert (sent.outcome, sent.ack_code) == (SendOutcome.SENT, "AA")
        again = await client.send(message_id, body)  # duplicate elimination: same answer
        assert again.outcome is SendOutcome.SENT
        bad_id, bad_body = request(nhs="9990000019")
        rejected = await client.send(bad_id, bad_body)
    assert (rejected.outcome, rejected.ack_code) == (SendOutcome.REJECTED, "AE")
    assert rejected.error_code == "35160"
    async with aiohttp.ClientSession() as http, http.get(sim + "stats") as response:
        stats = await response.json()
    assert stats["consent_accepted"] == 1 and stats["consent_rejected"] == 1
    assert stats["consent_permissions"] == {VALID_NHS: "No"}
