"""Screenshots (SVG) of the after-upload screens and dialogs at 80x24: SCR Reporter, Patient
Groups, Settings with the Enable GP Summary prompts, and the upload log; from fixed in-memory
services (tests/ui/fake_after_upload.py) and a fixed clock. Update with --snapshot-update."""

from __future__ import annotations

from scrtui.services import CardState
from scrtui.ui.modals.choices import ConfirmOnModal, ContinueModal, OverwriteModal
from scrtui.ui.modals.group_form import GroupFormModal
from scrtui.ui.modals.message import MessageModal
from scrtui.ui.screens.consent_changes import ConsentChangesScreen
from scrtui.ui.screens.front import FrontScreen
from scrtui.ui.screens.groups import GroupMembersScreen, GroupsScreen
from scrtui.ui.screens.log_viewer import LogScreen
from scrtui.ui.screens.reporter import ReporterScreen
from scrtui.ui.screens.settings import SettingsScreen
from scrtui.ui.widgets.patient_table import PatientTable

from .conftest import LINUX_CONSOLE, make_app, wait_for
from .fake_after_upload import FakeAfterUpload
from .fake_services import GP, FakeCard

SIZE = (80, 24)


def on(app, screen_type) -> bool:
    return isinstance(app.screen, screen_type) and app.screen.is_mounted


def snap(snap_compare, fake: FakeAfterUpload, run_before, *, environ=None) -> bool:
    return snap_compare(make_app(fake, environ=environ), terminal_size=SIZE, run_before=run_before)


async def open_tool(pilot, key: str, screen_type) -> None:
    await wait_for(pilot, lambda: on(pilot.app, FrontScreen))
    await pilot.press(key)
    await wait_for(pilot, lambda: on(pilot.app, screen_type))
    for table in pilot.app.screen.query(PatientTable):
        await wait_for(pilot, lambda t=table: not t.view_pending and not t.loading_page)
    await pilot.pause()


async def reporter(pilot) -> None:
    await open_tool(pilot, "r", ReporterScreen)


async def settle(pilot, screen_type) -> None:
    await wait_for(pilot, lambda: on(pilot.app, screen_type))
    await pilot.pause()


# ----- SCR Reporter --------------------------------------------------------------------------


def test_reporter_failed_with_marks(snap_compare) -> None:
    async def marked(pilot) -> None:
        await reporter(pilot)
        await pilot.press("space", "space", "down")
        await pilot.pause()

    assert snap(snap_compare, FakeAfterUpload(), marked)


def test_reporter_not_required_by_reason_searching(snap_compare) -> None:
    async def searched(pilot) -> None:
        await reporter(pilot)
        await pilot.press("f6", "ctrl+o", "slash", *"smith")
        screen = pilot.app.screen
        await wait_for(pilot, lambda: screen.search == "smith" and not screen.table.view_pending)
        await pilot.pause()

    assert snap(snap_compare, FakeAfterUpload(), searched)


def test_reporter_save_to_group_dialog(snap_compare) -> None:
    async def dialog(pilot) -> None:
        await reporter(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: bool(pilot.app.screen.marks))
        await pilot.press("g")
        await settle(pilot, GroupFormModal)
        await pilot.press(*"FIXED0501", "tab", *"ACF rejections, fixed at the Spine")

    assert snap(snap_compare, FakeAfterUpload(), dialog)


def test_reporter_group_name_in_use(snap_compare) -> None:
    async def in_use(pilot) -> None:
        await reporter(pilot)
        await pilot.press("space", "g")
        await settle(pilot, GroupFormModal)
        await pilot.press(*"FIXED0501", "f2")
        await settle(pilot, OverwriteModal)

    assert snap(snap_compare, FakeAfterUpload(), in_use)


def test_reporter_group_saved(snap_compare) -> None:
    async def saved(pilot) -> None:
        await reporter(pilot)
        await pilot.press("space", "space", "g")
        await settle(pilot, GroupFormModal)
        await pilot.press(*"NEWFIX", "f2")
        await settle(pilot, MessageModal)

    assert snap(snap_compare, FakeAfterUpload(), saved)


def test_reporter_export(snap_compare) -> None:
    async def exported(pilot) -> None:
        await reporter(pilot)
        await pilot.press("x")
        await settle(pilot, MessageModal)

    assert snap(snap_compare, FakeAfterUpload(), exported)


def test_console_reporter(snap_compare) -> None:
    async def console(pilot) -> None:
        await reporter(pilot)
        await pilot.press("f12", "space")
        await wait_for(pilot, lambda: pilot.app.screen.bucket == "all")
        await wait_for(pilot, lambda: not pilot.app.screen.table.view_pending)
        await pilot.pause()

    assert snap(snap_compare, FakeAfterUpload(), console, environ=LINUX_CONSOLE)


# ----- Patient Groups ------------------------------------------------------------------------


def test_patient_groups(snap_compare) -> None:
    async def groups(pilot) -> None:
        await open_tool(pilot, "p", GroupsScreen)
        await pilot.press("end")
        await pilot.pause()

    assert snap(snap_compare, FakeAfterUpload(), groups)


def test_group_members(snap_compare) -> None:
    async def members(pilot) -> None:
        await open_tool(pilot, "p", GroupsScreen)
        await pilot.press("end", "v")
        await settle(pilot, GroupMembersScreen)
        table = pilot.app.screen.query_one(PatientTable)
        await wait_for(pilot, lambda: table.total and not table.view_pending)
        await pilot.pause()

    assert snap(snap_compare, FakeAfterUpload(), members)


