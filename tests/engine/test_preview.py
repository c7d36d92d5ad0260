"""The go-live preview against the run that follows it: same data, same answer; and a preview
writes nothing (no run, bucket, message id, counter or status) and sends nothing."""

from __future__ import annotations

from datetime import date

import pytest

from scrtui.domain.preview import PDS_UNANSWERED_CODE, Verdict
from scrtui.domain.records import Mode
from scrtui.services import ServiceError
from scrtui.store import queries
from scrtui.store.models import Patient
from tests.conftest import patience
from tests.engine.conftest import fast_settings, logged_in
from tests.engine.test_edges import rows_by_nhs, run_to_end
from tests.engine.test_engine import expected_split
from tests.engine.test_pds import pds_cases


def database_state() -> tuple[object, ...]:
    """Everything a run writes: runs, outcome rows, attempts, upload statuses."""
    db = queries.database.obj

    def rows(sql: str) -> list[tuple[object, ...]]:
        return [tuple(r) for r in db.execute_sql(sql).fetchall()]

    return (
        rows("SELECT * FROM run ORDER BY id"),
        rows("SELECT * FROM patient_upload ORDER BY id"),
        rows("SELECT COUNT(*) FROM attempt"),
        rows("SELECT * FROM upload ORDER BY id"),
        rows("SELECT * FROM patient ORDER BY id"),
    )


def sent_numbers(rows: dict[str, dict[str, object]]) -> set[str]:
    return {nhs for nhs, row in rows.items() if row["bucket"] == "sent"}


def verdicts(result) -> dict[str, tuple[Verdict, str | None]]:
    return {row.nhs_number: (row.verdict, row.reason_code) for row in result.rows}


async def test_preview_then_run_sends_exactly_the_would_send_set_with_pds(seeded, sim):
    eligible = sorted(expected_split(date.today())[0])
    records, expected = pds_cases(eligible)
    await sim.control(pds_records=records)
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        before = database_state()
        preview = await services.preview(Mode.RUN)
        assert database_state() == before  # nothing written
        assert (await sim.accepted()) == {}  # nothing sent
        assert preview.pds_checked
        final = await run_to_end(services, Mode.RUN)
    finally:
        services.close()
    assert final.reason == "completed"
    rows = rows_by_nhs()
    would_send = {r.nhs_number for r in preview.rows if r.verdict is Verdict.SEND}
    assert would_send == sent_numbers(rows) == set(await sim.accepted())
    # Each patient not sent has the reason the run gave it.
    for row in preview.rows:
        if row.verdict is Verdict.NOT_SEND:
            assert rows[row.nhs_number]["code"] == row.reason_code, row
    for nhs, code in expected.items():
        assert verdicts(preview)[nhs] == (
            (Verdict.SEND, None) if code is None else (Verdict.NOT_SEND, code)
        )
    assert (
        preview.counts[Verdict.SEND] + preview.counts[Verdict.NOT_SEND] == Patient.select().count()
    )


async def test_after_the_run_a_preview_of_run_names_who_is_not_taken_and_why(seeded, sim):
    services = await logged_in(seeded, fast_settings(sim.url, pds_sync=False))
    try:
        await run_to_end(services, Mode.RUN)
        # A record fixed after the run: the next Run would send it, and the preview says so.
        fixed = Patient.select().where(Patient.sensitive == True).first()  # noqa: E712
        Patient.update(sensitive=False).where(Patient.id == fixed.id).execute()
        before = database_state()
        preview = await services.preview(Mode.RUN)
        failed = await services.preview(Mode.FAILED)
        assert database_state() == before
        second = await run_to_end(services, Mode.RUN)
    finally:
        services.close()
    by_nhs = verdicts(preview)
    assert by_nhs[fixed.nhs_number][0] is Verdict.SEND
    sent_first = [r for r in preview.rows if r.reason_code == "M-SENT"]
    assert sent_first and all("Not taken by Run: now Sent" in r.reason_text for r in sent_first)
    assert failed.counts[Verdict.SEND] == 0  # nobody Failed
    assert second.reason == "completed"
    assert {r.nhs_number for r in preview.rows if r.verdict is Verdict.SEND} == {
        nhs for nhs, row in rows_by_nhs().items() if row["bucket"] == "sent" and row["code"] is None
    } - {r.nhs_number for r in sent_first}


