"""PDS synchronisation as the administrator sees it (real services, the simulator's PDS): the
SCR Reporter shows a mismatch's fields with both values, and the Bulk Transmission screen warns
while the synchronisation is switched off."""

from __future__ import annotations

from pathlib import Path

from scrtui.domain.records import Bucket, Mode
from scrtui.domain.schedule import Schedule
from scrtui.services import UploadRequest
from scrtui.ui import text as t
from scrtui.ui.screens.bulk import BulkTransmissionScreen
from scrtui.ui.screens.reporter import ReporterScreen

from .conftest import wait_for
from .real_services import real_services
from .test_after_upload import (
    control,
    first_numbers,
    on,
    open_tool,
    real_app,
    reporter,
    table_ready,
    text_of,
)


async def test_the_reporter_shows_a_pds_mismatch_with_both_values(
    seeded_home: Path, tmp_path: Path
):
    async with real_services(seeded_home, tmp_path) as services:
        numbers = await first_numbers(services, 24)
        records = {n: {"surname": "Pdsname"} for n in numbers[:12]}
        records |= {n: {"forename": "Zed", "postcode": "ZZ99 9ZZ"} for n in numbers[12:]}
        await control(services, pds_records=records)
        await services.run_upload(UploadRequest(Mode.RUN, Schedule()))
        rows = await services.report_page(Bucket.NOT_REQUIRED, "", "reason", 0, 400)
        mismatch = next(r for r in rows if r.reason_code == "NR10" and "surname" in r.reason_text)
        two_fields = next(
            r for r in rows if r.reason_code == "NR10" and "postcode" in r.reason_text
        )
        surname = mismatch.name.split(",")[0]
        app = real_app(services)
        async with app.run_test() as pilot:
            await open_tool(pilot, "r", ReporterScreen)
            await pilot.press("f6")  # Not Required
            await wait_for(
                pilot, lambda: table_ready(app) and reporter(app).bucket == "not_required"
            )
            digits = mismatch.nhs_number.replace(" ", "")
            await pilot.press("slash", *digits, "enter")
            await wait_for(pilot, lambda: reporter(app).search == digits and table_ready(app))
            detail = text_of(app, "#report-detail").splitlines()
            assert detail[0].startswith(mismatch.nhs_number) and "never sent" in detail[0]
            assert detail[1] == f"NR10 PDS mismatch: surname (practice {surname}, PDS Pdsname)"
            # Two fields are longer than 80 columns: the detail wraps, so both values show.
            digits = two_fields.nhs_number.replace(" ", "")
            await pilot.press("slash", "ctrl+u", *digits, "enter")
            await wait_for(pilot, lambda: reporter(app).search == digits and table_ready(app))
            await pilot.pause()
            box = app.screen.query_one("#report-detail")
            assert box.size.height >= 3 and box.size.width <= 80
            assert text_of(app, "#report-detail").endswith("PDS ZZ99 9ZZ)")


async def test_bulk_transmission_warns_while_pds_synchronisation_is_off(
    seeded_home: Path, tmp_path: Path
):
    async with real_services(seeded_home, tmp_path, pds_sync=False) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await open_tool(pilot, "g", BulkTransmissionScreen)
            assert t.PDS_OFF_WARNING in text_of(app, "#bulk-status")
            assert on(app, BulkTransmissionScreen)
