"""Errors are part of the services' contract (scrtui/services.py ServiceError): a database that
fails under a service call comes out as a ServiceError with the user's words, the screen shows
it; anything else out of a UI worker is a bug, shown as a notification and logged to the JSON log
file, and the app keeps running (scrtui/ui/worker_errors.py)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from textual.widgets import Static

from scrtui import logs
from scrtui.paths import Home
from scrtui.services import GroupInfo, ServiceError
from scrtui.ui.screens.front import FrontScreen
from scrtui.ui.screens.groups import GroupsScreen
from scrtui.ui.worker_errors import FAILED_TITLE

from .conftest import make_app, wait_for
from .fake_services import FakeServices
from .real_services import real_services


def _drop_groups_table(db: Path) -> None:
    """Damage from outside the program (another tool, a bad restore): a table gone."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("DROP TABLE group_member")
        conn.execute("DROP TABLE patient_group")
        conn.commit()
    finally:
        conn.close()


async def test_a_database_damaged_under_a_service_call_comes_out_as_a_service_error(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path) as services:
        assert await services.groups()  # it works, then the file is damaged beside it
        _drop_groups_table(services.home.db_path)
        with pytest.raises(ServiceError) as raised:
            await services.groups()
        message = str(raised.value)
        assert message.startswith("The database is damaged:"), message
        assert str(services.home.db_path.absolute()) in message
        assert "no such table" in message and "scrtui backup" in message  # how to restore
        assert not isinstance(raised.value, sqlite3.Error)


async def test_the_patient_groups_screen_says_what_the_service_error_says(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path) as services:
        _drop_groups_table(services.home.db_path)
        app = make_app(services)
        async with app.run_test() as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, FrontScreen))
            await pilot.press("p")
            detail = "Cannot read the groups: The database is damaged"

            def shown() -> bool:
                if not isinstance(app.screen, GroupsScreen):
                    return False
                return detail in str(app.screen.query_one("#groups-detail", Static).content)

            await wait_for(pilot, shown, what="the damage said on the screen")
            assert not app._notifications  # an expected failure: no "something went wrong"


class BrokenGroups(FakeServices):
    """A bug below the seam: something that is not a ServiceError out of a service."""

    async def groups(self) -> list[GroupInfo]:
        raise KeyError("patient_group")


async def test_an_unexpected_error_in_a_worker_is_a_notification_and_the_app_carries_on(
    tmp_path: Path,
) -> None:
    home = Home(tmp_path / "home")
    home.ensure()
    logs.configure(home)
    app = make_app(BrokenGroups())
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, FrontScreen))
        await pilot.press("p")
        await wait_for(pilot, lambda: bool(app._notifications), what="a notification")
        (note,) = list(app._notifications)
        assert note.title == FAILED_TITLE and note.severity == "error"
        assert "KeyError" in note.message and "logs/scrtui.jsonl" in note.message
        # The app is still up and answers keys: back to the front screen.
        assert app.is_running and isinstance(app.screen, GroupsScreen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, FrontScreen), what="back")
    lines = [json.loads(line) for line in home.json_log.read_text().splitlines()]
    failed = [line for line in lines if line.get("event") == "ui_worker_failed"]
    assert failed and "KeyError" in failed[0]["error"]
    assert "Traceback" in failed[0]["exception"]  # the traceback is in the file, for support
