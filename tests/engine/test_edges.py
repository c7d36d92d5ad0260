"""The engine's edges (issue 10): Rerun after a stop, one patient's bad message, outages at
concurrency 1, odd acknowledgements, group-aware refusals, nothing Sending before it is sent.
Real SQLite, the real simulator over loopback, the simulated card."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import date, datetime, timedelta

from scrtui.domain import outage
from scrtui.domain.progress import RunStatus, StopReason
from scrtui.domain.records import Bucket, Mode
from scrtui.domain.schedule import build_schedule
from scrtui.standins.simulator import SimulatorConfig, running_simulator
from scrtui.store import queries
from tests.conftest import patience
from tests.engine.conftest import FakeClock, fast_settings, logged_in, wait_for
from tests.engine.test_engine import (
    buckets_by_nhs,
    completed_with_nobody_failed,
    expected_split,
    run,
    started,
)


def rows_by_nhs() -> dict[str, dict[str, object]]:
    cursor = queries.database.obj.execute_sql(
        "SELECT p.nhs_number, u.bucket, u.reason_code, u.reason_text, u.message_id, "
        "u.sent_message_id, u.last_attempt_at FROM patient_upload u "
        "JOIN patient p ON p.id = u.patient_id"
    )
    names = ("bucket", "code", "text", "message_id", "sent_id", "last_attempt")
    return {row[0]: dict(zip(names, row[1:], strict=True)) for row in cursor}


def sent_ids() -> dict[str, str]:
    return {n: r[2] for n, r in buckets_by_nhs().items() if r[0] == "sent"}


async def run_to_end(services, mode: Mode, group: str | None = None):
    final = await services.run_upload(run(mode, group))
    assert final.status is RunStatus.STOPPED
    return final


# ----- 1. Rerun after a crash or a Stop ---------------------------------------------------------


async def test_rerun_after_a_failure_without_acknowledgement_replaces_nothing_twice(seeded, sim):
    services = await logged_in(seeded, fast_settings(sim.url, max_attempts=2))
    try:
        await run_to_end(services, Mode.RUN)
        first = sent_ids()
        # The Spine accepts every Rerun summary, but the answers name another message: the
        # patients end Failed (RETRY), their delivery unknown to us.
        await sim.control(bad_ack_share=1.0)
        await run_to_end(services, Mode.RERUN)
        unknown = {n: r["message_id"] for n, r in rows_by_nhs().items() if r["code"] == "RETRY"}
        assert set(unknown) == set(first)
        await sim.control(bad_ack_share=0.0)
        final = await run_to_end(services, Mode.RERUN)
    finally:
        services.close()
    assert final.reason == StopReason.COMPLETED.value
    stats = await sim.stats()
    assert stats["unreplaced_nhs_numbers"] == []
    # Each patient holds its first summary and the one Rerun summary that replaced it.
    assert sent_ids() == unknown
    assert all(len(ids) == 2 for ids in (await sim.accepted()).values())


async def test_rerun_after_a_stop_keeps_the_ids_of_patients_still_sending(seeded, sim):
    settings = fast_settings(sim.url, concurrency=2, max_attempts=2, outage_after_failures=1000)
    services = await logged_in(seeded, settings)
    try:
        await run_to_end(services, Mode.RUN)
        first = sent_ids()
        # Every answer is lost after the Spine accepted the Rerun summary: patients stay Sending.
        await sim.control(reset_share=1.0)
        task = asyncio.create_task(services.run_upload(run(Mode.RERUN)))
        await wait_for(
            lambda: queries.bucket_counts()[Bucket.SENDING] >= 2, what="patients left Sending"
        )
        await wait_for(lambda: services.snapshot().counts[Bucket.SENDING] >= 2, what="sending")
        # Marked Sending comes before the PDS step: wait until Rerun summaries have really left.
        async with asyncio.timeout(20):
            while (await sim.stats())["replacements"] < 2:
                await asyncio.sleep(0.01)
        services.stop()
        await asyncio.wait_for(task, patience(30))
        rows = rows_by_nhs()
        sending = {n: r["message_id"] for n, r in rows.items() if r["bucket"] == "sending"}
        assert sending
        # Not reached by the stopped Rerun: Unprocessed, with no stale reason (issue 13, bug 3).
        unprocessed = [r for r in rows.values() if r["bucket"] == "unprocessed"]
        assert unprocessed and all(r["code"] is None for r in unprocessed)
        held = await sim.accepted()
        assert all(held[n][-1]["message_id"] == m for n, m in sending.items())
        await sim.control(reset_share=0.0)
        final = await run_to_end(services, Mode.RERUN)
    finally:
        services.close()
    assert final.reason == StopReason.COMPLETED.value
    assert (await sim.stats())["unreplaced_nhs_numbers"] == []
    now = sent_ids()
    assert {n: now[n] for n in sending} == sending  # resolved under the id they already had
    assert all(now[n] != first[n] for n in first)


# ----- 2. One patient's bad message fails that patient only ------------------------------------


async def test_a_message_too_large_fails_that_patient_and_the_run_completes(seeded, sim):
    eligible, _ = expected_split(date.today())
    large = sorted(eligible)[3]
    await sim.control(too_large_nhs_numbers=[large])
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        final = await run_to_end(services, Mode.RUN)
        rows = rows_by_nhs()
        assert final.reason == StopReason.COMPLETED.value
        assert rows[large]["bucket"] == "failed" and rows[large]["code"] == "TOO-LARGE"
        assert "message too large: reduce the items" in rows[large]["text"]
        assert {n for n, r in rows.items() if r["bucket"] == "sent"} == eligible - {large}
        assert (await services.refusal(Mode.FAILED)) is None
        await sim.control(too_large_nhs_numbers=[])
        again = await run_to_end(services, Mode.FAILED)
    finally:
        services.close()
    assert again.reason == StopReason.COMPLETED.value
    assert rows_by_nhs()[large]["bucket"] == "sent"


# ----- 3. An outage fails nobody, at any concurrency -------------------------------------------


def paused_by_outage(services) -> Callable[[], bool]:
    return lambda: services.snapshot().reason.startswith(outage.PREFIX)


async def test_an_outage_at_concurrency_one_fails_nobody(seeded, sim):
    settings = fast_settings(sim.url, concurrency=1, rate_limit=100, max_attempts=3)
    services = await logged_in(seeded, settings)
    try:
        task = await started(services, at_least=10)
        await sim.control(outage=True)
        # More failed attempts than one patient's max_attempts, fewer than outage_after_failures.
        await wait_for(paused_by_outage(services), what="outage")
        assert queries.status_document()["failed"] == 0
        await sim.control(outage=False)
        final = await asyncio.wait_for(task, patience(60))
    finally:
        services.close()
    await completed_with_nobody_failed(final, sim)


async def test_refused_connections_at_concurrency_one_fail_nobody(seeded):
    async with contextlib.AsyncExitStack() as stack:
        pds = SimulatorConfig(pds_practice_db=str(seeded.db_path))
        first = await stack.enter_async_context(running_simulator(pds))
        settings = fast_settings(first.url, concurrency=1, rate_limit=100, max_attempts=3)
        services = await logged_in(seeded, settings)
        try:
            task = await started(services, at_least=10)
            await stack.aclose()  # the MHS goes away: connections are refused
            await wait_for(paused_by_outage(services), what="outage")
            assert queries.status_document()["failed"] == 0
            async with running_simulator(pds, port=first.port):
                final = await asyncio.wait_for(task, patience(60))
        finally:
            services.close()
    assert final.reason == StopReason.COMPLETED.value
    assert queries.status_document()["failed"] == 0


# ----- 6. Acknowledgements that mean "already have it" or "try later" --------------------------


async def test_a_duplicate_id_acknowledgement_means_sent_with_a_note(seeded, sim):
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        await run_to_end(services, Mode.RUN)
        nhs, message_id = sorted(sent_ids().items())[0]
        # A power cut lost the outcome flush: the patient is back to Sending with its id.
        queries.database.obj.execute_sql(
            "UPDATE patient_upload SET bucket = 'sending' WHERE patient_id = "
            "(SELECT id FROM patient WHERE nhs_number = ?)",
            [nhs],
        )
        await sim.control(duplicate_id_ae=True)
        before = await sim.stats()
        final = await run_to_end(services, Mode.RESUME)
    finally:
        services.close()
    row = rows_by_nhs()[nhs]
    assert final.reason == StopReason.COMPLETED.value
    assert (row["bucket"], row["message_id"], row["code"]) == ("sent", message_id, "401")
    assert "already held by the Spine" in row["text"]
    assert (await sim.stats())["accepted"] == before["accepted"]


async def test_a_spine_service_unavailable_acknowledgement_fails_nobody(seeded, sim):
    settings = fast_settings(sim.url, concurrency=2, rate_limit=200, max_attempts=3)
    services = await logged_in(seeded, settings)
    try:
        task = await started(services, at_least=10)
        await sim.control(unavailable_share=1.0)
        # The adaptor's health check passes (the Spine is what is down): the messages' answers
        # decide the outage, and the run log quotes them.
        await wait_for(
            lambda: "answers 200 'service not available (AE 502)'" in seeded.upload_log.read_text(),
            what="outage",
        )
        await sim.control(unavailable_share=0.0)
        final = await asyncio.wait_for(task, patience(60))
    finally:
        services.close()
    await completed_with_nobody_failed(final, sim)
    assert (await sim.stats())["faults"]["unavailable"] > 0


# ----- 7. Refusals respect the group -----------------------------------------------------------


async def test_refusals_decide_on_the_groups_patients(seeded, sim):
    eligible, _ = expected_split(date.today())
    ids = [
        pid
        for pid, nhs in queries.database.obj.execute_sql("SELECT id, nhs_number FROM patient")
        if nhs in eligible
    ]
    done, other = "Done", "Other"
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        await services.save_group(done, "", ids[:5])
        await services.save_group(other, "", ids[5:10])
        assert (await services.refusal(Mode.RERUN, other)) is not None
        await run_to_end(services, Mode.RUN, done)
        # The practice has sent patients, the other group none: nothing to rerun there.
        assert (await services.refusal(Mode.RERUN)) is None
        assert f'sent yet in group "{other}"' in (await services.refusal(Mode.RERUN, other))
        # Everyone in the group was checked; the rest of the practice was not.
        assert "nothing to run" in (await services.refusal(Mode.RUN, done))
        assert (await services.refusal(Mode.RUN)) is None
        assert "nothing to resume" in (await services.refusal(Mode.RESUME, done))
        assert "no failed" in (await services.refusal(Mode.FAILED, done))
    finally:
        services.close()


# ----- 8. Nothing is Sending before it is sent (and issue 13, bug 3) ---------------------------


async def test_a_scheduled_rerun_changes_nothing_until_it_starts(seeded, sim):
    clock = FakeClock(datetime.now().replace(hour=17, minute=0, second=0, microsecond=0))
    services = await logged_in(seeded, fast_settings(sim.url), clock=clock)
    try:
        await run_to_end(services, Mode.RUN)
        before_rows, before_counts = rows_by_nhs(), queries.bucket_counts()
        schedule = build_schedule(clock(), clock().strftime("%d/%m/%Y"), "18:30")
        task = asyncio.create_task(services.run_upload(run(Mode.RERUN, schedule=schedule)))
        await wait_for(lambda: "start at" in services.snapshot().next_event_text, what="sched")
        snapshot = services.snapshot()
        assert snapshot.status is RunStatus.SCHEDULED
        assert snapshot.counts == before_counts and snapshot.checked == 0
        assert snapshot.counts[Bucket.SENT] > 0
        assert rows_by_nhs() == before_rows  # the reporter and group members are unchanged
        services.stop()
        stopped = await asyncio.wait_for(task, patience(20))
    finally:
        services.close()
    assert stopped.reason == StopReason.CANCELLED.value  # issue 22 bug 9: its own wording
    assert rows_by_nhs() == before_rows
    assert (await services.refusal(Mode.RESUME)) is not None  # nothing was left half-done


async def test_a_run_stopped_by_its_stop_time_leaves_unsent_patients_unprocessed(seeded, sim):
    clock = FakeClock(datetime(2026, 11, 25, 12, 0))
    settings = fast_settings(sim.url, concurrency=2, rate_limit=300)
    services = await logged_in(seeded, settings, clock=clock)
    try:
        task = asyncio.create_task(
            services.run_upload(run(Mode.RUN, schedule=build_schedule(clock(), stop="12:30")))
        )
        await wait_for(lambda: services.snapshot().counts[Bucket.SENT] >= 5, what="some sent")
        clock.advance(minutes=31)
        final = await asyncio.wait_for(task, patience(20))
    finally:
        services.close()
    assert final.reason == StopReason.STOP_TIME.value
    rows = rows_by_nhs()
    unprocessed = [r for r in rows.values() if r["bucket"] == "unprocessed"]
    assert unprocessed and queries.status_document()["sending"] == 0
    assert all(r["last_attempt"] is None and r["message_id"] is None for r in unprocessed)
    assert final.counts == queries.bucket_counts()


async def test_eligibility_is_decided_when_the_run_starts_not_when_it_is_scheduled(seeded, sim):
    clock = FakeClock(datetime(2026, 11, 25, 23, 0))
    eligible, _ = expected_split(clock().date())
    nhs = sorted(eligible)[0]
    # An existing National Summary, registered 14 days ago: Not Required today (NR03),
    # eligible from tomorrow, when the scheduled run starts.
    registered = clock().date() - timedelta(days=14)
    queries.database.obj.execute_sql(
        "UPDATE patient SET national_summary = 1, registration_date = ? WHERE nhs_number = ?",
        [registered.isoformat(), nhs],
    )
    services = await logged_in(seeded, fast_settings(sim.url), clock=clock)
    try:
        schedule = build_schedule(clock(), "26/11/2026", "00:30")
        task = asyncio.create_task(services.run_upload(run(Mode.RUN, schedule=schedule)))
        await wait_for(lambda: "start at" in services.snapshot().next_event_text, what="sched")
        clock.advance(hours=1, minutes=31)
        final = await asyncio.wait_for(task, patience(30))
    finally:
        services.close()
    assert final.reason == StopReason.COMPLETED.value
    assert rows_by_nhs()[nhs]["bucket"] == "sent"


# ----- 5. Power cuts: the message ids are stored durably before they leave --------------------


async def test_message_ids_are_committed_durably_and_outcomes_fast(seeded, sim):
    statements: list[str] = []
    services = await logged_in(seeded, fast_settings(sim.url))
    connection = queries.database.obj.connection()
    connection.set_trace_callback(statements.append)
    try:
        await run_to_end(services, Mode.RUN)
    finally:
        connection.set_trace_callback(None)
        services.close()
    # Each batch's ids: synchronous=FULL around the transaction (WAL synced at its commit);
    # the outcome flushes run under NORMAL, where losing one only means a resend, same id.
    marks = [i for i, s in enumerate(statements) if "SET bucket = 'sending', message_id" in s]
    outcomes = [i for i, s in enumerate(statements) if "sent_message_id = COALESCE" in s]
    assert marks and outcomes

    def mode_at(index: int) -> str:
        pragmas = (s for s in reversed(statements[:index]) if s.startswith("PRAGMA synchronous"))
        return next(pragmas)

    assert all(mode_at(i) == "PRAGMA synchronous = FULL" for i in marks)
    assert all(mode_at(i) == "PRAGMA synchronous = normal" for i in outcomes)
