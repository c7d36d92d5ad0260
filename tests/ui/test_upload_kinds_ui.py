"""The five bulk uploads through the screens, against the real services (300 seeded patients,
the bundled simulator and its consent service, the simulated card): choose the upload with
Up/Down, its option, confirm, the SCR Upload window, on to "Process completed.", and each
upload's own counters on the Bulk Transmission screen (issue 14)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from textual.widgets import DataTable, Input, OptionList, Static

from scrtui.domain import uploads
from scrtui.domain.records import Bucket, Mode
from scrtui.domain.uploads import KINDS
from scrtui.store import consent_changes, queries
from scrtui.ui.modals.confirm import ConfirmModal
from scrtui.ui.modals.group_picker import GroupPickerModal
from scrtui.ui.modals.message import MessageModal
from scrtui.ui.modals.schedule import ScheduleModal
from scrtui.ui.screens.bulk import BulkTransmissionScreen
from scrtui.ui.screens.consent_changes import ConsentChangesScreen
from scrtui.ui.screens.front import FrontScreen
from scrtui.ui.screens.settings import SettingsScreen
from scrtui.ui.screens.upload import UploadScreen

from ..conftest import run_scrtui
from .conftest import make_app, screen_text, wait_for
from .real_services import PATIENTS, real_services

ORDER = list(KINDS)


def on(app, screen_type) -> bool:
    return isinstance(app.screen, screen_type)


def counters_line(bucket: Bucket, n: int) -> str:
    return f"{bucket.label:<14}{n:>8,}"


async def press_to(pilot, key: str, screen_type) -> None:
    """A key, then wait until it has led to `screen_type`."""
    await pilot.press(key)
    await wait_for(pilot, lambda: on(pilot.app, screen_type), what=screen_type.__name__)


async def open_bulk(pilot) -> None:
    await wait_for(pilot, lambda: on(pilot.app, FrontScreen), what="front screen")
    await press_to(pilot, "g", BulkTransmissionScreen)


async def choose_upload(pilot, upload: str) -> None:
    """Up/Down to the upload, as a user does; its status shows on the right."""
    listing = pilot.app.screen.query_one("#upload-list", OptionList)
    listing.focus()
    step = "down" if ORDER.index(upload) > (listing.highlighted or 0) else "up"
    while listing.highlighted != ORDER.index(upload):
        await pilot.press(step)
    title = pilot.app.screen.query_one("#options-title", Static)
    await wait_for(pilot, lambda: str(title.content) == KINDS[upload].label)


async def confirm(pilot, upload: str, mode: Mode = Mode.RUN, *, warned: bool = False) -> None:
    app = pilot.app
    await pilot.press({Mode.RUN: "r", Mode.FAILED: "f", Mode.RERUN: "e", Mode.RESUME: "u"}[mode])
    await wait_for(pilot, lambda: on(app, ConfirmModal), what="confirmation")
    dialog = app.screen
    assert dialog.dialog_title == KINDS[upload].title(mode)
    assert dialog.question == KINDS[upload].prompts[mode]
    assert bool(dialog.query("#warning")) is warned
    if warned:
        assert dialog.warning == uploads.CONSENT_FIRST_WARNING
    await pilot.press("y")
    await wait_for(pilot, lambda: on(app, ScheduleModal), what="SCR Upload form")
    assert app.screen.dialog_title.startswith("SCR Upload - ")
    if upload != uploads.INITIAL:
        assert KINDS[upload].label in app.screen.dialog_title


async def run_to_completion(pilot, upload: str) -> tuple[str, str]:
    """F2 in the window; the run ends with "Process completed." naming the upload. Returns
    that message and the running view's text under it."""
    app = pilot.app
    await pilot.press("f2")
    await wait_for(pilot, lambda: any(isinstance(s, UploadScreen) for s in app.screen_stack))
    await wait_for(
        pilot, lambda: not app.upload_running and on(app, MessageModal), timeout=60, what="end"
    )
    message = app.screen.text
    assert "Process completed." in message
    if upload != uploads.INITIAL:
        assert KINDS[upload].label in app.screen.dialog_title
    await press_to(pilot, "enter", UploadScreen)
    # The status bar follows the app's poll, which a loaded machine may run a moment later.
    ended = f"{KINDS[upload].label}: Stopped: completed"
    await wait_for(
        pilot,
        lambda: str(app.screen.query_one("#status-bar", Static).content).startswith(ended),
        what="the status bar's ending",
    )
    running_view = screen_text(app)
    await press_to(pilot, "c", BulkTransmissionScreen)
    return message, running_view


