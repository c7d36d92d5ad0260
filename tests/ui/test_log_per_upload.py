"""The upload log screen shows the run log of the upload chosen on the Bulk Transmission
screen, and ctrl+t goes through every upload's log and the practice log (issue 22)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import RichLog

from scrtui.domain import uploads
from scrtui.domain.records import Mode
from scrtui.domain.schedule import Schedule
from scrtui.services import UploadRequest
from scrtui.ui.screens.log_viewer import LogScreen

from .conftest import wait_for
from .real_services import real_services
from .test_after_upload import open_tool, real_app, text_of


def shown(app) -> str:
    return "\n".join(str(line.text) for line in app.screen.query_one(RichLog).lines)


async def test_the_log_screen_opens_on_the_chosen_uploads_log_and_ctrl_t_goes_on(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path) as services:
        await services.run_upload(UploadRequest(Mode.RUN, Schedule()))
        await services.run_upload(UploadRequest(Mode.RUN, Schedule(), upload=uploads.BULK_UPDATE))
        await services.save_group("LOGGED", "a change no upload owns", [1])
        logs = tmp_path / "home" / "logs"
        app = real_app(services)
        async with app.run_test(size=(80, 24)) as pilot:
            app.choose_upload(uploads.BULK_UPDATE)
            await open_tool(pilot, "l", LogScreen)
            await wait_for(pilot, lambda: "Bulk Update - Run" in shown(app), what="its lines")
            assert text_of(app, "#log-title") == "Upload log - Bulk Update"
            assert text_of(app, "#log-path") == str(logs / "bulk-update.log")
            assert "Initial Upload - Run" not in shown(app)

            await pilot.press("ctrl+t")  # Consent Migration: never run here
            await wait_for(pilot, lambda: "Empty until this upload" in text_of(app, "#log-info"))
            assert text_of(app, "#log-title") == "Upload log - Consent Migration"
            assert text_of(app, "#log-path") == str(logs / "consent-migration.log")
            assert shown(app) == ""
            assert text_of(app, "#log-info") == (
                "Empty until this upload runs; older runs are in the Initial Upload's log."
            )

            await pilot.press("ctrl+t", "ctrl+t", "ctrl+t")  # past the last upload
            await wait_for(pilot, lambda: 'Group "LOGGED" saved' in shown(app), what="practice")
            assert text_of(app, "#log-title") == (
                "Upload log - Practice changes (settings, patient groups)"
            )
            assert text_of(app, "#log-path") == str(logs / "practice.log")

            await pilot.press("ctrl+t")  # round to the Initial Upload's
            await wait_for(pilot, lambda: "Initial Upload - Run" in shown(app), what="initial")
            assert text_of(app, "#log-path") == str(logs / "initial-upload.log")
            assert "Bulk Update" not in shown(app)
