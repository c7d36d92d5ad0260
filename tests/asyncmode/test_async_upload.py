"""The Initial Upload in asynchronous mode through a real RabbitMQ: 202 from the adaptor, the
Spine's acknowledgement from the inbound queue (AMQP 1.0), applied once whatever the queue does."""

from __future__ import annotations

from datetime import date

from scrtui.domain.progress import RunStatus, StopReason
from scrtui.domain.records import Bucket, Mode
from scrtui.store import queries
from tests.conftest import patience
from tests.engine.conftest import logged_in, wait_for
from tests.engine.test_engine import buckets_by_nhs, expected_split, run


async def upload(home, settings, mode: Mode = Mode.RUN, watch=None):
    services = await logged_in(home, settings)
    try:
        if watch is None:
            return await services.run_upload(run(mode)), services
        import asyncio

        task = asyncio.create_task(services.run_upload(run(mode)))
        await watch(services)
        return await task, services
    finally:
        services.close()


async def everyone_sent_once(sim, final) -> set[str]:
    eligible, _ = expected_split(date.today())
    assert (final.status, final.reason) == (RunStatus.STOPPED, StopReason.COMPLETED.value)
    rows = buckets_by_nhs()
    assert {n for n, r in rows.items() if r[0] == "sent"} == eligible
    stats = await sim.stats()
    assert stats["accepted"] == len(eligible)
    assert stats["duplicate_nhs_numbers"] == []
    document = queries.status_document()
    assert document["sending"] == 0 and document["failed"] == 0
    assert final.awaiting_ack == 0
    return eligible


async def test_acknowledgements_from_the_queue_make_every_eligible_patient_sent(seeded, asim):
    seen_awaiting = []

    async def watch(services):
        await wait_for(lambda: services.snapshot().awaiting_ack > 0, what="awaiting acks")
        seen_awaiting.append(services.snapshot().awaiting_ack)

    await asim.control(latency_ms=2)
    final, services = await upload(seeded, asim.settings(), watch=watch)
    await everyone_sent_once(asim, final)
    assert seen_awaiting  # shown apart while the acknowledgements were on their way
    tracker = services.engine._acks
    assert (tracker.foreign, tracker.malformed, tracker.timeouts) == (0, 0, 0)
    assert (await asim.stats())["requests"] == final.counts[Bucket.SENT]  # nobody sent twice


async def test_rejections_from_the_queue_fail_with_the_spines_code(seeded, asim):
    eligible, _ = expected_split(date.today())
    refused = sorted(eligible)[:3]
    await asim.control(reject_nhs_numbers=refused)
    final, _ = await upload(seeded, asim.settings())
    rows = buckets_by_nhs()
    assert {n: rows[n][:2] for n in refused} == {n: ("failed", "30418") for n in refused}
    assert final.counts[Bucket.SENT] == len(eligible) - 3
    assert final.reason == StopReason.COMPLETED.value


async def test_duplicated_foreign_and_reordered_messages_apply_once(seeded, asim):
    await asim.control(duplicate_ack_share=0.3, foreign_share=0.2, out_of_order_share=0.3, seed=11)
    final, services = await upload(seeded, asim.settings())
    await everyone_sent_once(asim, final)
    tracker = services.engine._acks
    stats = await asim.stats()
    assert tracker.duplicates >= stats["faults"]["duplicate_ack"] > 0
    assert tracker.foreign >= stats["faults"]["foreign"] > 0
    assert stats["faults"]["out_of_order"] > 0


async def test_two_thousand_patients_with_every_queue_fault_are_each_sent_once(home, asim):
    from scrtui.settings import Settings
    from scrtui.store.seed import seed_practice

    seed_practice(Settings(), 2000, seed=5)
    await asim.control(
        duplicate_ack_share=0.1, foreign_share=0.05, out_of_order_share=0.1,
        late_ack_share=0.01, late_ack_seconds=patience(2.5), seed=5,
    )  # fmt: skip
    final, services = await upload(home, asim.settings(ack_timeout=patience(1.5), concurrency=32))
    eligible = await everyone_sent_once(asim, final)
    assert len(eligible) > 1500
    faults = (await asim.stats())["faults"]
    assert all(faults[k] > 0 for k in ("duplicate_ack", "foreign", "out_of_order", "late_ack"))