async def shows_counts_of(pilot, upload: str) -> dict[Bucket, int]:
    """The screen's counters are the upload's own (the database's, per upload)."""
    counts = queries.bucket_counts(upload)
    assert sum(counts.values()) == PATIENTS
    lines = [counters_line(b, n) for b, n in counts.items()]
    await wait_for(
        pilot,
        lambda: all(line in screen_text(pilot.app) for line in lines),
        what=f"{upload} counters",
    )
    return counts


async def test_consent_migration_then_the_initial_upload_warned_only_before(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path) as services:
        app = make_app(services, clock=datetime.now)
        async with app.run_test() as pilot:
            await open_bulk(pilot)
            # The Initial Upload's Run first: warned, and No (the default) goes back.
            await press_to(pilot, "r", ConfirmModal)
            assert app.screen.warning == uploads.CONSENT_FIRST_WARNING
            await press_to(pilot, "enter", BulkTransmissionScreen)

            await choose_upload(pilot, uploads.CONSENT_MIGRATION)
            assert "No consent migration has been run yet." in screen_text(app)
            await confirm(pilot, uploads.CONSENT_MIGRATION)
            await run_to_completion(pilot, uploads.CONSENT_MIGRATION)
            consent = await shows_counts_of(pilot, uploads.CONSENT_MIGRATION)
            assert consent[Bucket.SENT] > 0  # the seed has dissent: sent to the consent service
            assert consent[Bucket.NOT_REQUIRED] > 0  # the rest: no dissent (NR09)
            await shows_the_audit(pilot, tmp_path / "home")

            await choose_upload(pilot, uploads.INITIAL)
            await confirm(pilot, uploads.INITIAL)  # no warning now
            await run_to_completion(pilot, uploads.INITIAL)
            initial = await shows_counts_of(pilot, uploads.INITIAL)
            assert initial[Bucket.SENT] > 0
            assert queries.bucket_counts(uploads.CONSENT_MIGRATION) == consent  # its own


async def test_bulk_update_and_no_longer_contributing_after_the_initial_upload(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path) as services:
        app = make_app(services, clock=datetime.now)
        async with app.run_test() as pilot:
            await open_bulk(pilot)
            await confirm(pilot, uploads.INITIAL, warned=True)
            await run_to_completion(pilot, uploads.INITIAL)
            sent = queries.bucket_counts(uploads.INITIAL)[Bucket.SENT]

            await choose_upload(pilot, uploads.BULK_UPDATE)
            await confirm(pilot, uploads.BULK_UPDATE)
            await run_to_completion(pilot, uploads.BULK_UPDATE)
            update = await shows_counts_of(pilot, uploads.BULK_UPDATE)
            assert update[Bucket.SENT] == sent  # everyone this practice sent a summary

            pnlc = uploads.NO_LONGER_CONTRIBUTING
            await choose_upload(pilot, pnlc)
            assert "Available once GP Summary is off." in screen_text(app)
            await press_to(pilot, "r", MessageModal)
            assert "not available until GP Summary has been switched off" in app.screen.text
            await press_to(pilot, "escape", BulkTransmissionScreen)
            await switch_gp_summary_off(pilot)
            assert not services.settings.gp_summary_enabled
            await choose_upload(pilot, pnlc)
            assert "Available once" not in screen_text(app)
            await confirm(pilot, pnlc)
            await run_to_completion(pilot, pnlc)
            closing = await shows_counts_of(pilot, pnlc)
            assert closing[Bucket.SENT] == sent


