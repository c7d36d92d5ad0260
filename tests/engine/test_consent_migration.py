"""Consent Migration end to end: local recoding (all or nothing, audited), then
SET_RESOURCE_PERMISSIONS for every dissenting patient to the simulator's consent room."""

from __future__ import annotations

import pytest

from scrtui.domain import uploads
from scrtui.domain.records import Bucket, Mode
from scrtui.domain.schedule import Schedule
from scrtui.domain.uploads import NO_DISSENT
from scrtui.services import UploadRequest
from scrtui.store import consent_changes, queries
from tests.engine.conftest import fast_settings, logged_in
from tests.loopback import serving

# Every legacy and current code, and no code with and without a National Summary.
CASES = [
    ("93C3", False, "9Ndo"),
    ("93C2", False, "9Ndn"),
    ("9Ndl", False, "9Ndl"),
    ("9Ndm", False, "9Ndm"),
    ("9Ndn", True, "9Ndn"),
    ("9Ndo", False, "9Ndo"),
    (None, True, "9Ndl"),
    (None, False, None),
]


def practice_with_every_code() -> list[tuple[str, str | None, str | None]]:
    """(NHS number, code before, code expected after) for the first patients of the seed."""
    db = queries.database.obj
    db.execute_sql("UPDATE patient SET consent_code = NULL, national_summary = 0")
    rows = db.execute_sql(
        "SELECT id, nhs_number FROM patient ORDER BY id LIMIT ?", (len(CASES) * 5,)
    ).fetchall()
    cases = []
    for i, (pid, nhs) in enumerate(rows):
        before, summary, after = CASES[i % len(CASES)]
        db.execute_sql(
            "UPDATE patient SET consent_code = ?, national_summary = ? WHERE id = ?",
            (before, summary, pid),
        )
        cases.append((nhs, before, after))
    return cases


def codes() -> dict[str, str | None]:
    return dict(queries.database.obj.execute_sql("SELECT nhs_number, consent_code FROM patient"))


def consent_run(mode: Mode = Mode.RUN) -> UploadRequest:
    return UploadRequest(mode=mode, schedule=Schedule(), upload=uploads.CONSENT_MIGRATION)


async def test_recodes_audits_and_sends_no_for_every_dissent(seeded, sim):
    cases = practice_with_every_code()
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        final = await services.run_upload(consent_run())
    finally:
        services.close()
    now = codes()
    for nhs, _before, after in cases:
        assert now[nhs] == after
    changes = {c.nhs_number: c for c in consent_changes.change_rows()}
    expected_changes = {nhs: (b, a) for nhs, b, a in cases if b != a}
    assert {n: (c.before, c.after) for n, c in changes.items()} == expected_changes
    assert {c.user_name for c in changes.values()} == {"Demo Administrator"}
    assert all(c.role_profile_id and c.at for c in changes.values())
    dissent = {nhs for nhs, code in now.items() if code == "9Ndo"}
    stats = await sim.stats()
    assert stats["consent_permissions"] == {nhs: "No" for nhs in dissent}
    assert stats["accepted"] == 0  # no GP Summary went anywhere
    assert final.counts[Bucket.SENT] == len(dissent)
    report = {
        r[0]: r[1:]
        for r in queries.database.obj.execute_sql(
            "SELECT p.nhs_number, u.bucket, u.reason_code FROM patient_upload u "
            "JOIN patient p ON p.id = u.patient_id WHERE u.upload = 'consent-migration'"
        )
    }
    for nhs, code in now.items():
        if code != "9Ndo" and report[nhs][0] == "not_required":
            assert report[nhs][1] in (NO_DISSENT.code, "NR02")
    # A second Run finds nothing left to recode.
    assert consent_changes.recode_practice(None, _author(), _now()) == 0


async def test_recoding_is_all_or_nothing(seeded, sim):
    cases = practice_with_every_code()
    before = codes()
    last_legacy = [nhs for nhs, b, _ in cases if b == "93C2"][-1]
    db = queries.database.obj
    # A failure part-way through the recoding (the disk, a lock): the last legacy patient's
    # update is refused by the database itself.
    db.execute_sql(
        "CREATE TRIGGER refuse BEFORE UPDATE OF consent_code ON patient "
        f"WHEN OLD.nhs_number = '{last_legacy}' BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        final = await services.run_upload(consent_run())
    finally:
        services.close()
    assert "disk full" in final.fatal_message
    assert codes() == before
    assert consent_changes.change_rows() == []
    assert (await sim.stats())["consent_permissions"] == {}


@pytest.mark.parametrize("mode", [Mode.FAILED, Mode.RERUN])
async def test_failed_resends_only_the_rejected_consent(seeded, sim, mode):
    cases = practice_with_every_code()
    dissent = sorted(nhs for nhs, _b, after in cases if after == "9Ndo")
    await sim.control(reject_nhs_numbers=dissent[:2])
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        first = await services.run_upload(consent_run())
        assert first.counts[Bucket.FAILED] == 2
        await sim.control(reject_nhs_numbers=[])
        final = await services.run_upload(consent_run(mode))
    finally:
        services.close()
    stats = await sim.stats()
    assert set(stats["consent_permissions"]) == set(dissent)
    assert final.counts[Bucket.FAILED] == 0
    if mode is Mode.FAILED:
        assert stats["consent_accepted"] == len(dissent)


def _author():
    from scrtui.domain.records import Author

    return Author("555000000001", "Test", "555000000011", "R8000")


def _now():
    from datetime import datetime

    return datetime.now()


async def test_a_202_without_an_acknowledgement_is_never_sent(seeded, sim):
    """The sync service must answer with an acknowledgement: a 202 with nothing behind it
    told nobody anything, so every dissenter is retried and then Failed RETRY with its id,
    and the Initial Upload still warns that Consent Migration has not completed."""
    from aiohttp import web

    from scrtui.domain.uploads import INITIAL, run_warning

    practice_with_every_code()
    answered: list[bytes] = []

    async def accepted_without_answer(request: web.Request) -> web.Response:
        answered.append(await request.read())
        return web.Response(status=202)

    async with serving("/sync-service", accepted_without_answer) as consent_url:
        settings = fast_settings(sim.url, consent_url=consent_url)
        services = await logged_in(seeded, settings)
        try:
            final = await services.run_upload(consent_run())
        finally:
            services.close()
    dissent = {nhs for nhs, code in codes().items() if code == "9Ndo"}
    rows = queries.database.obj.execute_sql(
        "SELECT p.nhs_number, u.bucket, u.reason_code, u.reason_text, u.message_id "
        "FROM patient_upload u JOIN patient p ON p.id = u.patient_id "
        "WHERE u.upload = 'consent-migration' AND u.bucket != 'not_required'"
    ).fetchall()
    assert dissent and {r[0] for r in rows} == dissent
    assert final.counts[Bucket.SENT] == 0
    for _nhs, bucket, code, text, message_id in rows:
        assert (bucket, code) == ("failed", "RETRY") and message_id
        assert "HTTP 202 without an acknowledgement" in text
    assert len(answered) == len(dissent) * settings.max_attempts
    assert not queries.ever_completed(uploads.CONSENT_MIGRATION)
    assert run_warning(INITIAL, Mode.RUN, queries.ever_completed(uploads.CONSENT_MIGRATION))
