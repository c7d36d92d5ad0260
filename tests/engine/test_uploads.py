"""The other bulk uploads on the one engine: real SQLite, the real simulator, the simulated card.

Each upload keeps its own buckets; an update replaces the last summary this practice sent."""

from __future__ import annotations

from datetime import date

import pytest

from scrtui.domain import uploads
from scrtui.domain.records import Bucket, Mode
from scrtui.domain.schedule import Schedule
from scrtui.domain.uploads import Context
from scrtui.services import UploadRequest
from scrtui.settings import with_changes
from scrtui.store import groups, queries
from tests.engine.conftest import fast_settings, logged_in

UPDATES = (uploads.BULK_UPDATE, uploads.NO_LONGER_CONTRIBUTING, uploads.BULK_DEREGISTRATION)


def request(kind: str, mode: Mode = Mode.RUN, group: str | None = None, **extra) -> UploadRequest:
    return UploadRequest(mode=mode, schedule=Schedule(), group=group, upload=kind, **extra)


def rows(kind: str) -> dict[str, tuple[str, str | None, str | None]]:
    """NHS number -> (bucket, reason code, sent message id) in one upload."""
    found = queries.database.obj.execute_sql(
        "SELECT p.nhs_number, u.bucket, u.reason_code, u.sent_message_id FROM patient_upload u "
        "JOIN patient p ON p.id = u.patient_id WHERE u.upload = ?",
        (kind,),
    )
    return {nhs: (bucket, code, sent) for nhs, bucket, code, sent in found}


def expected(kind: str, previous: dict[str, str]) -> tuple[set[str], dict[str, str]]:
    """Eligible NHS numbers and Not Required codes for `kind`, from its own rules."""
    upload = uploads.kind(kind)
    eligible: set[str] = set()
    not_required: dict[str, str] = {}
    for ids in queries.iter_patient_ids():
        for record in queries.load_records(ids).values():
            context = Context(date.today(), 14, previous.get(record.nhs_number))
            decision = upload.decide(record, context)
            if decision.eligible:
                eligible.add(record.nhs_number)
            else:
                assert decision.reason is not None
                not_required[record.nhs_number] = decision.reason.code
    return eligible, not_required


def settings_for(sim, kind: str):
    settings = fast_settings(sim.url)
    if uploads.kind(kind).gp_summary is uploads.GpSummaryNeed.OFF:
        settings = with_changes(settings, gp_summary_enabled=False)
    return settings


def leavers() -> str:
    """A group of the first 40 patients (a practice split)."""
    ids = [row[0] for row in queries.database.obj.execute_sql("SELECT id FROM patient LIMIT 40")]
    groups.save_group_ids("LEAVERS", "practice split", ids, "new")
    return "LEAVERS"


async def initial_upload(seeded, sim) -> dict[str, str]:
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        await services.run_upload(request(uploads.INITIAL))
    finally:
        services.close()
    return {nhs: sent for nhs, (bucket, _, sent) in rows(uploads.INITIAL).items() if sent}


@pytest.mark.parametrize("kind", UPDATES)
async def test_an_update_replaces_the_last_summary_this_practice_sent(seeded, sim, kind):
    previous = await initial_upload(seeded, sim)
    initial_counts = queries.bucket_counts(uploads.INITIAL)
    group = leavers() if uploads.kind(kind).needs_group else None
    services = await logged_in(seeded, settings_for(sim, kind))
    try:
        final = await services.run_upload(request(kind, group=group))
    finally:
        services.close()
    eligible, not_required = expected(kind, previous)
    if group:
        members = {r.nhs_number.replace(" ", "") for r in groups_rows(group)}
        eligible &= members
        not_required = {n: c for n, c in not_required.items() if n in members}
    mine = rows(kind)
    assert {n for n, r in mine.items() if r[0] == "sent"} == eligible
    assert {n: r[1] for n, r in mine.items() if r[0] == "not_required"} == not_required
    assert final.counts[Bucket.SENT] == len(eligible)
    # Each update names the summary it replaces; nobody got a second unrelated summary.
    accepted = await sim.accepted()
    for nhs in eligible:
        assert accepted[nhs][-1]["replaces"] == previous[nhs]
    assert (await sim.stats())["unreplaced_nhs_numbers"] == []
    # The Initial Upload's own figures did not move.
    assert queries.bucket_counts(uploads.INITIAL) == initial_counts
    assert queries.status_document(kind)["last_run"]["upload"] == kind


