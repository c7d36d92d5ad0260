"""Issue 22 (Text and keys), what the engine itself reports: a pause reason that follows the
card back into the reader, and a time left that counts the daily pause window."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from scrtui.domain.progress import RunStatus, StopReason
from scrtui.domain.records import Bucket, Mode
from scrtui.domain.schedule import Schedule, build_schedule
from scrtui.services import UploadRequest
from scrtui.store import queries
from tests.engine.conftest import FakeClock, fast_settings, logged_in, wait_for


async def test_the_pause_reason_says_the_card_is_back_once_it_is(seeded, sim):
    services = await logged_in(seeded, fast_settings(sim.url, concurrency=2, rate_limit=300))
    try:
        task = asyncio.create_task(
            services.run_upload(UploadRequest(mode=Mode.RUN, schedule=Schedule()))
        )
        await wait_for(lambda: services.snapshot().counts[Bucket.SENT] >= 20, what="some sent")
        services.toggle_simulated_card()  # out
        await wait_for(lambda: services.snapshot().status is RunStatus.PAUSED, what="paused")
        assert "reinsert" in services.snapshot().reason
        services.toggle_simulated_card()  # back in, no passcode yet
        await wait_for(lambda: services.card_view().state.name == "INSERTED", what="card back")
        await wait_for(lambda: "card back" in services.snapshot().reason, what="card back said")
        snapshot = services.snapshot()
        assert snapshot.status is RunStatus.PAUSED
        assert snapshot.reason == "card back: enter the passcode to continue"
        assert "reinsert" not in snapshot.reason
        assert (await services.login("1234")).ok
        await wait_for(lambda: services.snapshot().status is not RunStatus.PAUSED, what="going")
        final = await asyncio.wait_for(task, 30)
    finally:
        services.close()
    assert final.reason == StopReason.COMPLETED.value


async def test_the_time_left_counts_the_daily_pause_before_the_end(seeded, sim):
    # A second before the daily pause (19:00 to 07:00): what is left to send goes on at 07:00.
    clock = FakeClock(datetime(2026, 11, 25, 18, 59, 59))
    settings = fast_settings(sim.url, concurrency=2, rate_limit=40)
    services = await logged_in(seeded, settings, clock=clock)
    window = build_schedule(clock(), stop="19:00", resume="07:00")
    seen = []

    def a_long_way_to_go() -> bool:
        s = services.snapshot()
        seen.append(s)
        left = s.total - s.checked
        return (
            s.status is RunStatus.RUNNING and s.rate_per_second > 0 and left / s.rate_per_second > 2
        )

    try:
        task = asyncio.create_task(
            services.run_upload(UploadRequest(mode=Mode.RUN, schedule=window))
        )
        await wait_for(a_long_way_to_go, what="a rate with seconds of sending left")
        snapshot = seen[-1]
        services.stop()
        await asyncio.wait_for(task, 30)
    finally:
        services.close()
    sending = timedelta(seconds=(snapshot.total - snapshot.checked) / snapshot.rate_per_second)
    assert snapshot.eta is not None
    # The sending time, plus the twelve paused hours it runs into.
    assert snapshot.eta >= sending + timedelta(hours=12) - timedelta(seconds=2)
    assert snapshot.eta <= sending + timedelta(hours=12) + timedelta(seconds=2)


async def test_while_paused_sending_drains_to_the_messages_really_out(seeded, sim):
    services = await logged_in(seeded, fast_settings(sim.url, concurrency=2, rate_limit=300))
    try:
        task = asyncio.create_task(
            services.run_upload(UploadRequest(mode=Mode.RUN, schedule=Schedule()))
        )
        await wait_for(lambda: services.snapshot().counts[Bucket.SENT] >= 30, what="some sent")
        services.pause()
        await wait_for(lambda: services.snapshot().status is RunStatus.PAUSED, what="paused")
        await wait_for(lambda: services.engine._inflight == 0, what="in-flight finished")
        # Nothing is out at the MHS: Sending says so, although patients wait marked Sending.
        await wait_for(lambda: services.snapshot().counts[Bucket.SENDING] == 0, what="drained")
        snapshot = services.snapshot()
        assert queries.bucket_counts()[Bucket.SENDING] > 0  # held, their ids stored
        assert sum(snapshot.counts.values()) == sum(queries.bucket_counts().values())
        services.resume()
        final = await asyncio.wait_for(task, 30)
    finally:
        services.close()
    assert final.reason == StopReason.COMPLETED.value
