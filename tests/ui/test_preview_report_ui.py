"""The go-live preview and the completion report as the administrator reaches them, driven by
keys against the real services (a seeded practice, the simulator and its PDS, the card)."""

from __future__ import annotations

from pathlib import Path

from scrtui.domain.preview import Verdict
from scrtui.domain.records import Bucket
from scrtui.ui.modals.confirm import ConfirmModal
from scrtui.ui.modals.finished import FinishedModal
from scrtui.ui.modals.group_picker import GroupPickerModal
from scrtui.ui.modals.message import MessageModal
from scrtui.ui.modals.schedule import ScheduleModal
from scrtui.ui.screens.bulk import BulkTransmissionScreen
from scrtui.ui.screens.completion import CompletionReportScreen
from scrtui.ui.screens.preview import PreviewScreen

from .conftest import wait_for
from .real_services import real_services
from .test_after_upload import control, first_numbers, on, open_tool, real_app, stats, text_of


def preview_ready(app) -> bool:
    if not on(app, PreviewScreen) or app.screen.result is None:
        return False
    table = app.screen.table
    return not table.view_pending and not table.loading_page


async def test_preview_from_bulk_transmission_then_the_run_sends_the_would_send_set(
    seeded_home: Path, tmp_path: Path
):
    async with real_services(seeded_home, tmp_path) as services:
        numbers = await first_numbers(services, 40)
        await control(services, pds_records={n: {"not_found": True} for n in numbers[:5]})
        before = await services.overview()
        app = real_app(services)
        async with app.run_test() as pilot:
            await open_tool(pilot, "g", BulkTransmissionScreen)
            await pilot.press("p")
            await wait_for(pilot, lambda: on(app, GroupPickerModal))
            await pilot.press("enter")  # all patients
            await wait_for(pilot, lambda: preview_ready(app), timeout=60)
            screen = app.screen
            assert isinstance(screen, PreviewScreen)
            assert text_of(app, "#report-title") == (
                "Initial Upload - Preview of Run: nothing is sent"
            )
            result = screen.result
            assert result is not None and result.pds_checked
            assert screen.table.total == result.counts[Verdict.SEND]
            assert f"F5 Send {result.counts[Verdict.SEND]}" in text_of(app, "#bucket-bar")
            # Would not send, with the PDS reason for the five PDS does not know.
            await pilot.press("f6")
            await wait_for(pilot, lambda: preview_ready(app) and screen.bucket == "would_not_send")
            assert screen.table.total == result.counts[Verdict.NOT_SEND]
            not_found = [r for r in result.rows if r.reason_code == "NR11"]
            assert len(not_found) >= 1
            digits = not_found[0].nhs_number
            await pilot.press("slash", *digits, "enter")
            await wait_for(pilot, lambda: screen.search == digits and preview_ready(app))
            assert screen.table.total == 1
            assert text_of(app, "#report-detail").splitlines()[1].startswith("NR11")
            # Save to a group and export, as the reporter does.
            await pilot.press("x")
            await wait_for(pilot, lambda: on(app, MessageModal))
            exported = next((tmp_path / "home" / "exports").glob("scr-preview-initial-run-*"))
            assert digits in exported.read_text()
            await pilot.press("enter")
            await wait_for(pilot, lambda: on(app, PreviewScreen))
            await pilot.press("f11")
            await wait_for(pilot, lambda: on(app, MessageModal))
            assert "NR11" in app.screen.text
            await pilot.press("enter")
            # Nothing was sent or changed by the preview.
            assert (await services.overview()).counts == before.counts
            assert (await stats(services))["accepted"] == 0
            await wait_for(pilot, lambda: on(app, PreviewScreen))
            await pilot.press("escape")
            await wait_for(pilot, lambda: on(app, BulkTransmissionScreen))
            # The Run that follows sends exactly the Would send patients.
            await pilot.press("r")
            await wait_for(pilot, lambda: on(app, ConfirmModal))
            await pilot.press("y")
            await wait_for(pilot, lambda: on(app, ScheduleModal))
            await pilot.press("f2")
            await wait_for(
                pilot, lambda: not app.upload_running and on(app, FinishedModal), timeout=60
            )
            sent = await services.report_page(Bucket.SENT, "", "nhs", 0, 1000)
            assert {r.patient_id for r in sent} == result.would_send_ids()

            # From the completion message, r: the run's Completion Report.
            await pilot.press("r")
            await wait_for(pilot, lambda: on(app, CompletionReportScreen) and app.screen.has_report)
            report = text_of(app, "#completion-text")
            assert report.startswith("Completion report: Initial Upload - Run")
            assert "Run by        Demo Administrator, SDS user id 555000000001" in report
            assert "Demo Practice (A12345)" in report
            assert f"  Sent         {len(sent):>10,}" in report
            assert "no clinical content" in report
            await pilot.press("x")
            await wait_for(pilot, lambda: on(app, MessageModal))
            exports = tmp_path / "home" / "exports"
            assert {p.suffix for p in exports.glob("scr-completion-initial-run*")} == {
                ".html",
                ".csv",
                ".json",
            }


async def test_the_completion_report_from_bulk_transmission_before_any_run_says_so(
    seeded_home: Path, tmp_path: Path
):
    async with real_services(seeded_home, tmp_path) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await open_tool(pilot, "g", BulkTransmissionScreen)
            await pilot.press("c")
            await wait_for(
                pilot,
                lambda: (
                    on(app, CompletionReportScreen)
                    and "has not been run yet" in text_of(app, "#completion-text")
                ),
            )
            assert text_of(app, "#completion-title").startswith("Completion Report - Initial")
            await pilot.press("ctrl+t")
            await wait_for(pilot, lambda: "Bulk Update" in text_of(app, "#completion-title"))
