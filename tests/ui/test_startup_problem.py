"""A damaged database at start-up: the app shows a message screen (where, how to restore)
instead of a traceback, and ends with exit code 2 when it is acknowledged."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from scrtui.cli.common import CliError, open_context
from scrtui.store.db import close_database
from scrtui.ui.problem import ProblemApp, ProblemMessage

from .conftest import screen_text


def _refusal_for(home: Path) -> str:
    """What opening this home says, through the code `scrtui app` runs."""
    with pytest.raises(CliError) as caught:
        open_context(argparse.Namespace(home=str(home)))
    close_database()
    return str(caught.value)


def _damaged_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    open_context(argparse.Namespace(home=str(home)))  # a new, sound practice
    close_database()
    db = home / "scrtui.db"
    with open(db, "r+b") as handle:
        handle.seek(0)
        handle.write(b"this is no longer a database header")
    return home


@pytest.mark.parametrize("key", ["enter", "escape", "f10"])
async def test_a_damaged_database_is_a_message_screen_not_a_crash(tmp_path: Path, key: str) -> None:
    home = _damaged_home(tmp_path)
    app = ProblemApp(_refusal_for(home))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ProblemMessage)
        text = screen_text(app)
        assert "the database is damaged" in text
        assert str(home / "scrtui.db") in text
        assert "scrtui backup" in text
        await pilot.press(key)
        await pilot.pause()
    assert app.return_code == 2
