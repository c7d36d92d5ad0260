"""The upload engine end to end: real SQLite, the real simulator over loopback, the
simulated card session. Every assertion is about what a practice would see."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import pytest

from scrtui.domain import eligibility, outage
from scrtui.domain.progress import RunStatus, StopReason
from scrtui.domain.records import Bucket, Mode
from scrtui.domain.schedule import Schedule, build_schedule
from scrtui.services import UploadRefused, UploadRequest
from scrtui.store import queries
from scrtui.store.models import PatientUpload
from tests.conftest import patience
from tests.engine.conftest import FakeClock, fast_settings, logged_in, wait_for


def expected_split(today: date, days: int = 14) -> tuple[set[str], dict[str, str]]:
    """Eligible NHS numbers and Not Required reason codes, from the rules themselves."""
    eligible: set[str] = set()
    not_required: dict[str, str] = {}
    for ids in queries.iter_patient_ids():
        for record in queries.load_records(ids).values():
            decision = eligibility.decide(record, today, days)
            if decision.eligible:
                eligible.add(record.nhs_number)
            else:
                not_required[record.nhs_number] = decision.reason.code
    return eligible, not_required


def buckets_by_nhs() -> dict[str, tuple[str, str | None, str | None]]:
    rows = queries.database.obj.execute_sql(
        "SELECT p.nhs_number, u.bucket, u.reason_code, u.message_id FROM patient_upload u "
        "JOIN patient p ON p.id = u.patient_id"
    )
    return {nhs: (bucket, code, mid) for nhs, bucket, code, mid in rows}


async def started(services, at_least: int) -> asyncio.Task:
    """A Run under way, with some patients already sent."""
    task = asyncio.create_task(services.run_upload(run(Mode.RUN)))
    await wait_for(lambda: services.snapshot().counts[Bucket.SENT] >= at_least, what="some sent")
    return task


def run(mode: Mode, group: str | None = None, schedule: Schedule | None = None) -> UploadRequest:
    return UploadRequest(mode=mode, schedule=schedule or Schedule(), group=group)


async def completed_with_nobody_failed(final, sim) -> None:
    """The run completed, every eligible patient was accepted and nobody is Failed."""
    eligible, _ = expected_split(date.today())
    assert final.reason == StopReason.COMPLETED.value
    assert queries.status_document()["failed"] == 0
    assert (await sim.stats())["accepted"] == len(eligible)


async def test_run_sends_every_eligible_patient_once_and_keeps_reasons(seeded, sim):
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        final = await services.run_upload(run(Mode.RUN))
    finally:
        services.close()
    assert (final.status, final.reason) == (RunStatus.STOPPED, StopReason.COMPLETED.value)
    eligible, not_required = expected_split(date.today())
    rows = buckets_by_nhs()
    assert {n for n, r in rows.items() if r[0] == "sent"} == eligible
    assert {n: r[1] for n, r in rows.items() if r[0] == "not_required"} == not_required
    stats = await sim.stats()
    assert stats["accepted"] == len(eligible)
    assert stats["duplicate_nhs_numbers"] == []
    document = queries.status_document()
    assert document["sent"] == len(eligible) and document["unprocessed"] == 0
    assert document["sending"] == 0 and document["failed"] == 0
    assert final.checked == final.total == len(eligible) + len(not_required)
    log = seeded.upload_log.read_text()
    assert "Initial Upload - Run by Demo Administrator" in log and "completed" in log


async def test_rejections_fail_with_the_spine_code_and_failed_mode_resends_only_them(seeded, sim):
    eligible, _ = expected_split(date.today())
    rejected = sorted(eligible)[:5]
    await sim.control(reject_nhs_numbers=rejected)
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        await services.run_upload(run(Mode.RUN))
        rows = buckets_by_nhs()
        assert {n for n, r in rows.items() if r[0] == "failed"} == set(rejected)
        assert {rows[n][1] for n in rejected} == {"30418"}
        assert await services.refusal(Mode.FAILED) is None
        await sim.control(reject_nhs_numbers=[])
        before = (await sim.stats())["requests"]
        final = await services.run_upload(run(Mode.FAILED))
    finally:
        services.close()
    assert final.reason == StopReason.COMPLETED.value
    stats = await sim.stats()
    assert stats["requests"] - before == len(rejected)  # only the failed ones went again
    assert stats["accepted"] == len(eligible)
    assert queries.status_document()["failed"] == 0


async def test_injected_faults_still_send_everyone_exactly_once(seeded, sim):
    await sim.control(error_500_share=0.2, reset_share=0.2, slow_share=0.1, slow_seconds=3)
    services = await logged_in(seeded, fast_settings(sim.url, max_attempts=20))
    try:
        final = await services.run_upload(run(Mode.RUN))
    finally:
        services.close()
    eligible, _ = expected_split(date.today())
    stats = await sim.stats()
    assert final.reason == StopReason.COMPLETED.value
    assert sum(stats["faults"].values()) > 0
    assert stats["accepted"] == len(eligible)
    assert stats["duplicate_nhs_numbers"] == []
    assert queries.status_document()["sent"] == len(eligible)


async def test_an_outage_pauses_the_run_and_it_completes_with_nobody_failed(seeded, sim):
    services = await logged_in(seeded, fast_settings(sim.url, concurrency=2, rate_limit=200))
    try:
        task = await started(services, at_least=20)
        await sim.control(outage=True)
        await wait_for(
            lambda: services.snapshot().reason.startswith(outage.PREFIX), what="outage pause"
        )
        assert services.snapshot().status is RunStatus.PAUSED
        await sim.control(outage=False)
        final = await asyncio.wait_for(task, patience(60))
    finally:
        services.close()
    await completed_with_nobody_failed(final, sim)
    assert "answers 500 'Error making outbound request'" in seeded.upload_log.read_text()


async def test_a_configuration_error_stops_the_run_with_the_adaptors_message(seeded, sim):
    services = await logged_in(seeded, fast_settings(sim.url + "wrong-path"))
    try:
        final = await services.run_upload(run(Mode.RUN))
    finally:
        services.close()
    assert final.reason == StopReason.FATAL.value
    assert "404" in final.fatal_message or "Not Found" in final.fatal_message
    assert queries.status_document()["failed"] == 0  # never a patient's failure


async def test_stop_then_resume_finishes_without_sending_anyone_twice(seeded, sim):
    services = await logged_in(seeded, fast_settings(sim.url, concurrency=2, rate_limit=300))
    try:
        task = await started(services, at_least=30)
        services.pause()
        await wait_for(lambda: services.snapshot().status is RunStatus.PAUSED, what="paused")
        await wait_for(lambda: services.engine._inflight == 0, what="in-flight finished")
        paused_at = (await sim.stats())["requests"]
        services.stop()
        final = await asyncio.wait_for(task, patience(20))
        assert final.reason == StopReason.USER.value
        assert (await sim.stats())["requests"] == paused_at  # nothing left while paused
        assert await services.refusal(Mode.RESUME) is None
        resumed = await services.run_upload(run(Mode.RESUME))
    finally:
        services.close()
    eligible, _ = expected_split(date.today())
    assert resumed.reason == StopReason.COMPLETED.value
    stats = await sim.stats()
    assert stats["accepted"] == len(eligible) and stats["duplicate_nhs_numbers"] == []
    assert await services.refusal(Mode.RESUME) is not None  # nothing left to resume


async def test_rerun_sends_everyone_again_with_new_ids_replacing_the_old(seeded, sim):
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        await services.run_upload(run(Mode.RUN))
        first = {n: r[2] for n, r in buckets_by_nhs().items() if r[0] == "sent"}
        final = await services.run_upload(run(Mode.RERUN))
    finally:
        services.close()
    second = {n: r[2] for n, r in buckets_by_nhs().items() if r[0] == "sent"}
    assert final.reason == StopReason.COMPLETED.value
    assert second.keys() == first.keys()
    assert all(second[n] != first[n] for n in first)
    row = PatientUpload.select().where(PatientUpload.bucket == "sent").first()
    assert row.sent_message_id == row.message_id


async def test_a_group_narrows_the_run(seeded, sim):
    from scrtui.store.models import GroupMember, PatientGroup

    group = PatientGroup.select().where(~PatientGroup.system).first()
    members = {m.patient.nhs_number for m in GroupMember.select().where(GroupMember.group == group)}
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        await services.run_upload(run(Mode.RUN, group=group.name))
    finally:
        services.close()
    rows = buckets_by_nhs()
    assert set(rows) == members
    assert (await sim.stats())["accepted"] == sum(1 for r in rows.values() if r[0] == "sent")


async def test_resume_and_failed_refuse_when_there_is_nothing_to_do(seeded, sim):
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        assert "nothing to resume" in await services.refusal(Mode.RESUME)
        assert "no failed" in await services.refusal(Mode.FAILED)
        with pytest.raises(UploadRefused):
            await services.run_upload(run(Mode.RESUME))
    finally:
        services.close()


async def test_card_removal_pauses_at_once_and_the_passcode_continues(seeded, sim):
    services = await logged_in(seeded, fast_settings(sim.url, concurrency=2, rate_limit=300))
    try:
        task = await started(services, at_least=20)
        services.toggle_simulated_card()
        await wait_for(lambda: services.snapshot().status is RunStatus.PAUSED, what="paused")
        assert "smartcard removed" in services.snapshot().reason
        await wait_for(lambda: services.engine._inflight == 0, what="in-flight finished")
        quiet = (await sim.stats())["requests"]
        services.toggle_simulated_card()
        await wait_for(lambda: services.card_view().state.name == "INSERTED", what="card back")
        assert (await sim.stats())["requests"] == quiet  # still nothing without the passcode
        assert (await services.login("1234")).ok
        final = await asyncio.wait_for(task, patience(30))
    finally:
        services.close()
    assert final.reason == StopReason.COMPLETED.value


async def test_a_different_card_stops_the_run(seeded, sim):
    from scrtui.card.profile import CardIdentity

    services = await logged_in(seeded, fast_settings(sim.url, concurrency=2, rate_limit=300))
    try:
        task = await started(services, at_least=10)
        services.backend.insert(CardIdentity("555000000002", "Dr Demo Clinician", "SIM-0002"))
        await wait_for(lambda: services.snapshot().status is RunStatus.PAUSED, what="paused")
        # Only the passcode lets the card say who it belongs to.
        result = await services.login("1234")
        assert not result.ok and "different smartcard" in result.message
        final = await asyncio.wait_for(task, patience(20))
    finally:
        services.close()
    assert final.reason == StopReason.CARD_CHANGED.value


async def test_session_expiry_at_ten_hours_stops_the_run(seeded, sim):
    clock = FakeClock(datetime(2026, 11, 25, 8, 0))
    settings = fast_settings(sim.url, concurrency=2, rate_limit=300)
    services = await logged_in(seeded, settings, clock=clock)
    try:
        task = await started(services, at_least=10)
        clock.advance(hours=10, seconds=1)
        final = await asyncio.wait_for(task, patience(20))
    finally:
        services.close()
    assert final.reason == StopReason.SESSION_EXPIRED.value


async def test_deferred_start_waits_then_runs(seeded, sim):
    clock = FakeClock(datetime(2026, 11, 25, 17, 0))
    schedule = build_schedule(clock(), "25/11/2026", "18:30")
    services = await logged_in(seeded, fast_settings(sim.url), clock=clock)
    try:
        before = queries.bucket_counts()
        task = asyncio.create_task(services.run_upload(run(Mode.RUN, schedule=schedule)))
        # The control loop has looked at the schedule (it names the start) and held the run.
        await wait_for(lambda: "start at" in services.snapshot().next_event_text, what="sched")
        assert services.snapshot().status is RunStatus.SCHEDULED
        # Nothing is enrolled, marked Sending or sent before the start.
        assert queries.bucket_counts() == before
        assert services.snapshot().checked == 0 and services.snapshot().total == 300
        assert (await sim.stats())["requests"] == 0
        clock.advance(hours=1, minutes=31)
        final = await asyncio.wait_for(task, patience(30))
    finally:
        services.close()
    assert final.reason == StopReason.COMPLETED.value
    # Each message was built when it went: its creationTime is the time of sending (18:31).
    held = await sim.accepted()
    assert {a["created"] for chain in held.values() for a in chain} == {"20261125183100"}


async def test_stop_time_stops_and_a_daily_window_pauses_then_continues(seeded, sim):
    clock = FakeClock(datetime(2026, 11, 25, 12, 0))
    settings = fast_settings(sim.url, concurrency=2, rate_limit=300)
    services = await logged_in(seeded, settings, clock=clock)
    try:
        stop_only = build_schedule(clock(), stop="12:30")
        task = asyncio.create_task(services.run_upload(run(Mode.RUN, schedule=stop_only)))
        await wait_for(lambda: services.snapshot().counts[Bucket.SENT] >= 5, what="some sent")
        clock.advance(minutes=31)
        final = await asyncio.wait_for(task, patience(20))
        assert final.reason == StopReason.STOP_TIME.value

        window = build_schedule(clock(), stop="12:00", resume="18:30")
        task = asyncio.create_task(services.run_upload(run(Mode.RESUME, schedule=window)))
        await wait_for(lambda: services.snapshot().status is RunStatus.PAUSED, what="window")
        assert "scheduled pause until 18:30" in services.snapshot().reason
        clock.advance(hours=6)  # 18:31, within the 10-hour session
        final = await asyncio.wait_for(task, patience(30))
    finally:
        services.close()
    assert final.reason == StopReason.COMPLETED.value


async def test_live_counters_match_the_database_while_paused(seeded, sim):
    services = await logged_in(seeded, fast_settings(sim.url, concurrency=2, rate_limit=300))
    try:
        task = await started(services, at_least=30)
        services.pause()
        await wait_for(lambda: services.snapshot().status is RunStatus.PAUSED, what="paused")
        await wait_for(lambda: services.engine._inflight == 0, what="in-flight finished")
        # Let the writer flush what the last sends returned, then compare with the database.
        await wait_for(
            lambda: services.snapshot().counts == queries.bucket_counts(), what="counters = db"
        )
        services.stop()
        await asyncio.wait_for(task, patience(20))
    finally:
        services.close()


async def test_a_database_failure_stops_the_run_and_nothing_is_lost(seeded, sim):
    import sqlite3

    services = await logged_in(seeded, fast_settings(sim.url, concurrency=2, rate_limit=300))
    blocker = sqlite3.connect(seeded.db_path, timeout=0)
    try:
        task = await started(services, at_least=20)
        blocker.execute("BEGIN EXCLUSIVE")  # another program holds the database
        await wait_for(lambda: services.snapshot().fatal_message, timeout=30, what="fatal")
        blocker.rollback()
        final = await asyncio.wait_for(task, patience(30))
        assert final.reason == StopReason.FATAL.value
        assert "locked" in final.fatal_message
        assert final.reason != StopReason.COMPLETED.value
        resumed = await services.run_upload(run(Mode.RESUME))
    finally:
        blocker.close()
        services.close()
    eligible, _ = expected_split(date.today())
    assert resumed.reason == StopReason.COMPLETED.value
    stats = await sim.stats()
    assert stats["accepted"] == len(eligible) and stats["duplicate_nhs_numbers"] == []


async def test_a_database_held_past_the_end_still_ends_the_run_and_resume_completes(seeded, sim):
    """The other program keeps the database until after the run has stopped, so even the
    final status cannot be written: the run still ends (no exception), says why, and the
    stored state reads as interrupted until Resume finishes the job."""
    import sqlite3

    from scrtui.store import queries

    services = await logged_in(seeded, fast_settings(sim.url, concurrency=2, rate_limit=300))
    blocker = sqlite3.connect(seeded.db_path, timeout=0)
    try:
        task = await started(services, at_least=20)
        blocker.execute("BEGIN EXCLUSIVE")
        final = await asyncio.wait_for(
            task, patience(60)
        )  # the lock is held until the run has ended
        assert final.status is RunStatus.STOPPED and "locked" in final.fatal_message
        blocker.rollback()
        assert queries.upload_state().status_reason == queries.INTERRUPTED
        resumed = await services.run_upload(run(Mode.RESUME))
    finally:
        blocker.close()
        services.close()
    eligible, _ = expected_split(date.today())
    assert resumed.reason == StopReason.COMPLETED.value
    stats = await sim.stats()
    assert stats["accepted"] == len(eligible) and stats["duplicate_nhs_numbers"] == []


async def test_a_group_name_is_found_whatever_its_case(seeded, sim):
    from scrtui.store.models import PatientGroup

    group = PatientGroup.select().where(~PatientGroup.system).first()
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        final = await services.run_upload(run(Mode.RUN, group=f" {group.name.lower()} "))
    finally:
        services.close()
    assert final.reason == StopReason.COMPLETED.value
