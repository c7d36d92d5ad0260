"""The asynchronous mode at the Spine's latency, as the real adaptor does it: the 202 comes at
once and the acknowledgement after the latency, so the messages out are bounded by
`[queue] max_awaiting`, not by the HTTP concurrency."""

from __future__ import annotations

import asyncio

from tests.asyncmode.test_async_upload import everyone_sent_once, upload
from tests.engine.conftest import wait_for

LATENCY_MS = 400
MAX_AWAITING = 25


async def test_messages_out_are_bounded_by_max_awaiting_not_by_the_senders(seeded, asim):
    await asim.control(latency_ms=LATENCY_MS)
    seen: list[int] = []

    async def watch(services):
        tracker = None

        def out() -> int:
            return len(tracker.awaited) + len(tracker._inflight) if tracker else 0

        async def sample() -> None:
            while True:
                seen.append(out())
                await asyncio.sleep(0.005)

        await wait_for(lambda: getattr(services.engine, "_acks", None) is not None, what="acks")
        tracker = services.engine._acks
        sampler = asyncio.create_task(sample())
        # Two senders: were the 202 held for the latency, two would be out at most.
        await wait_for(lambda: services.snapshot().awaiting_ack >= MAX_AWAITING, what="bound")
        await wait_for(lambda: not services.engine.running, timeout=120, what="the end")
        sampler.cancel()

    settings = asim.settings(concurrency=2, max_awaiting=MAX_AWAITING, pds_sync=False)
    final, services = await upload(seeded, settings, watch=watch)
    await everyone_sent_once(asim, final)
    assert max(seen) == MAX_AWAITING
    # Each acknowledgement was published after the Spine's latency, not with the 202 (the
    # engine's clock starts at the 202, which a loaded machine may read a few ms late: an
    # acknowledgement sent with the 202 would be near 0, not near the latency).
    assert min(services.engine._acks.latencies_ms) >= LATENCY_MS / 2
