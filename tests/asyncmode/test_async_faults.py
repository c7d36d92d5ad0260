"""Asynchronous mode when acknowledgements are late, missing, or the broker goes away."""

from __future__ import annotations

import asyncio

import pytest

from scrtui.domain.progress import RunStatus
from scrtui.domain.records import Bucket
from scrtui.engine.async_watch import NO_ACK_TEXT, UNREACHABLE
from scrtui.standins.simulator import SimulatorConfig
from tests.asyncmode.conftest import async_sim, private_broker
from tests.asyncmode.test_async_upload import everyone_sent_once, upload
from tests.conftest import patience
from tests.engine.conftest import wait_for
from tests.engine.test_engine import buckets_by_nhs


async def test_late_acknowledgements_resend_with_the_same_id_and_apply_once(seeded, asim):
    await asim.control(late_ack_share=0.05, late_ack_seconds=patience(2.5), seed=3)
    final, services = await upload(seeded, asim.settings(ack_timeout=patience(1.0)))
    await everyone_sent_once(asim, final)
    stats = await asim.stats()
    late = stats["faults"]["late_ack"]
    assert late > 0
    # Each late one was sent again under its id: the Spine's duplicate elimination answered.
    assert stats["duplicates"] >= late
    assert services.engine._acks.timeouts >= late


async def test_no_acknowledgement_at_all_fails_keeping_the_id(seeded, broker, queue_name):
    async for sim in async_sim(broker.url, queue_name, publish=False, practice=seeded.db_path):
        final, _ = await upload(seeded, sim.settings(ack_timeout=1.0, max_attempts=1))
        rows = buckets_by_nhs()
        failed = {n: r for n, r in rows.items() if r[0] == "failed"}
        assert failed and final.counts[Bucket.SENT] == 0
        assert all(code == "RETRY" and mid for _, code, mid in failed.values())
        assert all(NO_ACK_TEXT in text for (text,) in failed_reasons())
        # The resend kept the id: the Spine saw each message twice and accepted it once.
        stats = await sim.stats()
        assert stats["accepted"] == len(failed) and stats["duplicates"] == len(failed)


def failed_reasons():
    from scrtui.store.models import database

    return database.obj.execute_sql(
        "SELECT reason_text FROM patient_upload WHERE bucket = 'failed'"
    ).fetchall()


@pytest.mark.slow
async def test_broker_restart_pauses_sends_then_continues(seeded, tmp_path, queue_name):
    paused: list[str] = []
    with private_broker(tmp_path) as own:
        config = SimulatorConfig(latency_ms=5)
        async for sim in async_sim(own.url, queue_name, config, practice=seeded.db_path):

            async def restart(services):
                await wait_for(lambda: services.snapshot().counts[Bucket.SENT] >= 20, what="sent")
                await asyncio.to_thread(own.stop_server)
                await wait_for(
                    lambda: services.snapshot().status is RunStatus.PAUSED, what="paused"
                )
                paused.append(services.snapshot().reason)
                await asyncio.to_thread(own.start)

            # 40 a second: the run lasts several seconds, so the broker stops in its middle.
            settings = sim.settings(max_awaiting=10, rate_limit=40)
            final, _ = await upload(seeded, settings, watch=restart)
            assert paused and UNREACHABLE in paused[0]
            await everyone_sent_once(sim, final)