async def test_bulk_deregistration_needs_a_group_and_takes_the_deduction_date(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path) as services:
        groups = await services.groups()
        chosen = groups[0]
        app = make_app(services, clock=datetime.now)
        async with app.run_test() as pilot:
            await open_bulk(pilot)
            await choose_upload(pilot, uploads.BULK_DEREGISTRATION)
            assert "Needs a patient group" in screen_text(app)
            await confirm(pilot, uploads.BULK_DEREGISTRATION)
            form = app.screen
            deducted = form.query_one("#upload-date", Input)
            assert deducted.value == f"{date.today():%d/%m/%Y}"  # today by default
            await pilot.press("f2")  # no group: refused in the window
            error = form.query_one("#schedule-error", Static)
            await wait_for(pilot, lambda: "needs a patient group" in str(error.content))
            assert app.screen is form
            deducted.value = "31/12/9999"  # a slip that would go into every summary
            await pilot.press("f2")
            await wait_for(pilot, lambda: "is in the future" in str(error.content))
            assert app.screen is form
            deducted.value = "15/04/2026"
            await press_to(pilot, "ctrl+g", GroupPickerModal)
            await pilot.press(*chosen.name.lower())
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.screen is form and form.group == chosen.name)
            message, running_view = await run_to_completion(pilot, uploads.BULK_DEREGISTRATION)
            counts = await shows_counts_of(pilot, uploads.BULK_DEREGISTRATION)
            # Nobody has a summary from this practice yet: all of the group is Not Required
            # (NR08), the others untouched.
            assert counts[Bucket.NOT_REQUIRED] == chosen.members
            # issue 22 bug 8: it says why nothing was sent, and the running view counts the
            # group (its Unprocessed is zero), not the practice's others.
            assert f"Nothing was sent: all {chosen.members} patients this run checked" in message
            assert "NR08 No GP Summary sent by this practice" in message
            assert counters_line(Bucket.UNPROCESSED, 0) in running_view
            assert counters_line(Bucket.NOT_REQUIRED, chosen.members) in running_view
            run = queries.last_run(uploads.BULK_DEREGISTRATION)
            assert run is not None and str(run.upload_date) == "2026-04-15"


async def shows_the_audit(pilot, home: Path) -> None:
    """Consent Migration's recoding, change by change: SCR tab > Consent Migration changes
    (c), and `scrtui report --upload consent-migration --changes` with the same rows."""
    app = pilot.app
    changes = consent_changes.change_rows()
    assert changes, "the seed has legacy codes and summaries without consent codes"
    await press_to(pilot, "escape", FrontScreen)
    await press_to(pilot, "c", ConsentChangesScreen)
    table = app.screen.query_one("#consent-table", DataTable)
    await wait_for(pilot, lambda: table.row_count == len(changes), what="the changes")
    first = [str(cell) for cell in table.get_row_at(0)]
    newest = changes[0]
    assert first[2:6] == [newest.before or "none", newest.after, "Demo Administrator",
                          newest.role_profile_id]  # fmt: skip
    assert first[0].replace(" ", "") == newest.nhs_number
    assert f"{len(changes):,} changes:" in screen_text(app)
    await press_to(pilot, "escape", FrontScreen)
    await press_to(pilot, "g", BulkTransmissionScreen)
    assert app.screen.upload == uploads.CONSENT_MIGRATION  # still the chosen upload

    done = run_scrtui(home, "report", "--upload", "consent-migration", "--changes")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "nhs_number,name,before,after,user,role_profile_id,at"
    assert len(lines) == len(changes) + 1
    refused = run_scrtui(home, "report", "--changes")
    assert refused.returncode == 2 and "--upload consent-migration" in refused.stderr


async def switch_gp_summary_off(pilot) -> None:
    """SCR > Settings, F5: the prompt says Practice No Longer Contributing becomes available;
    Yes, then back to Bulk Transmission."""
    app = pilot.app
    await press_to(pilot, "escape", FrontScreen)
    await press_to(pilot, "s", SettingsScreen)
    await press_to(pilot, "f5", ConfirmModal)
    assert "Practice No Longer Contributing to SCR becomes available" in app.screen.detail
    await pilot.press("y")
    await wait_for(pilot, lambda: on(app, MessageModal), what="switched off")
    await press_to(pilot, "enter", SettingsScreen)
    await press_to(pilot, "escape", FrontScreen)
    await press_to(pilot, "g", BulkTransmissionScreen)
