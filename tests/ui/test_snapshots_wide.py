"""Screenshots at 120x40 of the screens issue 13 changed (the 80x24 ones are in
test_snapshots.py and test_snapshots_after_upload.py): the reporter's columns use the width,
the All view has the bucket, F11 counts per reason, and F1 opens at the calling section."""

from __future__ import annotations

from scrtui.ui.screens.bulk import BulkTransmissionScreen
from scrtui.ui.screens.consent_changes import ConsentChangesScreen
from scrtui.ui.screens.front import FrontScreen
from scrtui.ui.screens.help import HelpScreen
from scrtui.ui.screens.reporter import ReporterScreen

from .conftest import make_app, wait_for
from .fake_after_upload import FakeAfterUpload
from .test_snapshots_after_upload import on, reporter

WIDE = (120, 40)


def wide(snap_compare, run_before) -> bool:
    return snap_compare(make_app(FakeAfterUpload()), terminal_size=WIDE, run_before=run_before)


def test_wide_reporter_not_required(snap_compare) -> None:
    async def not_required(pilot) -> None:
        await reporter(pilot)
        await pilot.press("f6")
        await wait_for(pilot, lambda: pilot.app.screen.bucket == "not_required")
        await wait_for(pilot, lambda: not pilot.app.screen.table.view_pending)
        await pilot.pause()

    assert wide(snap_compare, not_required)


def test_wide_reporter_all_with_the_bucket_column(snap_compare) -> None:
    async def everyone(pilot) -> None:
        await reporter(pilot)
        await pilot.press("f12")
        await wait_for(pilot, lambda: pilot.app.screen.bucket == "all")
        await wait_for(pilot, lambda: not pilot.app.screen.table.view_pending)
        await pilot.pause()

    assert wide(snap_compare, everyone)


def test_wide_reporter_counts_per_reason(snap_compare) -> None:
    async def by_reason(pilot) -> None:
        await reporter(pilot)
        await pilot.press("f11")
        await wait_for(pilot, lambda: not on(pilot.app, ReporterScreen))
        await pilot.pause()

    assert wide(snap_compare, by_reason)


def test_wide_help_opens_at_the_reporter_section(snap_compare) -> None:
    async def help_here(pilot) -> None:
        await reporter(pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: on(pilot.app, HelpScreen))
        await pilot.pause()

    assert wide(snap_compare, help_here)


def test_wide_bulk_transmission_consent_migration_chosen(snap_compare) -> None:
    async def consent(pilot) -> None:
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, FrontScreen))
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, BulkTransmissionScreen))
        await pilot.press("down", "down")
        await wait_for(pilot, lambda: pilot.app.screen.upload == "consent-migration")

    assert wide(snap_compare, consent)


def test_wide_consent_migration_changes(snap_compare) -> None:
    async def changes(pilot) -> None:
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, FrontScreen))
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConsentChangesScreen))
        table = pilot.app.screen.query_one("#consent-table")
        await wait_for(pilot, lambda: table.row_count == 3)

    assert wide(snap_compare, changes)


def test_wide_preview_would_not_send(snap_compare) -> None:
    from .test_snapshots_after_upload import preview_would_not_send

    assert wide(snap_compare, preview_would_not_send)


def test_wide_completion_report(snap_compare) -> None:
    from .test_snapshots_after_upload import completion_report

    assert wide(snap_compare, completion_report)
