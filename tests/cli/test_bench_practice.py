"""`scrtui bench --practice DIR` (issue 23): a practice seeded once (a million patients take
minutes) is copied for each bench, never changed, and a folder without one is refused."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from scrtui.cli import main
from scrtui.cli.benchmark import _copy_practice
from scrtui.paths import Home
from scrtui.settings import Settings
from scrtui.store.db import close_database, open_database
from scrtui.store.seed import seed_practice


def _patients(path: Path) -> int:
    with closing(sqlite3.connect(path)) as db:
        return int(db.execute("SELECT COUNT(*) FROM patient").fetchone()[0])


def test_the_seeded_practice_is_copied_whole(tmp_path: Path) -> None:
    source = Home(tmp_path / "seeded")
    source.ensure()
    open_database(source.db_path)
    seed_practice(Settings(), 250, seed=5)
    close_database()
    before = source.db_path.read_bytes()
    target = Home(tmp_path / "bench")
    target.ensure()
    _copy_practice(source.root, target)
    assert _patients(target.db_path) == 250
    assert source.db_path.read_bytes() == before


def test_a_folder_without_a_practice_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "nothing"
    empty.mkdir()
    code = main(["--home", str(tmp_path / "h"), "bench", "--practice", str(empty)])
    assert code == 2
    assert "there is no scrtui.db in it" in capsys.readouterr().err
    assert list(empty.iterdir()) == []  # nothing made there
