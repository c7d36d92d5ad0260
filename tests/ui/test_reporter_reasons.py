"""The SCR Reporter at 80x24 against the real services (issue 22): the screen says which
upload's outcomes it shows and how to see another's, F11 narrows the list to one reason (and
marks, the saved group and the export follow it), a bucket's key or F11's first line clears
it, the Reason column is wide enough to read, and Space marks and moves (F1 says so)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import OptionList

from scrtui.domain import uploads
from scrtui.domain.records import Bucket
from scrtui.services import ReasonFilter
from scrtui.ui.keys import KEY_SECTIONS
from scrtui.ui.modals.group_form import GroupFormModal
from scrtui.ui.modals.message import MessageModal
from scrtui.ui.modals.reason_picker import NO_FILTER, ReasonPickerModal
from scrtui.ui.screens.reporter import ReporterScreen
from scrtui.ui.widgets.patient_table import PatientTable

from .conftest import wait_for
from .real_services import real_services
from .test_after_upload import on, open_tool, real_app, reporter, table_ready, text_of


async def choose_reason(pilot, code: str | None) -> None:
    """F11, then Down to the line of `code` (None: the first line, no filter), then Enter."""
    app = pilot.app
    await pilot.press("f11")
    await wait_for(pilot, lambda: on(app, ReasonPickerModal), what="the reasons")
    listing = app.screen.query_one(OptionList)
    lines = [str(listing.get_option_at_index(i).prompt) for i in range(listing.option_count)]
    wanted = 0 if code is None else next(i for i, x in enumerate(lines) if f"  {code} " in x)
    if code is None:
        assert lines[0] == NO_FILTER
    while listing.highlighted != wanted:
        await pilot.press("down" if (listing.highlighted or 0) < wanted else "up")
    await pilot.press("enter")
    await wait_for(pilot, lambda: on(app, ReporterScreen) and table_ready(app), what="the view")


async def test_f11_filters_the_list_to_one_reason_and_clears_it(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path) as services:
        from .test_after_upload import run_with_rejections

        await run_with_rejections(services)
        counts = await services.reason_counts()
        # The Not Required reason with the most patients that is not the only one.
        chosen = next(c for c in counts if c.bucket is Bucket.NOT_REQUIRED and c.reason_code)
        everyone_nr = await services.report_count(Bucket.NOT_REQUIRED)
        assert everyone_nr > chosen.patients > 1
        app = real_app(services)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_tool(pilot, "r", ReporterScreen)
            screen = reporter(app)
            assert screen.bucket == "failed"

            await choose_reason(pilot, chosen.reason_code)
            assert screen.reason == ReasonFilter(
                Bucket.NOT_REQUIRED, chosen.reason_code, chosen.reason_text
            )
            assert screen.bucket == "not_required"
            assert screen.table.total == chosen.patients
            assert {r.reason_code for r in screen.table.rows_loaded} == {chosen.reason_code}
            assert text_of(app, "#report-info").startswith(
                f"Not Required, reason {chosen.reason_code}: {chosen.patients} patients"
            )
            assert text_of(app, "#report-upload") == (
                f"Only Not Required with reason {chosen.reason_code}: F11 another reason or the "
                "whole bucket"
            )

            # `a` marks the reason's patients only; they go to a group together.
            await pilot.press("a")
            await wait_for(pilot, lambda: len(screen.marks) == chosen.patients)
            await pilot.press("g")
            await wait_for(pilot, lambda: on(app, GroupFormModal))
            await pilot.press(*"ONEREASON", "f2")
            await wait_for(pilot, lambda: on(app, MessageModal))
            await pilot.press("enter")
            await wait_for(pilot, lambda: on(app, ReporterScreen))
            members = await services.group_members("ONEREASON")
            assert {m.patient_id for m in members} == {
                r.patient_id for r in screen.table.rows_loaded
            }

            # x exports the reason's patients only.
            await pilot.press("x")
            await wait_for(pilot, lambda: on(app, MessageModal))
            path = Path(next(x for x in app.screen.text.splitlines() if x.endswith(".csv")))
            rows = path.read_text(encoding="utf-8").splitlines()[1:]
            assert len(rows) == chosen.patients
            assert all(f",not_required,{chosen.reason_code}," in row for row in rows)
            await pilot.press("enter")
            await wait_for(pilot, lambda: on(app, ReporterScreen))

            # F11's first line: the whole bucket again.
            await choose_reason(pilot, None)
            assert screen.reason is None and screen.bucket == "not_required"
            assert screen.table.total == everyone_nr

            # A bucket's key clears a filter too.
            await choose_reason(pilot, chosen.reason_code)
            assert screen.table.total == chosen.patients
            await pilot.press("f6")
            await wait_for(pilot, lambda: table_ready(app) and screen.reason is None)
            assert screen.table.total == everyone_nr

            # Escape in the list leaves the view as it was.
            await pilot.press("f11")
            await wait_for(pilot, lambda: on(app, ReasonPickerModal))
            await pilot.press("escape")
            await wait_for(pilot, lambda: on(app, ReporterScreen))
            assert screen.reason is None and screen.table.total == everyone_nr


async def test_the_reporter_names_its_upload_and_how_to_change_it(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path) as services:
        app = real_app(services)
        async with app.run_test(size=(80, 24)) as pilot:
            app.choose_upload(uploads.CONSENT_MIGRATION)
            await open_tool(pilot, "r", ReporterScreen)
            screen = reporter(app)
            assert text_of(app, "#report-title") == (
                "SCR Reporter - Consent Migration - each patient's outcome"
            )
            assert text_of(app, "#report-upload") == (
                "The upload chosen on GP Summary Bulk Transmission; ^T: the next upload"
            )
            await pilot.press("ctrl+t")
            await wait_for(pilot, lambda: screen.upload == uploads.BULK_DEREGISTRATION)
            assert text_of(app, "#report-title").startswith("SCR Reporter - Bulk Deregistration")
            assert text_of(app, "#report-upload") == (
                "^T: the next upload (Practice No Longer Contributing to SCR)"
            )


async def test_a_reason_reads_whole_in_its_column_at_80_columns(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path) as services:
        from .test_after_upload import run_with_rejections

        await run_with_rejections(services)
        app = real_app(services)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_tool(pilot, "r", ReporterScreen)
            await pilot.press("f6")
            screen = reporter(app)
            await wait_for(pilot, lambda: table_ready(app) and screen.bucket == "not_required")
            table = app.screen.query_one(PatientTable)
            assert table.widths["reason"] >= 36
            cells = [str(table.get_row_at(i)[3]) for i in range(table.row_count)]
            assert "NR02 Invalid or old-style NHS number" in cells


def test_f1_says_space_marks_and_moves_and_f11_filters() -> None:
    keys = dict(next(rows for name, rows in KEY_SECTIONS if name == "SCR Reporter"))
    assert "move to the next" in keys["Space"]
    assert "lists only its patients" in keys["F11"]
