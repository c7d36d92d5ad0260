"""The completion report of a run the MHS adaptor stopped (issue 19's endings): the outage
limit, and a set-up error in the adaptor's own words. Nobody is Failed by either, and the
report says so, with what Resume will continue; the Resume that follows completes."""

from __future__ import annotations

import asyncio

from scrtui.domain.completion_report import text_lines
from scrtui.domain.progress import StopReason
from scrtui.domain.records import Bucket, Mode
from scrtui.store import queries
from tests.conftest import patience
from tests.engine.conftest import fast_settings, logged_in, wait_for
from tests.engine.test_engine import run
from tests.engine.test_outage_real_adaptor import (
    REAL_PROBES,
    jump_through_probes,
    paused_by_outage,
    ten_o_clock,
)


def waiting_now() -> int:
    document = queries.status_document()
    return int(document["sending"]) + int(document["unprocessed"])


def assert_nobody_failed_and_resume_named(report, words: str) -> None:
    assert report.failed == () and report.run_counts[Bucket.FAILED] == 0
    assert words in report.outcome_detail  # the adaptor's words, as the run recorded them
    waiting = report.run_counts[Bucket.SENDING] + report.run_counts[Bucket.UNPROCESSED]
    assert waiting == waiting_now() > 0
    assert "It marked nobody Failed." in report.next_step
    assert f"Resume continues the {waiting:,} patients of this run still waiting" in (
        report.next_step
    )
    lines = text_lines(report)
    assert f"Stopped       {report.ended_at:%d/%m/%Y %H:%M:%S}: {report.outcome}" in lines
    assert any(line.startswith("Next step     ") and "nobody Failed" in line for line in lines)
    assert "Failed patients (0)" in lines


async def test_a_run_stopped_at_the_outage_limit_reports_the_outage_and_nobody_failed(seeded, sim):
    clock = ten_o_clock()
    settings = fast_settings(
        sim.url, concurrency=2, rate_limit=200, outage_limit_minutes=1, **REAL_PROBES
    )
    services = await logged_in(seeded, settings, clock=clock)
    try:
        task = asyncio.create_task(services.run_upload(run(Mode.RUN)))
        await wait_for(lambda: services.snapshot().checked >= 10, what="some checked")
        await sim.control(outage=True)
        await wait_for(lambda: paused_by_outage(services), what="the outage pause")
        await jump_through_probes(services, clock, minutes=24 * 60)
        final = await asyncio.wait_for(task, patience(60))
        report = await services.completion_report()
    finally:
        services.close()
        await sim.control(outage=False)
    assert final.reason == StopReason.OUTAGE.value
    assert report.outcome == StopReason.OUTAGE.value
    assert report.next_step.startswith("The MHS adaptor gave no usable answer within the outage")
    assert_nobody_failed_and_resume_named(report, "answers 500 'Error making outbound request'")
    assert [p.cause for p in report.pauses] == ["outage"]
    assert report.pauses[0].reason.startswith(f"the MHS at {sim.url} answers 500")
    assert report.upload_counts == queries.bucket_counts()


async def test_a_run_stopped_by_an_mhs_set_up_error_reports_its_words_and_resume_completes(
    seeded, sim
):
    await sim.control(route_error=True)
    settings = fast_settings(sim.url, concurrency=4)
    services = await logged_in(seeded, settings)
    try:
        final = await services.run_upload(run(Mode.RUN))
        report = await services.completion_report()
    finally:
        services.close()
    await sim.control(route_error=False)
    assert final.reason == StopReason.MHS_SETUP.value
    assert report.outcome == StopReason.MHS_SETUP.value
    assert report.next_step.startswith("The MHS adaptor said its set-up is wrong")
    assert_nobody_failed_and_resume_named(report, "answered 500 'Error obtaining outbound URL'")
    assert report.pauses == ()
    services = await logged_in(seeded, settings)
    try:
        resumed = await services.run_upload(run(Mode.RESUME))
        after = await services.completion_report()
    finally:
        services.close()
    assert resumed.reason == StopReason.COMPLETED.value
    assert (after.mode, after.outcome, after.next_step) == ("resume", "completed", "")
    assert queries.status_document()["failed"] == 0
