"""Each bulk upload writes its own run log (issue 22), settings and groups the practice log, and
an upgraded practice's old initial-upload.log (every upload's lines in one file) stays readable
as the Initial Upload's log, through the real services."""

from __future__ import annotations

import json
import stat

from scrtui.domain import uploads
from scrtui.domain.records import Mode
from scrtui.domain.schedule import Schedule
from scrtui.paths import Home
from scrtui.services import UploadRequest
from tests.engine.conftest import fast_settings, logged_in

OLD_LINES = [
    "01/03/2026 10:00:00 [Demo Administrator, R0001] Bulk Update - Run by Demo Administrator",
    "01/03/2026 10:05:00 [Demo Administrator, R0001] Setting concurrency changed from 32 to 8",
]


def test_each_upload_has_its_own_file_the_initial_upload_keeping_its_old_name(tmp_path) -> None:
    home = Home(tmp_path)
    assert home.run_log(uploads.INITIAL) == tmp_path / "logs" / "initial-upload.log"
    names = {kind: home.run_log(kind).name for kind in uploads.KINDS}
    assert names == {
        uploads.INITIAL: "initial-upload.log",
        uploads.BULK_UPDATE: "bulk-update.log",
        uploads.CONSENT_MIGRATION: "consent-migration.log",
        uploads.BULK_DEREGISTRATION: "bulk-deregistration.log",
        uploads.NO_LONGER_CONTRIBUTING: "no-longer-contributing.log",
    }
    assert home.run_log(None).name == "practice.log"


async def test_each_upload_writes_its_own_run_log_and_an_old_one_still_reads(
    seeded: Home, sim
) -> None:
    seeded.log_dir.mkdir(parents=True, exist_ok=True)
    seeded.upload_log.write_text("\n".join(OLD_LINES) + "\n", encoding="utf-8")  # upgraded
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        old = await services.upload_log_tail(500, uploads.INITIAL)
        assert old == OLD_LINES
        await services.run_upload(UploadRequest(Mode.RUN, Schedule()))
        await services.run_upload(UploadRequest(Mode.RUN, Schedule(), upload=uploads.BULK_UPDATE))
        await services.save_group("LOGGED", "a change no upload owns", [1, 2])
        update_tail = await services.upload_log_tail(500, uploads.BULK_UPDATE)
        practice_tail = await services.upload_log_tail(500, None)
        paths = {u: services.upload_log_path(u) for u in (uploads.BULK_UPDATE, None)}
    finally:
        services.close()

    initial = seeded.upload_log.read_text(encoding="utf-8").splitlines()
    assert initial[: len(OLD_LINES)] == OLD_LINES  # the old lines are kept, in order
    new_initial = initial[len(OLD_LINES) :]
    assert any("Initial Upload - Run by Demo Administrator" in x for x in new_initial)
    assert not any("Bulk Update" in x or 'Group "LOGGED"' in x for x in new_initial)

    update = seeded.run_log(uploads.BULK_UPDATE).read_text(encoding="utf-8").splitlines()
    assert update == update_tail
    assert any("Bulk Update - Run by Demo Administrator" in x for x in update)
    assert any("Run finished (completed)" in x for x in update)
    assert not any("Initial Upload" in x for x in update)

    assert any('Group "LOGGED" saved' in x for x in practice_tail)
    assert paths == {
        uploads.BULK_UPDATE: str(seeded.log_dir / "bulk-update.log"),
        None: str(seeded.log_dir / "practice.log"),
    }
    for path in (seeded.run_log(uploads.BULK_UPDATE), seeded.run_log(None)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600  # logs are the owner's only

    # The JSON log's run lines name their upload too.
    events = [json.loads(x) for x in seeded.json_log.read_text(encoding="utf-8").splitlines()]
    created = [e for e in events if e.get("event") == "run_created"]
    assert [e.get("upload") for e in created] == ["initial", "bulk-update"]
