"""The engine's card gate through the real pcscd and a virtual card in the vpcd reader."""

from __future__ import annotations

import asyncio
import time

from scrtui.domain.progress import RunStatus, StopReason
from scrtui.domain.records import Bucket, Mode
from scrtui.domain.schedule import Schedule
from scrtui.services import UploadRequest
from scrtui.wiring import create_services
from tests.card.conftest import pcscd, vcards  # noqa: F401  (fixtures)
from tests.card.vcard import READER_00
from tests.conftest import patience
from tests.engine.conftest import fast_settings, wait_for


async def test_removing_the_card_stops_sends_within_a_second_and_the_passcode_continues(
    seeded,
    sim,
    vcards,  # noqa: F811
):
    card = vcards()  # the seeded administrator, passcode 1234
    card.insert()
    settings = fast_settings(sim.url, card_backend="pcsc", concurrency=4, rate_limit=150)
    services = create_services(seeded, settings, card="pcsc", reader=READER_00)
    try:
        await wait_for(lambda: services.card_view().state.name == "INSERTED", what="insertion")
        assert (await services.login("1234")).ok
        task = asyncio.create_task(
            services.run_upload(UploadRequest(mode=Mode.RUN, schedule=Schedule()))
        )
        await wait_for(lambda: services.snapshot().counts[Bucket.SENT] >= 30, what="some sent")
        card.remove()
        removed_at = time.time()
        await wait_for(lambda: services.snapshot().status is RunStatus.PAUSED, what="paused")
        assert "smartcard removed" in services.snapshot().reason
        await wait_for(lambda: services.engine._inflight == 0, what="in-flight finished")
        stats = await sim.stats()
        # Measured at the simulator: the last message it accepted left before the removal
        # was seen, within pcscd's 0.4 s polling plus one send.
        assert stats["last_accept_at"] - removed_at < 1.0
        accepted_while_out = stats["accepted"]
        assert accepted_while_out < services.snapshot().total

        card.insert()
        await wait_for(lambda: services.card_view().state.name == "INSERTED", what="back")
        assert (await sim.stats())["accepted"] == accepted_while_out
        result = await services.login("1234")
        assert result.ok, result.message
        final = await asyncio.wait_for(task, patience(60))
    finally:
        services.close()
    assert final.reason == StopReason.COMPLETED.value
    assert (await sim.stats())["duplicate_nhs_numbers"] == []