async def test_a_pds_that_does_not_answer_leaves_patients_undecided_not_excluded(seeded, sim):
    await sim.control(outage=True)
    services = await logged_in(seeded, fast_settings(sim.url, max_attempts=1))
    try:
        preview = await services.preview(Mode.RUN)
    finally:
        services.close()
    undecided = [r for r in preview.rows if r.verdict is Verdict.UNDECIDED]
    assert undecided and all(r.reason_code == PDS_UNANSWERED_CODE for r in undecided)
    assert preview.counts[Verdict.SEND] == 0


async def test_an_mhs_set_up_error_stops_the_previews_pds_queries_and_says_so(seeded, sim):
    await sim.control(route_error=True)
    settings = fast_settings(sim.url, concurrency=4)
    services = await logged_in(seeded, settings)
    try:
        before = database_state()
        preview = await services.preview(Mode.RUN)
        assert database_state() == before
    finally:
        services.close()
        await sim.control(route_error=False)
    undecided = [r for r in preview.rows if r.verdict is Verdict.UNDECIDED]
    assert undecided and preview.counts[Verdict.SEND] == 0
    assert all("the MHS adaptor's set-up is wrong" in r.reason_text for r in undecided)
    assert all("Error obtaining outbound URL" in r.reason_text for r in undecided)
    assert (await sim.stats())["pds_requests"] <= settings.concurrency  # one a sender at most


async def test_the_pds_preview_needs_the_card_session(seeded, sim):
    from scrtui.wiring import create_services

    services = create_services(seeded, fast_settings(sim.url), card="simulated")
    try:
        with pytest.raises(ServiceError, match="smartcard session"):
            await services.preview(Mode.RUN)
        # Without PDS, the preview reads the database only: no card needed.
        services.settings = fast_settings(sim.url, pds_sync=False)
        result = await services.preview(Mode.RUN)
    finally:
        services.close()
    assert result.counts[Verdict.SEND] > 0 and not result.pds_checked
    log = (seeded.upload_log).read_text()
    assert "Initial Upload - Preview of Run finished" in log and "Nothing was sent" in log


async def test_the_completion_report_lists_an_outage_pause_and_a_user_pause_with_their_causes(
    seeded, sim
):
    import asyncio

    from scrtui.domain.completion_report import text_lines
    from tests.engine.conftest import wait_for
    from tests.engine.test_edges import paused_by_outage, started

    settings = fast_settings(sim.url, concurrency=1, rate_limit=100, max_attempts=3)
    services = await logged_in(seeded, settings)
    try:
        task = await started(services, at_least=10)
        await sim.control(outage=True)
        await wait_for(paused_by_outage(services), what="outage")
        await sim.control(outage=False)
        await wait_for(lambda: services.snapshot().reason == "", what="running again")
        services.pause()
        await wait_for(lambda: "by the user" in services.snapshot().reason, what="pause")
        services.resume()
        final = await asyncio.wait_for(task, patience(60))
        report = await services.completion_report()
    finally:
        services.close()
    assert final.reason == "completed"
    causes = [p.cause for p in report.pauses]
    assert causes == ["outage", "user"], report.pauses
    assert all(p.ended is not None and p.ended >= p.began for p in report.pauses)
    assert report.average_rate() is not None and report.rates()
    assert report.upload_counts == queries.bucket_counts()
    lines = text_lines(report)
    assert any(f"MHS outage: the MHS at {sim.url}" in line for line in lines)
    assert any("paused by the user: by the user" in line for line in lines)
