"""What the SCR Reporter, Patient Groups, Settings and log viewer screens ask of the program,
through the real services: SQLite, the simulator and the simulated card session."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from scrtui.domain import nhs_number
from scrtui.domain.records import Bucket, Mode
from scrtui.domain.schedule import Schedule
from scrtui.services import ServiceError, UploadRequest
from scrtui.store import queries
from scrtui.wiring import create_services, tail_lines
from tests.engine.conftest import fast_settings, logged_in, wait_for


async def test_fix_and_resend_loop_resends_only_the_marked_patients(seeded, sim):
    eligible = sorted(
        r.nhs_number
        for ids in queries.iter_patient_ids()
        for r in queries.load_records(ids).values()
    )
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        first = await services.run_upload(UploadRequest(Mode.RUN, Schedule()))
        rejected = [
            row.nhs_number for row in await services.report_page(Bucket.SENT, "", "nhs", 0, 3)
        ]
        await sim.control(reject_nhs_numbers=[n.replace(" ", "") for n in rejected])
        await services.run_upload(UploadRequest(Mode.RERUN, Schedule()))
        failed = await services.report_page(Bucket.FAILED, "", "reason", 0, 100)
        assert [r.nhs_number for r in failed] == sorted(rejected)
        assert {r.reason_code for r in failed} == {"30418"}
        assert all(r.attempts >= 1 and r.last_attempt for r in failed)

        group = await services.save_group(
            "FIXED", "rejected by ACF", [r.patient_id for r in failed]
        )
        assert group.members == 3
        await sim.control(reject_nhs_numbers=[])
        before = (await sim.stats())["requests"]
        final = await services.run_upload(UploadRequest(Mode.FAILED, Schedule(), group="FIXED"))
    finally:
        services.close()
    assert final.reason == "completed" and first.reason == "completed"
    assert (await sim.stats())["requests"] - before == 3
    assert await services.report_count(Bucket.FAILED) == 0
    assert len(eligible) > 3


async def test_reporter_search_and_export(seeded, sim):
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        total = await services.report_count(None)
        assert total == 300
        some = await services.report_page(None, "", "name", 0, 5)
        surname = some[0].name.split(",")[0]
        found = await services.report_page(None, surname, "nhs", 0, 50)
        assert found and all(surname.lower() in r.name.lower() for r in found)
        digits = some[1].nhs_number.replace(" ", "")[:6]
        assert any(
            r.patient_id == some[1].patient_id
            for r in await services.report_page(None, digits, "nhs", 0, 500)
        )
        path = Path(await services.export_report(Bucket.UNPROCESSED, "", "nhs"))
    finally:
        services.close()
    assert path.parent == seeded.root / "exports"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_text().splitlines()) == 1 + 300  # header + every patient


async def test_groups_new_taken_replace_add_and_system(seeded, sim):
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        ids = [r.patient_id for r in await services.report_page(None, "", "nhs", 0, 10)]
        await services.save_group("MINE", "first", ids[:4])
        with pytest.raises(ServiceError, match="already in use"):
            await services.save_group("mine", "again", ids[4:6])
        assert await services.group_exists("MINE")
        assert (await services.save_group("MINE", "", ids[4:6], how="add")).members == 6
        added = await services.save_group("MINE", "only two", ids[:2], how="replace")
        assert added.members == 2
        assert [m.patient_id for m in await services.group_members("MINE")] == sorted(ids[:2])
        with pytest.raises(ServiceError, match="system group"):
            await services.save_group("$PAT", "x", ids[:1])
        with pytest.raises(ServiceError, match="10"):
            await services.save_group("ELEVENCHARS", "x", ids[:1])
        await services.delete_group("MINE")
        assert not await services.group_exists("MINE")
    finally:
        services.close()
    # No upload's change: in the practice log, not an upload's run log (issue 22).
    assert 'Group "MINE" saved' in seeded.run_log(None).read_text()
    assert not seeded.upload_log.exists()  # no upload ran: no upload's log


async def test_settings_need_b0062_and_every_change_is_logged(seeded, sim):
    services = create_services(seeded, fast_settings(sim.url), card="simulated")
    try:
        assert "log in" in services.settings_refusal()
        with pytest.raises(ServiceError):
            await services.update_settings(update_existing_after_days=30)
        await wait_for(lambda: services.card_view().state.name == "INSERTED", what="card")
        assert (await services.login("1234")).ok
        assert services.settings_refusal() is None
        with pytest.raises(
            ServiceError, match=r"Registered for more than \.\.\. days: 100 is"
        ) as bad:
            await services.update_settings(update_existing_after_days=100)
        assert bad.value.field == "update_existing_after_days"  # the form marks that field
        updated = await services.update_settings(update_existing_after_days=30, concurrency=4)
        assert updated.update_existing_after_days == 30
    finally:
        services.close()
    saved = (seeded.root / "scrtui.toml").read_text()
    assert "update_existing_after_days = 30" in saved and "concurrency = 4" in saved
    log = tail_lines(seeded.run_log(None), 50)
    assert any(
        "Demo Administrator, R0001" in line and "update_existing_after_days" in line for line in log
    )


def test_tail_reads_only_the_end(tmp_path):
    path = tmp_path / "log"
    path.write_text("".join(f"line {i}\n" for i in range(100_000)))
    assert tail_lines(path, 3) == ["line 99997", "line 99998", "line 99999"]
    assert tail_lines(tmp_path / "missing", 3) == []


async def test_members_from_a_file_new_add_and_all_or_nothing(seeded, sim, tmp_path):
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        numbers = [
            r.nhs_number
            for r in await services.report_page(Bucket.UNPROCESSED, "", "nhs", 0, 400)
            if not r.nhs_number.startswith("ABC") and r.nhs_number.replace(" ", "").isdigit()
        ]
        valid = [n for n in numbers if nhs_number.is_valid(n)]
        first, second = tmp_path / "first.txt", tmp_path / "second.txt"
        first.write_text("# from the practice list\n" + "\n".join(valid[:3]) + "\n")
        second.write_text("\n".join(valid[3:5]) + "\n")
        assert (await services.import_group_file("FILE", "from a file", str(first))).members == 3
        with pytest.raises(ServiceError, match="already in use"):
            await services.import_group_file("FILE", "", str(second))
        assert (await services.import_group_file("FILE", "", str(second), how="add")).members == 5
        bad = tmp_path / "bad.txt"
        bad.write_text(valid[5] + "\n999 999 9999\n")
        with pytest.raises(ServiceError, match="line 2"):
            await services.import_group_file("FILE", "", str(bad), how="add")
        assert len(await services.group_members("FILE")) == 5  # nothing half-written
    finally:
        services.close()
