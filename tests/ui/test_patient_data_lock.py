"""Patient data with the card out (issue 22 bug 3): the SCR Reporter, a group's members and
Consent Migration's changes hide their content and refuse their keys (export first) while
no smartcard session is open, and come back when the card is logged in again. Real
services, the simulated card taken out and put back with F4 as a user does."""

from __future__ import annotations

from pathlib import Path

from textual.containers import Vertical
from textual.widgets import Static

from scrtui.ui.modals.login import PasscodeModal
from scrtui.ui.modals.message import MessageModal
from scrtui.ui.screens.consent_changes import ConsentChangesScreen
from scrtui.ui.screens.groups import GroupMembersScreen, GroupsScreen
from scrtui.ui.screens.patient_data import LOCKED_TEXT
from scrtui.ui.screens.reporter import ReporterScreen
from scrtui.ui.widgets.patient_table import PatientTable

from .conftest import wait_for
from .real_services import real_services
from .test_after_upload import on, open_tool, real_app, table_ready


def hidden(app) -> bool:
    screen = app.screen
    return (
        not screen.query_one("#body", Vertical).display
        and screen.query_one("#patient-lock", Static).display
    )


async def log_in_again(pilot, screen_type) -> None:
    app = pilot.app
    await pilot.press("f4")  # the card back in: the passcode dialog opens
    await wait_for(pilot, lambda: on(app, PasscodeModal) and bool(app.screen.query("#passcode")))
    await pilot.press(*"1234", "enter")
    await wait_for(pilot, lambda: on(app, screen_type), what=screen_type.__name__)


async def test_the_reporter_hides_patients_and_refuses_export_while_the_card_is_out(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await open_tool(pilot, "r", ReporterScreen)
            await pilot.press("f12")  # every patient
            await wait_for(pilot, lambda: table_ready(app) and app.screen.bucket == "all")
            assert app.screen.query_one(PatientTable).total > 0 and not hidden(app)
            await pilot.press("f4")  # the card out
            await wait_for(pilot, lambda: on(app, ReporterScreen) and hidden(app), what="lock")
            assert str(app.screen.query_one("#patient-lock", Static).content) == LOCKED_TEXT
            for action in ("export", "save_group", "mark_all", "search", "bucket"):
                assert app.screen.check_action(action, ()) is False, action
            await pilot.press("x", "f12", "a")
            await pilot.pause()
            assert not on(app, MessageModal)  # no export, no "marked" note
            assert not list((tmp_path / "home" / "exports").glob("*.csv"))
            await log_in_again(pilot, ReporterScreen)
            await wait_for(pilot, lambda: not hidden(app), what="patients shown again")
            assert app.screen.check_action("export", ()) is True


async def test_members_and_consent_changes_are_hidden_without_a_session(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await open_tool(pilot, "p", GroupsScreen)
            await pilot.press("v")  # the first group's members
            await wait_for(pilot, lambda: on(app, GroupMembersScreen), what="members")
            assert not hidden(app)
            await pilot.press("f4")
            await wait_for(pilot, lambda: on(app, GroupMembersScreen) and hidden(app))
            await log_in_again(pilot, GroupMembersScreen)
            await wait_for(pilot, lambda: not hidden(app))
            await pilot.press("escape", "escape")
            await open_tool(pilot, "c", ConsentChangesScreen)
            assert not hidden(app)
            await pilot.press("f4")
            await wait_for(pilot, lambda: on(app, ConsentChangesScreen) and hidden(app))