async def test_a_second_update_replaces_the_first_update(seeded, sim):
    await initial_upload(seeded, sim)
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        await services.run_upload(request(uploads.BULK_UPDATE))
        first = {n: r[2] for n, r in rows(uploads.BULK_UPDATE).items() if r[0] == "sent"}
        await services.run_upload(request(uploads.BULK_UPDATE, Mode.RERUN))
    finally:
        services.close()
    accepted = await sim.accepted()
    assert first
    for nhs, sent in first.items():
        assert accepted[nhs][-1]["replaces"] == sent
    assert (await sim.stats())["unreplaced_nhs_numbers"] == []


async def test_no_previous_summary_is_not_required_with_that_reason(seeded, sim):
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        final = await services.run_upload(request(uploads.BULK_UPDATE))
    finally:
        services.close()
    mine = rows(uploads.BULK_UPDATE)
    assert final.counts[Bucket.SENT] == 0 and (await sim.stats())["accepted"] == 0
    codes = {r[1] for r in mine.values()}
    assert uploads.NO_PREVIOUS_SUMMARY.code in codes
    assert all(r[0] == "not_required" for r in mine.values())


async def test_failed_resends_only_the_failed_of_that_upload(seeded, sim):
    previous = await initial_upload(seeded, sim)
    rejected = sorted(previous)[:3]
    await sim.control(reject_nhs_numbers=rejected)
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        await services.run_upload(request(uploads.BULK_UPDATE))
        failed = {n for n, r in rows(uploads.BULK_UPDATE).items() if r[0] == "failed"}
        assert failed == set(rejected)
        await sim.control(reject_nhs_numbers=[])
        before = (await sim.stats())["accepted"]
        await services.run_upload(request(uploads.BULK_UPDATE, Mode.FAILED))
    finally:
        services.close()
    assert (await sim.stats())["accepted"] - before == len(rejected)
    assert queries.status_document(uploads.BULK_UPDATE)["failed"] == 0
    assert queries.status_document(uploads.INITIAL)["failed"] == 0


@pytest.mark.parametrize(
    ("kind", "mode", "enabled", "group", "words"),
    [
        (
            uploads.NO_LONGER_CONTRIBUTING,
            Mode.RUN,
            True,
            None,
            "until GP Summary has been switched off",
        ),
        (uploads.INITIAL, Mode.RUN, False, None, "switch it on"),
        (uploads.BULK_UPDATE, Mode.RUN, False, None, "switch it on"),
        (uploads.BULK_DEREGISTRATION, Mode.RUN, True, None, "needs a patient group"),
        (uploads.BULK_UPDATE, Mode.RERUN, True, None, "No Bulk Update has been sent yet"),
        (uploads.BULK_UPDATE, Mode.FAILED, True, None, "no failed bulk updates"),
        (uploads.BULK_UPDATE, Mode.RESUME, True, None, "nothing to resume"),
    ],
)
async def test_refusals_say_why(seeded, sim, kind, mode, enabled, group, words):
    settings = with_changes(fast_settings(sim.url), gp_summary_enabled=enabled)
    services = await logged_in(seeded, settings)
    try:
        reason = (await services.preflight(mode, group, kind)).refusal
    finally:
        services.close()
    assert reason is not None and words in reason


def test_every_upload_has_a_prompt_per_mode_naming_it():
    for upload in uploads.KINDS.values():
        assert set(upload.prompts) == set(Mode)
    update = uploads.kind(uploads.BULK_UPDATE).prompts
    assert update[Mode.RUN] == (
        "This action will send a GP Summary Bulk Update for all eligible patients. "
        "Do you wish to proceed?"
    )
    assert update[Mode.RESUME] == "Continue with the bulk update?"
    assert "Some Bulk Updates have already been sent." in update[Mode.RERUN]
    assert "reprocess all failed bulk updates" in update[Mode.FAILED]
    pnlc = uploads.kind(uploads.NO_LONGER_CONTRIBUTING).prompts
    assert pnlc[Mode.RUN].startswith(
        "To send a GP summary update to the SCR of all eligible patients at this practice."
    )
    assert "'No Longer Registered' update" in pnlc[Mode.FAILED]


def groups_rows(name: str):
    from scrtui.store import report

    return list(report.group_rows(name))
