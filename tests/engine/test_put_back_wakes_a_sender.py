"""A patient put back for a later try by a PDS worker, after every sender went to wait for new
work, is still sent: a sender looks for it (scrtui/engine/engine.py, `_next_job`).

Found as a chaos seed that hung for ever: the senders waited on an empty queue while the last
patients, put back by the PDS stage after the Spine's 500, sat in the engine's deferred list.
A proxy in front of the simulator stands for the Spine failing the last patient's PDS query
twice, slowly enough that every other summary is answered and every sender is waiting.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import date

import aiohttp
import pytest
from aiohttp import web

from scrtui.domain.progress import StopReason
from scrtui.domain.records import Bucket, Mode
from scrtui.paths import Home
from scrtui.settings import Settings
from scrtui.spine.pds import QUERY_INTERACTION_ID
from scrtui.store.seed import seed_practice
from tests.conftest import patience
from tests.engine.conftest import Sim, fast_settings, logged_in
from tests.engine.test_edges import rows_by_nhs
from tests.engine.test_engine import expected_split, run
from tests.loopback import serving

SPINE_500 = (
    '{"error_message": "Error(s) received from Spine. Contact system administrator.", '
    '"process_key": "PDS_QUERY"}'
)


class LastPdsFailsTwice:
    """Forwards to the simulator, but the PDS query of the last patient asked about gets the
    Spine's 500 on its first two tries, the second a second late."""

    def __init__(self, upstream: str, eligible: set[str]) -> None:
        self.upstream = upstream
        self.eligible = eligible
        self.asked: list[str] = []
        self.failed = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers.get("Interaction-Id") == QUERY_INTERACTION_ID:
            nhs = next(iter(set(re.findall(rb"\d{10}", body)) & self._wanted()), b"").decode()
            if nhs and nhs not in self.asked:
                self.asked.append(nhs)
            if nhs and len(self.asked) == len(self.eligible) and nhs == self.asked[-1]:
                if self.failed < 2:
                    self.failed += 1
                    await asyncio.sleep(0.05 if self.failed == 1 else 1.0)
                    return web.Response(status=500, text=SPINE_500, content_type="application/json")
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                self.upstream + request.path_qs.lstrip("/"), data=body, headers=headers
            ) as answer,
        ):
            return web.Response(
                status=answer.status,
                body=await answer.read(),
                content_type=answer.content_type,
            )

    def _wanted(self) -> set[bytes]:
        return {n.encode() for n in self.eligible}


@pytest.fixture
def small_practice(home: Home) -> Home:
    seed_practice(Settings(), 12, seed=7)
    return home


@pytest.fixture
async def proxy(small_practice: Home, sim: Sim) -> AsyncIterator[tuple[str, LastPdsFailsTwice]]:
    eligible, _ = expected_split(date.today())
    spine = LastPdsFailsTwice(sim.url, eligible)
    async with serving("/{tail:.*}", spine.handle) as url:
        yield url, spine


async def test_the_last_patient_put_back_by_pds_is_still_sent(small_practice, proxy):
    url, spine = proxy
    # One sender, one PDS worker, a few summaries a second: PDS gets ahead, the sender
    # finishes the others and waits for new work before the last patient is put back.
    settings = fast_settings(url, concurrency=1, pds_concurrency=1, max_attempts=2, rate_limit=20)
    services = await logged_in(small_practice, settings)
    try:
        final = await asyncio.wait_for(services.run_upload(run(Mode.RUN)), patience(60))
    finally:
        services.close()
    eligible = spine.eligible
    assert spine.failed == 2, "the last patient's PDS query was not failed as planned"
    assert final.reason == StopReason.COMPLETED.value
    assert {n for n, r in rows_by_nhs().items() if r["bucket"] == "sent"} == eligible
    assert final.counts[Bucket.SENDING] == 0