def test_new_group_from_a_file_with_problems(snap_compare) -> None:
    async def problems(pilot) -> None:
        await open_tool(pilot, "p", GroupsScreen)
        await pilot.press("n")
        await settle(pilot, GroupFormModal)
        await pilot.press(*"REGISTER", "tab", *"From the practice register", "tab")
        await pilot.press(*"/home/admin/bad.txt", "f2")
        await wait_for(pilot, lambda: "Nothing was saved" in pilot.app.screen.error_text)
        await pilot.pause()

    assert snap(snap_compare, FakeAfterUpload(), problems)


# ----- Settings ------------------------------------------------------------------------------


def test_settings(snap_compare) -> None:
    async def settings(pilot) -> None:
        await open_tool(pilot, "s", SettingsScreen)

    assert snap(snap_compare, FakeAfterUpload(), settings)


def test_settings_read_only_without_b0062(snap_compare) -> None:
    fake = FakeAfterUpload(card=FakeCard(roles=(GP,), role_id=GP.role_profile_id))

    async def read_only(pilot) -> None:
        await open_tool(pilot, "s", SettingsScreen)

    assert snap(snap_compare, fake, read_only)


def test_settings_invalid_value(snap_compare) -> None:
    async def invalid(pilot) -> None:
        await open_tool(pilot, "s", SettingsScreen)
        pilot.app.screen.query_one("#concurrency").focus()
        await pilot.press("ctrl+u", *"500", "f2")
        await pilot.pause()

    assert snap(snap_compare, FakeAfterUpload(), invalid)


def _gp_off() -> FakeAfterUpload:
    fake = FakeAfterUpload()
    fake.settings = fake.settings.__class__(card_backend="simulated", gp_summary_enabled=False)
    return fake


def test_enable_gp_summary_first_prompt(snap_compare) -> None:
    async def first(pilot) -> None:
        await open_tool(pilot, "s", SettingsScreen)
        await pilot.press("f5")
        await settle(pilot, ContinueModal)

    assert snap(snap_compare, _gp_off(), first)


def test_enable_gp_summary_second_prompt(snap_compare) -> None:
    async def second(pilot) -> None:
        await open_tool(pilot, "s", SettingsScreen)
        await pilot.press("f5")
        await settle(pilot, ContinueModal)
        await pilot.press("y")
        await settle(pilot, ConfirmOnModal)

    assert snap(snap_compare, _gp_off(), second)


def test_enable_gp_summary_done(snap_compare) -> None:
    async def done(pilot) -> None:
        await open_tool(pilot, "s", SettingsScreen)
        await pilot.press("f5")
        await settle(pilot, ContinueModal)
        await pilot.press("y")
        await settle(pilot, ConfirmOnModal)
        await pilot.press("y")
        await settle(pilot, MessageModal)

    assert snap(snap_compare, _gp_off(), done)


# ----- the upload log ------------------------------------------------------------------------


def test_upload_log(snap_compare) -> None:
    async def log(pilot) -> None:
        await open_tool(pilot, "l", LogScreen)
        await wait_for(pilot, lambda: len(pilot.app.screen.query_one("#upload-log").lines) > 4)
        await pilot.pause()

    assert snap(snap_compare, FakeAfterUpload(), log)


def test_console_upload_log_card_removed(snap_compare) -> None:
    fake = FakeAfterUpload()
    fake.card.state = CardState.LOCKED

    async def log(pilot) -> None:
        await open_tool(pilot, "l", LogScreen)
        await wait_for(pilot, lambda: len(pilot.app.screen.query_one("#upload-log").lines) > 4)
        await pilot.pause()

    assert snap(snap_compare, fake, log, environ=LINUX_CONSOLE)


def test_consent_migration_changes(snap_compare) -> None:
    async def changes(pilot) -> None:
        await wait_for(pilot, lambda: on(pilot.app, FrontScreen))
        await pilot.press("c")
        await wait_for(pilot, lambda: on(pilot.app, ConsentChangesScreen))
        table = pilot.app.screen.query_one("#consent-table")
        await wait_for(pilot, lambda: table.row_count == 3)

    assert snap(snap_compare, FakeAfterUpload(), changes)


# ----- the go-live preview and the completion report (issue 24) ------------------------------


async def preview_would_not_send(pilot) -> None:
    from scrtui.ui.modals.group_picker import GroupPickerModal
    from scrtui.ui.screens.bulk import BulkTransmissionScreen
    from scrtui.ui.screens.preview import PreviewScreen

    await open_tool(pilot, "g", BulkTransmissionScreen)
    await pilot.press("p")
    await settle(pilot, GroupPickerModal)
    await pilot.press("enter")
    await wait_for(pilot, lambda: on(pilot.app, PreviewScreen) and pilot.app.screen.result)
    await pilot.press("f6")
    screen = pilot.app.screen
    await wait_for(
        pilot, lambda: screen.bucket == "would_not_send" and not screen.table.view_pending
    )
    await pilot.pause()


async def completion_report(pilot) -> None:
    from scrtui.ui.screens.bulk import BulkTransmissionScreen
    from scrtui.ui.screens.completion import CompletionReportScreen

    await open_tool(pilot, "g", BulkTransmissionScreen)
    await pilot.press("c")
    await wait_for(
        pilot, lambda: on(pilot.app, CompletionReportScreen) and pilot.app.screen.has_report
    )
    await pilot.pause()


def test_preview_would_not_send(snap_compare) -> None:
    assert snap(snap_compare, FakeAfterUpload(), preview_would_not_send)


def test_completion_report(snap_compare) -> None:
    assert snap(snap_compare, FakeAfterUpload(), completion_report)


def test_console_preview_would_not_send(snap_compare) -> None:
    assert snap(snap_compare, FakeAfterUpload(), preview_would_not_send, environ=LINUX_CONSOLE)
