"""Issue 19: outages as the NHS's real MHS adaptor reports them, and runs that never loop.

The real adaptor's /healthcheck answers 200 whatever happens behind it; a Spine outage is 500
text/plain "Error making outbound request" to every message; a missing route is 500 "Error
obtaining outbound URL". The bundled simulator answers the same way. The engine's clock is a
FakeClock that the test moves from one probe to the next, so a 10- or 30-minute outage takes
a moment and every probe is counted (never a timed assertion).
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta

from scrtui.domain import outage, uploads
from scrtui.domain.progress import RunStatus, StopReason
from scrtui.domain.records import Mode
from scrtui.domain.schedule import Schedule
from scrtui.services import UploadRequest
from scrtui.spine.client import connections
from scrtui.store import queries
from tests.conftest import patience
from tests.engine.conftest import FakeClock, fast_settings, logged_in, wait_for
from tests.engine.test_engine import completed_with_nobody_failed, run

# The real settings' probe waits: 5 s doubling to 5 minutes (the engine's clock is the test's).
REAL_PROBES = {"outage_probe_first": 5.0, "outage_probe_max": 300.0}


def ten_o_clock() -> FakeClock:
    return FakeClock(datetime.combine(date.today(), time(10, 0)))


async def posts(sim) -> int:
    """Every message the MHS was sent: summaries, PDS queries and consent messages."""
    stats = await sim.stats()
    return stats["requests"] + stats["pds_requests"]


def paused_by_outage(services) -> bool:
    snapshot = services.snapshot()
    return snapshot.status is RunStatus.PAUSED and snapshot.reason.startswith(outage.PREFIX)


async def jump_through_probes(services, clock: FakeClock, minutes: float) -> int:
    """Move the clock to each probe's time, until `minutes` after the outage began or the
    run is no longer paused by it; the number of probes that went."""
    since = services.snapshot().outage_since
    assert since is not None
    probes = 0
    while paused_by_outage(services):
        due = services.snapshot().next_check
        if due is None or due > since + timedelta(minutes=minutes):
            break
        clock.now = due
        probes += 1
        await wait_for(
            lambda due=due: services.snapshot().next_check != due or not paused_by_outage(services),
            what=f"probe {probes} to be answered",
        )
    return probes


def log_lines(home) -> int:
    return sum(
        len(path.read_text().splitlines())
        for path in (home.json_log, home.upload_log)
        if path.exists()
    )


async def test_a_spine_outage_behind_a_healthy_adaptor_pauses_probes_and_continues(seeded, sim):
    clock = ten_o_clock()
    settings = fast_settings(sim.url, concurrency=4, rate_limit=200, **REAL_PROBES)
    services = await logged_in(seeded, settings, clock=clock)
    try:
        task = asyncio.create_task(services.run_upload(run(Mode.RUN)))
        await wait_for(lambda: services.snapshot().checked >= 20, what="some checked")
        await sim.control(outage=True)
        await wait_for(lambda: paused_by_outage(services), what="the outage pause")
        async with sim.http.get(sim.url + "healthcheck") as health:
            assert health.status == 200  # the adaptor's health check says nothing of it
        snapshot = services.snapshot()
        assert snapshot.reason == (
            f"the MHS at {sim.url} answers 500 'Error making outbound request' to every "
            "message since 10:00; next try 10:00"
        )
        assert queries.status_document()["status"] == f"Paused: {snapshot.reason}"
        before, lines_before = await posts(sim), log_lines(seeded)
        # Ten minutes of outage: probes at 5 s, 15 s, 35 s, 75 s, 155 s and 315 s.
        probes = await jump_through_probes(services, clock, minutes=10)
        assert probes == 6
        # One POST a probe; at most one more per sender or PDS worker whose message was on its
        # way when the pause began. Never a resend loop.
        sent_while_paused = await posts(sim) - before
        assert probes <= sent_while_paused <= probes + connections(settings)
        assert log_lines(seeded) - lines_before <= 3 * probes  # counts, not a line an attempt
        assert "next try 10:10" in services.snapshot().reason  # 315 s + 300 s
        assert queries.status_document()["failed"] == 0
        await sim.control(outage=False)
        clock.now = services.snapshot().next_check
        final = await asyncio.wait_for(task, patience(60))
    finally:
        services.close()
    await completed_with_nobody_failed(final, sim)
    text = seeded.upload_log.read_text()
    assert f"The MHS at {sim.url} answers again: continuing (paused 10.2 min, 6 failed" in text


async def test_a_permanent_500_stops_within_the_limit_with_the_adaptors_words(seeded, sim):
    clock = ten_o_clock()
    settings = fast_settings(sim.url, concurrency=4, rate_limit=200, **REAL_PROBES)
    services = await logged_in(seeded, settings, clock=clock)
    try:
        task = asyncio.create_task(services.run_upload(run(Mode.RUN)))
        await wait_for(lambda: services.snapshot().checked >= 20, what="some checked")
        await sim.control(error_500_share=1.0)  # the adaptor's SOAP-fault 500, for ever
        await wait_for(lambda: paused_by_outage(services), what="the outage pause")
        before = await posts(sim)
        probes = await jump_through_probes(services, clock, minutes=24 * 60)
        final = await asyncio.wait_for(task, patience(60))
        sent_while_paused = await posts(sim) - before
    finally:
        services.close()
    # 30 minutes: probes at 5 s .. 315 s, then every 5 minutes; the last at 30:00 ends it.
    assert probes == 11
    # PDS workers too (32 queries on their way when the pause began were seen on a busy machine).
    assert probes <= sent_while_paused <= probes + connections(settings)
    assert final.reason == StopReason.OUTAGE.value
    # The adaptor's words from its JSON, not the JSON (issue 20: no payload is kept).
    assert final.fatal_message.startswith(
        f"the MHS at {sim.url} answers 500 'Error(s) received from Spine"
    )
    assert "since 10:00 (30 min, 11 probes); nobody was marked Failed" in (final.fatal_message)
    document = queries.status_document()
    # The patients it stopped on wait (Sending with their id if a summary left, Unprocessed if
    # only their PDS query did): nobody Failed, something left for Resume.
    assert document["failed"] == 0 and document["sending"] + document["unprocessed"] > 0
    await sim.control(error_500_share=0.0)
    services = await logged_in(seeded, settings)
    try:
        resumed = await services.run_upload(run(Mode.RESUME))
        final = await services.run_upload(run(Mode.RUN)) if resumed.counts else resumed
    finally:
        services.close()
    after = queries.status_document()
    assert (after["failed"], after["sending"], after["unprocessed"]) == (0, 0, 0)


async def test_a_route_error_stops_the_run_at_once(seeded, sim):
    await sim.control(route_error=True)
    settings = fast_settings(sim.url, concurrency=4)
    services = await logged_in(seeded, settings)
    try:
        final = await services.run_upload(run(Mode.RUN))
    finally:
        services.close()
    assert final.reason == StopReason.MHS_SETUP.value
    assert f"the MHS at {sim.url}" in final.fatal_message
    assert "answered 500 'Error obtaining outbound URL'" in final.fatal_message
    assert "route lookup" in final.fatal_message
    # One message an HTTP slot at most: a sender each, and a PDS worker each (PDS ahead).
    assert await posts(sim) <= settings.concurrency + settings.pds_concurrency
    assert queries.status_document()["failed"] == 0
    await sim.control(route_error=False)
    services = await logged_in(seeded, settings)
    try:
        await services.run_upload(run(Mode.RESUME))
        final = await services.run_upload(run(Mode.RUN))
    finally:
        services.close()
    assert queries.status_document()["failed"] == 0
    assert queries.status_document()["sending"] == 0


async def test_no_message_carries_the_practice_ods_code(seeded, sim):
    """With the simulator's route lookup refusing any ods-code but the Spine's, a whole run
    with PDS on (summaries and PDS queries) completes: no message named the practice."""
    settings = fast_settings(sim.url)
    assert settings.ods_code == "A12345"  # the practice's, which the simulator would refuse
    services = await logged_in(seeded, settings)
    try:
        final = await services.run_upload(run(Mode.RUN))
    finally:
        services.close()
    await completed_with_nobody_failed(final, sim)
    stats = await sim.stats()
    assert stats["pds_requests"] > 0
    assert stats["faults"].get("ods_code_header", 0) == 0


async def test_pds_slower_than_the_total_timeout_stops_within_the_limit(seeded, sim):
    clock = ten_o_clock()
    settings = fast_settings(
        sim.url, concurrency=2, total_timeout=0.2, outage_limit_minutes=1, **REAL_PROBES
    )
    await sim.control(pds_latency_ms=5_000)
    services = await logged_in(seeded, settings, clock=clock)
    try:
        task = asyncio.create_task(services.run_upload(run(Mode.RUN)))
        await wait_for(lambda: paused_by_outage(services), what="the outage pause")
        probes = await jump_through_probes(services, clock, minutes=24 * 60)
        final = await asyncio.wait_for(task, patience(60))
    finally:
        services.close()
    assert probes == 4  # 5 s, 15 s, 35 s, 75 s: past the minute
    assert final.reason == StopReason.OUTAGE.value
    assert "does not answer (no answer within 0.2 s)" in final.fatal_message
    assert queries.status_document()["failed"] == 0


async def test_consent_soap_faults_in_http_500_stop_within_the_limit(seeded, sim):
    clock = ten_o_clock()
    settings = fast_settings(sim.url, concurrency=2, outage_limit_minutes=1, **REAL_PROBES)
    await sim.control(consent_fault=True)
    services = await logged_in(seeded, settings, clock=clock)
    consent = UploadRequest(mode=Mode.RUN, schedule=Schedule(), upload=uploads.CONSENT_MIGRATION)
    try:
        task = asyncio.create_task(services.run_upload(consent))
        await wait_for(lambda: paused_by_outage(services), what="the outage pause")
        probes = await jump_through_probes(services, clock, minutes=24 * 60)
        final = await asyncio.wait_for(task, patience(60))
    finally:
        services.close()
    assert probes == 4
    assert final.reason == StopReason.OUTAGE.value
    # The fault's words, not its envelope (issue 20: an error body's payload is never kept).
    assert "sync-service answers 500 'System failure to process message" in final.fatal_message
    stats = await sim.stats()
    # Before the pause: outage_after_failures tries, and what each sender had under way.
    most = probes + settings.outage_after_failures + 2 * settings.concurrency
    assert stats["faults"]["consent_fault"] <= most
    assert stats["faults"].get("ods_code_header", 0) == 0
    assert queries.status_document(uploads.CONSENT_MIGRATION)["failed"] == 0
